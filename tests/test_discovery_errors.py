"""AWS failures become `DiscoveryError`s a user can act on.

Denials are real: moto evaluates an IAM user's policy once auth is switched on (`_moto_auth`).
Only CodeCommit's closure error (OperationNotAllowedException), which moto cannot produce, goes
through a botocore Stubber on a real client.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.stub import Stubber

from tests._moto_auth import auth_enforced, restricted_target
from wizard.services.aws import discovery as d
from wizard.services.aws.errors import DiscoveryError
from wizard.services.aws.session import AwsClients, AwsTarget


def test_missing_permission_names_the_action_and_the_way_out(aws_target) -> None:
    with restricted_target(aws_target, ["sts:GetCallerIdentity", "ec2:Describe*"]) as limited:
        clients = AwsClients(limited)
        assert d.caller_identity(clients).principal == "user/limited"
        assert d.match_instances(clients, "App", "web").count == 0
        with pytest.raises(DiscoveryError) as denied:
            d.list_repositories(clients)
    err = denied.value
    assert err.kind == "permission"
    assert err.permission == "codecommit:ListRepositories"
    assert str(err) == (
        "missing permission codecommit:ListRepositories (ask for it or type the name)"
    )


def test_each_lookup_reports_its_own_permission(aws_target) -> None:
    with restricted_target(aws_target, ["sts:GetCallerIdentity"]) as limited:
        clients = AwsClients(limited)
        denied: dict[str, str | None] = {}
        for name, call in {
            "instances": lambda: d.match_instances(clients, "App", "web"),
            "branches": lambda: d.list_branches(clients, "demo"),
            "ssm": lambda: d.ssm_agent_status(clients, ["i-0123456789abcdef0"]),
        }.items():
            with pytest.raises(DiscoveryError) as err:
                call()
            assert err.value.kind == "permission"
            denied[name] = err.value.permission
    assert denied == {
        "instances": "ec2:DescribeInstances",
        "branches": "codecommit:GetRepository",
        "ssm": "ssm:DescribeInstanceInformation",
    }


def test_regions_fall_back_to_the_static_list_without_permission(aws_target) -> None:
    with restricted_target(aws_target, ["sts:GetCallerIdentity"]) as limited:
        clients = AwsClients(limited)
        regions = d.list_regions(clients)
        status = d.region_status(clients)
    assert not regions.from_account
    assert "eu-west-1" in regions.names and "us-east-1" in regions.names
    assert "missing permission ec2:DescribeRegions" in (regions.note or "")
    assert status.known and status.enabled is None


def test_made_up_credentials_are_rejected_with_a_fix(moto_endpoint: str) -> None:
    target = AwsTarget(
        region="eu-west-1",
        endpoint_url=moto_endpoint,
        access_key_id="AKIAFAKEFAKEFAKEFAKE",
        secret_access_key="nope",
    )
    with auth_enforced(moto_endpoint), pytest.raises(DiscoveryError) as err:
        d.caller_identity(AwsClients(target))
    assert err.value.kind == "credentials"
    assert err.value.code == "InvalidClientTokenId"
    assert "aws configure" in (err.value.fix or "")


def test_no_credentials_at_all(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    target = AwsTarget(region="eu-west-1", endpoint_url=moto_endpoint)
    with pytest.raises(DiscoveryError) as err:
        d.caller_identity(AwsClients(target))
    assert err.value.kind == "credentials"
    assert err.value.message == "no AWS credentials were found"


def test_unknown_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    clients = AwsClients(AwsTarget(region="eu-west-1", profile="nope"))
    with pytest.raises(DiscoveryError) as err:
        d.caller_identity(clients)
    assert err.value.kind == "credentials"
    assert "'nope' is not configured" in err.value.message


def test_unreachable_endpoint_is_a_network_error() -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = AwsTarget(
        region="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        access_key_id="testing",
        secret_access_key="testing",
    )
    with pytest.raises(DiscoveryError) as err:
        d.caller_identity(AwsClients(target, max_attempts=1))
    assert err.value.kind == "network"
    assert "cannot reach AWS" in err.value.message


def test_codecommit_closed_to_this_account_is_explained(aws_target) -> None:
    clients = AwsClients(aws_target)
    cc = clients.client("codecommit")
    with Stubber(cc) as stub:
        stub.add_client_error(
            "create_repository",
            service_error_code="OperationNotAllowedException",
            service_message="CreateRepository request is not allowed because there is no "
            "existing repository in this AWS account or AWS Organization",
            http_status_code=400,
        )
        access = d.probe_codecommit(clients)
        stub.assert_no_pending_responses()
    assert access.status == "unavailable"
    assert "25 July 2024" in access.detail
    assert "source.create_repository: false" in (access.fix or "")
