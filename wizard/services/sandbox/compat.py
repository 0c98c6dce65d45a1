"""Is the installed moto one the sandbox can run on? Checked before the emulator starts.

The sandbox adapts moto in two ways: on the wire (`wire.py`, version-independent) and, where an
API is missing altogether, by adding handlers to moto's classes (`shims.py`, `extensions/`).
The second way relies on moto internals; `REQUIREMENTS` names every one of them, grouped by the
shim or extension that needs it, with the shape it must have. `check()` looks them all up
without starting anything; `refusal()` turns what is missing into one message that names the
installed moto, the supported range and the command that fixes it. `tests/test_sandbox_compat.py`
runs the same check against the installed moto (a canary: a moto upgrade that breaks a
precondition fails the suite before it fails a user).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from importlib import metadata

#: moto releases the sandbox is tested with; keep equal to the bounds in pyproject.toml
#: (tests/test_sandbox_compat.py checks) and to the lock's version inside them.
SUPPORTED_MOTO = (">=5.2.5", "<5.2.7")
#: the version the lock installs (constraints.txt); what the fix command installs
LOCKED_MOTO = "5.2.6"


@dataclass(frozen=True)
class Need:
    """`module.attr` must exist; with `params`, it is a callable whose parameters (after
    `self`) start with these, in this order (later ones are optional extras)."""

    user: str  # the shim or extension that relies on it
    module: str
    attr: str
    params: tuple[str, ...] | None = None

    def problem(self) -> str | None:
        where = f"{self.module}.{self.attr}"
        try:
            obj: object = importlib.import_module(self.module)
        except ImportError as exc:
            return f"{self.user}: cannot import {self.module} ({exc})"
        for part in self.attr.split("."):
            if not hasattr(obj, part):
                return f"{self.user}: {where} is missing"
            obj = getattr(obj, part)
        if self.params is not None:
            if not callable(obj):
                return f"{self.user}: {where} is not a function"
            try:
                signature = inspect.signature(obj)
            except (TypeError, ValueError):
                return f"{self.user}: {where} has no inspectable signature"
            names = tuple(p.name for p in signature.parameters.values() if p.name != "self")
            if names[: len(self.params)] != self.params:
                takes, wanted = ", ".join(names), ", ".join(self.params)
                return f"{self.user}: {where} takes ({takes}), not ({wanted})"
        return None


def _needs(user: str, module: str, *attrs: str) -> list[Need]:
    return [Need(user, module, a) for a in attrs]


#: Every moto internal the shims and extensions use (wire adapters need none).
REQUIREMENTS: tuple[Need, ...] = (
    *_needs(
        "server",
        "moto.moto_server.werkzeug_app",
        "DomainDispatcherApplication",
        "MotoRequestHandler",
        "create_backend_app",
    ),
    *_needs("state file", "moto.core.base_backend", "BackendDict._instances", "BackendDict.reset"),
    *_needs("state file", "moto.backends", "get_backend"),
    *_needs("responses", "moto.core.responses", "ActionResult", "EmptyResult"),
    *_needs("responses", "moto.core.exceptions", "JsonRESTError"),
    *_needs(
        "codedeploy_update_and_delete",
        "moto.codedeploy.responses",
        "CodeDeployResponse.codedeploy_backend",
        "CodeDeployResponse._get_param",
    ),
    *_needs(
        "codedeploy_update_and_delete",
        "moto.codedeploy.models",
        "CodeDeployBackend.get_deployment_group",
        "CodeDeployBackend._deployment_group_arn",
        "CodeDeployBackend._application_arn",
    ),
    *_needs(
        "codecommit_tags",
        "moto.codecommit.responses",
        "CodeCommitResponse.create_repository",
        "CodeCommitResponse.delete_repository",
        "CodeCommitResponse.codecommit_backend",
    ),
    *_needs(
        "codecommit_tags",
        "moto.utilities.tagging_service",
        "TaggingService.tag_resource",
        "TaggingService.untag_resource_using_names",
        "TaggingService.get_tag_dict_for_resource",
        "TaggingService.delete_all_tags_for_resource",
    ),
    *_needs(
        "ec2_monitor_instances",
        "moto.ec2.responses.monitoring",
        "Monitoring.monitor_instances",
        "Monitoring.unmonitor_instances",
    ),
    *_needs("ec2_monitor_instances", "moto.ec2.models", "EC2Backend.get_multi_instances_by_id"),
    *_needs("codecommit content", "moto.core.utils", "iso_8601_datetime_with_milliseconds"),
    *_needs(
        "delivery",
        "moto.codepipeline.responses",
        "CodePipelineResponse.get_pipeline",
        "CodePipelineResponse.codepipeline_backend",
    ),
    Need(
        "delivery",
        "moto.codepipeline.models",
        "CodePipelineBackend.create_pipeline",
        ("pipeline", "tags"),
    ),
    Need("delivery", "moto.codepipeline.models", "CodePipelineBackend.get_pipeline", ("name",)),
    *_needs("delivery", "moto.codepipeline.models", "codepipeline_backends"),
    *_needs("delivery", "moto.codepipeline.exceptions", "PipelineExecutionNotFoundException"),
    Need("delivery", "moto.codedeploy.responses", "_deployment_info", ("deployment",)),
    *_needs("delivery", "moto.codedeploy.models", "codedeploy_backends"),
    *_needs("delivery", "moto.codedeploy.exceptions", "CodeDeployException"),
    *_needs("delivery", "moto.codecommit.models", "codecommit_backends"),
    *_needs("delivery", "moto.ec2.models", "ec2_backends"),
    *_needs("delivery", "moto.s3.models", "s3_backends"),
    Need("delivery", "moto.s3.models", "S3Backend.get_object", ("bucket_name", "key_name")),
    *_needs("delivery", "moto.s3.exceptions", "MissingBucket"),
    *_needs("delivery", "moto.events.models", "events_backends"),
    *_needs("delivery", "moto.utilities.utils", "get_partition"),
    *_needs(
        "ssm",
        "moto.ssm.responses",
        "SimpleSystemManagerResponse.send_command",
        "SimpleSystemManagerResponse.ssm_backend",
    ),
    Need(
        "ssm_associations",
        "moto.ssm.models",
        "SimpleSystemManagerBackend._validate_resource_type_and_id",
        ("resource_type", "resource_id"),
    ),
    *_needs("ssm", "moto.ssm.models", "SimpleSystemManagerBackend.get_command_by_id"),
    *_needs("ssm", "moto.ssm.exceptions", "SSMException", "InvalidResourceId"),
    *_needs("ssm_associations", "moto.ec2.models", "EC2Backend.get_instance"),
    *_needs(
        "ec2_default_vpc",
        "moto.ec2.models",
        "EC2Backend.create_default_vpc",
        "EC2Backend.create_internet_gateway",
        "EC2Backend.attach_internet_gateway",
        "EC2Backend.describe_route_tables",
        "EC2Backend.create_route",
    ),
    *_needs("agent_install", "moto.ec2.models", "EC2Backend.run_instances"),
    *_needs("agent_install", "moto.ec2.responses.general", "General.get_console_output"),
    *_needs("agent_install", "moto.ec2.utils", "Base64EncodedString.from_raw_string"),
    *_needs("agent_install", "moto.core.utils", "utcnow"),
    *_needs(
        "iam_simulation",
        "moto.iam.responses",
        "IamResponse.backend",
        "IamResponse._get_param",
    ),
    *_needs(
        "iam_simulation",
        "moto.iam.models",
        "IAMBackend.get_role",
        "IAMBackend.get_user",
        "IAMBackend.get_groups_for_user",
        "IAMBackend.get_group",
        "IAMBackend.get_policy",
    ),
    *_needs("iam_simulation", "moto.iam.access_control", "IAMPolicy", "PermissionResult"),
    Need(
        "iam_simulation",
        "moto.iam.access_control",
        "IAMPolicy.is_action_permitted",
        ("action", "resource"),
    ),
    *_needs("iam_simulation", "moto.iam.exceptions", "InvalidInput", "NoSuchEntity"),
    *_needs("notifications", "moto.codepipeline.urls", "url_paths"),
    *_needs("notifications", "moto.moto_server.werkzeug_app", "SIGNING_ALIASES"),
    *_needs("notifications", "moto.core.responses", "BaseResponse.dispatch"),
    *_needs("notifications", "moto.sns.models", "sns_backends"),
    Need(
        "sns_email",
        "moto.sns.models",
        "SNSBackend.subscribe",
        ("topic_arn", "endpoint", "protocol"),
    ),
    Need("sns_email", "moto.sns.models", "SNSBackend.unsubscribe", ("subscription_arn",)),
    Need(
        "sns_email",
        "moto.sns.models",
        "SNSBackend._find_subscription",
        ("topic_arn", "endpoint", "protocol"),
    ),
    *_needs("sns_email", "moto.sns.responses", "SNSResponse.subscribe"),
    *_needs("sns_email", "moto.sns.exceptions", "SNSInvalidParameter"),
)


def moto_version() -> str | None:
    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return None


def _key(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
        if digits != part:  # 5.2.7.dev0, 5.3.0rc1: a pre-release sorts below its release
            out[-1] -= 1
            out.append(10**6)
            break
    return tuple(out)


def in_supported_range(version: str) -> bool:
    low, high = (bound.lstrip("<>=") for bound in SUPPORTED_MOTO)
    return _key(low) <= _key(version) < _key(high)


def supported_range() -> str:
    return ",".join(SUPPORTED_MOTO)


def fix_command(installed: str | None = None) -> str:
    """The command that installs the locked moto into this interpreter's environment."""
    again = " --force-reinstall" if installed == LOCKED_MOTO else ""
    return f"{sys.executable} -m pip install{again} 'moto[server]=={LOCKED_MOTO}'"


@dataclass(frozen=True)
class Report:
    version: str | None
    problems: tuple[str, ...]

    @property
    def in_range(self) -> bool:
        return self.version is not None and in_supported_range(self.version)

    @property
    def ok(self) -> bool:
        return self.version is not None and not self.problems

    def refusal(self) -> str:
        """One message: what is wrong, the installed and supported moto, the fix."""
        if self.version is None:
            what = "moto is not installed"
        else:
            shown = "; ".join(self.problems[:3]) + (
                f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
            )
            what = f"moto {self.version} lacks what the sandbox adapts: {shown}"
        return (
            f"the sandbox cannot start: {what}. It supports moto {supported_range()}; "
            f"fix: {fix_command(self.version)}"
        )

    def warning(self) -> str | None:
        """A notice for a moto outside the tested range that still passes every check."""
        if not self.ok or self.in_range:
            return None
        return (
            f"moto {self.version} is outside the tested range {supported_range()}; every "
            f"precondition holds, but if the sandbox misbehaves: {fix_command()}"
        )


def check(requirements: tuple[Need, ...] = REQUIREMENTS) -> Report:
    """Look up every requirement (imports moto's modules, starts nothing)."""
    version = moto_version()
    if version is None:
        return Report(None, ("moto is not installed",))
    problems = tuple(p for p in (need.problem() for need in requirements) if p)
    return Report(version, problems)
