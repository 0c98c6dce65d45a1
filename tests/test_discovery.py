"""Discovery against the moto server over HTTP: identity, regions, repositories and branches,
the live tag match, instance profiles and SSM agents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wizard.services.aws import discovery as d
from wizard.services.aws.errors import DiscoveryError
from wizard.services.aws.session import AwsClients

AMI = "ami-12c6146b"
AGENT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:UpdateInstanceInformation", "Resource": "*"}
        ],
    }
)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target)


def _launch(clients: AwsClients, tags: dict[str, str], *, profile: str | None = None) -> str:
    kwargs: dict[str, Any] = {
        "ImageId": AMI,
        "MinCount": 1,
        "MaxCount": 1,
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    }
    if profile:
        kwargs["IamInstanceProfile"] = {"Name": profile}
    return clients.client("ec2").run_instances(**kwargs)["Instances"][0]["InstanceId"]


def _agent_profile(clients: AwsClients, name: str = "app-role") -> str:
    iam = clients.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    iam.put_role_policy(RoleName=name, PolicyName="ssm", PolicyDocument=AGENT_POLICY)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def test_caller_identity(clients: AwsClients) -> None:
    who = d.caller_identity(clients)
    assert who.account == "123456789012"
    assert who.arn.startswith("arn:aws:") and who.principal


def test_regions_and_region_status(clients: AwsClients) -> None:
    regions = d.list_regions(clients)
    assert regions.from_account and "eu-west-1" in regions.names
    assert "ap-east-1" not in regions.names  # an opt-in region this account has not enabled

    assert d.region_status(clients) == d.RegionStatus(
        "eu-west-1", True, True, "opt-in-not-required"
    )
    disabled = d.region_status(clients, "ap-east-1")
    assert disabled.known and disabled.enabled is False
    bogus = d.region_status(clients, "xx-nowhere-1")
    assert not bogus.known and bogus.enabled is False


def test_region_status_names_services_missing_from_a_region(clients: AwsClients) -> None:
    # botocore's endpoint data has no CodeCommit in Malaysia (ap-southeast-5)
    status = d.region_status(clients, "ap-southeast-5")
    assert "codecommit" in status.missing_services
    assert d.region_status(clients, "eu-west-1").missing_services == ()


def test_repositories_branches_and_heads(clients: AwsClients) -> None:
    cc = clients.client("codecommit")
    assert d.list_repositories(clients) == ()
    for name in ("zeta", "alpha"):
        cc.create_repository(repositoryName=name)
    assert [r.name for r in d.list_repositories(clients)] == ["alpha", "zeta"]

    empty = d.list_branches(clients, "alpha")
    assert empty.empty and empty.default_branch is None
    assert d.branch_head(clients, "alpha", "main") is None

    first = cc.create_commit(
        repositoryName="alpha",
        branchName="main",
        putFiles=[{"filePath": "README.md", "fileContent": b"hi"}],
    )["commitId"]
    cc.create_branch(repositoryName="alpha", branchName="dev", commitId=first)
    branches = d.list_branches(clients, "alpha")
    assert branches.branches == ("dev", "main") and branches.default_branch == "main"
    assert d.branch_head(clients, "alpha", "dev") == first

    with pytest.raises(DiscoveryError) as missing:
        d.list_branches(clients, "ghost")
    assert missing.value.kind == "not_found"
    assert "'ghost' does not exist in eu-west-1" in missing.value.message
    assert "create_repository" in (missing.value.fix or "")
    with pytest.raises(DiscoveryError):
        d.branch_head(clients, "ghost", "main")


def test_tag_match_count_follows_instances_as_they_come_and_go(clients: AwsClients) -> None:
    ec2 = clients.client("ec2")
    assert d.match_instances(clients, "App", "web").count == 0
    first = _launch(clients, {"App": "web", "Name": "web-1"})
    assert d.match_instances(clients, "App", "web").count == 1
    second = _launch(clients, {"App": "web"})
    _launch(clients, {"App": "api"})  # another value
    _launch(clients, {"app": "web"})  # tag keys are case-sensitive
    match = d.match_instances(clients, "App", "web")
    assert match.count == 2
    assert [i.instance_id for i in match.instances] == sorted([first, second])
    named = next(i for i in match.instances if i.instance_id == first)
    assert named.name == "web-1" and named.state == "running" and named.availability_zone

    ec2.stop_instances(InstanceIds=[second])
    assert d.match_instances(clients, "App", "web").count == 1
    ec2.terminate_instances(InstanceIds=[first])
    assert d.match_instances(clients, "App", "web").count == 0
    ec2.start_instances(InstanceIds=[second])
    assert d.match_instances(clients, "App", "web").count == 1


def test_tag_values_are_matched_literally_not_as_wildcards(clients: AwsClients) -> None:
    _launch(clients, {"App": "web-1"})
    _launch(clients, {"App": "web*"})
    assert d.match_instances(clients, "App", "web*").count == 1
    assert d.match_instances(clients, "App", "web?1").count == 0
    assert d.match_instances(clients, "", "anything").count == 0


def test_tag_match_keeps_a_bounded_sample_but_counts_everything(clients: AwsClients) -> None:
    clients.client("ec2").run_instances(
        ImageId=AMI,
        MinCount=7,
        MaxCount=7,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "App", "Value": "web"}]}],
    )
    match = d.match_instances(clients, "App", "web", keep=3)
    assert match.count == 7 and len(match.instances) == 3 and match.truncated


def test_fleet_readiness_reports_profiles_and_agents(clients: AwsClients) -> None:
    role = _agent_profile(clients)
    ready = _launch(clients, {"App": "web"}, profile=role)
    bare = _launch(clients, {"App": "web"})
    match = d.match_instances(clients, "App", "web")
    assert [i.instance_id for i in match.without_profile] == [bare]
    fleet = d.fleet_readiness(clients, match.instances)
    assert fleet.without_profile == (bare,)
    assert fleet.agent_offline == (bare,)
    by_id = {i.instance_id: i for i in fleet.instances}
    assert by_id[ready].ready and by_id[ready].agent.ping_status == "Online"
    assert by_id[bare].agent.ping_status is None and not by_id[bare].ready
    assert d.fleet_readiness(clients, ()).instances == ()


def test_codecommit_access_and_probe(clients: AwsClients) -> None:
    unknown = d.codecommit_access(clients)
    assert unknown.status == "unknown" and "25 July 2024" in unknown.detail
    assert "--probe-codecommit" in (unknown.fix or "")

    probed = d.probe_codecommit(clients)
    assert probed.status == "available"
    assert d.list_repositories(clients) == ()  # the probe cleaned up after itself

    clients.client("codecommit").create_repository(repositoryName="existing")
    assert d.codecommit_access(clients).status == "available"


def test_calls_from_many_threads_share_one_clients_object(clients: AwsClients) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for i in range(3):
        _launch(clients, {"App": "web", "Name": f"w{i}"})
    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(lambda _: d.match_instances(clients, "App", "web").count, range(12)))
    assert counts == [3] * 12


def test_profiles_come_from_the_config_files(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[ci]\naws_access_key_id = x\naws_secret_access_key = y\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert d.list_profiles() == ("ci", "default", "dev")
