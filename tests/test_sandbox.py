"""The sandbox launcher: loopback server, throw-away credentials, repository, persistence, and
the sandbox-only rendering (a real-AWS rendering carries none of it)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import hcl2
import pytest

from wizard.core.answers import default_answers
from wizard.core.render import render
from wizard.services.sandbox import (
    ENDPOINT_SERVICES,
    ENDPOINT_VARIABLE,
    sandbox_render_context,
)
from wizard.services.sandbox.launcher import ACCOUNT_ID, FAKE_KEY, Sandbox, SandboxError
from wizard.services.sandbox.seed import UBUNTU_PARAMETERS


def sandbox_files() -> dict[str, bytes]:
    tree = render(default_answers(), sandbox=sandbox_render_context())
    return {k: v.content for k, v in tree.items() if Path(k).name.startswith("sandbox_")}


def test_sandbox_files_render_only_for_the_sandbox() -> None:
    real = render(default_answers())
    assert not [k for k in real if "sandbox" in k]
    assert set(sandbox_files()) == {
        "terraform/sandbox_override.tf",
        "terraform/sandbox_variables.tf",
        "terraform/sandbox_artifacts_override.tf",
        "terraform/modules/artifacts/sandbox_override.tf",
        "terraform/modules/artifacts/sandbox_variables.tf",
    }


def test_rendered_override_points_every_endpoint_at_the_variable() -> None:
    files = sandbox_files()
    override = hcl2.loads(files["terraform/sandbox_override.tf"].decode())
    (provider,) = override["provider"][0].values()  # python-hcl2 keeps the label's quotes
    assert provider["skip_credentials_validation"] is True
    assert provider["s3_use_path_style"] is True
    assert "skip_requesting_account_id" not in provider  # let the provider ask the emulator
    assert "access_key" not in provider and "secret_key" not in provider  # env only
    endpoints = {k: v for k, v in provider["endpoints"][0].items() if not k.startswith("__")}
    assert set(endpoints) == set(ENDPOINT_SERVICES)
    assert {v for v in endpoints.values()} == {f"${{var.{ENDPOINT_VARIABLE}}}"}
    variables = hcl2.loads(files["terraform/sandbox_variables.tf"].decode())
    assert ENDPOINT_VARIABLE in str(variables["variable"][0])
    # same answers, same bytes: the port is not in the files
    assert sandbox_files() == files


def test_rendered_sandbox_files_are_terraform_fmt_clean(tmp_path: Path, terraform_bin: str) -> None:
    for rel, content in sandbox_files().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    proc = subprocess.run(
        [terraform_bin, "fmt", "-check", "-diff", "-recursive", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_start_env_repository_and_one_per_process(tmp_path: Path) -> None:
    with Sandbox(region="eu-central-1", log_file=tmp_path / "sandbox.log") as box:
        assert box.endpoint.startswith("http://127.0.0.1:")
        assert not box.endpoint.endswith(":0")
        env = box.terraform_env()
        assert env[f"TF_VAR_{ENDPOINT_VARIABLE}"] == box.endpoint
        assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == FAKE_KEY
        assert env["AWS_PROFILE"] is None and env["AWS_SESSION_TOKEN"] is None  # removed
        assert "127.0.0.1" in (env["NO_PROXY"] or "")
        assert box.ensure_repository("demo") is True
        assert box.ensure_repository("demo") is False
        ident = box.clients.client("sts").get_caller_identity()
        assert ident["Account"] == ACCOUNT_ID
        ssm = box.clients.client("ssm")
        ami = ssm.get_parameter(Name=UBUNTU_PARAMETERS[0])["Parameter"]["Value"]
        assert ami.startswith("ami-")
        with pytest.raises(SandboxError, match="already running"):
            Sandbox().start()
        box.clients.client("iam").get_role  # noqa: B018 - clients build lazily
    assert (tmp_path / "sandbox.log").is_file()  # request log kept out of our stdout
    with pytest.raises(SandboxError, match="not running"):
        _ = box.endpoint


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / ".cdwizard" / "sandbox-state.pkl.gz"
    with Sandbox(state_file=state) as box:
        c = box.clients
        c.client("codecommit").create_repository(repositoryName="kept", tags={"a": "b"})
        c.client("kms").create_key(Description="key material must survive")
        c.client("ec2").create_key_pair(KeyName="kp")
        c.client("ssm").put_parameter(Name="/cdwizard/x", Value="1", Type="String")
        assoc = c.client("ssm").create_association(
            Name="AWS-ConfigureAWSPackage", Targets=[{"Key": "tag:Name", "Values": ["x"]}]
        )["AssociationDescription"]["AssociationId"]
        c.client("codedeploy").create_application(applicationName="app", computePlatform="Server")
        s3 = c.client("s3")
        s3.create_bucket(
            Bucket="kept-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_object(Bucket="kept-bucket", Key="k", Body=b"payload")
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    Sandbox().reset()  # forget everything in memory: what comes back comes from the file
    with Sandbox(state_file=state) as box:
        assert box.restored > 0
        c = box.clients
        assert c.client("codecommit").get_repository(repositoryName="kept")
        assert c.client("ssm").get_parameter(Name="/cdwizard/x")["Parameter"]["Value"] == "1"
        assert c.client("ssm").describe_association(AssociationId=assoc)
        assert c.client("codedeploy").get_application(applicationName="app")
        body = c.client("s3").get_object(Bucket="kept-bucket", Key="k")["Body"].read()
        assert body == b"payload"
        assert c.client("ec2").describe_key_pairs(KeyNames=["kp"])["KeyPairs"]
        keys = c.client("kms").list_keys()["Keys"]
        described = [c.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in keys]
        assert any(d.get("Description") == "key material must survive" for d in described)
        box.reset()


def test_a_corrupt_state_file_says_how_to_recover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "sandbox-state.pkl.gz"
    state.write_bytes(b"not a state")
    with pytest.raises(SandboxError) as caught:
        Sandbox(state_file=state).start()
    text = str(caught.value)
    assert f"cannot use the sandbox state {state}: not a cdwizard sandbox state" in text
    assert "CDWIZARD_SANDBOX_FRESH=1" in text and "kept next to it" in text
    with Sandbox() as box:  # the failed start released the process-wide slot
        assert box.endpoint
    # the choice: start fresh, the old file kept aside untouched
    monkeypatch.setenv("CDWIZARD_SANDBOX_FRESH", "1")
    with Sandbox(state_file=state) as box:
        assert box.restored == 0 and box.set_aside is not None
        assert box.set_aside.read_bytes() == b"not a state"
        assert box.set_aside.name.startswith("sandbox-state.pkl.gz.")
    assert state.is_file()  # the fresh sandbox saved its own state


def _rewrite(state: Path, *, header: dict[str, object] | None, body: bytes | None = None) -> None:
    """Replace the header (None: drop it, the headerless format 1) and/or the pickle."""
    import gzip
    import io
    import json
    import pickle

    from wizard.services.sandbox import persistence

    old_header, old_body = persistence._split(state)
    body = old_body if body is None else body
    if header is None:
        buffer = io.BytesIO()
        persistence._Pickler(buffer).dump(dict(pickle.loads(old_body), format=1))
        raw = buffer.getvalue()
    else:
        raw = persistence.MAGIC + json.dumps({**old_header, **header}).encode() + b"\n" + body
    state.write_bytes(gzip.compress(raw))


def test_state_records_versions_and_old_or_foreign_files_get_a_clear_message(
    tmp_path: Path,
) -> None:
    from wizard import __version__
    from wizard.services.sandbox import compat, persistence

    state = tmp_path / "sandbox-state.pkl.gz"
    with Sandbox(state_file=state) as box:
        box.clients.client("s3").create_bucket(
            Bucket="kept", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    header = persistence.read_header(state)
    assert header["format"] == persistence.FORMAT
    # moto's IAM exists for every partition; only the one in use is saved
    import pickle

    saved = pickle.loads(persistence._split(state)[1])["backends"]
    assert ("iam", "aws") in {(service, region) for service, _, region, _ in saved}
    assert not {region for _, _, region, _ in saved} & {"aws-cn", "aws-us-gov", "aws-iso"}
    assert header["cdwizard"] == __version__ and header["moto"] == compat.moto_version()

    _rewrite(state, header=None)  # a file of the first format (no header) still opens
    assert persistence.read_header(state) == {"format": 1}
    with Sandbox(state_file=state) as box:
        assert box.restored >= 1
        assert [b["Name"] for b in box.clients.client("s3").list_buckets()["Buckets"]] == ["kept"]

    _rewrite(state, header={"format": 99, "cdwizard": "9.0.0", "moto": "9.9.9"})
    with pytest.raises(SandboxError) as caught:
        Sandbox(state_file=state).start()
    text = str(caught.value)
    assert "written in a newer format (99)" in text
    assert "It was written by cdwizard 9.0.0 with moto 9.9.9; this is cdwizard" in text

    # moto's classes changed under the pickle (what another moto release can do)
    _rewrite(state, header={"format": 2, "moto": "5.1.0"}, body=b"\x80\x05garbage")
    with pytest.raises(SandboxError) as caught:
        Sandbox(state_file=state).start()
    text = str(caught.value)
    assert "its emulator data cannot be read by this moto" in text
    assert "with moto 5.1.0" in text and "Traceback" not in text


def test_sandbox_keeps_state_local_even_with_an_s3_backend(
    tmp_path: Path, tf_env: dict[str, str], terraform_bin: str
) -> None:
    from wizard.core.answers import validate_mapping
    from wizard.core.render import write_workspace

    answers = validate_mapping(
        {"version": 1, "terraform": {"backend": "s3", "state_bucket": "my-real-state-bucket"}}
    )
    write_workspace(render(answers, sandbox=sandbox_render_context()), tmp_path)
    work = tmp_path / "terraform"
    assert 'backend "s3"' in (work / "backend.tf").read_text()
    proc = subprocess.run(
        [terraform_bin, "init", "-input=false", "-no-color"],
        cwd=work,
        env={**tf_env, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Successfully configured the backend "local"' in proc.stdout
