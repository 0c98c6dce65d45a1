"""Reading and writing answers files (YAML). Writes are atomic; nothing secret is ever stored.

`yaml` is imported by the functions that read or write, not by this module: the wizard's first
screen (a fresh workspace) needs the answers model but no YAML, and importing PyYAML costs several
milliseconds of start-up."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wizard.core.answers.model import Answers
from wizard.core.answers.validate import (
    AnswersError,
    Problem,
    to_flat,
    to_nested,
    validate_mapping,
)
from wizard.core.atomic import write_atomic


def read_document(path: Path) -> Any:
    """Parse the YAML of an answers file; syntax errors become an `AnswersError` with the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersError(
            [
                Problem(
                    "",
                    f"file not found: {path}",
                    "create one with `cdwizard answers template > answers.yml`",
                    has_value=False,
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersError(
            [
                Problem(
                    "",
                    f"cannot read {path}: {exc}",
                    "check the path and that it is UTF-8 text",
                    has_value=False,
                )
            ]
        ) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise AnswersError(
            [
                Problem(
                    "",
                    f"is not valid YAML{where}: {reason}",
                    "fix the syntax (indent with spaces; quote values containing ': ' or '#')",
                    has_value=False,
                )
            ],
            str(path),
        ) from None


def load_answers(path: Path) -> Answers:
    """Load and validate an answers file. Raises `AnswersError` listing every problem."""
    return validate_mapping(read_document(path), source=str(path))


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Serialise a nested answers mapping, keys in declaration order."""
    import yaml

    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)


def answers_yaml(answers: Answers) -> str:
    return dump_yaml(to_nested(to_flat(answers)))


def save_document(path: Path, data: Mapping[str, Any]) -> None:
    """Atomically write an answers mapping (valid or a partial draft from the wizard)."""
    write_atomic(Path(path), dump_yaml(data), mode=0o600 if not Path(path).exists() else None)


def save_answers(path: Path, answers: Answers) -> None:
    """Atomically write validated answers."""
    save_document(path, to_nested(to_flat(answers)))
