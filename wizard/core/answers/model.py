"""The Answers model: every question cdwizard asks, declared once.

The YAML answers file mirrors these sections. Types come from the annotations; help, defaults,
validators and the wizard step from `ask()`. Cross-field rules live in `CROSS_RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from wizard.core.answers import rules as r
from wizard.core.answers.fields import Derived, ask, only_when, records, section

CURRENT_VERSION = 1


def _from_project(suffix: str = "") -> Derived:
    return Derived(lambda a: f"{a.get('project') or 'cdwizard'}{suffix}", f"<project>{suffix}")


def _load_balancer_name(a: Mapping[str, Any]) -> str:
    """The project as an Elastic Load Balancing name (a bad project is reported there, not
    twice): letters, digits and single hyphens, at most 32, not starting with 'internal-'."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", str(a.get("project") or "cdwizard"))[:32].strip("-")
    if name.startswith("internal-"):
        name = "lb-" + name[:29].rstrip("-")
    return name or "cdwizard"


def _from_payload(key: str, fallback: Any, valid: Callable[[Any], bool]) -> Derived:
    """A default taken from a payload answer (its fallback while that answer is invalid, which
    is reported at the payload key)."""

    def compute(a: Mapping[str, Any]) -> Any:
        value = a.get(key)
        return value if valid(value) else fallback

    return Derived(compute, f"<{key}>")


@dataclass(frozen=True)
class AwsAnswers:
    region: str = ask(
        "eu-west-1",
        label="Region",
        step="aws",
        help="AWS region every resource is created in (the CodeDeploy agent is downloaded "
        "from the same region's aws-codedeploy-<region> bucket).",
        rules=r.REGION,
    )
    profile: str | None = ask(
        None,
        label="Profile",
        step="aws",
        help="Named profile from ~/.aws/config; null uses the default credential chain "
        "(environment variables, SSO, instance role). Credentials are never written anywhere.",
        rules=r.PROFILE,
    )


#: Providers reached through a CodeConnections connection (the `CodeStarSourceConnection` action).
CONNECTION_PROVIDERS: tuple[str, ...] = ("github", "gitlab", "bitbucket")
#: Providers whose source is a git branch.
BRANCH_PROVIDERS: tuple[str, ...] = ("codecommit", *CONNECTION_PROVIDERS)

_CODECOMMIT = only_when("source.provider", "codecommit")
_CONNECTION = only_when("source.provider", *CONNECTION_PROVIDERS)
_S3 = only_when("source.provider", "s3")


@dataclass(frozen=True)
class SourceAnswers:
    provider: Literal["codecommit", "github", "gitlab", "bitbucket", "s3"] = ask(
        "codecommit",
        label="Source provider",
        step="source",
        help="Where the pipeline takes the code from: 'codecommit' (an AWS CodeCommit "
        "repository), 'github', 'gitlab' or 'bitbucket' (through an AWS CodeConnections "
        "connection, authorised once in the console) or 's3' (a zip object in a versioned "
        "bucket).",
    )
    repository: str = ask(
        _from_project(),
        label="Repository",
        step="source",
        help="CodeCommit repository name. It must exist unless create_repository is true.",
        rules=r.CODECOMMIT_REPOSITORY,
        when=_CODECOMMIT,
    )
    repository_id: str | None = ask(
        None,
        label="Repository",
        step="source",
        help="The repository's full id as the provider shows it: OWNER/NAME on GitHub, "
        "WORKSPACE/SLUG on Bitbucket, GROUP[/SUBGROUP]/PROJECT on GitLab. Keep its case.",
        rules=r.REPOSITORY_ID,
        example="my-org/my-service",
        when=_CONNECTION,
        required="set it to the repository's OWNER/NAME, e.g. 'my-org/my-service'",
    )
    connection_arn: str | None = ask(
        None,
        label="Connection ARN",
        step="source",
        help="An existing AWS CodeConnections connection to use (its ARN, from Developer Tools "
        "> Settings > Connections). Empty: terraform creates one, which starts PENDING until "
        "somebody authorises it once in the console.",
        rules=r.CONNECTION_ARN,
        when=_CONNECTION,
    )
    connection_name: str = ask(
        _from_project(),
        label="New connection name",
        step="source",
        help="Name of the connection terraform creates when connection_arn is empty "
        "(1-32 characters, unique in the account and region).",
        rules=r.CONNECTION_NAME,
        when=_CONNECTION,
    )
    branch: str = ask(
        "master",
        label="Branch",
        step="source",
        help="Branch whose commits start the pipeline. The first run fails if the branch does not "
        "exist yet: push to it (or use `cdwizard ship`).",
        rules=r.BRANCH,
        when=only_when("source.provider", *BRANCH_PROVIDERS),
    )
    create_repository: bool = ask(
        False,
        label="Create the repository",
        step="source",
        help="Create the CodeCommit repository with terraform (destroy then deletes it, and its "
        "history with it). Leave false for an existing repository.",
        when=_CODECOMMIT,
    )
    bucket: str | None = ask(
        None,
        label="Source bucket",
        step="source",
        help="S3 bucket the pipeline takes the zipped source from (versioning required); null "
        "names it <project>-source-<account id>.",
        rules=r.BUCKET,
        when=_S3,
    )
    object_key: str = ask(
        Derived(lambda a: f"{a.get('project') or 'cdwizard'}/payload.zip", "<project>/payload.zip"),
        label="Object key",
        step="source",
        help="Key of the zip in the source bucket; every new version of it starts the pipeline.",
        rules=r.OBJECT_KEY,
        when=_S3,
    )
    create_bucket: bool = ask(
        True,
        label="Create the bucket",
        step="source",
        help="Create the source bucket with terraform (versioned, encrypted, public access "
        "blocked, EventBridge notifications on). False uses an existing bucket: it must have "
        "versioning on (and, for eventbridge change detection, EventBridge notifications).",
        when=_S3,
    )
    change_detection: Literal["eventbridge", "poll"] = ask(
        "eventbridge",
        label="Change detection",
        step="source",
        help="How a push (or a new object version) starts the pipeline: 'eventbridge' (an "
        "EventBridge rule, immediate, PollForSourceChanges=false; recommended by AWS) or 'poll' "
        "(CodePipeline polls; slower, capped at 300 polling pipelines per region, and AWS stops "
        "polling a pipeline after 30 days without a run: pushes then no longer start it). "
        "GitHub, GitLab and Bitbucket sources are always started by the connection's push "
        "trigger.",
        when=only_when("source.provider", "codecommit", "s3"),
    )


@dataclass(frozen=True)
class TargetsAnswers:
    tag_key: str = ask(
        "Name",
        label="Tag key",
        step="targets",
        help="EC2 tag key the deployment group targets (an instance is deployed to when it "
        "carries this key with the value below). Any text EC2 takes: 1–128 characters, not "
        "starting with 'aws:' (with the 'ssm' agent install, Systems Manager's tag rules apply).",
        rules=r.TAG_KEY,
    )
    tag_value: str = ask(
        _from_project(),
        label="Tag value",
        step="targets",
        help="EC2 tag value the deployment group targets: any text up to 256 characters, as "
        "EC2 and CodeDeploy take it (e.g. 'web (prod)' or 'Produktion-Süd'). With environments, "
        "each sets its own (default <project>-<name>).",
        rules=r.TAG_VALUE,
    )
    create_instance: bool = ask(
        True,
        label="Create instances",
        step="targets",
        help="Create EC2 instances with that tag (IMDSv2, encrypted root volume, the instance "
        "profile). False targets instances you already run.",
    )
    instance_type: str = ask(
        "t3.micro",
        label="Instance type",
        step="targets",
        help="EC2 instance type of the created instances.",
        rules=r.INSTANCE_TYPE,
    )
    instance_count: int = ask(
        1,
        label="Instance count",
        step="targets",
        help="How many instances to create. The deployment config decides how many are "
        "updated at once.",
        rules=(r.int_range(1, 50, unit="instances"),),
    )
    ami: str = ask(
        "ubuntu-22.04",
        label="AMI",
        step="targets",
        help="Machine image: an alias (ubuntu-22.04, ubuntu-24.04, amazon-linux-2023) resolved "
        "through AWS's public SSM parameters at plan time, or an AMI id (ami-...).",
        rules=r.AMI,
    )
    root_volume_size: int = ask(
        16,
        label="Root volume (GiB)",
        step="targets",
        advanced=True,
        help="Size of the encrypted gp3 root volume of each created instance, in GiB.",
        rules=(r.int_range(8, 1024, unit="GiB"),),
    )
    subnet_id: str | None = ask(
        None,
        label="Subnet",
        step="targets",
        advanced=True,
        help="Subnet for created instances; null uses a default subnet of the default VPC. "
        "The instance needs outbound HTTPS to reach CodeDeploy, S3 and (for ssm) SSM.",
        rules=r.SUBNET_ID,
    )
    agent_install: Literal["user_data", "ssm", "preinstalled"] = ask(
        "user_data",
        label="Agent install",
        step="targets",
        help="How the CodeDeploy agent gets onto the instances: 'user_data' (at first boot, "
        "created instances only), 'ssm' (a State Manager association installing the "
        "AWSCodeDeployAgent package on every tagged instance), 'preinstalled' (an AMI you "
        "built has it; a stock image alias has not).",
    )
    ssm_managed: bool = ask(
        True,
        label="SSM managed",
        step="targets",
        help="Attach AmazonSSMManagedInstanceCore to the instance role: needed for the ssm agent "
        "install and lets `cdwizard monitor` fetch full hook logs without SSH.",
    )
    extend_role: str | None = ask(
        None,
        label="Extend role",
        step="targets",
        help="IAM role of instances you already run (the role in their instance profile). "
        "cdwizard adds one inline policy to it that lets the CodeDeploy agent read this "
        "pipeline's artifact bucket (s3:GetObject and s3:GetObjectVersion on its objects, "
        "nothing else); destroy removes that policy, never the role. null changes no role of "
        "yours: `cdwizard doctor` then checks that the instances' roles can read the bucket.",
        rules=r.IAM_NAME,
    )


@dataclass(frozen=True)
class DeploymentAnswers:
    application: str = ask(
        _from_project(),
        label="Application",
        step="deployment",
        help="CodeDeploy application name (compute platform Server).",
        rules=r.CODEDEPLOY_NAME,
    )
    group: str = ask(
        _from_project("-dg"),
        label="Deployment group",
        step="deployment",
        help="CodeDeploy deployment group (in-place, targets the tag; with a load_balancer, "
        "each instance is taken out of its target group while it is deployed to). Not used "
        "with environments: each has its own <project>-<name>-dg.",
        rules=r.CODEDEPLOY_NAME,
    )
    config: Literal[
        "CodeDeployDefault.OneAtATime",
        "CodeDeployDefault.HalfAtATime",
        "CodeDeployDefault.AllAtOnce",
    ] = ask(
        "CodeDeployDefault.OneAtATime",
        label="Deployment config",
        step="deployment",
        help="OneAtATime updates one instance at a time (safest); HalfAtATime up to half; "
        "AllAtOnce all together (fastest, the whole fleet is out of service at once).",
    )
    rollback_on_failure: bool = ask(
        True,
        label="Roll back on failure",
        step="deployment",
        help="Automatically redeploy the last good revision when a deployment fails.",
    )
    group_tags: dict[str, str] = ask(
        {"ManagedBy": "codedeploy"},
        label="Deployment group tags",
        step="deployment",
        help="Tags on the deployment group (KEY=VALUE pairs).",
        rules=(r.tag_map(),),
    )
    service_role: str = ask(
        "CodeDeployServiceRole",
        label="Service role",
        step="deployment",
        help="IAM role CodeDeploy assumes (gets service-role/AWSCodeDeployRole).",
        rules=r.IAM_NAME,
    )
    instance_profile: str = ask(
        "CodeDeployDemo-EC2-Instance-Profile",
        label="Instance profile",
        step="deployment",
        help="IAM role and instance profile of the instances (reads the artifact bucket and "
        "the agent's aws-codedeploy-<region> bucket).",
        rules=r.IAM_NAME,
    )


@dataclass(frozen=True)
class PipelineAnswers:
    name: str = ask(
        _from_project(),
        label="Pipeline name",
        step="source",
        help="CodePipeline name.",
        rules=r.PIPELINE_NAME,
    )
    artifact_bucket: str | None = ask(
        None,
        label="Artifact bucket",
        step="source",
        advanced=True,
        help="S3 bucket for pipeline artifacts; null names it <project>-artifacts-<account id>. "
        "Created with public access blocked, encryption, versioning and ownership enforced.",
        rules=r.BUCKET,
    )
    artifact_expiration_days: int = ask(
        30,
        label="Keep artifacts (days)",
        step="source",
        advanced=True,
        help="Days each pipeline run's artifact (the zipped revision CodeDeploy installs) is kept "
        "in the artifact bucket; then it expires and its version is deleted 30 days later. A "
        "revision older than this can no longer be redeployed or rolled back to, so keep it "
        "longer than the time between your releases.",
        rules=(r.int_range(1, 3650, unit="days"),),
    )
    type: Literal["V2", "V1"] = ask(
        "V2",
        label="Pipeline type",
        step="source",
        advanced=True,
        help="CodePipeline type; V2 is AWS's current default (per-minute pricing with free "
        "tier; V1 bills per active pipeline).",
    )


def _from_answer(key: str) -> Derived:
    """An environment's default taken from the single-environment answer `key`."""
    return Derived(lambda a: a.get(key), f"<{key}>")


DEPLOYMENT_CONFIGS = Literal[
    "CodeDeployDefault.OneAtATime",
    "CodeDeployDefault.HalfAtATime",
    "CodeDeployDefault.AllAtOnce",
]

_ENV = "environments"


@dataclass(frozen=True)
class EnvironmentAnswers:
    """One environment: its own deployment group (and instances), deployed in list order."""

    name: str = ask(
        None,
        label="Name",
        step=_ENV,
        help="Environment name: lowercase letters, digits and hyphens, starting with a letter, "
        "at most 20 characters, unique. Names its deployment group (<project>-<name>-dg), its "
        "instances (<project>-<name>) and its pipeline stages (Approve-<name>, Deploy-<name>).",
        rules=r.ENVIRONMENT_NAME,
        example="staging",
        required="give the environment a name, e.g. 'staging'",
    )
    tag_key: str = ask(
        _from_answer("targets.tag_key"),
        label="Tag key",
        step=_ENV,
        help="EC2 tag key this environment's deployment group targets.",
        rules=r.TAG_KEY,
    )
    tag_value: str = ask(
        Derived(
            lambda a: f"{a.get('project') or 'cdwizard'}-{a.get('name') or 'env'}",
            "<project>-<name>",
        ),
        label="Tag value",
        step=_ENV,
        help="EC2 tag value this environment's deployment group targets (each environment must "
        "target other instances than the others).",
        rules=r.TAG_VALUE,
    )
    create_instance: bool = ask(
        _from_answer("targets.create_instance"),
        label="Create instances",
        step=_ENV,
        help="Create this environment's EC2 instances (tagged as above); false targets "
        "instances you already run.",
    )
    instance_type: str = ask(
        _from_answer("targets.instance_type"),
        label="Instance type",
        step=_ENV,
        help="EC2 instance type of this environment's created instances.",
        rules=r.INSTANCE_TYPE,
    )
    instance_count: int = ask(
        _from_answer("targets.instance_count"),
        label="Instance count",
        step=_ENV,
        help="How many instances to create for this environment.",
        rules=(r.int_range(1, 50, unit="instances"),),
    )
    deployment_config: DEPLOYMENT_CONFIGS = ask(
        _from_answer("deployment.config"),
        label="Deployment config",
        step=_ENV,
        help="CodeDeploy deployment config of this environment's group.",
    )
    rollback_on_failure: bool = ask(
        _from_answer("deployment.rollback_on_failure"),
        label="Roll back on failure",
        step=_ENV,
        help="Automatically redeploy the last good revision when a deployment here fails.",
    )
    group_tags: dict[str, str] = ask(
        _from_answer("deployment.group_tags"),
        label="Deployment group tags",
        step=_ENV,
        help="Tags on this environment's deployment group (KEY=VALUE pairs).",
        rules=(r.tag_map(),),
    )
    approval: bool = ask(
        False,
        label="Manual approval",
        step=_ENV,
        help="A manual approval (a stage Approve-<name>) precedes this environment's deploy: "
        "the pipeline waits until somebody approves or rejects it (`cdwizard monitor "
        "--approve`, the console, or the notification's link).",
    )
    approval_message: str = ask(
        Derived(
            lambda a: f"Approve deployment to {a.get('name') or 'this environment'}?",
            "Approve deployment to <name>?",
        ),
        label="Approval message",
        step=_ENV,
        help="The text shown with the approval (CodePipeline's CustomData, at most 512 "
        "characters).",
        rules=(r.length(1, 512), r.no_control_chars()),
    )
    approval_url: str | None = ask(
        None,
        label="Approval URL",
        step=_ENV,
        help="An https address shown with the approval for reviewers (e.g. the staging site); "
        "only used with approval: true.",
        rules=r.HTTPS_URL,
    )


NOTIFICATION_EVENTS: tuple[str, ...] = ("failed", "succeeded", "approval", "deployment_failed")


@dataclass(frozen=True)
class NotificationsAnswers:
    topic_arn: str | None = ask(
        None,
        label="SNS topic ARN",
        step=_ENV,
        help="An existing SNS topic to notify (its ARN, same region; its access policy must let "
        "codestar-notifications.amazonaws.com publish). null: terraform creates "
        "<project>-notifications when emails are given.",
        rules=r.SNS_TOPIC_ARN,
    )
    emails: list[str] = ask(
        [],
        label="Emails",
        step=_ENV,
        help="Addresses subscribed to the topic. AWS sends each a confirmation email: nothing "
        "is delivered to an address until its owner clicks the link in it. No emails and no "
        "topic_arn: no notifications.",
        rules=r.EMAILS,
    )
    events: list[str] = ask(
        list(NOTIFICATION_EVENTS),
        label="Events",
        step=_ENV,
        help="What is notified: 'failed' (a pipeline run failed), 'succeeded' (a run "
        "succeeded), 'approval' (a manual approval waits), 'deployment_failed' (a CodeDeploy "
        "deployment failed).",
        rules=r.notification_events(NOTIFICATION_EVENTS),
    )


@dataclass(frozen=True)
class PayloadAnswers:
    destination: str = ask(
        "/home/snake/_target",
        label="Destination",
        step="payload",
        help="Folder on the instance the revision is installed into (appspec files.destination).",
        rules=r.DESTINATION,
    )
    user: str = ask(
        "snake",
        label="Run-as user",
        step="payload",
        help="Linux user the hooks and the service run as; created if missing.",
        rules=r.LINUX_USER,
    )
    port: int = ask(
        8000,
        label="Port",
        step="payload",
        help="TCP port the FastAPI service listens on.",
        rules=(r.int_range(1, 65535),),
    )
    bind_address: Literal["0.0.0.0", "127.0.0.1"] = ask(
        "0.0.0.0",
        label="Listen address",
        step="payload",
        advanced=True,
        help="Address the service listens on: '0.0.0.0' (every interface: reachable from outside "
        "when the security group allows the port) or '127.0.0.1' (this host only, e.g. behind a "
        "local reverse proxy, or for a local rehearsal). ValidateService always checks 127.0.0.1.",
    )
    health_path: str = ask(
        "/health",
        label="Health path",
        step="payload",
        help="Path ValidateService polls until it answers 200.",
        rules=r.HEALTH_PATH,
    )
    hook_timeout: int = ask(
        300,
        label="Hook timeout (s)",
        step="payload",
        help="Timeout of each hook script, in seconds (CodeDeploy allows at most 3600).",
        rules=(r.int_range(1, 3600, unit="seconds"),),
    )
    file_exists_behavior: Literal["OVERWRITE", "DISALLOW", "RETAIN"] = ask(
        "OVERWRITE",
        label="When files exist",
        step="payload",
        help="What Install does with files at the destination that the previous revision did not "
        "install: OVERWRITE them, DISALLOW (fail the deployment) or RETAIN the old file.",
    )


#: Security policies an HTTPS listener may use: AWS's recommended TLS 1.3 policies (TLS 1.2 as
#: the oldest protocol, or 1.3 only) and the forward-secrecy TLS 1.2 one.
SslPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
]
SSL_POLICIES: tuple[str, ...] = get_args(SslPolicy)


@dataclass(frozen=True)
class LoadBalancerAnswers:
    mode: Literal["none", "create", "existing"] = ask(
        "none",
        label="Load balancer",
        step="review",
        advanced=True,
        help="Traffic control for deployments: 'none' (in-place without a load balancer: an "
        "instance being deployed to still gets requests), 'create' (an Application Load Balancer "
        "with a target group in front of the instances; CodeDeploy takes each instance out of it "
        "before ApplicationStop and puts it back after ValidateService) or 'existing' (your "
        "target group, target_group_arn).",
    )
    name: str = ask(
        Derived(_load_balancer_name, "<project>"),
        label="Load balancer name",
        step="review",
        advanced=True,
        help="Name of the created load balancer and its target group (1–32 letters, digits, '-').",
        rules=r.LOAD_BALANCER_NAME,
    )
    scheme: Literal["internet-facing", "internal"] = ask(
        "internet-facing",
        label="Scheme",
        step="review",
        advanced=True,
        help="'internet-facing' (a public DNS name; its subnets need an internet gateway) or "
        "'internal' (reachable only inside the VPC).",
    )
    subnet_ids: list[str] = ask(
        [],
        label="Subnets",
        step="review",
        advanced=True,
        help="Subnets of the created load balancer: two or more, in different Availability Zones "
        "of the instances' VPC; [] uses the default subnets of the default VPC.",
        rules=r.SUBNET_IDS,
    )
    allowed_cidrs: list[str] = ask(
        ["0.0.0.0/0"],
        label="Allowed clients",
        step="review",
        advanced=True,
        help="Address ranges (IPv4 or IPv6 CIDR) the load balancer's listeners accept.",
        rules=r.CIDRS,
    )
    http_port: int | None = ask(
        80,
        label="HTTP port",
        step="review",
        advanced=True,
        help="Port of the HTTP listener; null: none. With a certificate it redirects to HTTPS "
        "(redirect_http).",
        rules=(r.int_range(1, 65535),),
    )
    https_port: int = ask(
        443,
        label="HTTPS port",
        step="review",
        advanced=True,
        help="Port of the HTTPS listener, created when certificate_arn is set.",
        rules=(r.int_range(1, 65535),),
    )
    certificate_arn: str | None = ask(
        None,
        label="Certificate",
        step="review",
        advanced=True,
        help="ACM certificate (in aws.region) of an HTTPS listener; null: HTTP only.",
        rules=r.ACM_CERTIFICATE_ARN,
    )
    ssl_policy: SslPolicy = ask(
        SSL_POLICIES[0],
        label="TLS policy",
        step="review",
        advanced=True,
        help="Security policy of the HTTPS listener (TLS 1.2 or newer; AWS recommends the first).",
    )
    redirect_http: bool = ask(
        True,
        label="Redirect HTTP",
        step="review",
        advanced=True,
        help="With a certificate, the HTTP listener answers with a redirect to HTTPS.",
    )
    target_group_arn: str | None = ask(
        None,
        label="Target group",
        step="review",
        advanced=True,
        help="With mode 'existing': the target group (target type instance) to deploy behind. "
        "cdwizard never changes it; the instances it creates are registered with it.",
        rules=r.TARGET_GROUP_ARN,
    )
    target_port: int = ask(
        _from_payload(
            "payload.port",
            8000,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536,
        ),
        label="Target port",
        step="review",
        advanced=True,
        help="Port the target group sends requests and health checks to on each instance.",
        rules=(r.int_range(1, 65535),),
    )
    health_check_path: str = ask(
        _from_payload(
            "payload.health_path",
            "/health",
            lambda v: isinstance(v, str) and not any(rule.check(v) for rule in r.HEALTH_PATH),
        ),
        label="Health check path",
        step="review",
        advanced=True,
        help="Path the target group's health check requests; an instance receives traffic once "
        "it answers 200 there.",
        rules=r.HEALTH_PATH,
    )
    deregistration_delay: int = ask(
        30,
        label="Draining (s)",
        step="review",
        advanced=True,
        help="Seconds an instance taken out of the target group keeps serving the requests it "
        "has (BlockTraffic waits for it; AfterBlockTraffic waits for the rest).",
        rules=(r.int_range(0, 3600, unit="seconds"),),
    )
    access_logs_bucket: str | None = ask(
        None,
        label="Access logs bucket",
        step="review",
        advanced=True,
        help="Existing S3 bucket for the load balancer's access logs (its policy must let "
        "Elastic Load Balancing write); null: no access logs.",
        rules=r.BUCKET,
    )
    url: str | None = ask(
        None,
        label="Public URL",
        step="review",
        advanced=True,
        help="The address clients use (e.g. https://shop.example.com, or the load balancer's "
        "URL from `terraform output`); AfterAllowTraffic checks the health path through it. "
        "null: it checks the instance the way the target group does.",
        rules=r.URL,
    )


@dataclass(frozen=True)
class TerraformAnswers:
    backend: Literal["local", "s3"] = ask(
        "local",
        label="State backend",
        step="review",
        advanced=True,
        help="Where terraform keeps its state: 'local' (in the workspace folder) or 's3' "
        "(a bucket you already have; locking with an S3 lock file).",
    )
    state_bucket: str | None = ask(
        None,
        label="State bucket",
        step="review",
        advanced=True,
        help="Existing S3 bucket for the state when backend is s3.",
        rules=r.BUCKET,
    )
    state_key: str = ask(
        Derived(
            lambda a: f"cdwizard/{a.get('project') or 'cdwizard'}/terraform.tfstate",
            "cdwizard/<project>/terraform.tfstate",
        ),
        label="State key",
        step="review",
        advanced=True,
        help="Object key of the state in the state bucket.",
        rules=r.STATE_KEY,
    )
    state_region: str | None = ask(
        None,
        label="State bucket region",
        step="review",
        advanced=True,
        help="Region of the state bucket when it is not aws.region; null means aws.region.",
        rules=r.REGION,
    )
    binary: str | None = ask(
        None,
        label="Terraform binary",
        step="review",
        advanced=True,
        help="Path of terraform or tofu; null looks at $CDWIZARD_TERRAFORM, then terraform, "
        "then tofu on PATH.",
        rules=r.BINARY,
    )


@dataclass(frozen=True)
class Answers:
    """All answers. Build with `wizard.core.answers.load_answers` / `validate_mapping`."""

    version: Literal[1] = ask(
        CURRENT_VERSION,
        label="Format version",
        step="",
        help="Version of this file's format. Always 1 for now.",
    )
    project: str = ask(
        "devops-python-service",
        label="Project",
        step="welcome",
        help="Short name used as the prefix of created resources and the default of the other "
        "names: lowercase letters, digits and hyphens, 3–32 characters.",
        rules=r.PROJECT,
        example="devops-python-service",
    )
    aws: AwsAnswers = section(AwsAnswers, title="AWS", help="Account access and region.")
    source: SourceAnswers = section(
        SourceAnswers,
        title="Source",
        help="Where the pipeline takes the code from: a repository and branch, or an S3 object.",
    )
    targets: TargetsAnswers = section(
        TargetsAnswers, title="Targets", help="The EC2 instances that receive deployments."
    )
    deployment: DeploymentAnswers = section(
        DeploymentAnswers, title="Deployment", help="CodeDeploy application, group and roles."
    )
    pipeline: PipelineAnswers = section(
        PipelineAnswers, title="Pipeline", help="The CodePipeline that links source and deploy."
    )
    payload: PayloadAnswers = section(
        PayloadAnswers, title="Payload", help="How the service is installed and checked."
    )
    load_balancer: LoadBalancerAnswers = section(
        LoadBalancerAnswers,
        title="Load balancer",
        help="Deployments without downtime: an Application Load Balancer whose target group "
        "CodeDeploy takes each instance out of while it is deployed to.",
    )
    environments: list[EnvironmentAnswers] = records(
        EnvironmentAnswers,
        label="Environments",
        step=_ENV,
        help="Environments deployed one after another (e.g. staging, then production), each "
        "with its own deployment group and targets, optionally behind a manual approval. Empty: "
        "one environment, as described by targets and deployment.",
    )
    notifications: NotificationsAnswers = section(
        NotificationsAnswers,
        title="Notifications",
        help="Emails (through an SNS topic) when a pipeline run fails or succeeds, an approval "
        "waits, or a deployment fails.",
    )
    terraform: TerraformAnswers = section(
        TerraformAnswers, title="Terraform", help="State backend and binary."
    )
    tags: dict[str, str] = ask(
        {},
        label="Tags",
        step="review",
        advanced=True,
        help="Tags applied to every created resource (provider default_tags).",
        rules=(r.tag_map(max_tags=40),),
    )


# --- rules across fields ----------------------------------------------------------------------

# Each: (keys it concerns; the first is reported) -> check(flat answers) -> (message, fix) | None
CrossRule = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], tuple[str, str] | None]]


def _user_data_needs_instances(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["targets.agent_install"] == "user_data" and not a["targets.create_instance"]:
        return (
            "'user_data' only installs the agent on instances cdwizard creates",
            "set targets.agent_install to 'ssm' (needs the SSM agent) or 'preinstalled' for "
            "existing instances, or set targets.create_instance to true",
        )
    return None


def _preinstalled_needs_own_image(a: Mapping[str, Any]) -> tuple[str, str] | None:
    ami = a["targets.ami"]
    if (
        a["targets.agent_install"] == "preinstalled"
        and a["targets.create_instance"]
        and ami in r.AMI_ALIASES
    ):
        return (
            f"'preinstalled' needs an image that already has the CodeDeploy agent, but "
            f"targets.ami is the stock image '{ami}', which has none: every deployment to the "
            "created instances would fail, and nothing installs the agent later",
            "set targets.agent_install to 'user_data' (installs the agent at first boot) or "
            "'ssm', or set targets.ami to the id of an AMI you built with the agent (ami-...)",
        )
    return None


def _ssm_needs_managed(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["targets.agent_install"] == "ssm" and not a["targets.ssm_managed"]:
        return (
            "'ssm' installs the agent through Systems Manager, which needs the instance role to "
            "carry AmazonSSMManagedInstanceCore",
            "set targets.ssm_managed to true, or use targets.agent_install 'user_data'",
        )
    return None


def _ssm_target_key(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["targets.agent_install"] != "ssm":
        return None
    problem = r.ssm_target_key_problem(a["targets.tag_key"])
    if problem is None:
        return None
    return (
        f"{problem} (the 'ssm' agent install targets the instances by this tag)",
        "use a tag key of letters, digits, spaces and _ . : / = - @, or another "
        "targets.agent_install",
    )


def _s3_backend_needs_bucket(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["terraform.backend"] == "s3" and not a["terraform.state_bucket"]:
        return (
            "the s3 backend needs a bucket",
            "set terraform.state_bucket to an existing bucket, or use backend 'local'",
        )
    return None


def _privileged_port(a: Mapping[str, Any]) -> tuple[str, str] | None:
    port, user = a["payload.port"], a["payload.user"]
    if isinstance(port, int) and port < 1024 and user != "root":
        return (
            f"port {port} is privileged and the service runs as '{user}'",
            "use a port of 1024 or more (e.g. 8000), or run as root",
        )
    return None


def _extend_another_role(a: Mapping[str, Any]) -> tuple[str, str] | None:
    role = a["targets.extend_role"]
    if role and role in (a["deployment.instance_profile"], a["deployment.service_role"]):
        return (
            f"'{role}' is a role cdwizard creates itself (deployment.instance_profile or "
            "deployment.service_role); the instance role it creates can already read the bucket",
            "name the role of the instances you already run, or set targets.extend_role to null",
        )
    return None


def _role_names_differ(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["deployment.service_role"] == a["deployment.instance_profile"]:
        return (
            "the service role and the instance role must be different roles",
            "give deployment.instance_profile another name",
        )
    return None


#: Tags cdwizard adds to every resource itself (provider default_tags).
RESERVED_TAGS = 1  # cdwizard:project


def _group_tag_budget(a: Mapping[str, Any]) -> tuple[str, str] | None:
    tags, group_tags = a["tags"] or {}, a["deployment.group_tags"] or {}
    total = len(set(tags) | set(group_tags)) + RESERVED_TAGS
    if total > 50:
        return (
            f"the deployment group would carry {total} tags (group_tags, tags and cdwizard's own "
            "cdwizard:project); AWS allows 50",
            "drop some group_tags or tags",
        )
    return None


def _repository_id_fits_provider(a: Mapping[str, Any]) -> tuple[str, str] | None:
    provider, value = a["source.provider"], a["source.repository_id"]
    if provider not in CONNECTION_PROVIDERS or not isinstance(value, str):
        return None
    return r.repository_id_problem(provider, value)


def _existing_bucket_needs_name(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["source.provider"] == "s3" and not a["source.create_bucket"] and not a["source.bucket"]:
        return (
            "an existing source bucket needs its name",
            "set source.bucket to the bucket's name, or set source.create_bucket to true",
        )
    return None


def _source_bucket_differs(a: Mapping[str, Any]) -> tuple[str, str] | None:
    bucket = a["source.bucket"]
    if a["source.provider"] == "s3" and bucket and bucket == a["pipeline.artifact_bucket"]:
        return (
            "the source bucket and the artifact bucket must be different buckets",
            "give source.bucket another name (CodePipeline writes artifacts into the artifact "
            "bucket, and each write would start the pipeline again)",
        )
    return None


# --- the load balancer --------------------------------------------------------------------------


def _existing_needs_target_group(a: Mapping[str, Any]) -> tuple[str, str] | None:
    mode, arn = a["load_balancer.mode"], a["load_balancer.target_group_arn"]
    if mode == "existing" and not arn:
        return (
            "mode 'existing' deploys behind your target group, and none is given",
            "set load_balancer.target_group_arn to its ARN, or use mode 'create'",
        )
    if arn and mode != "existing":
        return (
            f"is only used with load_balancer.mode 'existing' (mode is '{mode}')",
            "set load_balancer.mode to 'existing', or remove target_group_arn",
        )
    return None


def _only_for_created(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["load_balancer.mode"] == "create":
        return None
    given = [
        key
        for key in ("certificate_arn", "access_logs_bucket")
        if a[f"load_balancer.{key}"] is not None
    ] + (["subnet_ids"] if a["load_balancer.subnet_ids"] else [])
    if not given:
        return None
    return (
        f"{', '.join(given)} only apply to a load balancer cdwizard creates (mode is "
        f"'{a['load_balancer.mode']}')",
        "set load_balancer.mode to 'create', or remove them",
    )


def _same_region(key: str, what: str) -> CrossRule:
    def check(a: Mapping[str, Any]) -> tuple[str, str] | None:
        region = r.arn_region(a[key])
        if region is not None and region != a["aws.region"]:
            return (
                f"the {what} is in {region}, the stack in {a['aws.region']}; a load balancer "
                f"can only use a {what} of its own region",
                f"use a {what} of {a['aws.region']}, or change aws.region",
            )
        return None

    return ((key, "aws.region"), check)


def _a_listener(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["load_balancer.mode"] != "create":
        return None
    http, https, cert = (
        a["load_balancer.http_port"],
        a["load_balancer.https_port"],
        a["load_balancer.certificate_arn"],
    )
    if http is None and cert is None:
        return (
            "the load balancer would have no listener (no HTTP port and no certificate)",
            "set load_balancer.http_port (e.g. 80) or load_balancer.certificate_arn",
        )
    if cert is not None and http == https:
        return (
            f"the HTTP and HTTPS listeners cannot share port {http}",
            "use different ports (80 and 443), or set http_port to null",
        )
    return None


def _reachable_target(a: Mapping[str, Any]) -> tuple[str, str] | None:
    if a["load_balancer.mode"] == "none" or a["payload.bind_address"] != "127.0.0.1":
        return None
    if a["load_balancer.target_port"] != a["payload.port"]:
        return None  # a local proxy on another port may forward to the service
    return (
        f"the service listens on 127.0.0.1 only, so the load balancer cannot reach port "
        f"{a['payload.port']}",
        "set payload.bind_address to '0.0.0.0', or point load_balancer.target_port at a local "
        "reverse proxy",
    )


CROSS_RULES: tuple[CrossRule, ...] = (
    (("source.repository_id", "source.provider"), _repository_id_fits_provider),
    (("source.bucket", "source.create_bucket", "source.provider"), _existing_bucket_needs_name),
    (("source.bucket", "pipeline.artifact_bucket"), _source_bucket_differs),
    (("targets.agent_install", "targets.create_instance"), _user_data_needs_instances),
    (
        ("targets.agent_install", "targets.ami", "targets.create_instance"),
        _preinstalled_needs_own_image,
    ),
    (("targets.agent_install", "targets.ssm_managed"), _ssm_needs_managed),
    (("targets.tag_key", "targets.agent_install"), _ssm_target_key),
    (("terraform.state_bucket", "terraform.backend"), _s3_backend_needs_bucket),
    (("payload.port", "payload.user"), _privileged_port),
    (("deployment.instance_profile", "deployment.service_role"), _role_names_differ),
    (
        ("targets.extend_role", "deployment.instance_profile", "deployment.service_role"),
        _extend_another_role,
    ),
    (("deployment.group_tags", "tags"), _group_tag_budget),
    (("load_balancer.target_group_arn", "load_balancer.mode"), _existing_needs_target_group),
    (
        (
            "load_balancer.mode",
            "load_balancer.certificate_arn",
            "load_balancer.access_logs_bucket",
            "load_balancer.subnet_ids",
        ),
        _only_for_created,
    ),
    _same_region("load_balancer.certificate_arn", "certificate"),
    _same_region("load_balancer.target_group_arn", "target group"),
    (
        (
            "load_balancer.http_port",
            "load_balancer.mode",
            "load_balancer.https_port",
            "load_balancer.certificate_arn",
        ),
        _a_listener,
    ),
    (
        (
            "load_balancer.target_port",
            "load_balancer.mode",
            "payload.bind_address",
            "payload.port",
        ),
        _reachable_target,
    ),
)


# --- environments and notifications --------------------------------------------------------------

#: Each: (keys it concerns) -> check(flat answers) -> problems as (path, message, fix, value).
#: For rules about list entries, reported at `environments[i].field`.
ListProblem = tuple[str, str, str, Any]
ListRule = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], list[ListProblem]]]

#: CodePipeline quota: stages per pipeline.
MAX_STAGES = 50


def deployment_group_name(project: str, env: str) -> str:
    """`<project>-<env>-dg` (at most 32 + 1 + 20 + 3 characters: within CodeDeploy's 100)."""
    return f"{project}-{env}-dg"


def pipeline_stages(environments: list[Mapping[str, Any]]) -> list[str]:
    """Stage names in order: Source, then per environment Approve-<env> (when asked) and
    Deploy-<env>."""
    stages = ["Source"]
    for env in environments:
        if env["approval"]:
            stages.append(f"Approve-{env['name']}")
        stages.append(f"Deploy-{env['name']}")
    return stages


def _unique_names(a: Mapping[str, Any]) -> list[ListProblem]:
    seen: dict[str, int] = {}
    out: list[ListProblem] = []
    for i, env in enumerate(a["environments"]):
        if env["name"] in seen:
            out.append(
                (
                    f"environments[{i}].name",
                    f"is already the name of environments[{seen[env['name']]}]",
                    "give each environment its own name",
                    env["name"],
                )
            )
        seen.setdefault(env["name"], i)
    return out


def _distinct_targets(a: Mapping[str, Any]) -> list[ListProblem]:
    seen: dict[tuple[str, str], int] = {}
    out: list[ListProblem] = []
    for i, env in enumerate(a["environments"]):
        target = (env["tag_key"], env["tag_value"])
        if target in seen:
            out.append(
                (
                    f"environments[{i}].tag_value",
                    f"targets the same instances as environments[{seen[target]}] "
                    f"({target[0]}={target[1]}): a deploy there would also change them",
                    "give each environment its own tag_value (or tag_key)",
                    env["tag_value"],
                )
            )
        seen.setdefault(target, i)
    return out


def _stage_quota(a: Mapping[str, Any]) -> list[ListProblem]:
    stages = len(pipeline_stages(a["environments"]))
    if stages <= MAX_STAGES:
        return []
    return [
        (
            "environments",
            f"the pipeline would have {stages} stages (Source, one Deploy per environment and "
            f"one Approve per approval); CodePipeline allows {MAX_STAGES}",
            "use fewer environments or fewer approvals",
            len(a["environments"]),
        )
    ]


def _env_group_tags(a: Mapping[str, Any]) -> list[ListProblem]:
    out: list[ListProblem] = []
    for i, env in enumerate(a["environments"]):
        total = len(set(a["tags"] or {}) | set(env["group_tags"] or {})) + RESERVED_TAGS
        if total > 50:
            out.append(
                (
                    f"environments[{i}].group_tags",
                    f"the deployment group would carry {total} tags (group_tags, tags and "
                    "cdwizard's own cdwizard:project); AWS allows 50",
                    "drop some of this environment's group_tags or tags",
                    len(env["group_tags"] or {}),
                )
            )
    return out


def _env_agent_install(a: Mapping[str, Any]) -> list[ListProblem]:
    """The agent install (targets.agent_install) holds for every environment's instances."""
    install, ami = a["targets.agent_install"], a["targets.ami"]
    out: list[ListProblem] = []
    for i, env in enumerate(a["environments"]):
        if install == "user_data" and not env["create_instance"]:
            out.append(
                (
                    f"environments[{i}].create_instance",
                    "is false, but targets.agent_install 'user_data' only installs the agent on "
                    "instances cdwizard creates",
                    "set targets.agent_install to 'ssm' or 'preinstalled', or set "
                    f"environments[{i}].create_instance to true",
                    False,
                )
            )
        if install == "preinstalled" and env["create_instance"] and ami in r.AMI_ALIASES:
            out.append(
                (
                    f"environments[{i}].create_instance",
                    f"creates instances from the stock image '{ami}', which has no CodeDeploy "
                    "agent, and targets.agent_install is 'preinstalled'",
                    "set targets.agent_install to 'user_data' or 'ssm', or targets.ami to an AMI "
                    "you built with the agent",
                    True,
                )
            )
        if install == "ssm":
            problem = r.ssm_target_key_problem(env["tag_key"])
            if problem is not None:
                out.append(
                    (
                        f"environments[{i}].tag_key",
                        f"{problem} (the 'ssm' agent install targets the instances by this tag)",
                        "use a tag key of letters, digits, spaces and _ . : / = - @",
                        env["tag_key"],
                    )
                )
    return out


def _approval_fields(a: Mapping[str, Any]) -> list[ListProblem]:
    out: list[ListProblem] = []
    for i, env in enumerate(a["environments"]):
        if env["approval_url"] is not None and not env["approval"]:
            out.append(
                (
                    f"environments[{i}].approval_url",
                    "is only shown with a manual approval, and this environment has none",
                    f"set environments[{i}].approval to true, or remove approval_url",
                    env["approval_url"],
                )
            )
    return out


def _environments_without_load_balancer(a: Mapping[str, Any]) -> list[ListProblem]:
    if a["environments"] and a["load_balancer.mode"] != "none":
        return [
            (
                "environments",
                "cannot be combined with a load balancer yet (one target group cannot serve "
                "several environments)",
                "set load_balancer.mode to 'none', or remove environments",
                len(a["environments"]),
            )
        ]
    return []


def notifications_enabled(a: Mapping[str, Any]) -> bool:
    """Notifications are on when they have somewhere to go: emails or an existing topic."""
    return bool(a["notifications.emails"]) or a["notifications.topic_arn"] is not None


def _topic_region(a: Mapping[str, Any]) -> list[ListProblem]:
    region = r.arn_region(a["notifications.topic_arn"])
    if region is not None and region != a["aws.region"]:
        return [
            (
                "notifications.topic_arn",
                f"the topic is in {region}, the pipeline in {a['aws.region']}; a notification "
                "rule can only target a topic of its own region",
                f"use a topic of {a['aws.region']}, or remove topic_arn to create one",
                a["notifications.topic_arn"],
            )
        ]
    return []


LIST_RULES: tuple[ListRule, ...] = (
    (("environments",), _unique_names),
    (("environments",), _distinct_targets),
    (("environments",), _stage_quota),
    (("environments", "tags"), _env_group_tags),
    (("environments", "targets.agent_install", "targets.ami"), _env_agent_install),
    (("environments",), _approval_fields),
    (("environments", "load_balancer.mode"), _environments_without_load_balancer),
    (("notifications.topic_arn", "aws.region"), _topic_region),
)
