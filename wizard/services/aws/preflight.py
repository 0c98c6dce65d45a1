"""Preflight: every check `cdwizard doctor` runs, in order, each a typed `PreflightCheck` event.

    report = run_preflight(answers, AwsClients(target), PreflightOptions(...), emit=sink.emit)

Checks (names are stable; they appear in `--json` output):

    credentials        STS GetCallerIdentity works
    region             the region exists, is enabled, and offers the pipeline's services
    terraform          terraform >= 1.5 (1.10 with the s3 backend), or tofu, is installed
    provider           hashicorp/aws can be installed: from --provider-mirror or the registry
    state_backend      the s3 backend's state bucket exists and is readable (local: skip)
    repository         the CodeCommit repository exists (or can be created)
    branch             the branch exists (a missing one only warns: `cdwizard ship` creates it)
    connection         GitHub/GitLab/Bitbucket: the connection's ConnectionStatus (AVAILABLE;
                       PENDING warns with where to authorise it; ERROR fails)
    source_bucket      S3: the source bucket is versioned, sends EventBridge notifications, holds
                       the object
    polling            a polling pipeline still polls (AWS stops after 30 days without a run)
    instances          running instances carry the tag (or cdwizard creates them)
    deployment_config  the deployment config can deploy to that many instances
    instance_profile   matched instances have an instance profile
    instance_role      their roles may read the artifact bucket (s3:GetObject, GetObjectVersion)
    ssm_agent          matched instances have an online SSM agent (agent_install=ssm or ssm_managed)
    codedeploy_agent   the CodeDeploy agent runs on the matched instances (console markers of
                       cdwizard's user_data, or the SSM association's status)
    default_vpc        without targets.subnet_id, the region has a default VPC with default subnets
    network            the instances' subnets reach CodeDeploy and S3: internet gateway and public
                       IPs, a NAT gateway, or VPC endpoints
    clashes            none of the names terraform will create is taken
    leftovers          nothing tagged for this project exists outside terraform's state

A check that cannot run (no credentials yet, nothing to look at) is `skip`; a look-up the caller
lacks permission for is a `warn` naming the permission. The exit code is that of the first
failed check: `TOOL_MISSING` for terraform/provider, `AWS_ERROR` for the others.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.core import caveats
from wizard.core.checklist import CHECK_SPECS
from wizard.core.deployment_config import explain_config
from wizard.core.events.base import Event, plural, utcnow
from wizard.core.events.preflight import (
    Area,
    CheckStatus,
    PreflightCheck,
    PreflightFinished,
    PreflightStarted,
)
from wizard.core.exitcodes import ExitCode
from wizard.core.iam_policy import read_only_policy
from wizard.services.aws import access, adoption, agents, clashes, discovery, leftovers, network
from wizard.services.aws.errors import DiscoveryError
from wizard.services.aws.leftovers import preflight_verdict
from wizard.services.aws.preflight_tools import (
    REGISTRY_URL,
    FoundTerraform,
    provider_check,
    terraform_check,
)
from wizard.services.aws.source_checks import connection_check, source_bucket_check

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

#: (name, title) of every check, in order: declared once in `wizard.core.checklist`
CHECKS: tuple[tuple[str, str], ...] = tuple((c.name, c.title) for c in CHECK_SPECS)
_TITLES = dict(CHECKS)
#: Instance ids listed in a message before "and N more".
_SHOW_IDS = 5


@dataclass(frozen=True)
class PreflightOptions:
    provider_mirror: Path | None = None
    registry_url: str = REGISTRY_URL
    #: a local terraform state of this workspace: what it manages is not a clash
    state_file: Path | None = None
    #: create and delete a throw-away repository to learn whether CodeCommit is open to us
    probe_codecommit: bool = False
    #: the AWS calls go to the embedded sandbox (which keeps terraform state local)
    sandbox: bool = False
    #: the command that lists, adopts and removes leftovers, with the user's flags
    leftovers_command: str = "cdwizard leftovers"


@dataclass(frozen=True)
class PreflightReport:
    checks: tuple[PreflightCheck, ...]
    exit_code: int

    def by_name(self, name: str) -> PreflightCheck:
        return next(c for c in self.checks if c.name == name)

    @property
    def failed(self) -> tuple[PreflightCheck, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.FAIL)


def _create_tags_arg(key: str, value: str) -> str:
    """The `--tags` argument of `aws ec2 create-tags` for one tag, quoted for the shell. Plain
    names use the shorthand `Key=K,Value=V`; anything else (commas, quotes, spaces) the JSON form,
    which the shorthand cannot express."""
    if all(c.isalnum() or c in "_.:/+@-" for c in key + value):
        return f"Key={key},Value={value}"
    return shlex.quote(json.dumps([{"Key": key, "Value": value}], ensure_ascii=False))


def _ids(ids: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(ids[:_SHOW_IDS])
    return shown + (f" and {len(ids) - _SHOW_IDS} more" if len(ids) > _SHOW_IDS else "")


@dataclass
class _Run:
    """One preflight run: the checks share what earlier ones found."""

    answers: Answers
    clients: AwsClients
    options: PreflightOptions
    identity: discovery.CallerIdentity | None = None
    region_ok: bool = True
    repository_exists: bool | None = None
    branches: discovery.BranchList | None = None
    match: discovery.InstanceMatch | None = None
    default_subnets: tuple[str, ...] = ()
    terraform: FoundTerraform | None = None
    done: list[PreflightCheck] = field(default_factory=list)

    # --- helpers ------------------------------------------------------------------------------

    def result(
        self, name: str, status: CheckStatus, detail: str, fix: str | None = None
    ) -> PreflightCheck:
        area: Area = "tool" if name in ("terraform", "provider") else "aws"
        return PreflightCheck(
            name=name, title=_TITLES[name], status=status, detail=detail, fix=fix, area=area
        )

    def from_error(self, name: str, exc: DiscoveryError) -> PreflightCheck:
        if exc.kind == "permission":
            return self.result(
                name,
                CheckStatus.WARN,
                f"could not check: {exc.message}",
                exc.fix or "ask your AWS administrator for it",
            )
        return self.result(name, CheckStatus.FAIL, exc.message, exc.fix)

    def aws(self, name: str, check: Callable[[], PreflightCheck]) -> PreflightCheck:
        if self.identity is None:
            return self.result(name, CheckStatus.SKIP, "needs working AWS credentials")
        if not self.region_ok:
            return self.result(name, CheckStatus.SKIP, "needs a usable region")
        try:
            return check()
        except DiscoveryError as exc:
            return self.from_error(name, exc)

    # --- the checks ---------------------------------------------------------------------------

    def credentials(self) -> PreflightCheck:
        try:
            self.identity = discovery.caller_identity(self.clients)
        except DiscoveryError as exc:
            return self.from_error("credentials", exc)
        who = self.identity
        return self.result(
            "credentials", CheckStatus.OK, f"{who.principal} in account {who.account}"
        )

    def region(self) -> PreflightCheck:
        name = self.answers.aws.region
        if self.identity is None:
            known = name in discovery.known_regions()
            status = CheckStatus.SKIP if known else CheckStatus.FAIL
            self.region_ok = known
            detail = (
                "known region; enablement needs credentials"
                if known
                else (f"'{name}' is not an AWS region")
            )
            return self.result("region", status, detail, None if known else "fix aws.region")
        try:
            found = discovery.region_status(self.clients, name)
        except DiscoveryError as exc:
            return self.from_error("region", exc)
        if not found.known:
            self.region_ok = False
            return self.result(
                "region",
                CheckStatus.FAIL,
                f"'{name}' is not an AWS region",
                "set aws.region to a region such as eu-west-1 (see `aws ec2 describe-regions`)",
            )
        if found.enabled is False:
            self.region_ok = False
            return self.result(
                "region",
                CheckStatus.FAIL,
                f"{name} is an opt-in region this account has not enabled",
                "enable it (AWS console → Account → AWS Regions) or pick an enabled region",
            )
        if found.missing_services:
            return self.result(
                "region",
                CheckStatus.WARN,
                f"{name}: botocore lists no {', '.join(found.missing_services)} endpoint there",
                "pick a region where CodeCommit, CodeDeploy and CodePipeline are all offered",
            )
        if found.enabled is None:
            return self.result(
                "region",
                CheckStatus.WARN,
                f"{name} is a known region; could not check that it is enabled "
                "(missing permission ec2:DescribeRegions)",
            )
        return self.result("region", CheckStatus.OK, f"{name} is enabled")

    def terraform_binary(self) -> PreflightCheck:
        # the s3 backend's lock file (use_lockfile) needs 1.10, see templates/terraform/versions
        minimum = (1, 10, 0) if self.answers.terraform.backend == "s3" else (1, 5, 0)
        check, self.terraform = terraform_check(self.answers.terraform.binary, minimum)
        return check

    def state_backend(self) -> PreflightCheck:
        tf = self.answers.terraform
        if self.options.sandbox:
            return self.result(
                "state_backend",
                CheckStatus.SKIP,
                "the sandbox keeps terraform state in the workspace folder",
            )
        if tf.backend != "s3":
            return self.result(
                "state_backend", CheckStatus.SKIP, "local state, kept in the workspace folder"
            )
        bucket = tf.state_bucket or ""
        where = tf.state_region or self.answers.aws.region
        status = clashes.bucket_status(self.clients, bucket)
        if status in ("yours", "elsewhere"):
            return self.result(
                "state_backend",
                CheckStatus.OK,
                f"state goes to s3://{bucket}/{tf.state_key}",
            )
        if status == "missing":
            return self.result(
                "state_backend",
                CheckStatus.FAIL,
                f"the state bucket {bucket} does not exist",
                f"create it first (`aws s3 mb s3://{bucket} --region {where}`, with versioning) "
                "or fix terraform.state_bucket",
            )
        return self.result(
            "state_backend",
            CheckStatus.FAIL,
            f"no access to the state bucket {bucket} (it belongs to another account, or "
            "s3:ListBucket is missing)",
            "use a bucket of this account that you can read and write, or ask for "
            "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it",
        )

    def provider(self) -> PreflightCheck:
        plat = self.terraform.platform if self.terraform else None
        return provider_check(
            self.options.provider_mirror, plat, registry=self.options.registry_url
        )

    def _not_codecommit(self, name: str) -> PreflightCheck | None:
        provider = self.answers.source.provider
        if provider == "codecommit":
            return None
        return self.result(name, CheckStatus.SKIP, f"the source is {provider}, not CodeCommit")

    def connection(self) -> PreflightCheck:

        status, detail, fix = connection_check(
            self.answers, self.clients, sandbox=self.options.sandbox
        )
        return self.result("connection", CheckStatus(status), detail, fix)

    def source_bucket(self) -> PreflightCheck:

        source = self.answers.source
        bucket = source.bucket
        if bucket is None and self.identity is not None:
            bucket = f"{self.answers.project}-source-{self.identity.account}"
        status, detail, fix = source_bucket_check(self.answers, self.clients, bucket)
        return self.result("source_bucket", CheckStatus(status), detail, fix)

    def repository(self) -> PreflightCheck:
        source = self.answers.source
        other = self._not_codecommit("repository")
        if other is not None:
            return other
        if source.create_repository and self.options.sandbox:
            return self.result(
                "repository",
                CheckStatus.OK,
                f"terraform creates '{source.repository}' in the sandbox's CodeCommit",
            )
        if source.create_repository:
            access = (
                discovery.probe_codecommit(self.clients)
                if self.options.probe_codecommit
                else discovery.codecommit_access(self.clients)
            )
            status = {
                "available": CheckStatus.OK,
                "unknown": CheckStatus.WARN,
                "unavailable": CheckStatus.FAIL,
            }[access.status]
            detail = f"terraform creates '{source.repository}'; {access.detail}"
            return self.result("repository", status, detail, access.fix)
        try:
            self.branches = discovery.list_branches(self.clients, source.repository)
        except DiscoveryError as exc:
            if exc.kind == "not_found":
                self.repository_exists = False
                if self.options.sandbox:
                    return self.result(
                        "repository",
                        CheckStatus.OK,
                        f"the sandbox creates '{source.repository}' (empty) when you plan or apply",
                    )
                return self.result(
                    "repository",
                    CheckStatus.FAIL,
                    exc.message,
                    f"create it (`aws codecommit create-repository --repository-name "
                    f"{source.repository}`), fix source.repository, or set "
                    "source.create_repository: true",
                )
            raise
        self.repository_exists = True
        count = len(self.branches.branches)
        return self.result(
            "repository",
            CheckStatus.OK,
            f"'{source.repository}' exists ({plural(count, 'branch', 'branches')})",
        )

    def branch(self) -> PreflightCheck:
        source = self.answers.source
        if source.provider in ("github", "gitlab", "bitbucket"):
            return self.result(
                "branch",
                CheckStatus.SKIP,
                f"not looked at: CodeConnections lists no branches of {source.repository_id} "
                "(cdwizard does not use your token with the provider); a missing "
                f"'{source.branch}' fails the first run: `cdwizard ship` pushes it",
            )
        other = self._not_codecommit("branch")
        if other is not None:
            return other
        if source.create_repository:
            return self.result(
                "branch",
                CheckStatus.SKIP,
                f"the new repository starts empty: push to '{source.branch}' after apply "
                "(`cdwizard ship`)",
            )
        if not self.branches:
            if self.options.sandbox and self.repository_exists is False:
                return self.result(
                    "branch",
                    CheckStatus.SKIP,
                    f"the sandbox's new repository starts empty: push to '{source.branch}' "
                    "after apply (`cdwizard ship --sandbox`)",
                )
            return self.result("branch", CheckStatus.SKIP, "needs the repository")
        if source.branch in self.branches.branches:
            head = discovery.branch_head(self.clients, source.repository, source.branch)
            at = f" at {head[:8]}" if head else ""
            return self.result("branch", CheckStatus.OK, f"'{source.branch}' exists{at}")
        if self.branches.empty:
            return self.result(
                "branch",
                CheckStatus.WARN,
                f"'{source.repository}' is empty, so the pipeline's first run fails until "
                f"'{source.branch}' exists",
                "push the payload to it after apply: `cdwizard ship`",
            )
        return self.result(
            "branch",
            CheckStatus.WARN,
            f"'{source.branch}' does not exist; the repository has "
            + ", ".join(self.branches.branches),
            f"set source.branch to one of them, or push '{source.branch}' (`cdwizard ship`)",
        )

    def polling(self) -> PreflightCheck:
        name, source = self.answers.pipeline.name, self.answers.source
        if source.provider not in ("codecommit", "s3"):
            return self.result(
                "polling",
                CheckStatus.SKIP,
                f"the {source.provider} connection's push trigger starts the pipeline (no polling)",
            )
        if source.change_detection != "poll":
            return self.result(
                "polling", CheckStatus.SKIP, "eventbridge starts the pipeline on every push"
            )
        found = discovery.pipeline_polling(self.clients, name)
        if found is None:
            return self.result(
                "polling",
                CheckStatus.OK,
                f"apply creates {name}; " + caveats.polling_stops(name),
            )
        if not found.polls:
            return self.result(
                "polling",
                CheckStatus.WARN,
                f"{name} does not poll its source (PollForSourceChanges is false) although "
                "source.change_detection is poll",
                "apply again to bring the pipeline in line with the answers",
            )
        if found.disabled_at is not None:
            detail, fix = caveats.polling_disabled(name, found.disabled_at)
            return self.result("polling", CheckStatus.FAIL, detail, fix)
        if found.last_activity is None:
            return self.result("polling", CheckStatus.OK, f"{name} polls its source")
        text, soon = caveats.polling_due(name, found.last_activity, utcnow())
        return self.result(
            "polling",
            CheckStatus.WARN if soon else CheckStatus.OK,
            text,
            "push or release a change to keep it polling, or switch source.change_detection "
            "to eventbridge"
            if soon
            else None,
        )

    def instances(self) -> PreflightCheck:
        t = self.answers.targets
        self.match = discovery.match_instances(self.clients, t.tag_key, t.tag_value)
        found = self.match.count
        tag = f"{t.tag_key}={t.tag_value}"
        ids = _ids([i.instance_id for i in self.match.instances])
        if t.create_instance:
            made = f"cdwizard creates {plural(t.instance_count, 'instance')} tagged {tag}"
            if found:
                return self.result(
                    "instances",
                    CheckStatus.WARN,
                    f"{made}; {plural(found, 'running instance')} already "
                    f"carr{'ies' if found == 1 else 'y'} the tag and will receive deployments "
                    f"too ({ids})",
                    "give those instances another tag, or pick another targets.tag_value",
                )
            return self.result("instances", CheckStatus.OK, made)
        if not found:
            return self.result(
                "instances",
                CheckStatus.FAIL,
                f"no pending or running instance is tagged {tag} in {self.answers.aws.region}; "
                "every deployment would fail (NO_INSTANCES)",
                f"tag your instances (`aws ec2 create-tags --resources i-… --tags "
                f"{_create_tags_arg(t.tag_key, t.tag_value)}`) or set targets.create_instance: "
                "true",
            )
        return self.result(
            "instances",
            CheckStatus.OK,
            f"{plural(found, 'running instance')} tagged {tag}: {ids}",
        )

    def deployment_config(self) -> PreflightCheck:
        t = self.answers.targets
        count = (self.match.count if self.match else 0) + (
            t.instance_count if t.create_instance else 0
        )
        if self.match is None and not t.create_instance:
            return self.result("deployment_config", CheckStatus.SKIP, "needs the instance count")
        told = explain_config(self.answers.deployment.config, count)
        if not told.deployable:
            return self.result(
                "deployment_config",
                CheckStatus.FAIL,
                told.headline,
                "use CodeDeployDefault.OneAtATime (deployment.config) or change the fleet",
            )
        return self.result("deployment_config", CheckStatus.OK, told.headline)

    def instance_profile(self) -> PreflightCheck:
        existing = self.match.instances if self.match else ()
        if not existing:
            return self.result(
                "instance_profile",
                CheckStatus.SKIP,
                "no existing instance to check; created instances get "
                f"'{self.answers.deployment.instance_profile}'",
            )
        missing = [i.instance_id for i in existing if i.profile_arn is None]
        if missing:
            name = self.answers.deployment.instance_profile
            return self.result(
                "instance_profile",
                CheckStatus.FAIL,
                f"{plural(len(missing), 'matched instance')} without an instance profile (the "
                f"CodeDeploy agent cannot fetch revisions): {_ids(missing)}",
                f"after apply: `aws ec2 associate-iam-instance-profile --instance-id <id> "
                f"--iam-instance-profile Name={name}`",
            )
        profiles = sorted({i.profile_name or "" for i in existing})
        return self.result(
            "instance_profile",
            CheckStatus.OK,
            f"all {len(existing)} matched instances have one ({', '.join(profiles)})",
        )

    def instance_role(self) -> PreflightCheck:
        existing = [i for i in (self.match.instances if self.match else ()) if i.profile_arn]
        t, project = self.answers.targets, self.answers.project
        account = self.identity.account if self.identity else None
        bucket = clashes.artifact_bucket_name(self.answers, account)
        if not existing or bucket is None:
            return self.result(
                "instance_role",
                CheckStatus.SKIP,
                "no existing instance with an instance profile to check; created instances get "
                f"'{self.answers.deployment.instance_profile}', which can read the bucket",
            )
        partition = self.identity.arn.split(":")[1] if self.identity else "aws"
        resource = access.artifact_object_arn(partition, bucket, self.answers.pipeline.name)
        if t.extend_role and access.role_by_name(self.clients, t.extend_role) is None:
            return self.result(
                "instance_role",
                CheckStatus.FAIL,
                f"targets.extend_role names '{t.extend_role}', which does not exist",
                "set it to the role in your instances' instance profile (the EC2 console shows "
                "it as 'IAM Role'), or to null",
            )
        by_profile: dict[str, list[str]] = {}
        for i in existing:
            by_profile.setdefault(i.profile_arn or "", []).append(i.instance_id)
        refused: list[tuple[access.RoleAccess, list[str]]] = []
        granted: list[str] = []
        ok_roles: list[str] = []
        for profile_arn, ids in sorted(by_profile.items()):
            for role in access.profile_roles(self.clients, profile_arn):
                verdict = access.role_access(self.clients, role, resource)
                if verdict.allowed:
                    ok_roles.append(role.name)
                elif role.name == t.extend_role and not verdict.explicitly_denied:
                    granted.append(role.name)
                else:
                    refused.append((verdict, ids))
        where = f"s3://{bucket}"
        if refused:
            return self._role_refused(refused, f"arn:{partition}:s3:::{bucket}", where, project)
        if granted:
            return self.result(
                "instance_role",
                CheckStatus.OK,
                f"role {', '.join(granted)} cannot read {where} yet: apply adds "
                f"{project}-artifacts-read to it (targets.extend_role)",
            )
        return self.result(
            "instance_role",
            CheckStatus.OK,
            f"the role{'s' if len(ok_roles) != 1 else ''} of all {len(existing)} matched "
            f"instance{'s' if len(existing) != 1 else ''} can read {where} "
            f"({', '.join(sorted(set(ok_roles)))})",
        )

    def _role_refused(
        self,
        refused: list[tuple[access.RoleAccess, list[str]]],
        bucket_arn: str,
        where: str,
        project: str,
    ) -> PreflightCheck:
        parts = []
        for verdict, ids in refused:
            reasons = []
            for e in verdict.refused:
                if e.decision == "explicitDeny":
                    reasons.append(f"{e.action} denied by {e.decided_by}")
                elif e.conditional:
                    reasons.append(f"{e.action} allowed only under a condition")
                else:
                    reasons.append(f"{e.action} not allowed")
            parts.append(f"role {verdict.role.name} of {_ids(ids)}: {'; '.join(reasons)}")
        detail = f"the CodeDeploy agent could not download revisions from {where}: " + " · ".join(
            parts
        )
        denied = [v.role.name for v, _ in refused if v.explicitly_denied]
        if denied:
            fix = (
                f"remove the Deny on s3:GetObject for {where}/* from role "
                f"{', '.join(denied)} (an explicit Deny wins over any Allow)"
            )
            return self.result("instance_role", CheckStatus.FAIL, detail, fix)
        document = read_only_policy(access.READ_ACTIONS, f"{bucket_arn}/*")
        roles = [v.role.name for v, _ in refused]
        command = (
            f"aws iam put-role-policy --role-name {roles[0]} --policy-name "
            f"{project}-artifacts-read --policy-document '{document}'"
        )
        more = f" (and the same for {', '.join(roles[1:])})" if len(roles) > 1 else ""
        fix = (
            f"set targets.extend_role: {roles[0]} and cdwizard adds that read-only policy on "
            f"apply, or attach it yourself: `{command}`{more}"
        )
        return self.result("instance_role", CheckStatus.FAIL, detail, fix)

    def ssm_agent(self) -> PreflightCheck:
        t = self.answers.targets
        if t.agent_install != "ssm" and not t.ssm_managed:
            return self.result(
                "ssm_agent",
                CheckStatus.SKIP,
                f"not used (agent_install={t.agent_install}, ssm_managed=false)",
            )
        existing = self.match.instances if self.match else ()
        if not existing:
            return self.result(
                "ssm_agent",
                CheckStatus.SKIP,
                "no existing instance to check; created instances register with SSM a few "
                "minutes after boot",
            )
        fleet = discovery.fleet_readiness(self.clients, existing)
        offline = fleet.agent_offline
        if not offline:
            return self.result(
                "ssm_agent", CheckStatus.OK, f"online on all {len(existing)} matched instances"
            )
        needed = t.agent_install == "ssm"
        why = (
            "agent_install=ssm installs the CodeDeploy agent through SSM"
            if needed
            else "monitor uses SSM to fetch full hook logs"
        )
        return self.result(
            "ssm_agent",
            CheckStatus.FAIL if needed else CheckStatus.WARN,
            f"no online SSM agent on {_ids(list(offline))} ({why})",
            "run the SSM agent (preinstalled on Amazon Linux and Ubuntu AMIs) and give the "
            "instance role AmazonSSMManagedInstanceCore (cdwizard's role has it when "
            "targets.ssm_managed is true); check Fleet Manager",
        )

    def codedeploy_agent(self) -> PreflightCheck:
        existing = [i.instance_id for i in (self.match.instances if self.match else ())]
        if not existing:
            return self.result(
                "codedeploy_agent",
                CheckStatus.SKIP,
                "no instance carries the tag yet; created instances install the agent at first "
                "boot, and the first deployment waits for it",
            )
        found = agents.agent_health(self.clients, existing[:10])
        now = utcnow()
        failed = [a for a in found if a.state == "failed"]
        installing = [a for a in found if a.state == "installing"]
        running = [a for a in found if a.state == "running"]
        if failed:
            return self.result(
                "codedeploy_agent",
                CheckStatus.FAIL,
                "; ".join(a.describe(now) for a in failed),
                "read /var/log/cdwizard-user-data.log on the instance (Session Manager or the "
                "EC2 serial console), fix the cause, then reinstall the agent "
                "(`sudo ./install auto`) or replace the instance",
            )
        if installing:
            return self.result(
                "codedeploy_agent",
                CheckStatus.WARN,
                "; ".join(a.describe(now) for a in installing),
                "wait a few minutes: a deployment that reaches the instance first waits for the "
                "agent (up to an hour)",
            )
        if running:
            shown = _ids([a.instance_id for a in running])
            return self.result("codedeploy_agent", CheckStatus.OK, f"running on {shown}")
        how = {
            "preinstalled": "agent_install is preinstalled: without a shell cdwizard cannot see it",
            "ssm": "the SSM association that apply creates installs it",
        }.get(self.answers.targets.agent_install, "no sign of cdwizard's first-boot install")
        return self.result(
            "codedeploy_agent",
            CheckStatus.SKIP,
            f"nothing tells whether it runs on {_ids(existing)} ({how})",
        )

    def default_vpc(self) -> PreflightCheck:
        t, region = self.answers.targets, self.answers.aws.region
        if not t.create_instance:
            return self.result("default_vpc", CheckStatus.SKIP, "cdwizard creates no instances")
        if t.subnet_id:
            return self.result(
                "default_vpc", CheckStatus.SKIP, f"created instances go to {t.subnet_id}"
            )
        found = network.default_vpc(self.clients)
        if found.vpc_id is None:
            return self.result(
                "default_vpc",
                CheckStatus.FAIL,
                f"this account has no default VPC in {region} and targets.subnet_id is null, so "
                "launching the instances fails (RunInstances: VPCIdNotSpecified)",
                "set targets.subnet_id to a subnet that reaches the internet, or create a "
                f"default VPC: `aws ec2 create-default-vpc --region {region}`",
            )
        if not found.subnets:
            return self.result(
                "default_vpc",
                CheckStatus.FAIL,
                f"the default VPC {found.vpc_id} has no default subnets, so launching the "
                "instances without a subnet fails",
                "set targets.subnet_id, or create one: `aws ec2 create-default-subnet "
                f"--availability-zone {region}a`",
            )
        self.default_subnets = found.subnets
        return self.result(
            "default_vpc",
            CheckStatus.OK,
            f"default VPC {found.vpc_id}: created instances go to one of its "
            f"{plural(len(found.subnets), 'default subnet')}",
        )

    def network(self) -> PreflightCheck:
        t = self.answers.targets
        wanted: list[tuple[str, bool | None]] = []
        labels: list[str] = []
        if t.create_instance:
            created = (t.subnet_id,) if t.subnet_id else self.default_subnets
            for subnet in created:
                wanted.append((subnet, None))
                labels.append("created instances")
        groups: dict[tuple[str, bool], list[str]] = {}
        for i in self.match.instances if self.match else ():
            if i.subnet_id:
                groups.setdefault((i.subnet_id, i.public_ip), []).append(i.instance_id)
        for (subnet, public), ids in sorted(groups.items()):
            wanted.append((subnet, public))
            labels.append(_ids(ids))
        if not wanted:
            return self.result("network", CheckStatus.SKIP, "no subnet to check")
        found = network.reach_all(self.clients, wanted, needs_ssm=t.agent_install == "ssm")
        bad = [(label, r) for label, r in zip(labels, found, strict=True) if r.reach == "none"]
        unsure = [
            (label, r)
            for label, r in zip(labels, found, strict=True)
            if r.reach in ("unknown", "endpoints")
        ]
        if bad or unsure:
            shown = bad or unsure
            detail = "; ".join(f"{label}: {r.detail}" for label, r in shown)
            return self.result(
                "network",
                CheckStatus.FAIL if bad else CheckStatus.WARN,
                detail,
                shown[0][1].fix,
            )
        ways = sorted({f"{r.reach} via {r.via}" for r in found})
        subnets = len({r.subnet.subnet_id for r in found})
        return self.result(
            "network",
            CheckStatus.OK,
            f"{plural(subnets, 'subnet')} reach{'es' if subnets == 1 else ''} the internet "
            f"({', '.join(ways)})",
        )

    def clashes(self) -> PreflightCheck:
        """Each name the answers create: absent, managed, adoptable (`apply --adopt` takes it
        over) or conflicting (rename it), with the evidence (`adoption.classify`)."""

        account = self.identity.account if self.identity else None
        state = self.options.state_file
        managed: frozenset[tuple[str, str]] = frozenset()
        if state is not None:
            try:
                raw = json.loads(Path(state).read_text(encoding="utf-8"))
                managed = leftovers.managed_in_raw_state(raw if isinstance(raw, dict) else {})
            except (OSError, ValueError):
                managed = clashes.managed_names_in(state)
        found = adoption.classify(self.clients, self.answers, account=account, managed=managed)
        # tagged instances are not name clashes (the instances check reports them)
        named = [i for i in found.items if i.kind != adoption.INSTANCE_KIND]
        found = adoption.Classification(tuple(named))
        ours = found.of("managed")
        adopt = self.options.leftovers_command.replace("cdwizard leftovers", "cdwizard apply", 1)
        adoptable = "; ".join(item.line() for item in found.adoptable)
        if found.conflicting:
            also = f"; adoptable: {adoptable}" if adoptable else ""
            return self.result(
                "clashes",
                CheckStatus.FAIL,
                "terraform would try to create what already exists and cannot be adopted: "
                f"{found.conflict_text()}{also}",
                found.conflict_fix()
                + (f"; the adoptable ones: `{adopt} --adopt`" if adoptable else ""),
            )
        if found.adoptable:
            return self.result(
                "clashes",
                CheckStatus.WARN,
                f"{len(found.adoptable)} existing resource(s) can be adopted: {adoptable}",
                f"`{adopt} --adopt` imports them (without --adopt the apply fails on their "
                "names); or choose other names, or delete them",
            )
        note = f"; {len(ours)} already managed by this workspace" if ours else ""
        return self.result(
            "clashes", CheckStatus.OK, f"none of the {len(named)} names is taken{note}"
        )

    def leftovers(self) -> PreflightCheck:

        account = self.identity.account if self.identity else None
        status, detail, fix = preflight_verdict(
            self.clients,
            self.answers,
            account=account,
            state_file=self.options.state_file,
            command=self.options.leftovers_command,
        )
        return self.result("leftovers", status, detail, fix)

    def steps(self) -> list[tuple[str, Callable[[], PreflightCheck]]]:
        return [
            ("credentials", self.credentials),
            ("region", self.region),
            ("terraform", self.terraform_binary),
            ("provider", self.provider),
            ("state_backend", lambda: self.aws("state_backend", self.state_backend)),
            ("repository", lambda: self.aws("repository", self.repository)),
            ("branch", lambda: self.aws("branch", self.branch)),
            ("connection", lambda: self.aws("connection", self.connection)),
            ("source_bucket", lambda: self.aws("source_bucket", self.source_bucket)),
            ("polling", lambda: self.aws("polling", self.polling)),
            ("instances", lambda: self.aws("instances", self.instances)),
            ("deployment_config", self.deployment_config),
            ("instance_profile", lambda: self.aws("instance_profile", self.instance_profile)),
            ("instance_role", lambda: self.aws("instance_role", self.instance_role)),
            ("ssm_agent", lambda: self.aws("ssm_agent", self.ssm_agent)),
            ("codedeploy_agent", lambda: self.aws("codedeploy_agent", self.codedeploy_agent)),
            ("default_vpc", lambda: self.aws("default_vpc", self.default_vpc)),
            ("network", lambda: self.aws("network", self.network)),
            ("clashes", lambda: self.aws("clashes", self.clashes)),
            ("leftovers", lambda: self.aws("leftovers", self.leftovers)),
        ]


def describe_target(clients: AwsClients) -> str:
    t = clients.target
    if t.is_emulator:
        return f"emulator {t.endpoint_url} ({t.region})"
    return f"profile {t.profile} ({t.region})" if t.profile else f"default credentials ({t.region})"


def exit_code_for(checks: tuple[PreflightCheck, ...] | list[PreflightCheck]) -> int:
    """0, or the first failure's code: TOOL_MISSING for terraform/provider, else AWS_ERROR."""
    for check in checks:
        if check.status is CheckStatus.FAIL:
            return int(ExitCode.TOOL_MISSING if check.area == "tool" else ExitCode.AWS_ERROR)
    return int(ExitCode.OK)


#: The checks the wizard's Targets step shows (`targets_preflight`).
TARGET_CHECKS = ("instance_role", "default_vpc", "network")


def targets_preflight(answers: Answers, clients: AwsClients) -> tuple[PreflightCheck, ...]:
    """The instance-role and network checks alone (after the identity and the tag match they
    need), for the wizard's Targets step: the same verdicts and fixes `doctor` prints."""
    run = _Run(answers, clients, PreflightOptions())
    run.credentials()
    run.aws("instances", run.instances)
    steps = dict(run.steps())
    return tuple(steps[name]() for name in TARGET_CHECKS)


def run_preflight(
    answers: Answers,
    clients: AwsClients,
    options: PreflightOptions | None = None,
    *,
    emit: Callable[[Event], None] | None = None,
) -> PreflightReport:
    """Run every check in order, emitting each result as it is known."""
    run = _Run(answers, clients, options or PreflightOptions())
    steps = run.steps()
    send = emit or (lambda _event: None)
    send(PreflightStarted(target=describe_target(clients), checks=tuple(n for n, _ in steps)))
    for _, step in steps:
        check = step()
        run.done.append(check)
        send(check)
    code = exit_code_for(run.done)
    counts = {s.value: sum(1 for c in run.done if c.status is s) for s in CheckStatus}
    first = next((c.name for c in run.done if c.status is CheckStatus.FAIL), None)
    send(PreflightFinished(counts=counts, exit_code=code, first_failure=first))
    return PreflightReport(tuple(run.done), code)
