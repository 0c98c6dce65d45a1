"""`--adopt` end to end, as someone who followed the seed procedure by hand runs it: the seed's
stack built through boto3 in the emulator -> `apply --adopt --sandbox --yes` imports it and
creates only the rest -> a re-plan shows no changes -> `ship` deploys to the adopted instance ->
`destroy` removes everything, saying what existed before. And the conflicting case: a role of the
same name trusted by another service is refused with the evidence, nothing imported. Real
terraform, the real provider from the mirror, moto over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.adoption_support import SeedStack
from tests.conftest import REPO
from tests.test_tf_integration import cli, emulator_inventory, of
from wizard.core import resources

pytestmark = [
    pytest.mark.slow,
    pytest.mark.terraform,
    pytest.mark.mirror,
    pytest.mark.skipif(
        not (resources.templates_dir() / "terraform").is_dir(),
        reason="the terraform root templates and modules are not in this checkout",
    ),
]

ANSWERS = "version: 1\nsource: {create_repository: true}\n"


def _in_sandbox(workspace: Path, build: Any) -> Any:
    """Run `build(clients)` against the workspace's emulator (its state saved for the CLI)."""
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox

    workspace.mkdir(parents=True, exist_ok=True)
    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        result = build(box.clients)
        box.save(force=True)
        box.reset()
        box.stop(save=False)
    return result


def _errors(events: list[dict[str, Any]]) -> list[Any]:
    return [e for e in events if e["level"] == "error"]


def test_adopt_the_seed_stack_then_ship_and_destroy(tmp_path: Path, provider_mirror: Path) -> None:
    (tmp_path / "answers.yml").write_text(ANSWERS)
    seed = _in_sandbox(tmp_path / "ws", SeedStack().build)
    common = ("--answers", "answers.yml", "--out", "ws", "--sandbox")

    code, events, err = cli(
        "apply", *common, "--adopt", "--yes", cwd=tmp_path, mirror=provider_mirror
    )
    assert code == 0, (err, _errors(events))
    summary = of(events, "plan_summary")[-1]
    imported = [i["what"] for i in summary["items"] if i["action"] == "imports"]
    # the roles with their managed-policy attachments (role/arn), the profile, the instance,
    # the application, the group (app:group) and the repository; not the seed's own inline
    # policy, which cdwizard's configuration does not have
    assert summary["imports"] == len(imported) == 9, imported
    role = next(w for w in imported if w.startswith("IAM role CodeDeployServiceRole"))
    assert "(will change: adds tag cdwizard:project=devops-python-service" in role
    assert any(w.startswith(f"EC2 instance {seed.instance_id}") for w in imported), imported
    assert summary["destructive"] == []
    notes = [e["text"] for e in events if e["type"] == "notice"]
    assert any("CodeDeployDemo-EC2-Permissions" in n and "stays as it is" in n for n in notes)
    created = {e["address"] for e in of(events, "apply_complete") if e["action"] == "create"}
    # only the rest is created: bucket, pipeline, events (and their roles and policies)
    assert not any(a.startswith("module.codedeploy.") for a in created), created
    assert "module.instance.aws_instance.this[0]" not in created
    assert "module.pipeline.aws_codepipeline.this" in created
    assert "module.artifacts.aws_s3_bucket.this" in created
    assert not (tmp_path / "ws" / "terraform" / "imports.tf").exists()

    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)

    proc = subprocess.run(
        [sys.executable, "-m", "wizard", "ship", *common, "--plain", "--timeout", "5m"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)
    assert seed.instance_id in proc.stdout
    assert "ValidateService: Succeeded" in proc.stdout

    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, _errors(events))
    summary = of(events, "plan_summary")[-1]
    assert len(summary["existed_before"]) == 9
    assert any("IAM role CodeDeployServiceRole" in label for label in summary["existed_before"])
    gone = emulator_inventory(tmp_path / "ws", "devops-python-service")
    for key in ("pipelines", "applications", "roles", "profiles", "buckets", "rules"):
        assert gone[key] == [], key
    assert gone["live_instances"] == [] and gone["repositories"] == []


def test_a_role_trusted_by_another_service_is_refused(
    tmp_path: Path, provider_mirror: Path
) -> None:
    """Same role name, trust policy for Lambda: refused with the evidence and the answers key;
    nothing is imported (not even the application, which could be)."""
    (tmp_path / "answers.yml").write_text(ANSWERS)

    def build(clients: Any) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        clients.client("iam").create_role(
            RoleName="CodeDeployServiceRole", AssumeRolePolicyDocument=json.dumps(trust)
        )
        clients.client("codedeploy").create_application(applicationName="devops-python-service")

    _in_sandbox(tmp_path / "ws", build)
    code, events, err = cli(
        "apply",
        "--answers",
        "answers.yml",
        "--out",
        "ws",
        "--sandbox",
        "--adopt",
        "--yes",
        cwd=tmp_path,
        mirror=provider_mirror,
    )
    assert code == 5, (err, events[-3:])
    [refusal] = _errors(events)
    assert refusal["text"].startswith("cannot adopt: IAM role CodeDeployServiceRole: its trust ")
    assert "lambda.amazonaws.com" in refusal["text"] and "nothing was imported" in refusal["text"]
    assert "deployment.service_role" in refusal["hint"]
    assert not of(events, "plan_summary") and not of(events, "apply_start")
    workdir = tmp_path / "ws" / "terraform"
    assert not (workdir / "imports.tf").exists() and not (workdir / "terraform.tfstate").exists()
