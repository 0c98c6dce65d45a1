"""The wizard's working copy of the answers (pure: no textual; the screens only render it).

Every form field holds *text*; the draft keeps that text for each key together with where it came
from, so going Back shows exactly what was typed, even when it is not valid yet. Values are parsed
and checked with the Answers model's own `from_text` / `validate_flat`, so the wizard and an
answers file accept and reject the same things.

Prefill precedence (highest first): the `--answers FILE`, the answers saved by an earlier run,
what AWS discovery suggests, the declared defaults (derived ones follow the project name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from wizard.app.steps import FORM_STEPS, STEP_NAMES, step_questions
from wizard.core.answers import (
    CURRENT_VERSION,
    Answers,
    Problem,
    applicable,
    from_text,
    question_map,
    questions,
    resolve,
    to_nested,
    to_text,
    validate_flat,
    validate_mapping,
)

Origin = Literal["default", "discovered", "saved", "file", "typed"]

#: Origins a discovery suggestion may replace (it never overrides a choice somebody made).
_SUGGESTIBLE: frozenset[str] = frozenset({"default", "discovered"})


def _text_of(key: str, value: Any) -> str:
    question = question_map()[key]
    try:
        return to_text(question, value)
    except (TypeError, ValueError):  # a wrongly typed value from a file: show it as it is
        return str(value)


class Draft:
    """Field texts, their origins, and the steps confirmed with Next."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._origins: dict[str, Origin] = {}
        self.completed: list[str] = []

    @classmethod
    def prefilled(
        cls,
        *,
        file: Mapping[str, Any] | None = None,
        saved: Mapping[str, Any] | None = None,
        completed: Iterable[str] = (),
    ) -> Draft:
        """A draft from flat `{dotted key: value}` mappings; `file` wins over `saved`."""
        draft = cls()
        layers: tuple[tuple[Origin, Mapping[str, Any] | None], ...] = (
            ("saved", saved),
            ("file", file),
        )
        for origin, flat in layers:
            for key, value in (flat or {}).items():
                question = question_map().get(key)
                if question is None or not question.step:
                    continue
                draft._texts[key] = _text_of(key, value)
                draft._origins[key] = origin
        draft.completed = [s for s in STEP_NAMES if s in set(completed)]
        return draft

    # --- reading ------------------------------------------------------------------------------

    def text(self, key: str) -> str:
        """What the field for `key` shows: the kept text, else the (possibly derived) default."""
        if key in self._texts:
            return self._texts[key]
        return _text_of(key, self.resolved()[key])

    def origin(self, key: str) -> Origin:
        return self._origins.get(key, "default")

    def parsed(self) -> tuple[dict[str, Any], dict[str, Problem]]:
        """Values of the kept texts that parse and pass their field's rules, and the problems."""
        values: dict[str, Any] = {}
        problems: dict[str, Problem] = {}
        for key, text in self._texts.items():
            value, problem = from_text(question_map()[key], text)
            if problem is None:
                values[key] = value
            else:
                problems[key] = problem
        return values, problems

    def resolved(self) -> dict[str, Any]:
        """Every key: the valid kept values, defaults for the rest (derived ones included)."""
        values, _ = self.parsed()
        return resolve({"version": CURRENT_VERSION, **values})

    def value(self, key: str) -> Any:
        return self.resolved()[key]

    def applies(self, key: str) -> bool:
        """Whether the question is asked with the current answers (its `when` holds): the form
        shows only these. A hidden field keeps its text, so switching back restores it."""
        return question_map()[key].applies(self.resolved())

    def problems(self, step: str | None = None) -> dict[str, Problem]:
        """Field and cross-field problems (as an answers file would get) for one step or all."""
        values, problems = self.parsed()
        flat = resolve({"version": CURRENT_VERSION, **values})
        problems = {k: p for k, p in problems.items() if question_map()[k].applies(flat)}
        for key in problems:
            flat[key] = self._texts[key]
        _, found = validate_flat(flat)
        merged = dict(problems)
        for problem in found:
            merged.setdefault(problem.path, problem)
        if step is None:
            return merged
        keys = {q.key for q in step_questions(step)}
        return {k: p for k, p in merged.items() if k in keys}

    def answers(self) -> Answers:
        """The complete, validated answers (raises `AnswersError` listing every problem)."""
        _, problems = self.parsed()
        flat = self.resolved()
        for key in problems:
            if question_map()[key].applies(flat):
                flat[key] = self._texts[key]
        return validate_mapping(to_nested(applicable(flat)))

    # --- writing ------------------------------------------------------------------------------

    def set_text(self, key: str, text: str, origin: Origin = "typed") -> None:
        """Keep what a field holds. Re-setting the same text keeps its origin."""
        if self._texts.get(key) == text and key in self._origins:
            return
        self._texts[key] = text
        self._origins[key] = origin

    def suggest(self, key: str, value: Any) -> bool:
        """Discovery's proposal; taken only if no file, saved or typed value is there."""
        if self.origin(key) not in _SUGGESTIBLE:
            return False
        self._texts[key] = _text_of(key, value)
        self._origins[key] = "discovered"
        return True

    def complete(self, step: str) -> None:
        if step not in self.completed:
            self.completed.append(step)
            self.completed.sort(key=STEP_NAMES.index)

    def resume_step(self) -> str:
        """Where a resumed run continues: the first form step not confirmed yet, else review."""
        for name in FORM_STEPS:
            if name not in self.completed:
                return name
        return "review"

    def document(self) -> dict[str, Any]:
        """The nested mapping to save: every valid kept value, and every field of a completed
        step, of the questions that apply (a partial draft is fine; invalid texts and the
        fields of another source provider stay in memory only)."""
        values, _ = self.parsed()
        resolved = self.resolved()
        flat: dict[str, Any] = {"version": CURRENT_VERSION}
        for q in questions():
            if not q.applies(resolved):
                continue  # another provider's field: kept in memory, not in the file
            if q.key in values:
                flat[q.key] = values[q.key]
            elif q.step in self.completed:
                flat[q.key] = resolved[q.key]
        return to_nested(flat)
