"""Test support for the sandbox delivery engine (`wizard.services.sandbox.extensions.delivery`).

Fixtures (registered through `pytest_plugins` in conftest):

- `sim_clock`: a `FakeClock` the simulation reads instead of the time (pace 1); tests move it
  with `advance()`, so nothing waits in real time;
- `sandbox_endpoint`: `moto_endpoint` with the delivery simulation switched on (off again after);
- `stack`: a `Stack` on `sandbox_endpoint` (not yet created).

`Stack` creates what a pipeline run needs with boto3 (IAM role, artifact bucket, CodeCommit
repository, CodeDeploy application and group, tagged EC2 instances, the pipeline) and pushes
payloads with CreateCommit. `payload()` builds an appspec with one script per hook.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.moto_stack import create_application_and_group, create_role, pipeline_declaration
from wizard.services.aws.session import AwsClients
from wizard.services.sandbox.extensions import delivery

T0 = 1_800_000_000.0


class FakeClock:
    """Epoch seconds that move only when told to (or by `step` on every read)."""

    def __init__(self, start: float = T0, step: float = 0.0) -> None:
        self.t = start
        self.step = step

    def __call__(self) -> float:
        now = self.t
        self.t += self.step
        return now

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@pytest.fixture
def sim_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    monkeypatch.setenv(delivery.PACE_ENV, "1")
    clock = FakeClock()
    delivery.use_clock(clock)
    try:
        yield clock
    finally:
        delivery.use_clock(None)


@pytest.fixture
def sandbox_endpoint(moto_endpoint: str, sim_clock: FakeClock) -> Iterator[str]:
    delivery.set_enabled(True)
    try:
        yield moto_endpoint
    finally:
        delivery.set_enabled(False)


@pytest.fixture
def stack(sandbox_endpoint: str, aws_target: Any) -> Stack:
    return Stack(AwsClients(aws_target, max_attempts=2))


# --- payloads ---------------------------------------------------------------------------------

OK_SCRIPT = '#!/bin/bash\nset -euo pipefail\necho "$LIFECYCLE_EVENT done"\n'
#: `bash -n`: "line 4: syntax error: unexpected end of file" (exit 2 when run)
BROKEN_SCRIPT = "#!/bin/bash\nif true; then\n  echo never closed\n"
HOOK_SCRIPTS = {
    "ApplicationStop": "scripts/stop_server.sh",
    "BeforeInstall": "scripts/before_install.sh",
    "AfterInstall": "scripts/after_install.sh",
    "ApplicationStart": "scripts/start_server.sh",
    "ValidateService": "scripts/validate_service.sh",
}


def payload(
    *,
    scripts: Mapping[str, str] | None = None,
    runas: str | None = "root",
    omit: tuple[str, ...] = (),
    marker: str = "",
) -> dict[str, str]:
    """appspec.yml plus one script per hook (`scripts` overrides by event name); `omit` leaves
    script files out of the bundle (the appspec still names them)."""
    lines = [
        "version: 0.0",
        "os: linux",
        "files:",
        "  - source: /",
        "    destination: /srv/demo",
        "hooks:",
    ]
    files: dict[str, str] = {}
    for event, path in HOOK_SCRIPTS.items():
        lines += [f"  {event}:", f"    - location: {path}", "      timeout: 300"]
        if runas:
            lines.append(f"      runas: {runas}")
        if event not in omit:
            files[path] = (scripts or {}).get(event, OK_SCRIPT)
    files["appspec.yml"] = "\n".join(lines) + "\n"
    files["app/version.txt"] = f"version {marker}\n"
    return files


# --- the stack --------------------------------------------------------------------------------


@dataclass
class Stack:
    """One pipeline (CodeCommit -> CodeDeploy) and its resources, made with boto3."""

    clients: Any
    pipeline: str = "demo-pipeline"
    repository: str = "demo-repo"
    branch: str = "main"
    application: str = "demo-app"
    group: str = "demo-dg"
    bucket: str = "demo-artifacts"
    tag: tuple[str, str] = ("App", "demo")
    instance_ids: list[str] = field(default_factory=list)
    head: str | None = None
    target_group_arn: str | None = None
    load_balancer_arn: str | None = None

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    def create(
        self,
        *,
        instances: int = 3,
        config: str = "CodeDeployDefault.OneAtATime",
        rollback: bool = True,
        poll: bool = False,
        ssm_managed: bool = True,
        pipeline: bool = True,
        load_balancer: bool | Mapping[str, Any] = False,
    ) -> Stack:
        """The stack; `load_balancer` (True, or `add_load_balancer`'s arguments): the group
        deploys with traffic control through a target group its instances are registered with."""
        role = create_role(self.client("iam"), f"{self.pipeline}-role")
        self.client("s3").create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        self.client("codecommit").create_repository(repositoryName=self.repository)
        traffic: dict[str, Any] = {}
        if load_balancer:
            options = load_balancer if isinstance(load_balancer, Mapping) else {}
            name = self.add_load_balancer(**options)
            traffic = {"loadBalancerInfo": {"targetGroupInfoList": [{"name": name}]}}
        create_application_and_group(
            self.client("codedeploy"),
            self.application,
            self.group,
            role,
            deploymentConfigName=config,
            deploymentStyle={
                "deploymentType": "IN_PLACE",
                "deploymentOption": "WITH_TRAFFIC_CONTROL"
                if load_balancer
                else "WITHOUT_TRAFFIC_CONTROL",
            },
            **traffic,
            ec2TagSet={
                "ec2TagSetList": [
                    [{"Key": self.tag[0], "Value": self.tag[1], "Type": "KEY_AND_VALUE"}]
                ]
            },
            autoRollbackConfiguration={"enabled": rollback, "events": ["DEPLOYMENT_FAILURE"]},
        )
        if instances:
            launched = self.launch(instances, ssm_managed=ssm_managed)
            if load_balancer:
                self.client("elbv2").register_targets(
                    TargetGroupArn=self.target_group_arn,
                    Targets=[{"Id": i} for i in launched],
                )
        if pipeline:
            self.create_pipeline(role, poll=poll)
        return self

    def add_load_balancer(
        self,
        *,
        name: str = "demo-tg",
        security_group: str | None = None,
        listener: bool = True,
        deregistration_delay: int = 30,
    ) -> str:
        """An ALB on the default VPC's default subnets (in `security_group`, default: the VPC's
        default group, which admits itself) forwarding to a target group on port 8000 (health
        check every 10 s, healthy after 2); the target group's name."""
        ec2, elb = self.client("ec2"), self.client("elbv2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
            "Subnets"
        ]
        if security_group is None:
            security_group = ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                    {"Name": "group-name", "Values": ["default"]},
                ]
            )["SecurityGroups"][0]["GroupId"]
        tg = elb.create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=8000,
            VpcId=vpc["VpcId"],
            TargetType="instance",
            HealthCheckPath="/health",
            HealthCheckIntervalSeconds=10,
            HealthyThresholdCount=2,
        )["TargetGroups"][0]
        self.target_group_arn = str(tg["TargetGroupArn"])
        elb.modify_target_group_attributes(
            TargetGroupArn=self.target_group_arn,
            Attributes=[
                {
                    "Key": "deregistration_delay.timeout_seconds",
                    "Value": str(deregistration_delay),
                }
            ],
        )
        lb = elb.create_load_balancer(
            Name=f"{name}-lb",
            Subnets=[s["SubnetId"] for s in subnets[:2]],
            SecurityGroups=[security_group],
        )["LoadBalancers"][0]
        self.load_balancer_arn = str(lb["LoadBalancerArn"])
        if listener:
            elb.create_listener(
                LoadBalancerArn=self.load_balancer_arn,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": self.target_group_arn}],
            )
        return name

    def target_health(self) -> dict[str, tuple[str, str | None]]:
        """Instance id -> (state, reason) of every target DescribeTargetHealth lists."""
        found = self.client("elbv2").describe_target_health(TargetGroupArn=self.target_group_arn)
        return {
            d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
            for d in found["TargetHealthDescriptions"]
        }

    def launch(
        self, count: int, *, ssm_managed: bool = True, tag: bool = True, user_data: str = ""
    ) -> list[str]:
        kwargs: dict[str, Any] = {"UserData": user_data} if user_data else {}
        if ssm_managed:
            kwargs["IamInstanceProfile"] = {"Name": self._instance_profile()}
        if tag:
            kwargs["TagSpecifications"] = [
                {"ResourceType": "instance", "Tags": [{"Key": self.tag[0], "Value": self.tag[1]}]}
            ]
        made = self.client("ec2").run_instances(
            ImageId="ami-12c6146b", MinCount=count, MaxCount=count, **kwargs
        )["Instances"]
        ids = [i["InstanceId"] for i in made]
        self.instance_ids += ids
        return ids

    def _instance_profile(self) -> str:
        iam = self.client("iam")
        name = f"{self.pipeline}-instance"
        try:
            iam.get_instance_profile(InstanceProfileName=name)
            return name
        except iam.exceptions.NoSuchEntityException:
            pass
        create_role(iam, name, "ec2.amazonaws.com")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ssm:UpdateInstanceInformation"], "Resource": "*"}
            ],
        }
        iam.put_role_policy(RoleName=name, PolicyName="ssm", PolicyDocument=json.dumps(policy))
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return name

    def create_pipeline(self, role: str, *, poll: bool = False) -> None:
        declaration = pipeline_declaration(
            self.pipeline,
            role,
            bucket=self.bucket,
            repository=self.repository,
            branch=self.branch,
            application=self.application,
            group=self.group,
            source_settings={
                "PollForSourceChanges": "true" if poll else "false",
                "OutputArtifactFormat": "CODE_ZIP",
            },
            artifact="SourceArtifact",
            namespace="SourceVariables",
        )
        self.client("codepipeline").create_pipeline(pipeline=declaration)

    # --- pushing and reading ----------------------------------------------------------------

    def push(self, files: Mapping[str, str], message: str) -> str:
        """Commit `files` (scripts executable) on the branch; the new head."""
        puts = [
            {
                "filePath": path,
                "fileContent": content.encode(),
                "fileMode": "EXECUTABLE" if path.endswith(".sh") else "NORMAL",
            }
            for path, content in files.items()
        ]
        kwargs: dict[str, Any] = {
            "repositoryName": self.repository,
            "branchName": self.branch,
            "commitMessage": message,
            "authorName": "tester",
            "putFiles": puts,
        }
        if self.head:
            kwargs["parentCommitId"] = self.head
        self.head = str(self.client("codecommit").create_commit(**kwargs)["commitId"])
        return self.head

    def executions(self) -> list[dict[str, Any]]:
        return list(
            self.client("codepipeline").list_pipeline_executions(pipelineName=self.pipeline)[
                "pipelineExecutionSummaries"
            ]
        )

    def execution(self, execution_id: str) -> dict[str, Any]:
        return dict(
            self.client("codepipeline").get_pipeline_execution(
                pipelineName=self.pipeline, pipelineExecutionId=execution_id
            )["pipelineExecution"]
        )

    def execution_of(self, commit: str) -> dict[str, Any]:
        return next(
            e
            for e in self.executions()
            if any(r["revisionId"] == commit for r in e.get("sourceRevisions", []))
        )

    def actions(self, execution_id: str) -> list[dict[str, Any]]:
        return list(
            self.client("codepipeline").list_action_executions(
                pipelineName=self.pipeline, filter={"pipelineExecutionId": execution_id}
            )["actionExecutionDetails"]
        )

    def deployment_of(self, execution_id: str) -> str | None:
        for detail in self.actions(execution_id):
            if detail["actionName"] == "Deploy":
                result = detail.get("output", {}).get("executionResult", {})
                return result.get("externalExecutionId")
        return None

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        return dict(
            self.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        )

    def targets(self, deployment_id: str) -> dict[str, dict[str, Any]]:
        codedeploy = self.client("codedeploy")
        ids = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
        found = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)
        return {
            t["instanceTarget"]["targetId"]: t["instanceTarget"] for t in found["deploymentTargets"]
        }


def run_until(
    clock: FakeClock,
    done: Callable[[], Any],
    *,
    step: float = 1.0,
    limit: float = 3600.0,
) -> Any:
    """Move the fake clock by `step` until `done()` is truthy (simulated seconds, no sleeping)."""
    waited = 0.0
    while True:
        found = done()
        if found:
            return found
        if waited >= limit:
            raise AssertionError(f"not done after {limit} simulated seconds")
        clock.advance(step)
        waited += step


def events_of(target: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
