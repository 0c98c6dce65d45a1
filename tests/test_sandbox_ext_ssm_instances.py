"""The SSM `DescribeInstanceInformation` emulation, over HTTP with boto3 against the moto server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._aws_shapes import RawResponses
from tests.moto_stack import create_role
from wizard.services.aws.session import AwsClients
from wizard.services.sandbox.extensions import ssm_instances

AMI = "ami-12c6146b"
AGENT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ssm:*", "ec2messages:*"], "Resource": "*"}],
    }
)
UNRELATED_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)


@pytest.fixture
def aws(aws_target):
    clients = AwsClients(aws_target)
    ssm = clients.client("ssm")
    ssm.raw = RawResponses(ssm)
    return clients.client("iam"), clients.client("ec2"), ssm


def _profile(iam: Any, name: str, *, inline: str | None = None, managed: str | None = None) -> str:
    create_role(iam, name, "ec2.amazonaws.com")
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=inline)
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def _launch(ec2: Any, profile: str | None = None, tags: dict[str, str] | None = None) -> str:
    kwargs: dict[str, Any] = {"ImageId": AMI, "MinCount": 1, "MaxCount": 1}
    if profile:
        kwargs["IamInstanceProfile"] = {"Name": profile}
    if tags:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    return ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]


def _listed(ssm: Any, **kwargs: Any) -> dict[str, str]:
    out = ssm.describe_instance_information(**kwargs)
    ssm.raw.check("DescribeInstanceInformation")
    return {i["InstanceId"]: i["PingStatus"] for i in out["InstanceInformationList"]}


def test_the_aws_managed_core_policy_makes_the_agent_online(
    aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto loads AWS managed policies only on request; the server runs in this process and the
    # IAM backend is created afresh after the fixture's reset
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam, ec2, ssm = aws
    core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    managed = _launch(ec2, _profile(iam, "core-role", managed=core))
    out = ssm.describe_instance_information()["InstanceInformationList"]
    raw = ssm.raw.check("DescribeInstanceInformation")
    assert [i["InstanceId"] for i in out] == [managed]
    info = out[0]
    assert info["PingStatus"] == "Online"
    assert info["IamRole"] == "core-role"
    assert info["ResourceType"] == "EC2Instance" and info["PlatformType"] == "Linux"
    assert raw["InstanceInformationList"][0]["SourceId"] == managed


def test_only_instances_whose_role_lets_the_agent_register_are_listed(aws) -> None:
    iam, ec2, ssm = aws
    assert _listed(ssm) == {}
    online = _launch(ec2, _profile(iam, "agent-role", inline=AGENT_POLICY))
    _launch(ec2, _profile(iam, "s3-only", inline=UNRELATED_POLICY))
    _launch(ec2)  # no instance profile at all
    assert _listed(ssm) == {online: "Online"}


def test_stopped_instances_lose_connection_and_terminated_ones_vanish(aws) -> None:
    iam, ec2, ssm = aws
    role = _profile(iam, "agent-role", inline=AGENT_POLICY)
    keep, stop, gone = (_launch(ec2, role) for _ in range(3))
    ec2.stop_instances(InstanceIds=[stop])
    ec2.terminate_instances(InstanceIds=[gone])
    assert _listed(ssm) == {keep: "Online", stop: "ConnectionLost"}
    assert _listed(
        ssm, InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}]
    ) == {keep: "Online"}


def test_filters_by_instance_ids_and_tags(aws) -> None:
    iam, ec2, ssm = aws
    role = _profile(iam, "agent-role", inline=AGENT_POLICY)
    web = _launch(ec2, role, {"App": "web"})
    api = _launch(ec2, role, {"App": "api"})
    assert _listed(ssm, Filters=[{"Key": "InstanceIds", "Values": [web]}]) == {web: "Online"}
    assert _listed(ssm, Filters=[{"Key": "tag:App", "Values": ["api"]}]) == {api: "Online"}
    assert _listed(ssm, Filters=[{"Key": "tag-key", "Values": ["App"]}]) == {
        web: "Online",
        api: "Online",
    }
    # a valid id of an instance without an agent is simply not listed
    bare = _launch(ec2)
    assert _listed(ssm, Filters=[{"Key": "InstanceIds", "Values": [bare]}]) == {}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {
                "Filters": [{"Key": "PingStatus", "Values": ["Online"]}],
                "InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
            },
            "InvalidFilterKey",
        ),
        ({"Filters": [{"Key": "Colour", "Values": ["red"]}]}, "InvalidFilterKey"),
        (
            {"InstanceInformationFilterList": [{"key": "InstanceIds", "valueSet": ["web-1"]}]},
            "InvalidInstanceInformationFilterValue",
        ),
        ({"NextToken": "not-a-token"}, "InvalidNextToken"),
    ],
)
def test_bad_requests_use_the_service_codes(aws, kwargs: dict[str, Any], code: str) -> None:
    _, _, ssm = aws
    with pytest.raises(ClientError) as err:
        ssm.describe_instance_information(**kwargs)
    assert err.value.response["Error"]["Code"] == code


def test_pages_with_the_paginator(aws) -> None:
    iam, ec2, ssm = aws
    role = _profile(iam, "agent-role", inline=AGENT_POLICY)
    launched = {_launch(ec2, role) for _ in range(7)}
    first = ssm.describe_instance_information(MaxResults=5)
    ssm.raw.check("DescribeInstanceInformation")
    assert len(first["InstanceInformationList"]) == 5 and "NextToken" in first
    pages = ssm.get_paginator("describe_instance_information").paginate(
        PaginationConfig={"PageSize": 5}
    )
    seen = [i["InstanceId"] for p in pages for i in p["InstanceInformationList"]]
    assert sorted(seen) == sorted(launched)


def test_install_is_idempotent(aws) -> None:
    ssm_instances.install()
    ssm_instances.install()
    _, _, ssm = aws
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
