"""The README stays true: its answers reference, its doctor table and its "Before your first real
deployment" checklist are generated from the declarations, its test command is the one `.ci/run`
runs, every subcommand is documented, and every image exists."""

from __future__ import annotations

import re

from tests.conftest import REPO
from wizard.cli import COMMANDS
from wizard.core import checklist
from wizard.core.answers.docs import END, START, markdown_reference

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_answers_reference_is_current() -> None:
    block = README[README.index(START) : README.index(END) + len(END)]
    assert block == markdown_reference(), "regenerate: python -m wizard.core.answers.docs"


def test_doctor_table_and_first_deployment_checklist_are_current() -> None:
    for start, end, text in (
        (checklist.TABLE_START, checklist.TABLE_END, checklist.doctor_table()),
        (
            checklist.CHECKLIST_START,
            checklist.CHECKLIST_END,
            checklist.first_deployment_checklist(),
        ),
    ):
        block = README[README.index(start) : README.index(end) + len(end)]
        assert block == text, "regenerate: python -m wizard.core.checklist"


def test_the_checklist_is_the_checks_doctor_runs() -> None:
    """One declaration: the preflight runs exactly the declared checks, in their order."""
    from wizard.core.answers import default_answers
    from wizard.services.aws.preflight import PreflightOptions, _Run

    run = _Run(default_answers(), None, PreflightOptions())  # type: ignore[arg-type]
    assert [name for name, _ in run.steps()] == [c.name for c in checklist.CHECK_SPECS]
    for spec in checklist.CHECK_SPECS:
        assert f"**{spec.title}** (`{spec.name}`)" in README


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = re.findall(r"```bash\n(python3 -m venv .*?)\n```", README)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_subcommand_has_a_section() -> None:
    for name in COMMANDS:
        if name in ("plan", "apply", "destroy"):
            assert "## plan, apply, destroy" in README
        else:
            assert f"`cdwizard {name}" in README, name


def test_every_linked_image_exists() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images
    for path in images:
        assert (REPO / path).is_file(), path


def test_the_exit_code_table_has_every_code_and_no_other() -> None:
    from wizard.core.exitcodes import ExitCode

    section = README[README.index("## Exit codes") :]
    section = section[: section.index("\n## ", 1)]
    listed = [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)]
    assert listed == [int(code) for code in ExitCode]
