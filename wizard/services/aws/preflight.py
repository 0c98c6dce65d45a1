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
    instances          running instances carry the tag (or cdwizard creates them)
    deployment_config  the deployment config can deploy to that many instances
    instance_profile   matched instances have an instance profile
    ssm_agent          matched instances have an online SSM agent (agent_install=ssm or ssm_managed)
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

from wizard.core.deployment_config import explain_config
from wizard.core.events.base import Event, plural
from wizard.core.events.preflight import (
    Area,
    CheckStatus,
    PreflightCheck,
    PreflightFinished,
    PreflightStarted,
)
from wizard.core.exitcodes import ExitCode
from wizard.services.aws import clashes, discovery
from wizard.services.aws.errors import DiscoveryError
from wizard.services.aws.preflight_tools import (
    REGISTRY_URL,
    FoundTerraform,
    provider_check,
    terraform_check,
)

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

CHECKS: tuple[tuple[str, str], ...] = (
    ("credentials", "AWS credentials"),
    ("region", "Region"),
    ("terraform", "Terraform"),
    ("provider", "AWS provider"),
    ("state_backend", "State backend"),
    ("repository", "Repository"),
    ("branch", "Branch"),
    ("connection", "Connection"),
    ("source_bucket", "Source bucket"),
    ("instances", "Target instances"),
    ("deployment_config", "Deployment config"),
    ("instance_profile", "Instance profiles"),
    ("ssm_agent", "SSM agents"),
    ("clashes", "Name clashes"),
    ("leftovers", "Leftovers"),
)
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
        from wizard.services.aws.source_checks import connection_check

        status, detail, fix = connection_check(
            self.answers, self.clients, sandbox=self.options.sandbox
        )
        return self.result("connection", CheckStatus(status), detail, fix)

    def source_bucket(self) -> PreflightCheck:
        from wizard.services.aws.source_checks import source_bucket_check

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

    def clashes(self) -> PreflightCheck:
        """Each name the answers create: absent, managed, adoptable (`apply --adopt` takes it
        over) or conflicting (rename it), with the evidence (`adoption.classify`)."""
        from wizard.services.aws import adoption, leftovers

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
        from wizard.services.aws.leftovers import preflight_verdict

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
            ("instances", lambda: self.aws("instances", self.instances)),
            ("deployment_config", self.deployment_config),
            ("instance_profile", lambda: self.aws("instance_profile", self.instance_profile)),
            ("ssm_agent", lambda: self.aws("ssm_agent", self.ssm_agent)),
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
