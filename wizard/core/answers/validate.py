"""Turn a loaded mapping into `Answers`, reporting every problem at once.

Each problem names the key path, the bad value and the fix. Unknown keys are problems too, with a
"did you mean" from the known keys (in the same section first, then anywhere).
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from wizard.core.answers.fields import Question, record_questions, walk
from wizard.core.answers.model import CROSS_RULES, CURRENT_VERSION, LIST_RULES, Answers
from wizard.core.events.base import plural


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the answers."""

    path: str
    message: str
    fix: str
    value: Any = None
    has_value: bool = True

    def __str__(self) -> str:
        shown = ""
        if self.has_value:
            text = repr(self.value)
            shown = f" (got {text if len(text) <= 60 else text[:57] + '...'})"
        where = self.path or "(file)"
        return f"{where}: {self.message}{shown} — {self.fix}"


class AnswersError(ValueError):
    """The answers are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        n = len(self.problems)
        head = f"{plural(n, 'problem')}{where}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


@cache
def questions() -> tuple[Question, ...]:
    """Every question, in declaration (and wizard) order."""
    return tuple(q for _, cls, q in walk(Answers) if q is not None)


@cache
def question_map() -> dict[str, Question]:
    return {q.key: q for q in questions()}


@cache
def _section_keys() -> dict[str, tuple[str, ...]]:
    """Section key ('' for the top) -> its child names."""
    out: dict[str, list[str]] = {"": []}
    for key, cls, _q in walk(Answers):
        parent, _, name = key.rpartition(".")
        out.setdefault(parent, []).append(name)
        if cls is not None:
            out.setdefault(key, [])
    return {k: tuple(v) for k, v in out.items()}


def _suggest(section: str, name: str) -> str:
    siblings = _section_keys().get(section, ())
    close = difflib.get_close_matches(name, siblings, n=1, cutoff=0.6)
    if close:
        target = f"{section}.{close[0]}" if section else close[0]
        return f"did you mean '{target}'?"
    # the right name in the wrong section?
    everywhere = [q.key for q in questions() if q.name == name]
    if everywhere:
        home = everywhere[0].rsplit(".", 1)[0]
        return f"did you mean '{everywhere[0]}'? (it belongs in section '{home}')"
    close_any = difflib.get_close_matches(name, [q.name for q in questions()], n=1, cutoff=0.75)
    if close_any:
        match = next(q.key for q in questions() if q.name == close_any[0])
        return f"did you mean '{match}'?"
    allowed = ", ".join(siblings)
    return f"remove it; allowed here: {allowed}"


def coerce(question: Question, value: Any) -> tuple[Any, str | None, str | None]:
    """Check the type of a loaded value. Returns (value, message, fix); message None if fine."""
    if value is None:
        if question.nullable:
            return None, None, None
        return value, "must not be empty", f"set a value (default: {question.default_text()})"
    kind = question.kind
    if kind == "str":
        if isinstance(value, bool):
            return value, "must be text, not true/false", "quote it: '\"yes\"'"
        if isinstance(value, int):
            return str(value), None, None
        if not isinstance(value, str):
            return value, f"must be text, not {type(value).__name__}", "write it as a quoted string"
        return value, None, None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                return value, "must be a number, not text", f"write it unquoted: {value.strip()}"
            return value, "must be a whole number", "write a whole number, like 8000"
        return value, None, None
    if kind == "bool":
        if not isinstance(value, bool):
            return value, "must be true or false", "write true or false (unquoted)"
        return value, None, None
    if kind == "choice":
        if isinstance(value, str) and value in question.choices:
            return value, None, None
        options = ", ".join(question.choices)
        near = (
            [c for c in question.choices if c.lower() == value.lower()]
            if isinstance(value, str)
            else []
        ) or difflib.get_close_matches(str(value), question.choices, n=1, cutoff=0.5)
        hint = f"did you mean '{near[0]}'? " if near else ""
        return value, f"must be one of: {options}", f"{hint}pick one of the listed values"
    if kind == "map":
        if not isinstance(value, Mapping):
            return value, "must be a mapping of KEY: VALUE", "write it as {Key: value, ...}"
        fixed: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(k, str) or isinstance(v, (Mapping, list)) or v is None:
                return (
                    value,
                    f"entry {k!r} must map text to text",
                    "use plain KEY: VALUE text pairs",
                )
            fixed[k] = (
                v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
            )
        return fixed, None, None
    if kind == "records":
        if not isinstance(value, (list, tuple)) or not all(isinstance(i, Mapping) for i in value):
            return (
                value,
                "must be a list of entries",
                f"write one '- name: ...' entry per line under '{question.key}:'",
            )
        return [dict(item) for item in value], None, None
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return value, "must be a list", "write it as [first, second] or one '- item' per line"
        items: list[str] = []
        for item in value:
            if isinstance(item, (Mapping, list, tuple, bool)) or item is None:
                return value, f"entry {item!r} must be text", "list plain text values"
            items.append(str(item))
        return items, None, None
    raise AssertionError(kind)  # pragma: no cover


def check_value(question: Question, value: Any) -> list[Problem]:
    """Type and rule problems for one (already loaded) value."""
    coerced, message, fix = coerce(question, value)
    if message:
        return [Problem(question.key, message, fix or "", value)]
    if coerced is None:
        return []
    problems = []
    for rule in question.rules:
        msg = rule.check(coerced)
        if msg:
            problems.append(Problem(question.key, msg, rule.fix, coerced))
            break  # one problem per field: the first rule that fails says the most
    return problems


def flatten(data: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """Nested mapping -> {dotted key: value} for known keys; unknown keys become problems."""
    flat: dict[str, Any] = {}
    sections = _section_keys()

    def visit(section: str, node: Mapping[str, Any]) -> None:
        for name, value in node.items():
            key = f"{section}.{name}" if section else str(name)
            if not isinstance(name, str) or name not in sections.get(section, ()):
                problems.append(
                    Problem(
                        key, "is not a known key", _suggest(section, str(name)), has_value=False
                    )
                )
                continue
            if key in sections and key not in question_map():
                if value is None:
                    continue
                if not isinstance(value, Mapping):
                    problems.append(
                        Problem(
                            key,
                            "must be a section (a mapping)",
                            f"indent its keys under '{key}:'",
                            value,
                        )
                    )
                    continue
                visit(key, value)
            else:
                flat[key] = value

    visit("", data)
    return flat


def resolve(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in defaults (plain first, then derived ones, which may read the others)."""
    out = dict(flat)
    for q in questions():
        if q.key not in out and not hasattr(q.default, "compute"):
            out[q.key] = q.default_for(out)
    for q in questions():
        if q.key not in out:
            out[q.key] = q.default_for(out)
    for q in questions():
        if q.record is not None and isinstance(out.get(q.key), list):
            out[q.key] = [
                resolve_record(q.record, item, out) if isinstance(item, Mapping) else item
                for item in out[q.key]
            ]
    return out


def resolve_record(
    cls: type, item: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    """One record with its defaults filled in; derived ones see the other answers (`context`)
    and the record's own fields by their bare names (`<project>-<name>`)."""
    out = dict(item)
    fields = record_questions(cls)
    for q in fields:
        if q.key not in out and not hasattr(q.default, "compute"):
            out[q.key] = q.default_for(out)
    for q in fields:
        if q.key not in out:
            out[q.key] = q.default_for({**context, **out})
    return out


def _check_records(
    q: Question, value: Any, context: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Validate a list of records field by field; problems are named `key[i].field`."""
    assert q.record is not None
    if value is None:
        return [], []
    if not isinstance(value, (list, tuple)):
        return [], [
            Problem(
                q.key,
                "must be a list of entries",
                f"write one '- name: ...' entry per line under '{q.key}:' (or remove it)",
                value,
            )
        ]
    fields = record_questions(q.record)
    names = tuple(f.key for f in fields)
    items: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, item in enumerate(value):
        path = f"{q.key}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(
                Problem(
                    path,
                    "must be a mapping of fields",
                    "write it as '- name: staging' with its other fields indented under it",
                    item,
                )
            )
            continue
        for name in item:
            if name not in names:
                close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
                fix = (
                    f"did you mean '{path}.{close[0]}'?"
                    if close
                    else f"remove it; allowed here: {', '.join(names)}"
                )
                problems.append(
                    Problem(f"{path}.{name}", "is not a known key", fix, has_value=False)
                )
        resolved = resolve_record(q.record, {k: v for k, v in item.items() if k in names}, context)
        checked: dict[str, Any] = {}
        for f in fields:
            field_value = resolved.get(f.key)
            where = f"{path}.{f.key}"
            if field_value is None and f.required is not None:
                problems.append(Problem(where, "is required", f.required, has_value=False))
                checked[f.key] = field_value
                continue
            found = check_value(f, field_value)
            problems.extend(dataclasses.replace(p, path=where) for p in found)
            checked[f.key] = coerce(f, field_value)[0] if not found else field_value
        items.append(checked)
    return items, problems


def applicable(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with every question that does not apply (its `when` fails) back at its
    default: what the rest of cdwizard sees, whatever an earlier choice left in those keys."""
    out = dict(flat)
    for q in questions():
        if q.key in out and not q.applies(out):
            out[q.key] = q.default_for(out)
    return out


def strays(provided: Mapping[str, Any], resolved: Mapping[str, Any]) -> list[Problem]:
    """Keys set in a file that do not apply to its other answers (e.g. `source.bucket` with
    provider codecommit): a value there would be silently ignored, so it is a problem unless it
    is the default (the commented template holds every key)."""
    problems = []
    for q in questions():
        if q.key not in provided or q.applies(resolved):
            continue
        if provided[q.key] == q.default_for(resolved) or provided[q.key] is None:
            continue
        assert q.when is not None
        now = resolved.get(q.when.key)
        problems.append(
            Problem(
                q.key,
                f"is only used when {q.when.describe()} (here: {now})",
                f"remove it, or set {q.when.key} to one of: {', '.join(q.when.values)}",
                provided[q.key],
            )
        )
    return problems


def validate_flat(flat: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Validate a complete {dotted key: value} mapping. Returns (coerced values, problems).

    Questions that do not apply hold their defaults and are not checked; one that applies and
    is `required` must have a value."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    flat = applicable(flat)
    for q in questions():
        value = flat.get(q.key)
        if q.record is not None:
            items, found = _check_records(q, value, flat)
            problems.extend(found)
            values[q.key] = items
            continue
        if not q.applies(flat):
            values[q.key] = value
            continue
        if value is None and q.required is not None and q.when is not None:
            problems.append(
                Problem(q.key, f"is required when {q.when.describe()}", q.required, has_value=False)
            )
            values[q.key] = value
            continue
        found = check_value(q, value)
        problems.extend(found)
        values[q.key] = coerce(q, value)[0] if not found else value
    if values.get("version") not in (None, CURRENT_VERSION) and not any(
        p.path == "version" for p in problems
    ):
        problems.append(
            Problem(
                "version",
                f"must be {CURRENT_VERSION}",
                "this cdwizard reads version 1 files",
                values.get("version"),
            )
        )
    bad = {p.path for p in problems}
    for keys, rule in CROSS_RULES:
        if bad.intersection(keys):
            continue
        found_cross = rule(values)
        if found_cross:
            message, fix = found_cross
            problems.append(Problem(keys[0], message, fix, values[keys[0]]))
    for keys, list_rule in LIST_RULES:
        if any(p == k or p.startswith((f"{k}[", f"{k}.")) for p in bad for k in keys):
            continue
        for path, message, fix, value in list_rule(values):
            problems.append(Problem(path, message, fix, value))
    return values, problems


def build(values: Mapping[str, Any]) -> Answers:
    """Construct the frozen `Answers` tree from validated flat values."""
    return _build(Answers, "", values)


def _build(cls: type, prefix: str, values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if "section" in f.metadata:
            kwargs[f.name] = _build(hints[f.name], f"{key}.", values)
        elif (record := f.metadata["question"].record) is not None:
            kwargs[f.name] = [record(**_copy_items(item)) for item in values[key] or []]
        else:
            value = values[key]
            kwargs[f.name] = _copy(value)
    return cls(**kwargs)


def _copy_items(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) for k, v in item.items()}


def _copy(value: Any) -> Any:
    """Maps and lists are copied into the answers (never shared with the caller's data); records
    become plain mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _copy_items(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    return value


def validate_mapping(data: Any, *, source: str | None = None) -> Answers:
    """Validate a loaded answers document; raise `AnswersError` with every problem."""
    problems: list[Problem] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise AnswersError(
            [
                Problem(
                    "",
                    "the file must hold a YAML mapping of sections",
                    "start from `cdwizard answers template`",
                    data,
                )
            ],
            source,
        )
    flat = flatten(data, problems)
    if "version" not in flat:
        problems.append(
            Problem(
                "version",
                "is missing",
                f"add 'version: {CURRENT_VERSION}' at the top",
                has_value=False,
            )
        )
        flat["version"] = CURRENT_VERSION
    resolved = resolve(flat)
    problems.extend(strays(flat, resolved))
    values, found = validate_flat(resolved)
    problems.extend(found)
    if problems:
        raise AnswersError(problems, source)
    return build(values)


def to_flat(answers: Answers) -> dict[str, Any]:
    """`Answers` -> {dotted key: value} in declaration order."""
    out: dict[str, Any] = {}
    for q in questions():
        node: Any = answers
        for part in q.key.split("."):
            node = getattr(node, part)
        out[q.key] = _copy(node)
    return out


def to_nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{dotted key: value} -> nested mapping in declaration order (for YAML output)."""
    nested: dict[str, Any] = {}
    for q in questions():
        if q.key not in flat:
            continue
        node = nested
        parts = q.key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = flat[q.key]
    return nested


def from_text(question: Question, text: str) -> tuple[Any, Problem | None]:
    """Parse what was typed in a form field into a value, then check it like the file would.

    Empty text means null for nullable questions. Maps are typed as `Key=value, Key2=value2`,
    lists as `first, second`.
    """
    raw = text.strip()
    value: Any = raw
    if question.kind == "records":
        return raw, Problem(
            question.key, "is a list of entries, not text", "edit it entry by entry", raw
        )
    if raw == "" and question.nullable:
        return None, None
    if question.kind == "int":
        try:
            value = int(raw)
        except ValueError:
            return raw, Problem(question.key, "must be a whole number", "type digits only", raw)
    elif question.kind == "bool":
        lowered = raw.lower()
        if lowered in ("true", "yes", "y", "on", "1"):
            value = True
        elif lowered in ("false", "no", "n", "off", "0"):
            value = False
        else:
            return raw, Problem(question.key, "must be yes or no", "type yes or no", raw)
    elif question.kind == "map":
        value = {}
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            key, sep, val = item.partition("=")
            if not sep or not key.strip():
                return raw, Problem(
                    question.key,
                    f"entry {item!r} is not KEY=VALUE",
                    "write Key=value, Key2=value2",
                    raw,
                )
            value[key.strip()] = val.strip()
    elif question.kind == "list":
        value = [part.strip() for part in raw.split(",") if part.strip()]
    problems = check_value(question, value)
    return value, (problems[0] if problems else None)


def to_text(question: Question, value: Any) -> str:
    """The inverse of `from_text`, for prefilling form fields."""
    if value is None:
        return ""
    if question.kind == "bool":
        return "yes" if value else "no"
    if question.kind == "map":
        return ", ".join(f"{k}={v}" for k, v in dict(value).items())
    if question.kind == "list":
        return ", ".join(str(item) for item in value)
    if question.kind == "records":
        return ", ".join(str(dict(item).get("name")) for item in value)
    return str(value)
