"""Warn before clobbering: which resources terraform would create already exist (moto server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.moto_stack import create_application_and_group, create_role, pipeline_declaration
from wizard.core.answers import validate_mapping
from wizard.services.aws import clashes as c
from wizard.services.aws.session import AwsClients

ACCOUNT = "123456789012"


def _answers(**source: object):
    return validate_mapping(
        {
            "version": 1,
            "project": "shop",
            "source": {"repository": "shop", **source},
            "deployment": {"service_role": "shop-deploy", "instance_profile": "shop-ec2"},
        }
    )


def test_planned_resources_follow_the_answers() -> None:
    names = {(p.kind, p.name) for p in c.planned_resources(_answers(), ACCOUNT)}
    assert names == {
        ("iam_role", "shop-deploy"),
        ("iam_role", "shop-ec2"),
        ("iam_instance_profile", "shop-ec2"),
        ("codedeploy_app", "shop"),
        ("codedeploy_group", "shop/shop-dg"),
        ("codepipeline", "shop"),
        ("s3_bucket", f"shop-artifacts-{ACCOUNT}"),
        ("iam_role", "shop-codepipeline"),
        ("iam_role", "shop-events"),
        ("events_rule", "shop-source-change"),
    }
    polled = validate_mapping(
        {"version": 1, "project": "shop", "source": {"change_detection": "poll"}}
    )
    assert "events_rule" not in {p.kind for p in c.planned_resources(polled)}
    with_repo = c.planned_resources(_answers(create_repository=True))
    assert ("codecommit_repository", "shop") in {(p.kind, p.name) for p in with_repo}
    assert not any(p.kind == "s3_bucket" for p in with_repo)  # no account: name unknown


def test_clashes_appear_as_resources_are_created(aws_target) -> None:
    clients = AwsClients(aws_target)
    planned = c.planned_resources(_answers(create_repository=True), ACCOUNT)
    before = c.find_existing(clients, planned)
    assert [r for r in before if r.exists] == []
    assert all(not r.clash for r in before)

    iam = clients.client("iam")
    iam.create_role(RoleName="shop-deploy", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="shop-ec2")
    service_role = iam.get_role(RoleName="shop-deploy")["Role"]["Arn"]
    create_application_and_group(clients.client("codedeploy"), "shop", "shop-dg", service_role)
    clients.client("codepipeline").create_pipeline(
        pipeline=pipeline_declaration(
            "shop",
            create_role(iam, "pipe"),
            bucket="any-bucket",
            repository="shop",
            branch="main",
            application="shop",
            group="shop-dg",
        )
    )
    clients.client("s3").create_bucket(
        Bucket=f"shop-artifacts-{ACCOUNT}",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    clients.client("codecommit").create_repository(repositoryName="shop")
    clients.client("events").put_rule(
        Name="shop-source-change", EventPattern='{"source": ["aws.codecommit"]}'
    )

    after = {(r.planned.kind, r.planned.name): r for r in c.find_existing(clients, planned)}
    assert {k for k, r in after.items() if r.clash} == {
        ("iam_role", "shop-deploy"),
        ("iam_instance_profile", "shop-ec2"),
        ("codedeploy_app", "shop"),
        ("codedeploy_group", "shop/shop-dg"),
        ("codepipeline", "shop"),
        ("s3_bucket", f"shop-artifacts-{ACCOUNT}"),
        ("codecommit_repository", "shop"),
        ("events_rule", "shop-source-change"),
    }
    assert not after[("iam_role", "shop-ec2")].exists
    assert "already exists" in after[("codepipeline", "shop")].detail


def test_resources_in_this_workspaces_state_are_not_clashes(aws_target, tmp_path: Path) -> None:
    clients = AwsClients(aws_target)
    clients.client("iam").create_role(RoleName="shop-deploy", AssumeRolePolicyDocument="{}")
    clients.client("codedeploy").create_application(applicationName="shop")
    state = {
        "version": 4,
        "resources": [
            {
                "mode": "managed",
                "type": "aws_iam_role",
                "name": "service",
                "instances": [{"attributes": {"name": "shop-deploy"}}],
            },
            {
                "mode": "data",
                "type": "aws_codedeploy_app",
                "name": "ignored",
                "instances": [{"attributes": {"name": "shop"}}],
            },
        ],
    }
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(state))
    managed = c.managed_names_in(path)
    assert managed == {("iam_role", "shop-deploy")}
    found = {
        (r.planned.kind, r.planned.name): r
        for r in c.find_existing(clients, c.planned_resources(_answers(), ACCOUNT), managed=managed)
    }
    role = found[("iam_role", "shop-deploy")]
    assert role.exists and role.managed and not role.clash and not role.terraform_creates
    assert found[("codedeploy_app", "shop")].clash


@pytest.mark.parametrize("content", ["", "{not json", '{"resources": []}'])
def test_missing_or_unreadable_state_manages_nothing(tmp_path: Path, content: str) -> None:
    path = tmp_path / "terraform.tfstate"
    if content:
        path.write_text(content)
    assert c.managed_names_in(path) == frozenset()


def test_deployment_group_state_names_are_app_slash_group() -> None:
    state = {
        "resources": [
            {
                "mode": "managed",
                "type": "aws_codedeploy_deployment_group",
                "name": "g",
                "instances": [{"attributes": {"app_name": "shop", "deployment_group_name": "dg"}}],
            }
        ]
    }
    assert c.managed_names(state) == {("codedeploy_group", "shop/dg")}
