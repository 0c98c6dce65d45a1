"""Why a terraform command failed and what to do next, as data (`wizard.core.next_steps`).

    found = diagnose(error_diagnostics, Situation(workdir=..., rerun="cdwizard plan -a x.yml",
                                                  env=runner.env, mirror=options.mirror))
    found.cause, found.steps       # "registry_unreachable", (NextStep(...), ...)

Terraform's own words stay the primary explanation (the events carry every diagnostic in full);
this adds the cause in our terms and the steps that fix it. Provider installation gets the most
care, because it is what fails on a machine without internet: the steps point at
`--provider-mirror` / `CDWIZARD_PROVIDER_MIRROR`, at a folder that already holds the provider
(terraform's plugin cache `TF_PLUGIN_CACHE_DIR` or `plugin_cache_dir`, its default plugin
folders), and at the CLI configuration's `provider_installation` when that is what sends the
installs somewhere unreachable. Nothing here is worded: commands and the TUI do that.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wizard.core.events.terraform import TfDiagnostic
from wizard.core.next_steps import Cause, NextStep
from wizard.services.aws.preflight_tools import (
    PROVIDER_BELOW,
    PROVIDER_MIN,
    local_platform,
    mirror_versions,
)

#: The environment variable that does what --provider-mirror does.
MIRROR_ENV = "CDWIZARD_PROVIDER_MIRROR"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

_NETWORK = re.compile(
    r"dial tcp|no such host|connection refused|i/o timeout|TLS handshake timeout|"
    r"network is unreachable|proxyconnect|context deadline exceeded|Client\.Timeout|"
    r"connection reset|request failed after \d+ attempts",
    re.IGNORECASE,
)
_REGISTRY_HOST = re.compile(r"could not connect to (?P<host>[\w.-]+)", re.IGNORECASE)
_NETWORK_MIRROR = re.compile(r"failed to query provider mirror (?P<url>\S+) for", re.IGNORECASE)
_NOT_IN_MIRROR = re.compile(r"was not found in any of the\s+search locations", re.IGNORECASE)
_NO_MATCHING_RELEASE = re.compile(r"no available releases match", re.IGNORECASE)
_SEARCH_LOCATION = re.compile(r"^\s*-\s+(?P<where>\S.*)$", re.MULTILINE)
_PROVIDER = re.compile(r"provider (?:registry\.terraform\.io/)?(?P<source>[\w.-]+/[\w.-]+)")
_LOCK_ID = re.compile(r"^\s*ID:\s+(?P<id>\S+)", re.MULTILINE)
_CREDENTIALS = re.compile(
    r"No valid credential sources found|InvalidClientTokenId|ExpiredToken|"
    r"UnrecognizedClientException|security token included in the request is (?:invalid|expired)|"
    r"failed to refresh cached credentials|SignatureDoesNotMatch|NoCredentialProviders",
    re.IGNORECASE,
)
_MISSING_PROFILE = re.compile(
    r"failed to get shared config profile|ProfileNotFound|could not find profile", re.IGNORECASE
)
_PERMISSION = re.compile(
    r"AccessDenied|UnauthorizedOperation|is not authorized to perform", re.IGNORECASE
)
_PERMISSION_ACTION = re.compile(r"not authorized to perform:? (?P<action>[\w-]+:[\w*-]+)")
_ALREADY_EXISTS = re.compile(
    r"AlreadyExists|already exists|NameInUse|NameExists|BucketAlreadyOwnedByYou", re.IGNORECASE
)

PLUGIN_CACHE_ENV = "TF_PLUGIN_CACHE_DIR"
_PLUGIN_CACHE_SETTING = re.compile(r'^\s*plugin_cache_dir\s*=\s*"(?P<dir>[^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Situation:
    """What the diagnosis needs to know besides terraform's words."""

    #: terraform's working directory (for `terraform -chdir=...` commands)
    workdir: str
    #: the command that runs this step again, as the user would type it
    rerun: str
    #: terraform's environment (TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR, proxies)
    env: Mapping[str, str] = field(default_factory=dict)
    #: the provider mirror cdwizard was given (--provider-mirror), if any
    mirror: Path | None = None
    #: the AWS profile in use, for credential steps
    profile: str | None = None
    #: resource names the answers choose -> their answers key (for "already exists")
    names: Mapping[str, str] = field(default_factory=dict)
    #: the home folder (terraform's ~/.terraformrc and default plugin folders)
    home: Path = field(default_factory=Path.home)


@dataclass(frozen=True)
class Diagnosis:
    cause: Cause
    steps: tuple[NextStep, ...] = ()


def diagnose(diagnostics: Sequence[TfDiagnostic], situation: Situation) -> Diagnosis:
    """The first recognised cause among the error diagnostics and the steps for all of them
    (terraform_error and no steps when none is recognised)."""
    cause: Cause = "terraform_error"
    steps: list[NextStep] = []
    for diag in diagnostics:
        if diag.severity != "error":
            continue
        found = _one(diag, situation)
        if found is None:
            continue
        if cause == "terraform_error":
            cause = found.cause
        steps.extend(s for s in found.steps if s not in steps)
    return Diagnosis(cause, tuple(steps))


def _one(diag: TfDiagnostic, s: Situation) -> Diagnosis | None:
    text = f"{diag.summary_text}\n{diag.detail}"
    provider = _provider(text)
    if m := _NETWORK_MIRROR.search(text):
        url = m.group("url")
        cause: Cause = "mirror_unreachable" if _NETWORK.search(text) else "provider_not_in_mirror"
        return Diagnosis(cause, _mirror_steps(s, _config_step(s, url)))
    if _NOT_IN_MIRROR.search(text) or (_NO_MATCHING_RELEASE.search(text) and s.mirror):
        if s.mirror is not None:
            update = NextStep(
                action="update_provider_mirror",
                path=str(s.mirror),
                detail=provider,
                command=f"terraform -chdir={_q(s.workdir)} providers mirror {_q(str(s.mirror))}",
            )
            return Diagnosis("provider_not_in_mirror", (update,))
        where = ", ".join(m.group("where").strip() for m in _SEARCH_LOCATION.finditer(diag.detail))
        return Diagnosis("provider_not_in_mirror", _mirror_steps(s, _config_step(s, where or None)))
    if provider and (_REGISTRY_HOST.search(text) or _NETWORK.search(text)):
        host = m.group("host") if (m := _REGISTRY_HOST.search(text)) else "registry.terraform.io"
        proxy = next((v for v in PROXY_VARIABLES if s.env.get(v)), None)
        network = NextStep(action="check_network", detail=host, env=proxy)
        return Diagnosis("registry_unreachable", (*_mirror_steps(s), network))
    if "Error acquiring the state lock" in text or "state lock" in diag.summary_text.lower():
        lock = m.group("id") if (m := _LOCK_ID.search(diag.detail)) else "<ID>"
        unlock = NextStep(
            action="force_unlock",
            detail=lock,
            command=f"terraform -chdir={_q(s.workdir)} force-unlock {_q(lock)}",
        )
        return Diagnosis("state_locked", (unlock,))
    if "Saved plan is stale" in text:
        return Diagnosis("stale_plan", (NextStep(action="replan", command=s.rerun),))
    if s.profile and _MISSING_PROFILE.search(text):
        configure = NextStep(
            action="configure_profile",
            detail=s.profile,
            key="aws.profile",
            command=f"aws configure --profile {_q(s.profile)}",
        )
        return Diagnosis("aws_credentials", (configure,))
    if _CREDENTIALS.search(text):
        login = f"aws sso login --profile {_q(s.profile)}" if s.profile else None
        return Diagnosis(
            "aws_credentials",
            (NextStep(action="check_credentials", command=login, detail=s.profile),),
        )
    if _PERMISSION.search(text):
        action = m.group("action") if (m := _PERMISSION_ACTION.search(text)) else None
        return Diagnosis("permission", (NextStep(action="grant_permission", detail=action),))
    if _ALREADY_EXISTS.search(text):
        named = _named(text, s.names)
        if named is None:
            return Diagnosis("already_exists")
        name, key = named
        return Diagnosis(
            "already_exists", (NextStep(action="rename_existing", detail=name, key=key),)
        )
    return None


def _q(text: str) -> str:
    return shlex.quote(text)


def _provider(text: str) -> str | None:
    m = _PROVIDER.search(text)
    return m.group("source") if m else None


def _named(text: str, names: Mapping[str, str]) -> tuple[str, str] | None:
    """The longest chosen name the text mentions (in quotes or parentheses), with its key."""
    hits = [
        (name, key)
        for name, key in names.items()
        if re.search(rf"[(\"'\s]{re.escape(name)}[)\"'\s.,:]", text)
    ]
    return max(hits, key=lambda hit: len(hit[0])) if hits else None


def _config_step(s: Situation, where: str | None) -> tuple[NextStep, ...]:
    """Point at the CLI configuration's provider_installation (not at cdwizard's own)."""
    config = cli_config_file(s.env, s.home)
    if config is None or s.mirror is not None:
        return ()
    return (NextStep(action="fix_cli_config", path=str(config), detail=where),)


def _mirror_steps(s: Situation, then: tuple[NextStep, ...] = ()) -> tuple[NextStep, ...]:
    """A folder here that already holds the provider, `then`, any mirror, how to make one."""
    steps: list[NextStep] = []
    for folder, origin in provider_folders(s.env, s.home):
        steps.append(
            NextStep(
                action="use_provider_mirror",
                path=str(folder),
                detail=origin,
                command=f"{s.rerun} --provider-mirror {_q(str(folder))}",
            )
        )
        break
    steps.extend(then)
    steps.append(
        NextStep(
            action="use_provider_mirror",
            command=f"{s.rerun} --provider-mirror DIR",
            env=MIRROR_ENV,
        )
    )
    steps.append(
        NextStep(
            action="make_provider_mirror",
            detail="hashicorp/aws",
            command=f"terraform -chdir={_q(s.workdir)} providers mirror DIR",
        )
    )
    return tuple(steps)


def cli_config_file(env: Mapping[str, str], home: Path) -> Path | None:
    """The CLI configuration terraform reads: `TF_CLI_CONFIG_FILE`, else `~/.terraformrc`."""
    named = env.get("TF_CLI_CONFIG_FILE")
    if named:
        path = Path(named).expanduser()
        return path if path.is_file() else None
    default = home / ".terraformrc"
    return default if default.is_file() else None


def provider_folders(env: Mapping[str, str], home: Path) -> Iterable[tuple[Path, str]]:
    """Folders on this machine that hold a usable hashicorp/aws in the unpacked mirror layout,
    with where terraform knows them from: its plugin cache (`TF_PLUGIN_CACHE_DIR`, or
    `plugin_cache_dir` in the CLI configuration) and its default local plugin folders."""
    seen: set[Path] = set()
    for folder, origin in _candidate_folders(env, home):
        try:
            resolved = folder.expanduser().resolve()
        except OSError:
            continue
        if resolved in seen or not resolved.is_dir():
            continue
        seen.add(resolved)
        versions = mirror_versions(resolved, local_platform())
        if any(PROVIDER_MIN <= v < PROVIDER_BELOW for v in versions):
            yield folder, origin


def _candidate_folders(env: Mapping[str, str], home: Path) -> Iterable[tuple[Path, str]]:
    cache = env.get(PLUGIN_CACHE_ENV)
    if cache:
        yield Path(cache), PLUGIN_CACHE_ENV
    config = cli_config_file(env, home)
    if config is not None:
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if m := _PLUGIN_CACHE_SETTING.search(text):
            expanded = _expand(m.group("dir"), env, home)
            yield Path(expanded), f"plugin_cache_dir in {config}"
    data_home = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    for folder in (
        home / ".terraform.d" / "plugins",
        Path(data_home) / "terraform" / "plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
    ):
        yield folder, "a default terraform plugin folder"


def _expand(text: str, env: Mapping[str, str], home: Path) -> str:
    """`$HOME/...` and `~/...` as terraform expands them in `plugin_cache_dir`."""
    expanded = re.sub(
        r"\$\{?(\w+)\}?",
        lambda m: env.get(m.group(1), str(home) if m.group(1) == "HOME" else m.group(0)),
        text,
    )
    if expanded.startswith("~/"):
        expanded = str(home / expanded[2:])
    return expanded


def answer_names(
    names: Iterable[tuple[str, str]],
) -> dict[str, str]:
    """name -> answers key, for the names the answers choose (see `clashes.planned_resources`);
    a deployment group planned as `app/group` is also known by its own name."""
    out: dict[str, str] = {}
    for name, key in names:
        out.setdefault(name, key)
        if "/" in name and key == "deployment.group":
            out.setdefault(name.split("/", 1)[1], key)
    return out
