"""End to end, as a user runs it: the rendered default answers (and the ssm/poll/no-instance
variant) -> `apply --sandbox --yes` -> a second `plan` reports no changes -> `destroy` leaves
nothing, checked through boto3 against the emulator's saved state. Plus a failing apply and a
SIGINT during apply. Real terraform, the real provider from the mirror, moto over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from wizard.core import resources

pytestmark = [
    pytest.mark.slow,
    pytest.mark.terraform,
    pytest.mark.mirror,
    pytest.mark.skipif(
        not (resources.templates_dir() / "terraform").is_dir(),
        reason="the terraform root templates and modules are not in this checkout yet",
    ),
]

VARIANT = """\
version: 1
project: ssm-variant
source: {change_detection: poll, create_repository: true}
targets: {create_instance: false, agent_install: ssm, ssm_managed: true, extend_role: fleet-role}
"""
#: The role of the instances the variant targets: it exists before cdwizard runs.
FLEET_ROLE = "fleet-role"


def existing_fleet_role(workspace: Path) -> None:
    """The role of instances the user already runs, in the sandbox's saved state."""
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox

    (workspace / STATE_FILE).parent.mkdir(parents=True, exist_ok=True)
    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        box.clients.client("iam").create_role(RoleName=FLEET_ROLE, AssumeRolePolicyDocument="{}")
        box.save()
        box.reset()  # leave the test process's moto as empty as we found it
        box.stop(save=False)


def cli(
    *args: str, cwd: Path, mirror: Path, timeout: float = 600, env: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *args, "--json", "--provider-mirror", str(mirror)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stderr


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == f"terraform.{kind}"]


def emulator_inventory(workspace: Path, repository: str) -> dict[str, Any]:
    """What the emulator holds after the command exited (its state file, read back)."""
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox

    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        c = box.clients
        instances = [
            (i["State"]["Name"], {t["Key"]: t["Value"] for t in i.get("Tags", [])})
            for r in c.client("ec2").describe_instances()["Reservations"]
            for i in r["Instances"]
        ]
        inventory = {
            "pipelines": [
                p["name"] for p in c.client("codepipeline").list_pipelines()["pipelines"]
            ],
            "applications": c.client("codedeploy").list_applications()["applications"],
            "roles": sorted(r["RoleName"] for r in c.client("iam").list_roles()["Roles"]),
            "profiles": [
                p["InstanceProfileName"]
                for p in c.client("iam").list_instance_profiles()["InstanceProfiles"]
            ],
            "buckets": [b["Name"] for b in c.client("s3").list_buckets()["Buckets"]],
            "rules": [r["Name"] for r in c.client("events").list_rules()["Rules"]],
            "associations": c.client("ssm").list_associations()["Associations"],
            "live_instances": [tags for state, tags in instances if state != "terminated"],
            "repositories": [repository] if _repository_exists(c, repository) else [],
        }
        groups = {}
        for app in inventory["applications"]:
            cd = c.client("codedeploy")
            for name in cd.list_deployment_groups(applicationName=app)["deploymentGroups"]:
                info = cd.get_deployment_group(applicationName=app, deploymentGroupName=name)
                groups[name] = info["deploymentGroupInfo"]
        inventory["groups"] = groups
        iam = c.client("iam")
        inventory["fleet_role_policies"] = (
            iam.list_role_policies(RoleName=FLEET_ROLE)["PolicyNames"]
            if FLEET_ROLE in inventory["roles"]
            else None
        )
        inventory["lifecycle"] = {
            bucket: _lifecycle_rules(c.client("s3"), bucket) for bucket in inventory["buckets"]
        }
        box.reset()  # leave the test process's moto as empty as we found it
        box.stop(save=False)
    return inventory


def _lifecycle_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        return list(s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"])
    except s3.exceptions.ClientError:
        return []


def _repository_exists(clients: Any, name: str) -> bool:
    cc = clients.client("codecommit")  # moto has no ListRepositories
    try:
        cc.get_repository(repositoryName=name)
    except cc.exceptions.RepositoryDoesNotExistException:
        return False
    return True


def full_cycle(
    tmp_path: Path,
    answers_text: str,
    mirror: Path,
    repository: str,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    answers = tmp_path / "answers.yml"
    answers.write_text(answers_text)
    common = ("--answers", str(answers), "--out", "ws", "--sandbox")

    code, events, err = cli("apply", *common, "--yes", cwd=tmp_path, mirror=mirror, env=env)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    # (a saved-plan apply re-emits the plan's planned_change lines: compare sets)
    planned = {e["address"] for e in of(events, "planned_change") if e["action"] != "read"}
    done = [e["address"] for e in of(events, "apply_complete") if e["action"] == "create"]
    assert set(done) == planned and len(done) == len(planned)  # each one created, once
    summary = of(events, "plan_summary")[0]
    assert summary["add"] == len(planned) and summary["destructive"] == []
    assert of(events, "report")[-1]["ok"] is True
    created = emulator_inventory(tmp_path / "ws", repository)

    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=mirror, env=env)
    assert code == 0, err
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)
    assert of(events, "plan_summary")[-1]["add"] == 0

    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=mirror, env=env)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    report = of(events, "report")[-1]
    assert report["ok"] and report["left_behind"] == []
    gone = emulator_inventory(tmp_path / "ws", repository)
    return {"created": created, "gone": gone, "planned": planned}


def test_default_answers_full_cycle(tmp_path: Path, provider_mirror: Path) -> None:
    """Every resource of the default answers, the bucket lifecycle configuration included (the
    sandbox skips it unless asked: the provider waits 55 s for it)."""
    lifecycle = "module.artifacts.aws_s3_bucket_lifecycle_configuration.this[0]"
    result = full_cycle(
        tmp_path,
        "version: 1\n",
        provider_mirror,
        "devops-python-service",
        env={"CDWIZARD_SANDBOX_BUCKET_LIFECYCLE": "1"},
    )
    created, gone = result["created"], result["gone"]
    assert len(result["planned"]) == 22 and lifecycle in result["planned"]
    assert created["pipelines"] == ["devops-python-service"]
    assert created["applications"] == ["devops-python-service"]
    group = created["groups"]["devops-python-service-dg"]
    assert "loadBalancerInfo" not in group
    tags = [f for tag_set in group["ec2TagSet"]["ec2TagSetList"] for f in tag_set]
    assert {"Key": "Name", "Value": "devops-python-service", "Type": "KEY_AND_VALUE"} in tags
    assert {"CodeDeployServiceRole", "CodeDeployDemo-EC2-Instance-Profile"} <= set(created["roles"])
    assert created["live_instances"][0]["Name"] == "devops-python-service"
    assert any(b.startswith("devops-python-service-artifacts-") for b in created["buckets"])
    (rules,) = created["lifecycle"].values()
    (rule,) = rules
    assert rule["ID"] == "expire-old-artifacts"
    # current artifacts expire too (each run writes new keys), superseded versions later
    assert rule["Expiration"] == {"Days": 30}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["Filter"] == {"Prefix": ""} and rule["Status"] == "Enabled"
    assert created["rules"]  # eventbridge change detection
    assert created["repositories"] == ["devops-python-service"]  # made by the sandbox
    for key in ("pipelines", "applications", "roles", "profiles", "buckets", "rules"):
        assert gone[key] == [], key
    assert gone["live_instances"] == [] and gone["associations"] == []
    assert gone["repositories"] == ["devops-python-service"]  # not ours to delete


def test_ssm_poll_no_instance_variant_full_cycle(tmp_path: Path, provider_mirror: Path) -> None:
    existing_fleet_role(tmp_path / "ws")
    result = full_cycle(tmp_path, VARIANT, provider_mirror, "ssm-variant")
    created, gone = result["created"], result["gone"]
    # targets.extend_role: one read policy on the existing role, removed again by destroy
    assert created["fleet_role_policies"] == ["ssm-variant-artifacts-read"]
    assert gone["fleet_role_policies"] == [] and FLEET_ROLE in gone["roles"]
    # the sandbox's default: no bucket lifecycle configuration (18 - 1 + the repository + the
    # read policy on the existing role)
    assert len(result["planned"]) == 19
    assert list(created["lifecycle"].values()) == [[]]
    assert created["live_instances"] == []
    assert len(created["associations"]) == 1
    assert created["rules"] == []  # polling: no EventBridge rule
    assert created["repositories"] == ["ssm-variant"]  # created by terraform this time
    for key in ("pipelines", "applications", "profiles", "buckets", "associations"):
        assert gone[key] == [], key
    assert gone["roles"] == [FLEET_ROLE]  # not ours: only our policy on it went
    assert gone["repositories"] == []


def test_failing_apply_reports_the_resource_and_exit_6(
    tmp_path: Path, provider_mirror: Path
) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\ntargets: {subnet_id: subnet-0123456789abcdef0}\n")
    common = ("--answers", str(answers), "--out", "ws", "--sandbox")
    code, events, _err = cli("apply", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 6
    diags = [d for d in of(events, "diagnostic") if d["severity"] == "error"]
    assert any(d["address"] == "module.instance.aws_instance.this[0]" for d in diags), diags
    assert any("subnet" in (d["detail"] + d["summary_text"]).lower() for d in diags)
    report = of(events, "report")[-1]
    assert report["ok"] is False and report["completed"]
    assert [f["address"] for f in report["failed"]] == ["module.instance.aws_instance.this[0]"]
    steps = {step["action"]: step for step in report["next_steps"]}
    assert steps["resume_apply"]["command"].startswith("cdwizard apply --answers")
    assert steps["destroy"]["command"].startswith("cdwizard destroy --answers")
    assert report["cause"] == "terraform_error" and report["diagnostics"]
    assert all(step["text"] for step in report["next_steps"])
    code, _events, _err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0


def test_sigint_during_apply_then_a_rerun_converges(tmp_path: Path, provider_mirror: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\n")
    common = ["--answers", str(answers), "--out", "ws", "--sandbox"]
    argv = [sys.executable, "-m", "wizard", "apply", *common, "--yes", "--json"]
    argv += ["--provider-mirror", str(provider_mirror)]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    events = []
    try:
        for line in proc.stdout:
            event = json.loads(line)
            events.append(event)
            if event["type"] == "terraform.apply_start" and "aws_instance" in event["address"]:
                proc.send_signal(signal.SIGINT)  # as Ctrl-C would, to cdwizard only
                break
        events += [json.loads(line) for line in proc.stdout if line.startswith("{")]
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, [e for e in events if e["level"] in ("warn", "error")]
    assert any(e["type"] == "notice" and "interrupt" in e["text"] for e in events)
    report = of(events, "report")[-1]
    assert report["interrupted"] and report["next_steps"][0]["action"] == "resume"
    assert report["next_steps"][0]["command"].startswith("cdwizard apply")

    code, events, err = cli("apply", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)
    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
