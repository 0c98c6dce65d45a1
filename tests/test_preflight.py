"""Preflight checks against the moto server: each check's verdict, detail and fix, the order of
events, and the exit code."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests._moto_auth import restricted_target
from wizard.core.answers import Answers, validate_mapping
from wizard.core.events.preflight import (
    CheckStatus,
    PreflightCheck,
    PreflightFinished,
    PreflightStarted,
)
from wizard.core.exitcodes import ExitCode
from wizard.core.output import CollectingSink
from wizard.services.aws.preflight import (
    CHECKS,
    PreflightOptions,
    exit_code_for,
    run_preflight,
)
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


def answers(**sections: dict[str, Any]) -> Answers:
    doc: dict[str, Any] = {
        "version": 1,
        "project": "shop",
        "source": {"repository": "shop", "branch": "main"},
        "targets": {
            "tag_key": "App",
            "tag_value": "shop",
            "create_instance": False,
            "agent_install": "ssm",
        },
    }
    for key, value in sections.items():
        doc[key] = {**doc.get(key, {}), **value}
    return validate_mapping(doc)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target)


def repo_with_branch(clients: AwsClients, name: str = "shop", branch: str = "main") -> str:
    cc = clients.client("codecommit")
    cc.create_repository(repositoryName=name)
    return cc.create_commit(
        repositoryName=name,
        branchName=branch,
        putFiles=[{"filePath": "appspec.yml", "fileContent": b"version: 0.0\n"}],
    )["commitId"]


ARTIFACTS_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": "arn:aws:s3:::shop-artifacts-*/*",
            }
        ],
    }
)


def instance(
    clients: AwsClients,
    *,
    profile: bool = True,
    tags: dict[str, str] | None = None,
    reads_artifacts: bool = True,
    subnet: str | None = None,
) -> str:
    iam = clients.client("iam")
    kwargs: dict[str, Any] = {
        "ImageId": AMI,
        "MinCount": 1,
        "MaxCount": 1,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in (tags or {"App": "shop"}).items()],
            }
        ],
    }
    if profile:
        try:
            iam.get_instance_profile(InstanceProfileName="existing-app")
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(RoleName="existing-app", AssumeRolePolicyDocument="{}")
            iam.put_role_policy(
                RoleName="existing-app", PolicyName="ssm", PolicyDocument=AGENT_POLICY
            )
            if reads_artifacts:
                iam.put_role_policy(
                    RoleName="existing-app", PolicyName="artifacts", PolicyDocument=ARTIFACTS_READ
                )
            iam.create_instance_profile(InstanceProfileName="existing-app")
            iam.add_role_to_instance_profile(
                InstanceProfileName="existing-app", RoleName="existing-app"
            )
        kwargs["IamInstanceProfile"] = {"Name": "existing-app"}
    if subnet:
        kwargs["SubnetId"] = subnet
    return clients.client("ec2").run_instances(**kwargs)["Instances"][0]["InstanceId"]


def layout_mirror(tmp_path: Path) -> Path:
    """An empty folder in the provider mirror layout (the check reads the layout only)."""
    from wizard.services.aws.preflight_tools import local_platform

    (tmp_path / "m/registry.terraform.io/hashicorp/aws/5.100.0" / local_platform()).mkdir(
        parents=True, exist_ok=True
    )
    return tmp_path / "m"


def run(clients: AwsClients, a, tmp_path: Path, **options: Any):
    sink = CollectingSink()
    opts = PreflightOptions(provider_mirror=layout_mirror(tmp_path), **options)
    report = run_preflight(a, clients, opts, emit=sink.emit)
    return report, sink.events


def test_a_ready_account_passes_every_aws_check(clients: AwsClients, tmp_path: Path) -> None:
    head = repo_with_branch(clients)
    ids = sorted(instance(clients) for _ in range(2))
    report, events = run(clients, answers(), tmp_path)

    assert isinstance(events[0], PreflightStarted)
    assert events[0].checks == tuple(name for name, _ in CHECKS)
    assert [e.name for e in events[1:-1]] == [name for name, _ in CHECKS]
    assert isinstance(events[-1], PreflightFinished)

    status = {c.name: c.status for c in report.checks}
    for name in (
        "credentials",
        "region",
        "provider",
        "repository",
        "branch",
        "instances",
        "deployment_config",
        "instance_profile",
        "instance_role",
        "ssm_agent",
        "clashes",
    ):
        assert status[name] is CheckStatus.OK, report.by_name(name)
    assert f"at {head[:8]}" in report.by_name("branch").detail
    assert ", ".join(ids) in report.by_name("instances").detail
    assert report.by_name("deployment_config").detail.startswith("2 instances, OneAtATime:")
    assert report.by_name("credentials").detail.endswith("in account 123456789012")


def test_missing_repository_fails_and_skips_the_branch(clients: AwsClients, tmp_path: Path) -> None:
    instance(clients)
    report, events = run(clients, answers(), tmp_path)
    repo = report.by_name("repository")
    assert repo.status is CheckStatus.FAIL and repo.level == "error"
    assert "'shop' does not exist in eu-west-1" in repo.detail
    assert "aws codecommit create-repository --repository-name shop" in (repo.fix or "")
    assert report.by_name("branch").status is CheckStatus.SKIP
    finished = events[-1]
    assert finished.first_failure == "repository"
    assert report.exit_code == finished.exit_code == ExitCode.AWS_ERROR


def test_the_sandbox_creates_a_missing_repository_so_it_does_not_fail(
    clients: AwsClients, tmp_path: Path
) -> None:
    instance(clients)
    report, _ = run(clients, answers(), tmp_path, sandbox=True)
    repo, branch = report.by_name("repository"), report.by_name("branch")
    assert repo.status is CheckStatus.OK and "the sandbox creates 'shop'" in repo.detail
    assert branch.status is CheckStatus.SKIP and "cdwizard ship --sandbox" in branch.detail
    assert report.exit_code != ExitCode.AWS_ERROR
    created = run(clients, answers(source={"create_repository": True}), tmp_path, sandbox=True)
    assert created[0].by_name("repository").status is CheckStatus.OK


def test_empty_repository_and_missing_branch_only_warn(clients: AwsClients, tmp_path: Path) -> None:
    clients.client("codecommit").create_repository(repositoryName="shop")
    instance(clients)
    report, _ = run(clients, answers(), tmp_path)
    branch = report.by_name("branch")
    assert branch.status is CheckStatus.WARN and "empty" in branch.detail
    assert "cdwizard ship" in (branch.fix or "")

    repo_with_branch(clients, "other", "develop")
    report, _ = run(clients, answers(source={"repository": "other"}), tmp_path)
    branch = report.by_name("branch")
    assert branch.status is CheckStatus.WARN
    assert "'main' does not exist; the repository has develop" in branch.detail
    assert "branch" not in {c.name for c in report.failed}


def test_no_matching_instance_fails_unless_cdwizard_creates_them(
    clients: AwsClients, tmp_path: Path
) -> None:
    repo_with_branch(clients)
    instance(clients, tags={"App": "other"})
    report, _ = run(clients, answers(), tmp_path)
    found = report.by_name("instances")
    assert found.status is CheckStatus.FAIL and "NO_INSTANCES" in found.detail
    assert "Key=App,Value=shop" in (found.fix or "")
    assert report.by_name("deployment_config").status is CheckStatus.FAIL  # 0 instances
    for name in ("instance_profile", "ssm_agent"):
        assert report.by_name(name).status is CheckStatus.SKIP

    create = answers(
        targets={"create_instance": True, "agent_install": "user_data", "instance_count": 3}
    )
    report, _ = run(clients, create, tmp_path)
    assert report.by_name("instances").status is CheckStatus.OK
    assert report.by_name("instances").detail == "cdwizard creates 3 instances tagged App=shop"
    assert report.by_name("deployment_config").detail.startswith("3 instances, OneAtATime")

    instance(clients)  # an existing instance with the tag would be deployed to as well
    report, _ = run(clients, create, tmp_path)
    assert report.by_name("instances").status is CheckStatus.WARN
    assert "already carries the tag" in report.by_name("instances").detail


def test_the_tagging_hint_is_a_command_the_shell_runs_as_written(
    clients: AwsClients, tmp_path: Path
) -> None:
    """A fleet tag with spaces, parentheses, quotes or `$(` is quoted for the shell (in the JSON
    form, which the CLI's Key=,Value= shorthand cannot express)."""
    repo_with_branch(clients)
    value = "batch runner (prod) 'x' $(touch pwned)"
    report, _ = run(clients, answers(targets={"tag_key": "Env", "tag_value": value}), tmp_path)
    fix = report.by_name("instances").fix or ""
    command = fix[fix.index("`") + 1 : fix.rindex("`")]
    argv = shlex.split(command)
    assert argv[:3] == ["aws", "ec2", "create-tags"]
    assert json.loads(argv[argv.index("--tags") + 1]) == [{"Key": "Env", "Value": value}]


def test_instances_without_profile_or_agent(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    good = instance(clients)
    bare = instance(clients, profile=False)
    report, _ = run(clients, answers(), tmp_path)
    profile = report.by_name("instance_profile")
    assert (
        profile.status is CheckStatus.FAIL and bare in profile.detail and good not in profile.detail
    )
    assert "associate-iam-instance-profile" in (profile.fix or "")
    agent = report.by_name("ssm_agent")
    assert agent.status is CheckStatus.FAIL and bare in agent.detail  # agent_install=ssm needs it

    managed_only = answers(targets={"agent_install": "preinstalled", "ssm_managed": True})
    report, _ = run(clients, managed_only, tmp_path)
    assert report.by_name("ssm_agent").status is CheckStatus.WARN

    unused = answers(targets={"agent_install": "preinstalled", "ssm_managed": False})
    report, _ = run(clients, unused, tmp_path)
    assert report.by_name("ssm_agent").status is CheckStatus.SKIP


def test_half_at_a_time_on_one_instance_cannot_deploy(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    instance(clients)
    report, _ = run(
        clients, answers(deployment={"config": "CodeDeployDefault.HalfAtATime"}), tmp_path
    )
    check = report.by_name("deployment_config")
    assert check.status is CheckStatus.FAIL and "HEALTH_CONSTRAINTS_INVALID" in check.detail
    assert "OneAtATime" in (check.fix or "")


def test_name_clashes_and_the_workspace_state(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    instance(clients)
    clients.client("iam").create_role(
        RoleName="CodeDeployServiceRole", AssumeRolePolicyDocument="{}"
    )
    clients.client("codedeploy").create_application(applicationName="shop")
    report, _ = run(clients, answers(), tmp_path)
    clash = report.by_name("clashes")
    assert clash.status is CheckStatus.FAIL
    # the role (trusted by no service) cannot be adopted; the application can
    assert "IAM role CodeDeployServiceRole: its trust policy lets no service" in clash.detail
    assert "adoptable: CodeDeploy application shop: compute platform Server" in clash.detail
    assert "deployment.service_role" in (clash.fix or "") and "--adopt" in (clash.fix or "")

    state = tmp_path / "terraform.tfstate"
    state.write_text(
        json.dumps(
            {
                "version": 4,
                "resources": [
                    {
                        "mode": "managed",
                        "type": "aws_iam_role",
                        "name": "s",
                        "instances": [{"attributes": {"name": "CodeDeployServiceRole"}}],
                    },
                    {
                        "mode": "managed",
                        "type": "aws_codedeploy_app",
                        "name": "a",
                        "instances": [{"attributes": {"name": "shop"}}],
                    },
                ],
            }
        )
    )
    report, _ = run(clients, answers(), tmp_path, state_file=state)
    ok = report.by_name("clashes")
    assert ok.status is CheckStatus.OK and "2 already managed by this workspace" in ok.detail


def test_creating_the_repository_checks_codecommit_access(
    clients: AwsClients, tmp_path: Path
) -> None:
    instance(clients)
    create = answers(source={"create_repository": True})
    report, _ = run(clients, create, tmp_path)
    repo = report.by_name("repository")
    assert repo.status is CheckStatus.WARN and "25 July 2024" in repo.detail
    assert "--probe-codecommit" in (repo.fix or "")
    assert report.by_name("branch").status is CheckStatus.SKIP

    report, _ = run(clients, create, tmp_path, probe_codecommit=True)
    assert report.by_name("repository").status is CheckStatus.OK
    assert "creation works" in report.by_name("repository").detail


def test_missing_permissions_warn_instead_of_failing(aws_target, tmp_path: Path) -> None:
    admin = AwsClients(aws_target)
    repo_with_branch(admin)
    instance(admin)
    allowed = [
        "sts:GetCallerIdentity",
        "ec2:Describe*",
        "codecommit:Get*",
        "codecommit:List*",
        "iam:Get*",
        "codedeploy:Get*",
        "codepipeline:Get*",
        "s3:ListBucket",
    ]
    with restricted_target(aws_target, allowed) as limited:
        report, _ = run(AwsClients(limited), answers(), tmp_path)
    agent = report.by_name("ssm_agent")
    assert agent.status is CheckStatus.WARN
    assert agent.detail == "could not check: missing permission ssm:DescribeInstanceInformation"
    assert report.by_name("repository").status is CheckStatus.OK


def test_bad_credentials_skip_every_aws_check(moto_endpoint: str, tmp_path: Path) -> None:
    from tests._moto_auth import auth_enforced
    from wizard.services.aws.session import AwsTarget

    target = AwsTarget(
        region="eu-west-1",
        endpoint_url=moto_endpoint,
        access_key_id="AKIANOPE",
        secret_access_key="x",
    )
    with auth_enforced(moto_endpoint):
        report, _ = run(AwsClients(target, max_attempts=1), answers(), tmp_path)
    assert report.by_name("credentials").status is CheckStatus.FAIL
    aws_checks = ("repository", "branch", "instances", "instance_profile", "ssm_agent", "clashes")
    assert all(report.by_name(n).status is CheckStatus.SKIP for n in aws_checks)
    assert report.by_name("provider").status is CheckStatus.OK
    assert report.exit_code == ExitCode.AWS_ERROR


def test_exit_code_is_that_of_the_first_failure() -> None:
    def check(name: str, status: CheckStatus, area: str) -> PreflightCheck:
        return PreflightCheck(name=name, title=name, status=status, detail="", area=area)

    assert exit_code_for([check("a", CheckStatus.WARN, "aws")]) == 0
    assert (
        exit_code_for(
            [
                check("terraform", CheckStatus.FAIL, "tool"),
                check("repository", CheckStatus.FAIL, "aws"),
            ]
        )
        == ExitCode.TOOL_MISSING
    )
    assert (
        exit_code_for(
            [
                check("credentials", CheckStatus.FAIL, "aws"),
                check("terraform", CheckStatus.FAIL, "tool"),
            ]
        )
        == ExitCode.AWS_ERROR
    )


def test_check_events_render_for_plain_and_json() -> None:
    failed = PreflightCheck(
        name="repository",
        title="Repository",
        status=CheckStatus.FAIL,
        detail="missing",
        fix="create it",
    )
    assert failed.level == "error"
    assert failed.summary() == "Repository: missing (fix: create it)"
    as_json = failed.to_dict()
    assert as_json["type"] == "preflight.check" and as_json["status"] == "fail"
    assert as_json["fix"] == "create it" and as_json["area"] == "aws"
    ok = PreflightCheck(name="region", title="Region", status=CheckStatus.OK, detail="fine")
    assert ok.level == "info" and ok.summary() == "✓ Region: fine"
    done = PreflightFinished(counts={"ok": 3, "fail": 1}, exit_code=13, first_failure="repository")
    assert done.level == "error"
    assert done.summary() == "preflight: 3 ok, 0 warnings, 1 failed, 0 skipped"
    one = PreflightFinished(counts={"ok": 1, "warn": 1})
    assert one.level == "info" and "1 ok, 1 warning, 0 failed" in one.summary()


def test_the_s3_state_backend_needs_its_bucket(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    instance(clients)
    local = run(clients, answers(), tmp_path)[0].by_name("state_backend")
    assert local.status is CheckStatus.SKIP and "local state" in local.detail

    s3 = answers(terraform={"backend": "s3", "state_bucket": "shop-tf-state"})
    missing = run(clients, s3, tmp_path)[0].by_name("state_backend")
    assert missing.status is CheckStatus.FAIL and "does not exist" in missing.detail
    assert "aws s3 mb s3://shop-tf-state --region eu-west-1" in (missing.fix or "")

    clients.client("s3").create_bucket(
        Bucket="shop-tf-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    found = run(clients, s3, tmp_path)[0].by_name("state_backend")
    assert found.status is CheckStatus.OK
    assert found.detail == "state goes to s3://shop-tf-state/cdwizard/shop/terraform.tfstate"
    in_sandbox = run(clients, s3, tmp_path, sandbox=True)[0].by_name("state_backend")
    assert in_sandbox.status is CheckStatus.SKIP and "sandbox" in in_sandbox.detail


# --- instance roles and the artifact bucket ------------------------------------------------------


def test_an_instance_role_that_cannot_read_the_bucket_fails_with_what_to_attach(
    clients: AwsClients, tmp_path: Path
) -> None:
    repo_with_branch(clients)
    bare = instance(clients, reads_artifacts=False)
    report, _ = run(clients, answers(), tmp_path)
    check = report.by_name("instance_role")
    assert check.status is CheckStatus.FAIL, check
    assert "could not download revisions from s3://shop-artifacts-123456789012" in check.detail
    assert f"role existing-app of {bare}: s3:GetObject not allowed" in check.detail
    fix = check.fix or ""
    assert fix.startswith("set targets.extend_role: existing-app and cdwizard adds")
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject",'
        '"s3:GetObjectVersion"],"Resource":"arn:aws:s3:::shop-artifacts-123456789012/*"}]}'
    )
    assert (
        "`aws iam put-role-policy --role-name existing-app --policy-name shop-artifacts-read "
        f"--policy-document '{policy}'`"
    ) in fix
    assert report.exit_code == ExitCode.AWS_ERROR

    extended = run(clients, answers(targets={"extend_role": "existing-app"}), tmp_path)[0]
    check = extended.by_name("instance_role")
    assert check.status is CheckStatus.OK
    assert "apply adds shop-artifacts-read to it (targets.extend_role)" in check.detail

    missing = run(clients, answers(targets={"extend_role": "no-such-role"}), tmp_path)[0]
    check = missing.by_name("instance_role")
    assert (
        check.status is CheckStatus.FAIL and "'no-such-role', which does not exist" in check.detail
    )


def test_an_explicit_deny_cannot_be_fixed_by_extending_the_role(
    clients: AwsClients, tmp_path: Path
) -> None:
    repo_with_branch(clients)
    instance(clients)
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::shop-*/*"}],
    }
    clients.client("iam").put_role_policy(
        RoleName="existing-app", PolicyName="no-s3", PolicyDocument=json.dumps(deny)
    )
    report, _ = run(clients, answers(targets={"extend_role": "existing-app"}), tmp_path)
    check = report.by_name("instance_role")
    assert check.status is CheckStatus.FAIL
    assert "s3:GetObject denied by no-s3" in check.detail
    assert "remove the Deny" in (check.fix or "")


def test_instance_roles_are_read_when_the_simulator_is_not_allowed(
    aws_target: Any, tmp_path: Path
) -> None:
    admin = AwsClients(aws_target)
    repo_with_branch(admin)
    instance(admin, reads_artifacts=False)
    base = ["sts:GetCallerIdentity", "ec2:Describe*", "codecommit:Get*", "codecommit:List*"]
    with restricted_target(aws_target, [*base, "iam:Get*", "iam:List*"]) as reader:
        report, _ = run(AwsClients(reader), answers(), tmp_path)
    check = report.by_name("instance_role")
    assert check.status is CheckStatus.FAIL and "s3:GetObject not allowed" in check.detail
    with restricted_target(aws_target, [*base, "iam:GetInstanceProfile"], user="blind") as blind:
        report, _ = run(AwsClients(blind), answers(), tmp_path)
    check = report.by_name("instance_role")
    assert check.status is CheckStatus.WARN
    assert check.detail.startswith(
        "could not check: missing permission iam:SimulatePrincipalPolicy"
    )


# --- the network: a default VPC, and a way out of the subnets -----------------------------------


def delete_default_vpc(clients: AwsClients) -> str:
    """What `aws ec2 delete-vpc` on the default VPC needs first: its subnets and gateway gone."""
    ec2 = clients.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    vpc_id = vpc["VpcId"]
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    for igw in gateways:
        ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    ec2.delete_vpc(VpcId=vpc_id)
    return vpc_id


def private_subnet(clients: AwsClients, cidr: str = "10.20.1.0/24") -> tuple[str, str, str]:
    """A subnet of a new VPC with no way out: (vpc id, subnet id, its route table id)."""
    ec2 = clients.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return vpc, subnet, table


def created(**targets: Any) -> Answers:
    return answers(targets={"create_instance": True, "agent_install": "user_data", **targets})


def test_the_default_vpc_and_its_route_to_the_internet(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    report, _ = run(clients, created(), tmp_path)
    vpc = report.by_name("default_vpc")
    assert vpc.status is CheckStatus.OK and "default subnets" in vpc.detail
    net = report.by_name("network")
    assert net.status is CheckStatus.OK, net
    assert "internet via igw-" in net.detail  # the emulator's default VPC, made as AWS makes it


def test_no_default_vpc_fails_with_the_fix(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    delete_default_vpc(clients)
    report, _ = run(clients, created(), tmp_path)
    vpc = report.by_name("default_vpc")
    assert vpc.status is CheckStatus.FAIL
    assert "no default VPC in eu-west-1 and targets.subnet_id is null" in vpc.detail
    assert "`aws ec2 create-default-vpc --region eu-west-1`" in (vpc.fix or "")
    assert "targets.subnet_id" in (vpc.fix or "")
    assert report.by_name("network").status is CheckStatus.SKIP
    # a subnet of its own does not need the default VPC
    _, subnet, _ = private_subnet(clients)
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    assert report.by_name("default_vpc").status is CheckStatus.SKIP


def test_a_subnet_without_a_route_to_the_internet_fails_with_the_fix(
    clients: AwsClients, tmp_path: Path
) -> None:
    repo_with_branch(clients)
    _, subnet, table = private_subnet(clients)
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.FAIL
    assert f"created instances: {subnet} ({table}): no route to the internet" in net.detail
    assert "no VPC endpoint for codedeploy, codedeploy-commands-secure, s3" in net.detail
    fix = net.fix or ""
    assert (
        f"`aws ec2 create-route --route-table-id {table} --destination-cidr-block 0.0.0.0/0" in fix
    )
    assert "com.amazonaws.eu-west-1.codedeploy-commands-secure" in fix

    # the instances you already run there are told apart by id
    existing = instance(clients, subnet=subnet)
    report, _ = run(clients, answers(), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.FAIL and net.detail.startswith(f"{existing}: {subnet}")


def test_an_internet_gateway_needs_public_ips(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    ec2 = clients.client("ec2")
    vpc, subnet, table = private_subnet(clients)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.FAIL and "get no public IP" in net.detail
    assert f"modify-subnet-attribute --subnet-id {subnet} --map-public-ip-on-launch" in (
        net.fix or ""
    )
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    assert report.by_name("network").status is CheckStatus.OK


def test_a_nat_gateway_or_vpc_endpoints_are_ways_out(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    ec2 = clients.client("ec2")
    vpc, subnet, table = private_subnet(clients)
    endpoints = [
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.eu-west-1.{name}",
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
        )
        for name in ("codedeploy", "codedeploy-commands-secure")
    ]
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.eu-west-1.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[table],
    )
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.WARN, net
    assert "no route to the internet, but VPC endpoints for codedeploy" in net.detail
    assert "pip need mirrors" in net.detail
    assert len(endpoints) == 2

    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.9.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    report, _ = run(clients, created(subnet_id=subnet), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.OK and f"nat via {nat}" in net.detail


def test_a_subnet_that_does_not_exist(clients: AwsClients, tmp_path: Path) -> None:
    repo_with_branch(clients)
    report, _ = run(clients, created(subnet_id="subnet-0123456789abcdef0"), tmp_path)
    net = report.by_name("network")
    assert net.status is CheckStatus.FAIL
    assert "subnet subnet-0123456789abcdef0 does not exist in eu-west-1" in net.detail


def test_a_connection_source_has_no_polling_to_lose(clients: AwsClients, tmp_path: Path) -> None:
    a = validate_mapping(
        {
            "version": 1,
            "project": "shop",
            "source": {"provider": "github", "repository_id": "my-org/shop", "branch": "main"},
        }
    )
    report, _ = run(clients, a, tmp_path)
    check = report.by_name("polling")
    assert check.status is CheckStatus.SKIP
    assert check.detail == "the github connection's push trigger starts the pipeline (no polling)"
