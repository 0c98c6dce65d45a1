"""Two environments end to end against the sandbox: `apply --sandbox` of
tests/data/answers/environments.yaml creates one application, a deployment group and instances
per environment and a pipeline whose stages are Source, Deploy-staging, Approve-production,
Deploy-production (the approval carrying its message and link); the pipeline role may deploy to
exactly those groups; the notifications topic, its pending email subscription and the two
CodeStar Notifications rules exist; a second plan is empty. Then the issue's delivery story:
`ship` deploys staging and stops at production's approval (`approval.waiting`), `monitor
--approve` lets production deploy and the run succeed; a second run rejected with `monitor
--reject` fails at the approval as AWS ends it; destroy leaves nothing. Real terraform and
provider from the mirror, moto over HTTP, each command its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.test_tf_integration import cli, emulator_inventory, of, pytestmark  # noqa: F401
from wizard.core.exitcodes import ExitCode
from wizard.services.sandbox import STATE_FILE
from wizard.services.sandbox.launcher import Sandbox

EXAMPLE = Path(__file__).parent / "data" / "answers" / "environments.yaml"
#: Simulated durations at a twentieth: a run is over in a second or two, except for the approval.
PACE = "0.05"


def _wizard(tmp_path: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """`cdwizard <args> --json` against the workspace's sandbox, on the quick pace."""
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *args, "--json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "CDWIZARD_SANDBOX_PACE": PACE},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events


def _typed(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def _deployed_groups(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(deployment group, final status) of each deployment the command followed."""
    groups = {e["deployment_id"]: e["group"] for e in _typed(events, "deployment.started")}
    return [
        (groups[e["deployment_id"]], e["status"]) for e in _typed(events, "deployment.finished")
    ]


def _ship_approve_and_reject(tmp_path: Path, common: tuple[str, ...]) -> None:
    """Run 1: staging deploys, the approval waits, approved -> production deploys, success.
    Run 2: staging deploys, rejected at the approval -> the run fails there."""
    follow = (*common, "--poll-interval", "1")
    code, events = _wizard(tmp_path, "ship", *follow, "--timeout", "20s")
    assert code == ExitCode.TIMED_OUT  # still waiting for the approval when --timeout passed
    assert _deployed_groups(events) == [("shop-staging-dg", "Succeeded")]
    (waiting,) = _typed(events, "approval.waiting")
    assert (waiting["stage"], waiting["action"]) == ("Approve-production", "Approve")
    assert waiting["message"] == "Staging looks good? Approve to deploy to production."
    assert waiting["url"] == "https://staging.example.com"
    # how to answer it: the monitor command as this user runs it (answers, workspace, sandbox)
    answer = f"cdwizard monitor {' '.join(common)} --approve"
    assert any(answer in e.get("text", "") for e in _typed(events, "notice")), answer

    code, events = _wizard(tmp_path, "monitor", *common, "--approve", "--comment", "ok", "--yes")
    assert code == 0, events
    code, events = _wizard(tmp_path, "monitor", *follow)
    assert code == 0, [e for e in events if e["level"] == "error"]
    (approved,) = _typed(events, "approval.approved")
    assert approved["comment"] == "ok"
    assert _deployed_groups(events)[-1] == ("shop-production-dg", "Succeeded")
    assert _typed(events, "pipeline.execution_finished")[-1]["status"] == "Succeeded"

    code, events = _wizard(tmp_path, "ship", *follow, "--timeout", "20s", "--trigger-wait", "2s")
    assert code == ExitCode.TIMED_OUT
    assert len(_typed(events, "approval.waiting")) == 1
    code, events = _wizard(
        tmp_path, "monitor", *common, "--reject", "--comment", "not today", "--yes"
    )
    assert code == 0, events
    code, events = _wizard(tmp_path, "monitor", *follow)
    assert code == ExitCode.DEPLOY_FAILED
    (rejected,) = _typed(events, "approval.rejected")
    assert rejected["comment"] == "not today"
    stages = {e["stage"]: e["status"] for e in _typed(events, "pipeline.stage")}
    assert stages["Approve-production"] == "Failed"
    assert "Deploy-production" not in stages or stages["Deploy-production"] != "Succeeded"
    assert _typed(events, "pipeline.execution_finished")[-1]["status"] == "Failed"


def _pipeline_and_policy(workspace: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        c = box.clients
        pipeline = c.client("codepipeline").get_pipeline(name="shop")["pipeline"]
        iam = c.client("iam")
        (name,) = iam.list_role_policies(RoleName="shop-codepipeline")["PolicyNames"]
        document = iam.get_role_policy(RoleName="shop-codepipeline", PolicyName=name)
        policy = document["PolicyDocument"]
        box.reset()
        box.stop(save=False)
    return pipeline, policy if isinstance(policy, dict) else json.loads(policy)


def _notifications(workspace: Path) -> dict[str, Any]:
    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        notifications = box.clients.client("codestar-notifications")
        sns = box.clients.client("sns")
        rules = {}
        for listed in notifications.list_notification_rules()["NotificationRules"]:
            rule = notifications.describe_notification_rule(Arn=listed["Arn"])
            rules[rule["Name"]] = rule
        found = {
            "rules": rules,
            "topics": [t["TopicArn"] for t in sns.list_topics()["Topics"]],
            "subscriptions": sns.list_subscriptions()["Subscriptions"],
        }
        box.reset()
        box.stop(save=False)
    return found


@pytest.mark.timeout(900)
def test_two_environments_full_cycle(tmp_path: Path, provider_mirror: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(EXAMPLE.read_text())
    common = ("--answers", str(answers), "--out", "ws", "--sandbox")

    code, events, err = cli("apply", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    assert of(events, "report")[-1]["ok"] is True
    outputs = {k: v for e in of(events, "outputs") for k, v in e["outputs"].items()}
    environments = outputs["environments"]["value"]
    assert [(e["name"], e["approval_stage"], e["deploy_stage"]) for e in environments] == [
        ("staging", None, "Deploy-staging"),
        ("production", "Approve-production", "Deploy-production"),
    ]
    assert [e["deployment_group_name"] for e in environments] == [
        "shop-staging-dg",
        "shop-production-dg",
    ]
    assert [len(e["instance_ids"]) for e in environments] == [1, 2]

    created = emulator_inventory(tmp_path / "ws", "shop")
    assert created["applications"] == ["shop"]
    assert set(created["groups"]) == {"shop-staging-dg", "shop-production-dg"}
    production = created["groups"]["shop-production-dg"]
    assert production["deploymentConfigName"] == "CodeDeployDefault.HalfAtATime"
    tags = [f for tag_set in production["ec2TagSet"]["ec2TagSetList"] for f in tag_set]
    assert tags == [{"Key": "Environment", "Value": "production", "Type": "KEY_AND_VALUE"}]
    by_env = sorted(t["Environment"] for t in created["live_instances"])
    assert by_env == ["production", "production", "staging"]

    pipeline, policy = _pipeline_and_policy(tmp_path / "ws")
    stages = pipeline["stages"]
    assert [s["name"] for s in stages] == [
        "Source",
        "Deploy-staging",
        "Approve-production",
        "Deploy-production",
    ]
    (approve,) = stages[2]["actions"]
    assert approve["name"] == "Approve"
    assert approve["actionTypeId"] == {
        "category": "Approval",
        "owner": "AWS",
        "provider": "Manual",
        "version": "1",
    }
    assert approve["configuration"] == {
        "CustomData": "Staging looks good? Approve to deploy to production.",
        "ExternalEntityLink": "https://staging.example.com",
    }
    (deploy,) = stages[3]["actions"]
    assert deploy["configuration"]["DeploymentGroupName"] == "shop-production-dg"
    (group_statement,) = [s for s in policy["Statement"] if s.get("Sid") == "DeployGroup"]
    resources = group_statement["Resource"]
    resources = sorted([resources] if isinstance(resources, str) else resources)
    assert [r.rsplit("/", 1)[-1] for r in resources] == ["shop-production-dg", "shop-staging-dg"]

    found = _notifications(tmp_path / "ws")
    (topic,) = found["topics"]
    assert (
        topic.endswith(":shop-notifications")
        and outputs["notification_topic_arn"]["value"] == topic
    )
    (subscription,) = found["subscriptions"]
    assert subscription["Endpoint"] == "ops@example.com"
    assert subscription["SubscriptionArn"] == "PendingConfirmation"  # until ops@ confirms
    assert set(found["rules"]) == {"shop-pipeline", "shop-deployments"}
    pipeline_rule = found["rules"]["shop-pipeline"]
    assert pipeline_rule["Resource"] == outputs["pipeline_arn"]["value"]
    assert {e["EventTypeId"] for e in pipeline_rule["EventTypes"]} == {
        "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-pipeline-execution-succeeded",
        "codepipeline-pipeline-manual-approval-needed",
    }
    deployments_rule = found["rules"]["shop-deployments"]
    assert [e["EventTypeId"] for e in deployments_rule["EventTypes"]] == [
        "codedeploy-application-deployment-failed"
    ]
    assert [t["TargetAddress"] for t in pipeline_rule["Targets"]] == [topic]

    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)

    _ship_approve_and_reject(tmp_path, common)

    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    report = of(events, "report")[-1]
    assert report["ok"] and report["left_behind"] == []
    gone = emulator_inventory(tmp_path / "ws", "shop")
    assert gone["applications"] == [] and gone["live_instances"] == []
    assert _notifications(tmp_path / "ws") == {"rules": {}, "topics": [], "subscriptions": []}
