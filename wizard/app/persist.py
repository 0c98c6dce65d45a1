"""Where the wizard keeps its work between runs (pure: no textual).

`<out>/answers.yml` is a normal answers file (a partial draft until the last step), written
atomically after every step; `<out>/.cdwizard/wizard.json` remembers which steps were confirmed so
a relaunch can offer to resume where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.app.draft import Draft
from wizard.app.steps import STEP_NAMES
from wizard.core.answers import AnswersError, Problem, flatten, read_document, save_document
from wizard.core.atomic import write_atomic

ANSWERS_FILE = "answers.yml"
STATE_FILE = ".cdwizard/wizard.json"


@dataclass(frozen=True)
class Loaded:
    """A leniently read answers file: the known keys, and what was wrong with the rest."""

    path: Path
    flat: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SavedRun(Loaded):
    completed: tuple[str, ...] = ()


def read_lenient(path: Path) -> Loaded:
    """Read an answers file for prefilling: unknown keys and bad YAML become problems, and
    whatever is usable is kept (the wizard then shows the invalid values next to their fields)."""
    problems: list[Problem] = []
    try:
        data = read_document(path)
    except AnswersError as exc:
        return Loaded(path, {}, tuple(exc.problems))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problem = Problem("", "the file must hold a YAML mapping of sections", "", data)
        return Loaded(path, {}, (problem,))
    flat = flatten(data, problems)
    flat.pop("version", None)
    return Loaded(path, flat, tuple(problems))


def answers_path(out: Path) -> Path:
    return Path(out) / ANSWERS_FILE


def load_saved(out: Path) -> SavedRun | None:
    """The draft an earlier run saved in `out`, or None."""
    path = answers_path(out)
    if not path.is_file():
        return None
    loaded = read_lenient(path)
    completed: tuple[str, ...] = ()
    try:
        state = json.loads((Path(out) / STATE_FILE).read_text(encoding="utf-8"))
        completed = tuple(s for s in state.get("completed", ()) if s in STEP_NAMES)
    except (OSError, ValueError, AttributeError):
        completed = ()
    return SavedRun(loaded.path, loaded.flat, loaded.problems, completed)


def save(out: Path, draft: Draft) -> Path:
    """Atomically write the draft (a partial answers file is fine) and the wizard's progress."""
    path = answers_path(out)
    save_document(path, draft.document())
    state = {"version": 1, "completed": list(draft.completed)}
    write_atomic(Path(out) / STATE_FILE, json.dumps(state, indent=2) + "\n")
    return path
