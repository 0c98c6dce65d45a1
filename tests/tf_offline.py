"""Terraform set up to fail its provider install, offline: CLI configurations under which no
provider can be installed, and a plugin cache holding one (shared by the failure tests)."""

from __future__ import annotations

import socket
from pathlib import Path

KINDS = ("empty-mirror", "closed-network-mirror", "refusing-proxy")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_config(tmp_path: Path, kind: str) -> tuple[Path, dict[str, str]]:
    """A terraform CLI configuration (and extra environment) under which no provider installs."""
    path = tmp_path / f"{kind}.tfrc"
    if kind == "empty-mirror":
        empty = tmp_path / "empty-mirror"
        empty.mkdir()
        block = f'filesystem_mirror {{ path = "{empty}" }}'
        path.write_text(f"provider_installation {{\n  {block}\n}}\n")
        return path, {}
    if kind == "closed-network-mirror":
        url = f"https://127.0.0.1:{closed_port()}/"
        path.write_text(f'provider_installation {{\n  network_mirror {{ url = "{url}" }}\n}}\n')
        return path, {}
    # the public registry, through a proxy that refuses: no DNS lookup, no packet leaves
    path.write_text("# the defaults: providers from registry.terraform.io\n")
    proxy = f"http://127.0.0.1:{closed_port()}"
    return path, {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "NO_PROXY": "127.0.0.1,localhost"}


def cached_provider(cache: Path) -> Path:
    """A folder with hashicorp/aws in the unpacked layout of terraform's plugin cache (only the
    layout is read: it is never installed from)."""
    from wizard.services.aws.preflight_tools import local_platform

    (cache / "registry.terraform.io/hashicorp/aws/5.100.0" / local_platform()).mkdir(parents=True)
    return cache
