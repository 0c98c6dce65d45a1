"""Terraform CLI configuration for a provider filesystem mirror (air-gapped installs, our CI).

Terraform reads the file named by `TF_CLI_CONFIG_FILE`. With a mirror, providers found in it are
installed from it and nothing else is fetched for them; other providers still come from the
registry.
"""

from __future__ import annotations

from pathlib import Path

from wizard.core.atomic import write_atomic
from wizard.core.render.filters import hcl_string


def mirror_providers(mirror: Path) -> list[str]:
    """`hostname/namespace/type` of every provider the mirror holds (unpacked or packed layout)."""
    found: list[str] = []
    for host in sorted(p for p in Path(mirror).iterdir() if p.is_dir()):
        for namespace in sorted(p for p in host.iterdir() if p.is_dir()):
            for ptype in sorted(p for p in namespace.iterdir() if p.is_dir()):
                found.append(f"{host.name}/{namespace.name}/{ptype.name}")
    return found


def cli_config_text(mirror: Path) -> str:
    """A CLI config that installs the mirror's providers from the mirror only."""
    providers = mirror_providers(mirror)
    if not providers:
        raise ValueError(
            f"{mirror} holds no providers: expected <mirror>/registry.terraform.io/hashicorp/aws/…"
        )
    listed = ", ".join(hcl_string(p) for p in providers)
    return (
        "# written by cdwizard: install these providers from a local filesystem mirror\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {hcl_string(str(Path(mirror).resolve()))}\n"
        f"    include = [{listed}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{listed}]\n"
        "  }\n"
        "}\n"
    )


def write_cli_config(path: Path, mirror: Path) -> Path:
    """Write the mirror CLI config to `path` (atomically) and return it."""
    write_atomic(Path(path), cli_config_text(mirror))
    return Path(path)
