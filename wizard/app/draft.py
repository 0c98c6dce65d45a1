"""The wizard's working copy of the answers (pure: no textual; the screens only render it).

Every form field holds *text*; the draft keeps that text for each key together with where it came
from, so going Back shows exactly what was typed, even when it is not valid yet. Values are parsed
and checked with the Answers model's own `from_text` / `validate_flat`, so the wizard and an
answers file accept and reject the same things.

Prefill precedence (highest first): the `--answers FILE`, the answers saved by an earlier run,
what AWS discovery suggests, the declared defaults (derived ones follow the project name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any, Literal

from wizard.app.steps import FORM_STEPS, STEP_NAMES, step_questions
from wizard.core.answers import (
    CURRENT_VERSION,
    Answers,
    AnswersError,
    Problem,
    Question,
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
from wizard.core.answers.fields import record_questions
from wizard.core.answers.model import pipeline_stages as model_stages
from wizard.core.answers.validate import resolve_record

Origin = Literal["default", "discovered", "saved", "file", "typed"]

#: Origins a discovery suggestion may replace (it never overrides a choice somebody made).
_SUGGESTIBLE: frozenset[str] = frozenset({"default", "discovered"})


#: `environments[2].tag_value` -> (2, "tag_value"): the key of one environment's field, as the
#: answers' problems name it
_ITEM_KEY = re.compile(r"^environments\[(\d+)\]\.([a-z_]+)$")
#: the answers sections the Environments step edits (besides the list itself)
EXTRA_SECTIONS: tuple[str, ...] = ("notifications",)


def item_key(index: int, name: str) -> str:
    """`environments[1].tag_value`: one environment's field (index from 0)."""
    return f"environments[{index}].{name}"


def split_item_key(key: str) -> tuple[int, str] | None:
    match = _ITEM_KEY.match(key)
    return (int(match.group(1)), match.group(2)) if match else None


def question_for(key: str) -> Question:
    """The question behind a draft key: a top-level one, or an environment's field bound to
    `environments[i].<name>` (so its problems and its form field carry that key)."""
    item = split_item_key(key)
    if item is None:
        return question_map()[key]
    return replace(environment_question_map()[item[1]], key=key)


def _text_of(key: str, value: Any) -> str:
    question = question_for(key)
    try:
        return to_text(question, value)
    except (TypeError, ValueError):  # a wrongly typed value from a file: show it as it is
        return str(value)


class Draft:
    """Field texts, their origins, and the steps confirmed with Next.

    The environments are a list of such texts (one dict per environment, keys named
    `environments[i].<field>` from outside); unset fields show their (derived) defaults.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._origins: dict[str, Origin] = {}
        self._envs: list[dict[str, str]] = []
        self._env_origins: list[dict[str, Origin]] = []
        #: the Environments step asked for (True) or declined (False); None: decided by the
        #: answers (some environment or notification set, or the step confirmed before)
        self.wants_environments: bool | None = None
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
                if key == "environments":
                    draft._load_environments(value, origin)
                    continue
                question = question_map().get(key)
                if question is None or not (question.step or _extra(key)):
                    continue
                draft._texts[key] = _text_of(key, value)
                draft._origins[key] = origin
        draft.completed = [s for s in STEP_NAMES if s in set(completed)]
        return draft

    def _load_environments(self, value: Any, origin: Origin) -> None:
        """A file's `environments:` list replaces the environments of a lower layer."""
        if not isinstance(value, list):
            return
        self._envs, self._env_origins = [], []
        known = environment_question_map()
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                continue
            texts = {
                name: _text_of(item_key(index, name), v)
                for name, v in item.items()
                if name in known
            }
            self._envs.append(texts)
            self._env_origins.append(dict.fromkeys(texts, origin))

    # --- reading ------------------------------------------------------------------------------

    def text(self, key: str) -> str:
        """What the field for `key` shows: the kept text, else the (possibly derived) default."""
        item = split_item_key(key)
        if item is not None:
            index, name = item
            kept = self._envs[index].get(name)
            if kept is not None:
                return kept
            return _text_of(key, self.environment(index)[name])
        if key in self._texts:
            return self._texts[key]
        return _text_of(key, self.resolved()[key])

    def origin(self, key: str) -> Origin:
        item = split_item_key(key)
        if item is not None:
            return self._env_origins[item[0]].get(item[1], "default")
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
        item = split_item_key(key)
        if item is not None:
            return self.environment(item[0])[item[1]]
        return self.resolved()[key]

    def applies(self, key: str) -> bool:
        """Whether the question is asked with the current answers (its `when` holds): the form
        shows only these. A hidden field keeps its text, so switching back restores it."""
        item = split_item_key(key)
        if item is not None:
            return environment_applies(item[1], self.environment(item[0]))
        return question_map()[key].applies(self.resolved())

    # --- environments -------------------------------------------------------------------------

    @property
    def environment_count(self) -> int:
        return len(self._envs)

    def environment_problems(self) -> dict[str, Problem]:
        """Each environment field whose text does not parse or breaks its own rules."""
        problems: dict[str, Problem] = {}
        for index, texts in enumerate(self._envs):
            for name, text in texts.items():
                key = item_key(index, name)
                _, problem = from_text(question_for(key), text)
                if problem is not None:
                    problems[key] = problem
        return problems

    def _environment_values(self, index: int) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, text in self._envs[index].items():
            value, problem = from_text(question_for(item_key(index, name)), text)
            if problem is None:
                values[name] = value
        return values

    def environment(self, index: int) -> dict[str, Any]:
        """One environment's every field: its valid kept values, defaults for the rest."""
        return resolve_environment(self._environment_values(index), self.resolved())

    def environments(self) -> list[dict[str, Any]]:
        return [self.environment(i) for i in range(len(self._envs))]

    def add_environment(self, name: str) -> int:
        """A new environment at the end (its other fields follow their defaults)."""
        self._envs.append({"name": name})
        self._env_origins.append({"name": "typed"})
        return len(self._envs) - 1

    def remove_environment(self, index: int) -> None:
        del self._envs[index]
        del self._env_origins[index]

    def move_environment(self, index: int, offset: int) -> int:
        """Move an environment up (-1) or down (+1) the order; returns where it is now."""
        to = max(0, min(len(self._envs) - 1, index + offset))
        for items in (self._envs, self._env_origins):
            items.insert(to, items.pop(index))  # type: ignore[arg-type]
        return to

    @property
    def environments_wanted(self) -> bool:
        """Whether the Environments step is part of the flow."""
        if self.wants_environments is not None:
            return self.wants_environments
        return bool(self._envs) or self._notifications_set() or "environments" in self.completed

    def _notifications_set(self) -> bool:
        return any(_extra(key) and self.origin(key) != "default" for key in self._texts)

    def optional_steps(self) -> tuple[str, ...]:
        return ("environments",) if self.environments_wanted else ()

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
        if self.environments_wanted and step in (None, "environments"):
            merged.update(self.environment_problems())
            for problem in self._document_problems():
                if _is_environments_key(problem.path):
                    merged.setdefault(problem.path, problem)
        if step is None:
            return merged
        keys = {q.key for q in step_questions(step)}
        if step == "environments":
            return {k: p for k, p in merged.items() if k in keys or _is_environments_key(k)}
        return {k: p for k, p in merged.items() if k in keys}

    def _document_problems(self) -> list[Problem]:
        try:
            self.answers()
        except AnswersError as exc:
            return exc.problems
        return []

    def answers(self) -> Answers:
        """The complete, validated answers (raises `AnswersError` listing every problem)."""
        _, problems = self.parsed()
        flat = self.resolved()
        for key in problems:
            if question_map()[key].applies(flat):
                flat[key] = self._texts[key]
        nested = to_nested(applicable(flat))
        if not self.environments_wanted:
            for name in (*EXTRA_SECTIONS, "environments"):
                nested.pop(name, None)
        elif self._envs:
            nested["environments"] = self._environment_documents(complete=True)
        return validate_mapping(nested)

    def _environment_documents(self, *, complete: bool) -> list[dict[str, Any]]:
        """The environments as the answers file holds them: what was set (an invalid text as
        typed when `complete`, so its problem is reported at its field; else left out)."""
        documents = []
        for index, texts in enumerate(self._envs):
            values = self._environment_values(index)
            document: dict[str, Any] = {}
            for q in environment_questions():
                if q.key in values:
                    document[q.key] = values[q.key]
                elif q.key in texts and complete:
                    document[q.key] = texts[q.key]
            documents.append(document)
        return documents

    # --- writing ------------------------------------------------------------------------------

    def set_text(self, key: str, text: str, origin: Origin = "typed") -> None:
        """Keep what a field holds. Re-setting the same text keeps its origin."""
        item = split_item_key(key)
        if item is not None:
            index, name = item
            if self._envs[index].get(name) == text and name in self._env_origins[index]:
                return
            self._envs[index][name] = text
            self._env_origins[index][name] = origin
            return
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
        for name in STEP_NAMES:
            asked = name in FORM_STEPS or name in self.optional_steps()
            if asked and name not in self.completed:
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
            if _extra(q.key) and not self.environments_wanted:
                continue
            if q.key in values:
                flat[q.key] = values[q.key]
            elif q.step in self.completed:
                flat[q.key] = resolved[q.key]
        nested = to_nested(flat)
        if self.environments_wanted and self._envs:
            nested["environments"] = self._environment_documents(complete=False)
        return nested


def _extra(key: str) -> bool:
    """A key of a section the Environments step edits (notifications)."""
    return key.split(".", 1)[0] in EXTRA_SECTIONS or key == "environments"


def _is_environments_key(key: str) -> bool:
    return key == "environments" or key.startswith("environments[") or _extra(key)


# --- the environment fields: the model's `environments` records ---------------------------------


@cache
def environments_question() -> Question:
    """The `environments` question (a list of records)."""
    return question_map()["environments"]


@cache
def environment_questions() -> tuple[Question, ...]:
    """One environment's questions, in declaration order (keys are the bare field names)."""
    record = environments_question().record
    assert record is not None
    return record_questions(record)


@cache
def environment_question_map() -> dict[str, Question]:
    return {q.key: q for q in environment_questions()}


def resolve_environment(values: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """One environment with its (derived) defaults, as the answers file would get them."""
    record = environments_question().record
    assert record is not None
    return resolve_record(record, values, top)


#: an environment's fields that only matter for some of its other answers (shown only then)
_ONLY_WHEN: dict[str, str] = {
    "instance_type": "create_instance",
    "instance_count": "create_instance",
    "approval_message": "approval",
    "approval_url": "approval",
}


def environment_applies(name: str, env: Mapping[str, Any]) -> bool:
    """Whether the form shows this field of the environment (the instance type and count only
    for created instances, the approval's message and URL only with an approval)."""
    switch = _ONLY_WHEN.get(name)
    if name == "approval_url" and env.get(name) is not None:
        return True  # set without an approval: shown, so the problem it is can be fixed
    return switch is None or bool(env.get(switch))


def pipeline_stages(environments: Sequence[Mapping[str, Any]]) -> list[str]:
    """The pipeline's stages in order (the model's); without environments `Source`, `Deploy`."""
    return model_stages(list(environments)) if environments else ["Source", "Deploy"]


def default_environment_name(taken: Iterable[str]) -> str:
    """A name for a new environment: staging, then production, then env-3, env-4, ..."""
    used = set(taken)
    for name in ("staging", "production"):
        if name not in used:
            return name
    n = len(used) + 1
    while f"env-{n}" in used:
        n += 1
    return f"env-{n}"
