"""Finding terraform/tofu: order, version check, install instructions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wizard.services.terraform.binary import (
    INSTALL_HELP,
    TerraformNotFound,
    find_terraform,
    parse_version,
    probe,
)


def fake_tool(path: Path, banner: str) -> str:
    """A stand-in executable that prints a version banner (as `terraform version` does)."""
    path.write_text(f"#!/bin/sh\necho '{banner}'\necho 'on linux_amd64'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_real_binary_is_found_and_recent(terraform_bin: str) -> None:
    found = probe(terraform_bin)
    assert found.tool in ("terraform", "tofu")
    assert found.version >= (1, 5, 0)
    assert found.describe().startswith(("Terraform 1.", "OpenTofu 1."))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Terraform v1.11.4\non linux_amd64\n", ("terraform", (1, 11, 4), "1.11.4")),
        ("OpenTofu v1.8.5\non linux_amd64\n", ("tofu", (1, 8, 5), "1.8.5")),
        ("Terraform v1.12.0-beta2\n", ("terraform", (1, 12, 0), "1.12.0-beta2")),
    ],
)
def test_parse_version(text: str, expected: tuple) -> None:
    assert parse_version(text) == expected


def test_parse_version_rejects_other_tools() -> None:
    with pytest.raises(ValueError):
        parse_version("Python 3.11.7")


def test_configured_binary_wins_and_opentofu_is_accepted(tmp_path: Path, monkeypatch) -> None:
    tofu = fake_tool(tmp_path / "tofu-1.8", "OpenTofu v1.8.5")
    monkeypatch.setenv("CDWIZARD_TERRAFORM", fake_tool(tmp_path / "tf", "Terraform v1.9.0"))
    found = find_terraform(tofu)
    assert (found.tool, found.path, found.name) == ("tofu", tofu, "OpenTofu")
    assert find_terraform(None).version == (1, 9, 0)  # then $CDWIZARD_TERRAFORM


def test_old_terraform_is_refused_with_install_help(tmp_path: Path, monkeypatch) -> None:
    old = fake_tool(tmp_path / "terraform", "Terraform v1.4.7")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CDWIZARD_TERRAFORM", raising=False)
    with pytest.raises(TerraformNotFound) as err:
        find_terraform(None)
    message = str(err.value)
    assert f"{old} is Terraform 1.4.7; need >= 1.5.0" in message
    assert (
        INSTALL_HELP in message and "https://developer.hashicorp.com/terraform/install" in message
    )


def test_nothing_found(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CDWIZARD_TERRAFORM", str(tmp_path / "nope"))
    with pytest.raises(TerraformNotFound) as err:
        find_terraform("/opt/missing/terraform")
    message = str(err.value)
    assert "terraform.binary in the answers: /opt/missing/terraform does not exist" in message
    assert "$CDWIZARD_TERRAFORM" in message and "opentofu.org" in message


def test_tofu_on_path_when_terraform_is_absent(tmp_path: Path, monkeypatch) -> None:
    fake_tool(tmp_path / "tofu", "OpenTofu v1.6.2")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + "/usr/bin:/bin")
    monkeypatch.delenv("CDWIZARD_TERRAFORM", raising=False)
    if any((Path(p) / "terraform").exists() for p in ("/usr/bin", "/bin")):
        pytest.skip("a system terraform in /usr/bin would be found first")
    assert find_terraform(None).tool == "tofu"
