"""Local preflight checks: the terraform binary and where the AWS provider comes from."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from wizard.core.events.preflight import CheckStatus
from wizard.services.aws.preflight_tools import (
    local_platform,
    mirror_versions,
    provider_check,
    terraform_check,
)

PLATFORM = local_platform()


def test_finds_the_installed_terraform(terraform_bin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDWIZARD_TERRAFORM", raising=False)
    check, found = terraform_check(terraform_bin)
    assert check.status is CheckStatus.OK and found is not None
    assert found.version >= (1, 5, 0)
    assert found.platform == PLATFORM
    assert terraform_bin in check.detail


def test_too_old_or_missing_terraform_fails_with_install_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "terraform"
    old.write_text(
        '#!/bin/sh\necho \'{"terraform_version": "1.4.6", "platform": "linux_amd64"}\'\n'
    )
    old.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CDWIZARD_TERRAFORM", raising=False)
    check, found = terraform_check()
    assert found is None and check.status is CheckStatus.FAIL and check.area == "tool"
    assert "Terraform 1.4.6" in check.detail
    assert "developer.hashicorp.com/terraform/install" in (check.fix or "")

    old.unlink()
    check, _ = terraform_check("/nowhere/terraform")
    assert check.status is CheckStatus.FAIL
    assert "/nowhere/terraform is not an executable" in check.detail


def test_the_real_provider_mirror_is_accepted(provider_mirror: Path) -> None:
    check = provider_check(provider_mirror, PLATFORM)
    assert check.status is CheckStatus.OK, check.detail
    assert "hashicorp/aws 5." in check.detail


def test_mirror_layouts_and_versions(tmp_path: Path) -> None:
    base = tmp_path / "registry.terraform.io" / "hashicorp" / "aws"
    (base / "4.67.0" / PLATFORM).mkdir(parents=True)
    (base / "5.100.0" / "windows_386").mkdir(parents=True)
    assert mirror_versions(tmp_path, PLATFORM) == [(4, 67, 0)]
    old = provider_check(tmp_path, PLATFORM)
    assert old.status is CheckStatus.FAIL and "4.67.0" in old.detail
    assert "--provider-mirror" in (old.fix or "")
    # the packed layout: terraform-provider-aws_<version>_<platform>.zip
    (base / f"terraform-provider-aws_5.90.1_{PLATFORM}.zip").write_bytes(b"PK")
    assert provider_check(tmp_path, PLATFORM).status is CheckStatus.OK
    assert provider_check(tmp_path / "missing", PLATFORM).status is CheckStatus.FAIL


class _Registry(BaseHTTPRequestHandler):
    versions: ClassVar[list[dict]] = []

    def do_GET(self) -> None:
        if self.path == "/.well-known/terraform.json":
            body = {"providers.v1": "/v1/providers/"}
        elif self.path == "/v1/providers/hashicorp/aws/versions":
            body = {"versions": self.versions}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def registry() -> Iterator[str]:
    """A local HTTP server speaking the provider registry protocol's two documents."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_registry_protocol(registry: str) -> None:
    os_name, arch = PLATFORM.split("_", 1)
    _Registry.versions = [
        {"version": "6.2.0", "platforms": [{"os": os_name, "arch": arch}]},
        {"version": "7.1.0", "platforms": [{"os": os_name, "arch": arch}]},
        {"version": "5.99.0", "platforms": [{"os": "plan9", "arch": "mips"}]},
    ]
    ok = provider_check(None, PLATFORM, registry=registry)
    assert ok.status is CheckStatus.OK and "6.2.0" in ok.detail
    _Registry.versions = [{"version": "7.1.0", "platforms": [{"os": os_name, "arch": arch}]}]
    too_new = provider_check(None, PLATFORM, registry=registry)
    assert (
        too_new.status is CheckStatus.FAIL
        and "no hashicorp/aws >= 5.72.0, < 7.0.0" in too_new.detail
    )


def test_unreachable_registry_points_at_the_mirror_option() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    check = provider_check(None, PLATFORM, registry=f"http://127.0.0.1:{port}", timeout=2)
    assert check.status is CheckStatus.FAIL and check.area == "tool"
    assert "cannot reach the Terraform registry" in check.detail
    assert "CDWIZARD_PROVIDER_MIRROR" in (check.fix or "")


def test_the_s3_backend_needs_terraform_1_10(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tool, version in (("terraform", "1.9.8"), ("tofu", "1.9.0")):
        binary = tmp_path / tool
        binary.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
        binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CDWIZARD_TERRAFORM", raising=False)
    ok, found = terraform_check()  # 1.5 is enough for the local backend
    assert ok.status is CheckStatus.OK and found and found.tool == "terraform"
    check, found = terraform_check(minimum=(1, 10, 0))
    assert check.status is CheckStatus.FAIL and found is None
    assert "Terraform 1.9.8" in check.detail and "OpenTofu 1.9.0" in check.detail
    assert "Terraform >= 1.10.0" in (check.fix or "")
