"""`cdwizard plan|apply|destroy` as a user runs them: refusal without a terminal, exit codes, the
output modes. (The full runs against the sandbox are in test_tf_integration.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def cdwizard(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdin=subprocess.DEVNULL,  # no terminal, as in CI
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\nproject: demo-service\n")
    return path


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_refuses_without_a_terminal_or_yes(command: str, answers: Path, tmp_path: Path) -> None:
    proc = cdwizard(command, "--answers", str(answers), "--out", "ws", cwd=tmp_path)
    assert proc.returncode == 8, proc.stderr
    assert f"refusing to {command} without confirmation" in proc.stderr
    assert "--yes" in proc.stderr and "cdwizard plan --answers" in proc.stderr
    assert not (tmp_path / "ws").exists()  # refused before touching anything


def test_bad_answers_exit_3_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nproject: X\n")
    proc = cdwizard("plan", "--answers", str(bad), cwd=tmp_path)
    assert proc.returncode == 3
    assert "project" in proc.stderr


def test_missing_answers_option_exit_3(tmp_path: Path) -> None:
    proc = cdwizard("plan", cwd=tmp_path)
    assert proc.returncode == 3 and "--answers FILE is required" in proc.stderr


def test_terraform_missing_exit_4_with_install_help_as_json(answers: Path, tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty"), "CDWIZARD_TERRAFORM": str(tmp_path / "no-tf")}
    proc = cdwizard("plan", "--answers", str(answers), "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 4, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["type"] == "notice" and events[-1]["level"] == "error"
    assert "developer.hashicorp.com/terraform/install" in events[-1]["text"]


def test_render_conflict_exit_9(answers: Path, tmp_path: Path, terraform_bin: str) -> None:
    first = cdwizard("render", "--answers", str(answers), "--out", "ws", "--sandbox", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    edited = tmp_path / "ws" / "terraform" / "sandbox_override.tf"
    edited.write_text(edited.read_text() + "# my edit\n")
    proc = cdwizard("plan", "--answers", str(answers), "--out", "ws", "--sandbox", cwd=tmp_path)
    assert proc.returncode == 9, proc.stdout + proc.stderr
    assert "sandbox_override.tf" in proc.stdout and "*.new" in proc.stdout
    assert edited.read_text().endswith("# my edit\n")
    assert (edited.parent / "sandbox_override.tf.new").is_file()


def test_bad_provider_mirror_is_a_usage_error(
    answers: Path, tmp_path: Path, terraform_bin: str
) -> None:
    (tmp_path / "mirror").mkdir()
    proc = cdwizard(
        "plan", "--answers", str(answers), "--provider-mirror", "mirror", "--plain", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "holds no providers" in proc.stdout and "terraform providers mirror" in proc.stdout


def test_help_lists_exit_codes_and_stays_light(tmp_path: Path) -> None:
    proc = cdwizard("apply", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for text in ("--yes", "--sandbox", "--provider-mirror", "--json", "--plain", "130"):
        assert text in proc.stdout
    assert "--yes, -y" not in cdwizard("plan", "--help", cwd=tmp_path).stdout
    code = (
        "import sys\nfrom wizard.cli import main\n"
        "try:\n    main(['destroy', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('boto3', 'moto', 'jinja2', 'textual') if m in sys.modules]\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_render_dry_run_reports_the_conflict_and_writes_nothing(
    answers: Path, tmp_path: Path
) -> None:
    first = cdwizard("render", "--answers", str(answers), "--out", "ws", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    edited = tmp_path / "ws" / "payload" / "appspec.yml"
    edited.write_text(edited.read_text() + "# my edit\n")
    before = sorted(p for p in (tmp_path / "ws").rglob("*"))
    proc = cdwizard("render", "--answers", str(answers), "--out", "ws", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 9, proc.stdout + proc.stderr
    assert "would write" in proc.stdout
    assert "would keep your edits in" in proc.stderr and "would go next to them" in proc.stderr
    assert sorted(p for p in (tmp_path / "ws").rglob("*")) == before, "a dry run writes nothing"
    assert edited.read_text().endswith("# my edit\n")
