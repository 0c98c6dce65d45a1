"""Finding terraform (or OpenTofu) and checking that it is recent enough.

Order: the answers' `terraform.binary`, `$CDWIZARD_TERRAFORM`, `terraform` on PATH, `tofu` on PATH.
Terraform must be >= 1.5 (the `-json` UI, `-chdir`, `import` blocks and `terraform_data` all exist
there); every OpenTofu release (1.6+) is accepted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MIN_TERRAFORM = (1, 5, 0)

INSTALL_HELP = (
    "Install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install: a single "
    "binary, or `apt-get install terraform` from HashiCorp's apt repository) or OpenTofu "
    "(https://opentofu.org/docs/intro/install/), then re-run. If it is installed somewhere "
    "unusual, set terraform.binary in the answers file or CDWIZARD_TERRAFORM=/path/to/terraform."
)

_VERSION_LINE = re.compile(r"^(Terraform|OpenTofu) v(\d+)\.(\d+)\.(\d+)(\S*)", re.MULTILINE)


class TerraformNotFound(Exception):
    """No usable binary: the message says what was tried and how to install one."""


@dataclass(frozen=True)
class TerraformBinary:
    path: str
    tool: Literal["terraform", "tofu"]
    version: tuple[int, int, int]
    version_text: str

    @property
    def name(self) -> str:
        return "OpenTofu" if self.tool == "tofu" else "Terraform"

    def describe(self) -> str:
        return f"{self.name} {self.version_text} ({self.path})"

    @property
    def init_json(self) -> bool:
        """`init -json` exists (Terraform 1.9+); older ones and OpenTofu get human output."""
        return self.tool == "terraform" and self.version >= (1, 9, 0)


def candidates(configured: str | None = None) -> list[tuple[str, str]]:
    """(where it came from, path or name) in the order they are tried."""
    out: list[tuple[str, str]] = []
    if configured:
        out.append(("terraform.binary in the answers", configured))
    env = os.environ.get("CDWIZARD_TERRAFORM")
    if env:
        out.append(("$CDWIZARD_TERRAFORM", env))
    out.append(("PATH", "terraform"))
    out.append(("PATH", "tofu"))
    return out


def parse_version(text: str) -> tuple[Literal["terraform", "tofu"], tuple[int, int, int], str]:
    """`terraform version` output -> (tool, (major, minor, patch), "1.11.4")."""
    match = _VERSION_LINE.search(text)
    if not match:
        raise ValueError(f"not a terraform/tofu version banner: {text[:80]!r}")
    tool: Literal["terraform", "tofu"] = "tofu" if match.group(1) == "OpenTofu" else "terraform"
    numbers = (int(match.group(2)), int(match.group(3)), int(match.group(4)))
    return tool, numbers, f"{numbers[0]}.{numbers[1]}.{numbers[2]}{match.group(5)}"


def probe(path: str, timeout: float = 30.0) -> TerraformBinary:
    """Run `<path> version` and parse it (raises `ValueError`/`OSError` when it is not usable)."""
    env = dict(os.environ)
    env["CHECKPOINT_DISABLE"] = "1"  # no upgrade check over the network
    env["TF_CLI_CONFIG_FILE"] = os.devnull  # a missing user config only adds noise here
    proc = subprocess.run(
        [path, "version"], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    tool, numbers, text = parse_version(proc.stdout)
    return TerraformBinary(path=path, tool=tool, version=numbers, version_text=text)


def find_terraform(configured: str | None = None) -> TerraformBinary:
    """The first usable binary; `TerraformNotFound` (with install help) when none is."""
    problems: list[str] = []
    for origin, name in candidates(configured):
        path = _resolve(name)
        if path is None:
            if origin != "PATH":
                problems.append(f"{origin}: {name} does not exist or is not executable")
            continue
        try:
            found = probe(path)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            problems.append(f"{origin}: {path} did not report a version ({exc})")
            continue
        if found.tool == "terraform" and found.version < MIN_TERRAFORM:
            need = ".".join(map(str, MIN_TERRAFORM))
            problems.append(f"{origin}: {path} is Terraform {found.version_text}; need >= {need}")
            continue
        return found
    tried = "; ".join(problems) if problems else "neither terraform nor tofu is on PATH"
    raise TerraformNotFound(f"no usable terraform: {tried}. {INSTALL_HELP}")


def _resolve(name: str) -> str | None:
    if os.sep in name or (os.altsep and os.altsep in name):
        p = Path(name).expanduser()
        return str(p) if p.is_file() and os.access(p, os.X_OK) else None
    return shutil.which(name)
