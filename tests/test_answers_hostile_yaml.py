"""Answers files that would hang, exhaust memory or silently lose a value are refused, with the
line and the fix, before any work is done (issue 10, fault 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wizard.core.answers import AnswersError, load_answers
from wizard.core.answers.yamlread import MAX_BYTES, MAX_VALUES


def problems(path: Path) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        load_answers(path)
    return [str(p) for p in caught.value.problems]


def bomb(levels: int) -> str:
    """The "billion laughs": each level is nine aliases of the one before."""
    lines = ["version: 1", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [8, 9, 30])
def test_alias_bombs_are_refused_before_they_are_expanded(tmp_path: Path, levels: int) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(bomb(levels))
    (problem,) = problems(path)
    assert f"expands to more than {MAX_VALUES:,} values through its YAML aliases" in problem


def test_an_alias_inside_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\ntags: &t\n  x: *t\n")
    (problem,) = problems(path)
    assert problem.startswith("tags.x: has an alias that contains itself (line 2)")


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\ntags: &shared {team: web}\ndeployment:\n  group_tags: *shared\n")
    answers = load_answers(path)
    assert answers.tags == answers.deployment.group_tags == {"team": "web"}


def test_duplicate_keys_name_both_lines_every_one_at_once(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(
        "version: 1\naws:\n  region: eu-west-1\n  region: us-east-1\ntags: {a: '1', a: '2'}\n"
    )
    assert problems(path) == [
        "aws.region: is given twice: at line 3 and at line 4 — keep one of them (YAML would "
        "silently use the last)",
        "tags.a: is given twice: at line 5, column 8 and at line 5, column 16 — keep one of "
        "them (YAML would silently use the last)",
    ]


def test_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\ntags:\n  <<: {team: web, tier: a}\n  tier: b\n")
    assert load_answers(path).tags == {"team": "web", "tier": "b"}


def test_a_huge_file_is_refused_by_its_size_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse: nothing to read if we tried
    (problem,) = problems(path)
    assert f"is 52,428,800 bytes; an answers file is a few kilobytes (at most {MAX_BYTES:,})" in (
        problem
    )


def test_a_device_or_fifo_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)  # reading it would block forever
    assert problems(fifo) == [
        "(file): is not a regular file — give --answers the path of a YAML file"
    ]
    assert problems(Path("/dev/zero"))[0].startswith("(file): is not a regular file")


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\ntags: " + "[" * 50_000 + "]" * 50_000 + "\n")
    (problem,) = problems(path)
    assert "is nested too deeply (more than 32 levels at line 2)" in problem


def test_binary_and_folder_are_one_problem_each(tmp_path: Path) -> None:
    binary = tmp_path / "answers.yml"
    binary.write_bytes(b"version: 1\n\xff\xfe\x00")
    assert "is not UTF-8 text (byte 11 cannot be decoded)" in problems(binary)[0]
    assert (
        "it is a folder, not a file" in problems(tmp_path)[0]
        or "not a regular file" in (problems(tmp_path)[0])
    )
