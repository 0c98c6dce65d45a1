"""Two environments end to end against the sandbox: `apply --sandbox` creates one application, a
deployment group and instances per environment and a pipeline whose stages are Source, Deploy-
staging, Approve-production, Deploy-production (the approval carrying its message and link); the
pipeline role may deploy to exactly those groups; a second plan is empty; destroy leaves nothing.
Real terraform and provider from the mirror, moto over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_tf_integration import cli, emulator_inventory, of, pytestmark  # noqa: F401
from wizard.services.sandbox import STATE_FILE
from wizard.services.sandbox.launcher import Sandbox

EXAMPLE = Path(__file__).parent / "data" / "answers" / "environments.yaml"


def _without_notifications() -> str:
    """The example answers; notifications need the sandbox's CodeStar Notifications endpoint."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data.pop("notifications")
    return yaml.safe_dump(data, sort_keys=False)


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


@pytest.mark.timeout(900)
def test_two_environments_full_cycle(tmp_path: Path, provider_mirror: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(_without_notifications())
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

    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)

    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    report = of(events, "report")[-1]
    assert report["ok"] and report["left_behind"] == []
    gone = emulator_inventory(tmp_path / "ws", "shop")
    assert gone["applications"] == [] and gone["live_instances"] == []
