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


def _section(heading: str) -> str:
    start = README.index(f"\n{heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def test_the_checklist_is_in_its_own_section_and_listed_in_the_contents() -> None:
    section = _section("## Before your first real deployment")
    assert checklist.first_deployment_checklist() in section
    assert "`cdwizard doctor --answers answers.yml`" in section  # how to run the checks
    assert "[Before your first real deployment](#before-your-first-real-deployment)" in README
    assert checklist.doctor_table() in _section(
        "## `cdwizard doctor`: check everything before you apply"
    )


def test_the_doctor_example_shows_every_check_in_order_with_its_counts() -> None:
    """The example output is of a real run: one line per declared check, in the order they
    run, each failure followed by its fix, and a count line that adds up."""
    section = _section("## `cdwizard doctor`: check everything before you apply")
    example = section[section.index("cdwizard doctor: checking against") :]
    example = example[: example.index("```")].rstrip("\n").splitlines()
    glyph_line = re.compile(r"^  ([✓!✗-]) (.+?)  +\S")
    checks = [(m[1], m[2].strip()) for line in example if (m := glyph_line.match(line))]
    assert [title for _, title in checks] == [c.title for c in checklist.CHECK_SPECS]
    columns = {m.end() - 1 for line in example if (m := glyph_line.match(line))}
    assert len(columns) == 1, "the details start in one column"
    for i, line in enumerate(example):
        if line.startswith("  ✗ "):
            assert example[i + 1].lstrip().startswith("fix: "), line
    counts = {glyph: sum(1 for g, _ in checks if g == glyph) for glyph in "✓!✗-"}
    assert example[-1] == (
        f"{counts['✓']} ok, {counts['!']} warning{'s' if counts['!'] != 1 else ''}, "
        f"{counts['✗']} failed, {counts['-']} skipped"
    )


def test_every_check_has_its_fix_and_checklist_line() -> None:
    names = [c.name for c in checklist.CHECK_SPECS]
    assert len(names) == len(set(names))
    for spec in checklist.CHECK_SPECS:
        assert re.fullmatch(r"[a-z_]+", spec.name), spec.name
        for text in (spec.title, spec.passes, spec.fix, spec.before):
            assert text.strip() == text and text and not text.endswith("."), (spec.name, text)


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
