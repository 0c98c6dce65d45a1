"""What the account already has: the look-ups behind the wizard's prefills and `cdwizard doctor`.

Every function is blocking and thread-safe (boto3 clients are; nothing here keeps state), takes an
`AwsClients`, returns frozen dataclasses and raises `DiscoveryError` with a message the user can
act on. The TUI calls them from thread workers; `preflight` calls them in a row.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import botocore.session

from wizard.core.events.base import plural
from wizard.services.aws.errors import (
    CODECOMMIT_CLOSED,
    CODECOMMIT_CLOSED_FIX,
    DiscoveryError,
    guarded,
)

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

#: Instance states CodeDeploy deploys to (and the live tag count counts).
LIVE_STATES = ("pending", "running")
#: How many matched instances a match keeps in detail (the count is always exact).
KEEP_INSTANCES = 50
#: Services the pipeline needs in its region.
PIPELINE_SERVICES = ("codecommit", "codedeploy", "codepipeline", "ec2", "s3", "ssm")


# --- identity and regions --------------------------------------------------------------------


def list_profiles() -> tuple[str, ...]:
    """Profile names in ~/.aws/config and ~/.aws/credentials (or $AWS_CONFIG_FILE and
    $AWS_SHARED_CREDENTIALS_FILE); no AWS call, no credentials read."""

    return tuple(sorted(botocore.session.Session().available_profiles))


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    user_id: str

    @property
    def principal(self) -> str:
        """`user/alice`, `assumed-role/Admin/alice`: the part of the ARN after the account."""
        return self.arn.split(":", 5)[-1]


def caller_identity(clients: AwsClients) -> CallerIdentity:
    """Who the credentials belong to (STS GetCallerIdentity needs no permission)."""
    with guarded("sts:GetCallerIdentity", profile=clients.target.profile):
        out = clients.client("sts").get_caller_identity()
    return CallerIdentity(account=out["Account"], arn=out["Arn"], user_id=out["UserId"])


@dataclass(frozen=True)
class RegionList:
    names: tuple[str, ...]
    #: True when the list came from the account (ec2:DescribeRegions), False for the fallback.
    from_account: bool
    note: str | None = None


@functools.cache
def known_regions(service: str = "ec2") -> tuple[str, ...]:
    """Regions botocore's bundled endpoint data lists for `service` (no network; cached)."""

    return tuple(sorted(botocore.session.get_session().get_available_regions(service)))


def list_regions(clients: AwsClients) -> RegionList:
    """Regions enabled for the account; botocore's static list when DescribeRegions is denied."""
    try:
        with guarded("ec2:DescribeRegions", profile=clients.target.profile):
            out = clients.client("ec2").describe_regions(AllRegions=False)
    except DiscoveryError as exc:
        if exc.kind != "permission":
            raise
        return RegionList(known_regions(), False, f"{exc.message}: showing every public region")
    enabled = [r["RegionName"] for r in out["Regions"] if r.get("OptInStatus") != "not-opted-in"]
    return RegionList(tuple(sorted(enabled)), True)


@dataclass(frozen=True)
class RegionStatus:
    name: str
    #: the name is a region AWS (or botocore's endpoint data) knows
    known: bool
    #: None when it could not be told (no permission)
    enabled: bool | None
    opt_in_status: str | None = None
    #: pipeline services botocore's endpoint data does not list for this region
    missing_services: tuple[str, ...] = ()


def region_status(clients: AwsClients, region: str | None = None) -> RegionStatus:
    """Is `region` (default: the target's) a real region, enabled for this account?"""
    name = region or clients.target.region
    missing = tuple(s for s in PIPELINE_SERVICES if name not in known_regions(s))
    try:
        with guarded("ec2:DescribeRegions", profile=clients.target.profile):
            out = clients.client("ec2").describe_regions(AllRegions=True, RegionNames=[name])
    except DiscoveryError as exc:
        if exc.code in ("InvalidParameterValue", "InvalidRegion"):
            return RegionStatus(name, False, False, None, missing)
        if exc.kind == "permission":
            return RegionStatus(name, name in known_regions(), None, None, missing)
        if exc.code == "AuthFailure":
            # a disabled opt-in region refuses every call made to it
            return RegionStatus(name, name in known_regions(), False, "not-opted-in", missing)
        raise
    regions = [r for r in out["Regions"] if r["RegionName"] == name]
    if not regions:
        return RegionStatus(name, False, False, None, missing)
    status = regions[0].get("OptInStatus")
    return RegionStatus(name, True, status != "not-opted-in", status, missing)


# --- CodeCommit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repository:
    name: str
    repository_id: str


def list_repositories(clients: AwsClients) -> tuple[Repository, ...]:
    """Every CodeCommit repository in the region, by name."""
    found: list[Repository] = []
    with guarded(
        "codecommit:ListRepositories", fallback="type the name", profile=clients.target.profile
    ):
        pages = clients.client("codecommit").get_paginator("list_repositories").paginate()
        for page in pages:
            found += [
                Repository(r["repositoryName"], r["repositoryId"]) for r in page["repositories"]
            ]
    return tuple(sorted(found, key=lambda r: r.name))


@dataclass(frozen=True)
class BranchList:
    repository: str
    branches: tuple[str, ...]
    default_branch: str | None

    @property
    def empty(self) -> bool:
        """A repository without commits has no branches yet."""
        return not self.branches


def _missing_repository(repository: str, region: str) -> DiscoveryError:
    return DiscoveryError(
        f"CodeCommit repository '{repository}' does not exist in {region}",
        "not_found",
        "check the name and region, or set source.create_repository: true to create it",
        None,
        "RepositoryDoesNotExistException",
    )


def list_branches(clients: AwsClients, repository: str) -> BranchList:
    """The branches of `repository` and its default branch."""
    cc = clients.client("codecommit")
    profile = clients.target.profile
    try:
        with guarded("codecommit:GetRepository", fallback="type the branch", profile=profile):
            meta = cc.get_repository(repositoryName=repository)["repositoryMetadata"]
        names: list[str] = []
        with guarded("codecommit:ListBranches", fallback="type the branch", profile=profile):
            for page in cc.get_paginator("list_branches").paginate(repositoryName=repository):
                names += page["branches"]
    except DiscoveryError as exc:
        if exc.code == "RepositoryDoesNotExistException":
            raise _missing_repository(repository, clients.target.region) from exc
        raise
    return BranchList(repository, tuple(sorted(names)), meta.get("defaultBranch"))


def branch_head(clients: AwsClients, repository: str, branch: str) -> str | None:
    """The commit id at the tip of `branch`, or None when the branch does not exist."""
    try:
        with guarded("codecommit:GetBranch", profile=clients.target.profile):
            out = clients.client("codecommit").get_branch(
                repositoryName=repository, branchName=branch
            )
    except DiscoveryError as exc:
        if exc.code == "BranchDoesNotExistException":
            return None
        if exc.code == "RepositoryDoesNotExistException":
            raise _missing_repository(repository, clients.target.region) from exc
        raise
    return out["branch"].get("commitId")


@dataclass(frozen=True)
class CodeCommitAccess:
    """Whether this account can create CodeCommit repositories."""

    status: Literal["available", "unknown", "unavailable"]
    detail: str
    fix: str | None = None


def codecommit_access(clients: AwsClients) -> CodeCommitAccess:
    """Judge, without creating anything, whether CreateRepository will be allowed.

    An account that already has repositories can create more. One that has none may be a new
    customer that AWS's July 2024 closure shuts out; only trying tells (`probe_codecommit`).
    """
    repos = list_repositories(clients)
    if repos:
        return CodeCommitAccess(
            "available",
            f"this account has "
            f"{plural(len(repos), 'CodeCommit repository', 'CodeCommit repositories')} "
            f"in {clients.target.region}, "
            "so it can create more",
        )
    return CodeCommitAccess(
        "unknown",
        f"this account has no CodeCommit repositories in {clients.target.region}; AWS closed "
        "CodeCommit to new customers on 25 July 2024, so creating the first one may be refused",
        "run `cdwizard doctor --probe-codecommit` to try creating (and deleting) a throw-away "
        "repository, or point source.repository at an existing one",
    )


def probe_codecommit(clients: AwsClients) -> CodeCommitAccess:
    """Create and delete a throw-away repository to learn whether creation is allowed."""

    name = f"cdwizard-probe-{uuid.uuid4().hex[:12]}"
    cc = clients.client("codecommit")
    try:
        with guarded("codecommit:CreateRepository", profile=clients.target.profile):
            cc.create_repository(
                repositoryName=name,
                repositoryDescription="cdwizard doctor: checks that repositories can be "
                "created; deleted right away",
            )
    except DiscoveryError as exc:
        if exc.code == "OperationNotAllowedException":
            return CodeCommitAccess("unavailable", CODECOMMIT_CLOSED, CODECOMMIT_CLOSED_FIX)
        raise
    with guarded("codecommit:DeleteRepository", profile=clients.target.profile):
        cc.delete_repository(repositoryName=name)
    return CodeCommitAccess(
        "available", f"created and deleted the throw-away repository {name}: creation works"
    )


# --- EC2 instances matching the deployment group's tag ----------------------------------------


@dataclass(frozen=True)
class MatchedInstance:
    instance_id: str
    state: str
    instance_type: str
    availability_zone: str
    name: str | None
    #: ARN of the attached instance profile, None when there is none
    profile_arn: str | None
    subnet_id: str | None = None
    #: whether the instance has a public IPv4 address (its way out through an internet gateway)
    public_ip: bool = False
    #: when the instance was launched (how long its first-boot agent install has been running)
    launched_at: datetime | None = None

    @property
    def profile_name(self) -> str | None:
        return self.profile_arn.rsplit("/", 1)[-1] if self.profile_arn else None


@dataclass(frozen=True)
class InstanceMatch:
    """The instances a KEY_AND_VALUE tag filter selects (pending and running only)."""

    key: str
    value: str
    count: int
    #: the first `KEEP_INSTANCES` matches in detail, sorted by id
    instances: tuple[MatchedInstance, ...]

    @property
    def truncated(self) -> bool:
        return self.count > len(self.instances)

    @property
    def without_profile(self) -> tuple[MatchedInstance, ...]:
        return tuple(i for i in self.instances if i.profile_arn is None)


def escape_filter_value(value: str) -> str:
    """EC2 filter values treat `*` and `?` as wildcards; CodeDeploy's tag match is literal."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _matched(raw: dict[str, Any]) -> MatchedInstance:
    tags = {t["Key"]: t["Value"] for t in raw.get("Tags", [])}
    return MatchedInstance(
        instance_id=raw["InstanceId"],
        state=raw["State"]["Name"],
        instance_type=raw.get("InstanceType", ""),
        availability_zone=raw.get("Placement", {}).get("AvailabilityZone", ""),
        name=tags.get("Name"),
        profile_arn=(raw.get("IamInstanceProfile") or {}).get("Arn"),
        subnet_id=raw.get("SubnetId"),
        public_ip=bool(raw.get("PublicIpAddress")),
        launched_at=raw.get("LaunchTime"),
    )


def match_instances(
    clients: AwsClients, key: str, value: str, *, keep: int = KEEP_INSTANCES
) -> InstanceMatch:
    """Pending and running instances tagged exactly `key`=`value` (case-sensitive, no wildcards).

    Fast enough to call as the user types: one DescribeInstances page per 1000 instances, and
    only `keep` of them kept in detail.
    """
    if not key:
        return InstanceMatch(key, value, 0, ())
    filters = [
        {"Name": f"tag:{key}", "Values": [escape_filter_value(value)]},
        {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
    ]
    count = 0
    kept: list[MatchedInstance] = []
    with guarded(
        "ec2:DescribeInstances",
        fallback="check the tag in the EC2 console",
        profile=clients.target.profile,
    ):
        pages = (
            clients.client("ec2")
            .get_paginator("describe_instances")
            .paginate(Filters=filters, PaginationConfig={"PageSize": 1000})
        )
        for page in pages:
            for reservation in page["Reservations"]:
                for raw in reservation["Instances"]:
                    count += 1
                    if len(kept) < keep:
                        kept.append(_matched(raw))
    kept.sort(key=lambda i: i.instance_id)
    return InstanceMatch(key, value, count, tuple(kept))


# --- SSM agent status -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentStatus:
    """What SSM knows of one instance's agent."""

    instance_id: str
    #: Online / ConnectionLost / Inactive, or None when the instance is not managed by SSM
    ping_status: str | None
    agent_version: str | None = None
    platform: str | None = None

    @property
    def online(self) -> bool:
        return self.ping_status == "Online"


def ssm_agent_status(clients: AwsClients, instance_ids: Iterable[str]) -> dict[str, AgentStatus]:
    """SSM agent status of each instance (absent from SSM = not managed)."""
    wanted = sorted(set(instance_ids))
    found: dict[str, AgentStatus] = {i: AgentStatus(i, None) for i in wanted}
    ssm = clients.client("ssm")
    with guarded(
        "ssm:DescribeInstanceInformation",
        fallback="check Fleet Manager in the console",
        profile=clients.target.profile,
    ):
        for start in range(0, len(wanted), 50):
            chunk = wanted[start : start + 50]
            pages = ssm.get_paginator("describe_instance_information").paginate(
                Filters=[{"Key": "InstanceIds", "Values": chunk}]
            )
            for page in pages:
                for info in page["InstanceInformationList"]:
                    found[info["InstanceId"]] = AgentStatus(
                        info["InstanceId"],
                        info.get("PingStatus"),
                        info.get("AgentVersion"),
                        info.get("PlatformName") or info.get("PlatformType"),
                    )
    return found


@dataclass(frozen=True)
class InstanceReadiness:
    instance_id: str
    profile_arn: str | None
    agent: AgentStatus

    @property
    def ready(self) -> bool:
        return self.profile_arn is not None and self.agent.online


@dataclass(frozen=True)
class FleetReadiness:
    """Instance profile and SSM agent status of matched instances."""

    instances: tuple[InstanceReadiness, ...]

    @property
    def without_profile(self) -> tuple[str, ...]:
        return tuple(i.instance_id for i in self.instances if i.profile_arn is None)

    @property
    def agent_offline(self) -> tuple[str, ...]:
        return tuple(i.instance_id for i in self.instances if not i.agent.online)


def fleet_readiness(clients: AwsClients, instances: Sequence[MatchedInstance]) -> FleetReadiness:
    """Whether each matched instance has an instance profile and an online SSM agent."""
    agents = ssm_agent_status(clients, (i.instance_id for i in instances))
    return FleetReadiness(
        tuple(
            InstanceReadiness(i.instance_id, i.profile_arn, agents[i.instance_id])
            for i in sorted(instances, key=lambda i: i.instance_id)
        )
    )


# --- the pipeline's change detection ----------------------------------------------------------


@dataclass(frozen=True)
class PipelinePolling:
    """Whether an existing pipeline polls its source, and whether AWS stopped that."""

    name: str
    #: a CodeCommit (or other) source action with PollForSourceChanges true
    polls: bool
    #: `metadata.pollingDisabledAt`: when AWS disabled polling (None: it did not)
    disabled_at: datetime | None
    #: the newest execution's start, else the pipeline's creation (its last activity)
    last_activity: datetime | None


def pipeline_polling(clients: AwsClients, name: str) -> PipelinePolling | None:
    """The pipeline's polling state, or None when it does not exist (yet)."""
    cp = clients.client("codepipeline")
    profile = clients.target.profile
    try:
        with guarded("codepipeline:GetPipeline", profile=profile):
            found = cp.get_pipeline(name=name)
    except DiscoveryError as exc:
        if exc.code == "PipelineNotFoundException":
            return None
        raise
    stages = found["pipeline"].get("stages") or []
    polls = any(
        str((a.get("configuration") or {}).get("PollForSourceChanges", "")).lower() == "true"
        for stage in stages[:1]
        for a in stage.get("actions", [])
    )
    meta = found.get("metadata") or {}
    with guarded("codepipeline:ListPipelineExecutions", profile=profile):
        runs = cp.list_pipeline_executions(pipelineName=name, maxResults=1)
    newest = (runs.get("pipelineExecutionSummaries") or [{}])[0].get("startTime")
    last = newest or meta.get("created")
    return PipelinePolling(name, polls, meta.get("pollingDisabledAt"), last)
