"""Local preflight checks: a terraform (or tofu) binary, and where the hashicorp/aws provider
will come from (a filesystem mirror, or the public registry)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.core.events.preflight import CheckStatus, PreflightCheck
from wizard.services.terraform.binary import MIN_TERRAFORM, candidates

#: The provider versions the rendered root module accepts (`>= 5.72, < 7.0`).
PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_MIN = (5, 72, 0)
PROVIDER_BELOW = (7, 0, 0)
REGISTRY_URL = "https://registry.terraform.io"
INSTALL_TERRAFORM = (
    "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) or OpenTofu "
    "(https://opentofu.org/docs/intro/install/); if it lives somewhere unusual, set "
    "terraform.binary in the answers or CDWIZARD_TERRAFORM"
)
MIRROR_FIX = (
    "on a machine with internet, run `terraform providers mirror DIR` in a folder using "
    "hashicorp/aws >= 5.72, copy DIR here and pass --provider-mirror DIR (or set "
    "CDWIZARD_PROVIDER_MIRROR=DIR)"
)


@dataclass(frozen=True)
class FoundTerraform:
    path: str
    tool: str
    version: tuple[int, int, int]
    platform: str


def _version(text: str) -> tuple[int, int, int]:
    core = text.lstrip("v").split("-", 1)[0].split("+", 1)[0]
    parts = [int(p) for p in core.split(".")[:3]]
    major, minor, patch = [*parts, 0, 0, 0][:3]
    return major, minor, patch


def _text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def local_platform() -> str:
    """terraform's name for this machine: `linux_amd64`, `darwin_arm64`, ..."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{platform.system().lower()}_{arch}"


def _probe(path: str) -> FoundTerraform:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE=os.devnull)
    proc = subprocess.run(
        [path, "version", "-json"], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    data = json.loads(proc.stdout)
    tool = "tofu" if "tofu" in Path(path).name else "terraform"
    return FoundTerraform(
        path,
        tool,
        _version(data["terraform_version"]),
        data.get("platform") or local_platform(),
    )


def terraform_check(
    configured: str | None = None, minimum: tuple[int, int, int] = MIN_TERRAFORM
) -> tuple[PreflightCheck, FoundTerraform | None]:
    """Find terraform/tofu: the answers' binary, $CDWIZARD_TERRAFORM, then PATH.

    `minimum` is 1.5 by default; the s3 backend's lock file needs 1.10 (of either tool). Every
    OpenTofu release (1.6+) is newer than 1.5.
    """
    tried: list[str] = []
    for _origin, name in candidates(configured):
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path is None:
            if name not in ("terraform", "tofu"):
                tried.append(f"{name} is not an executable")
            continue
        try:
            found = _probe(path)
        except (OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
            tried.append(f"{path} did not report its version ({exc})")
            continue
        if found.version < minimum and (found.tool == "terraform" or minimum > MIN_TERRAFORM):
            shown = "OpenTofu" if found.tool == "tofu" else "Terraform"
            tried.append(f"{path} is {shown} {_text(found.version)}")
            continue
        name_shown = "OpenTofu" if found.tool == "tofu" else "Terraform"
        check = PreflightCheck(
            name="terraform",
            title="Terraform",
            status=CheckStatus.OK,
            detail=f"{name_shown} {_text(found.version)} at {path}",
            area="tool",
        )
        return check, found
    detail = "; ".join(tried) if tried else "neither terraform nor tofu is on PATH"
    return (
        PreflightCheck(
            name="terraform",
            title="Terraform",
            status=CheckStatus.FAIL,
            detail=f"no usable terraform >= {_text(minimum)}: {detail}",
            fix=INSTALL_TERRAFORM.replace(">= 1.5", f">= {_text(minimum)}"),
            area="tool",
        ),
        None,
    )


def _compatible(version: tuple[int, int, int]) -> bool:
    return PROVIDER_MIN <= version < PROVIDER_BELOW


def mirror_versions(mirror: Path, target_platform: str) -> list[tuple[int, int, int]]:
    """hashicorp/aws versions in a mirror (unpacked or packed layout) built for the platform."""
    base = Path(mirror) / PROVIDER
    found: set[tuple[int, int, int]] = set()
    if not base.is_dir():
        return []
    for entry in base.iterdir():
        try:
            if entry.is_dir() and (entry / target_platform).is_dir():
                found.add(_version(entry.name))
            elif entry.name.endswith(f"_{target_platform}.zip"):
                found.add(_version(entry.name.split("_")[1]))
        except (ValueError, IndexError):
            continue
    return sorted(found)


def _check(status: CheckStatus, detail: str, fix: str | None = None) -> PreflightCheck:
    return PreflightCheck(
        name="provider", title="AWS provider", status=status, detail=detail, fix=fix, area="tool"
    )


def provider_check(
    mirror: Path | None,
    target_platform: str | None = None,
    *,
    registry: str = REGISTRY_URL,
    timeout: float = 5.0,
) -> PreflightCheck:
    """Can terraform get hashicorp/aws >= 5.72, < 7: from the mirror, or from the registry?"""
    plat = target_platform or local_platform()
    wanted = f">= {_text(PROVIDER_MIN)}, < {_text(PROVIDER_BELOW)}"
    if mirror is not None:
        if not Path(mirror).is_dir():
            return _check(
                CheckStatus.FAIL, f"the provider mirror {mirror} is not a folder", MIRROR_FIX
            )
        versions = mirror_versions(mirror, plat)
        usable = [v for v in versions if _compatible(v)]
        if usable:
            return _check(
                CheckStatus.OK, f"mirror {mirror} holds hashicorp/aws {_text(usable[-1])} ({plat})"
            )
        held = ", ".join(_text(v) for v in versions) or "no hashicorp/aws build"
        return _check(
            CheckStatus.FAIL,
            f"mirror {mirror} has {held} for {plat}; cdwizard needs hashicorp/aws {wanted}",
            MIRROR_FIX,
        )
    try:
        versions = _registry_versions(registry, plat, timeout)
    except (OSError, ValueError, KeyError) as exc:
        return _check(
            CheckStatus.FAIL,
            f"cannot reach the Terraform registry at {registry} ({exc})",
            MIRROR_FIX,
        )
    usable = [v for v in versions if _compatible(v)]
    if not usable:
        return _check(
            CheckStatus.FAIL,
            f"the registry at {registry} lists no hashicorp/aws {wanted} for {plat}",
            MIRROR_FIX,
        )
    return _check(CheckStatus.OK, f"registry reachable; hashicorp/aws {_text(usable[-1])} ({plat})")


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"User-Agent": "cdwizard-doctor"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.loads(response.read())
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer with a JSON object")
    return data


def _registry_versions(registry: str, plat: str, timeout: float) -> list[tuple[int, int, int]]:
    """The provider registry protocol: service discovery, then the versions list."""
    base = registry.rstrip("/")
    discovery = _get_json(f"{base}/.well-known/terraform.json", timeout)
    providers = discovery["providers.v1"]
    root = providers if providers.startswith("http") else f"{base}{providers}"
    listing = _get_json(f"{root.rstrip('/')}/hashicorp/aws/versions", timeout)
    os_name, arch = plat.split("_", 1)
    out = []
    for item in listing["versions"]:
        platforms = {(p.get("os"), p.get("arch")) for p in item.get("platforms", [])}
        if (os_name, arch) in platforms:
            try:
                out.append(_version(item["version"]))
            except ValueError:
                continue
    return sorted(out)
