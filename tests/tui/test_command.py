"""`cdwizard` with no subcommand, without a terminal: it explains and exits, never waits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from wizard.core.exitcodes import ExitCode


def run_wizard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_without_a_terminal_it_explains_and_exits(tmp_path: Path) -> None:
    proc = run_wizard(cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert "needs a terminal" in proc.stderr
    assert "cdwizard answers template > answers.yml" in proc.stderr
    assert "cdwizard apply --answers answers.yml --yes" in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "cdwizard-out").exists(), "nothing is written"


def test_without_a_terminal_it_lists_what_is_wrong_in_the_answers(tmp_path: Path) -> None:
    answers = tmp_path / "mine.yml"
    answers.write_text("version: 1\nproject: Bad_Name\nsource: {branch: 'a b'}\n")
    proc = run_wizard("--answers", str(answers), cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert "project: may only hold lowercase letters" in proc.stderr
    assert "source.branch: is not a valid git branch name" in proc.stderr
    assert f"cdwizard answers check {answers}" in proc.stderr


def test_without_a_terminal_it_points_at_the_saved_draft(tmp_path: Path) -> None:
    out = tmp_path / "ws"
    out.mkdir()
    (out / "answers.yml").write_text("version: 1\nproject: shop\n")
    proc = run_wizard("--out", str(out), cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert f"An earlier wizard run saved answers in {out / 'answers.yml'}" in proc.stderr
    assert "is complete and valid" in proc.stderr
    assert f"cdwizard apply --answers {out / 'answers.yml'} --out {out} --yes" in proc.stderr


def test_without_a_terminal_the_advice_keeps_the_sandbox(tmp_path: Path) -> None:
    proc = run_wizard("--sandbox", cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert "cdwizard plan --answers answers.yml --sandbox" in proc.stderr
    assert "cdwizard apply --answers answers.yml --sandbox --yes" in proc.stderr


def test_a_missing_answers_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_wizard("--answers", "nope.yml", cwd=tmp_path)
    assert proc.returncode == ExitCode.BAD_ANSWERS
    assert "--answers nope.yml: file not found" in proc.stderr


def test_the_wizards_rerun_hints_name_its_workspace_and_target(tmp_path: Path) -> None:
    from wizard.app.adapters import workflow_factory
    from wizard.core.answers import default_answers

    out = tmp_path / "ws"
    runner = workflow_factory(sandbox=None, mirror=None)(default_answers(), out, lambda e: None)
    options = runner.flow.options
    assert options.rerun_apply == f"cdwizard apply --answers {out / 'answers.yml'} --out {out}"
    assert options.rerun_destroy.startswith("cdwizard destroy --answers ")
    assert options.rerun_destroy.endswith(f" --out {out}")
