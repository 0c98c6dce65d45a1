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
    to_flat,
    to_nested,
    validate_mapping,
)
from wizard.core.atomic import write_atomic


def read_document(path: Path) -> Any:
    """Parse the YAML of an answers file. Everything wrong with it (missing, unreadable, too
    large, not UTF-8, bad syntax, duplicate keys, an alias bomb) becomes an `AnswersError` naming
    the line and the fix, before any work is done with it."""
    from wizard.core.answers.yamlread import parse, read_text

    return parse(read_text(Path(path)), str(path))


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
