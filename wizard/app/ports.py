"""The TUI's ports: what it needs from the outside world, as small Protocols and the bundle of
implementations the App is given (`WizardServices`). Pure: no textual. `wizard.services` holds
the implementations; `wizard.app.adapters` fits them to these Protocols.

The App receives implementations through its constructor (harlequin / memray style): the command
builds the real ones, tests pass real services pointed at a moto server. All methods here are
blocking; screens call them from thread workers, never on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wizard.core.events.terraform import PlanSummary, RunReport
    from wizard.core.progress import Progress


@dataclass(frozen=True)
class Identity:
    """Who the credentials belong to."""

    account: str
    arn: str


@dataclass(frozen=True)
class FleetSummary:
    """The running EC2 instances a tag selects, in the numbers the Targets step shows: what a
    deployment needs from each (a summary of `wizard.services.aws.discovery.InstanceMatch`)."""

    tag_key: str
    tag_value: str
    instance_ids: tuple[str, ...] = ()
    #: how many of them have an instance profile attached
    with_profile: int = 0
    #: how many report an online SSM agent (None: SSM could not be asked)
    ssm_online: int | None = None
    #: the exact count when only the first instances are listed in `instance_ids`
    total: int | None = None

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.instance_ids)


@dataclass(frozen=True)
class ConnectionChoice:
    """An existing CodeConnections connection, as the Source step lists it to pick from."""

    arn: str
    name: str
    provider_type: str  # "GitHub", "GitLab", "Bitbucket"
    status: str  # PENDING | AVAILABLE | ERROR


@dataclass(frozen=True)
class Clash:
    """A resource that already exists under a name the answers would create."""

    key: str  # the answers key whose value clashes, e.g. "deployment.application"
    kind: str  # human kind: "CodeDeploy application", "IAM role", ...
    name: str
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    """One preflight check's verdict, as `cdwizard doctor` prints it."""

    name: str
    title: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str | None = None


class AccountDiscovery(Protocol):
    """Read-only questions about one account and region."""

    def identity(self) -> Identity: ...

    def regions(self) -> Sequence[str]: ...

    def repositories(self) -> Sequence[str]: ...

    def branches(self, repository: str) -> Sequence[str]: ...

    def connections(self, provider: str) -> Sequence[ConnectionChoice]:
        """The connections of one source provider (`github`, `gitlab`, `bitbucket`)."""
        ...

    def match_instances(self, tag_key: str, tag_value: str) -> FleetSummary: ...

    def clashes(self, answers: Mapping[str, Any]) -> Sequence[Clash]: ...

    def target_checks(self, answers: Mapping[str, Any]) -> Sequence[Finding]:
        """doctor's instance-role, default-VPC and network checks for these (flat) answers."""
        ...


class Discovery(Protocol):
    """Entry point: what is known before an account is chosen, and connecting to one."""

    def profiles(self) -> Sequence[str]: ...

    def connect(self, profile: str | None, region: str) -> AccountDiscovery: ...


#: Plain words for a deployment config on N instances: `explain(config, instance_count)`.
Explainer = Callable[[str, int], str]


@dataclass
class WizardServices:
    """Everything the App is given. `None` means "not available here" and the UI says so."""

    discovery: Discovery | None = None
    explain: Explainer | None = None
    #: plans and applies (`None`: Review shows the files only and Apply is unavailable)
    runner: RunnerFactory | None = None
    #: seconds between automatic refreshes of live discovery (the tag match count)
    refresh_seconds: float = 15.0
    #: seconds the tag must stay unchanged before it is looked up
    debounce_seconds: float = 0.3
    #: wall clock (seconds); tests freeze it
    clock: Callable[[], float] = time.time
    #: "sandbox" or "aws": shown in the header, changes a few hints
    target_label: str = "aws"
    #: passed to `render(answers, sandbox=...)` when building against the sandbox emulator
    render_sandbox: Mapping[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A discovery failure in words: what went wrong and what to do."""

    message: str
    fix: str


_CREDENTIAL_ERRORS = {
    "NoCredentialsError": "No AWS credentials were found",
    "PartialCredentialsError": "The AWS credentials are incomplete",
    "ProfileNotFound": "That profile is not in your AWS config",
    "SSOTokenLoadError": "The SSO session has expired",
    "UnauthorizedSSOTokenError": "The SSO session has expired",
    "TokenRetrievalError": "The SSO session has expired",
}
_REJECTED = {
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}


def is_aws_error(exc: BaseException) -> bool:
    """Errors discovery expects (credentials, permissions, network), as opposed to bugs."""
    module = type(exc).__module__ or ""
    if type(exc).__name__ == "DiscoveryError":  # wizard.services.aws.errors: already worded
        return True
    return module.startswith(("botocore", "boto3", "urllib3")) or isinstance(
        exc, (OSError, ConnectionError, TimeoutError)
    )


def describe_failure(exc: BaseException, *, what: str) -> Failure:
    """A clear sentence and a fix for an AWS error raised while looking up `what`."""
    name = type(exc).__name__
    if name == "DiscoveryError":  # the discovery service words its own errors
        message = str(getattr(exc, "message", exc))
        return Failure(message, getattr(exc, "fix", None) or "refresh with Ctrl+R")
    if name in _CREDENTIAL_ERRORS:
        return Failure(
            f"{_CREDENTIAL_ERRORS[name]}, so {what} cannot be looked up",
            "pick a profile above, or run `aws configure` / `aws sso login`; "
            "you can also carry on and type the values",
        )
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error", {}) or {}
        code = str(error.get("Code", ""))
        operation = getattr(exc, "operation_name", "") or "the call"
        if code in _REJECTED:
            return Failure(
                f"AWS rejected the credentials ({code})",
                "refresh them (`aws sso login`, new keys) or pick another profile",
            )
        if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError"):
            return Failure(
                f"No permission to look up {what} ({operation} was denied)",
                "ask for read access to it, or carry on: the wizard works without it",
            )
        message = str(error.get("Message", "")) or code
        return Failure(f"Looking up {what} failed: {message}", "check the region and try again")
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError") or (
        isinstance(exc, (OSError, ConnectionError, TimeoutError))
    ):
        return Failure(
            f"AWS could not be reached while looking up {what}",
            "check the network, proxy and region, then refresh with Ctrl+R",
        )
    return Failure(f"Looking up {what} failed: {exc}", "refresh with Ctrl+R")


# --- terraform: plan and apply -------------------------------------------------------------------
# The run reports in the core's own types: the plan summary (`PlanSummary`), the per-resource
# progress (`Progress` of `ResourceRow`s) and how it ended (`RunReport`).


class Runner(Protocol):
    """render → init → plan → apply for one set of answers, reporting through `emit`."""

    # read-only: the TUI never sets them, and the workflow adapter exposes them as properties
    @property
    def progress(self) -> Progress: ...

    @property
    def exit_code(self) -> int: ...

    @property
    def summary(self) -> PlanSummary | None:
        """The plan made by `prepare()` (None before)."""
        ...

    @property
    def report(self) -> RunReport | None:
        """How the apply ended (None before it did)."""
        ...

    def start(self) -> None:
        """Blocking: find terraform, start the sandbox when asked (call it in a thread)."""

    async def prepare(self) -> PlanSummary:
        """Render the workspace, init and plan; returns the plan summary."""
        ...

    async def apply(self) -> int:
        """Apply exactly the prepared plan; returns the exit code."""
        ...

    def interrupt(self) -> None:
        """First call: stop terraform gracefully (SIGINT); second call: kill it."""

    def close(self) -> None:
        """Release what `start()` took (stop the sandbox)."""


#: Makes the runner for validated answers; events go to `emit` (from any thread).
#: `(answers, out, emit)` -> a runner; `adopt=True` (keyword) plans with `--adopt`
RunnerFactory = Callable[..., Runner]


def is_runner_error(exc: BaseException) -> bool:
    """An expected stop of the runner (terraform missing, plan failed, interrupted) as opposed
    to a bug: the workflow's `WorkflowError` carries an exit `code` (and maybe a `hint`)."""
    return type(exc).__name__ == "WorkflowError" or (
        isinstance(getattr(exc, "code", None), int) and hasattr(exc, "hint")
    )
