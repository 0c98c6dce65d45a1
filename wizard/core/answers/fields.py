"""How a question is declared: a dataclass field carrying its `Question` in the metadata.

Declaring the model as annotated dataclass fields keeps each question in one place: the type comes
from the annotation, everything else (default, help, label, validators, wizard step) from `ask()`.
Validation, the TUI forms, the commented template and the JSON Schema are all derived from it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class Rule:
    """One validator: `check(value)` returns a problem message or None; `fix` says what to do.

    `schema` is the JSON Schema fragment the rule implies (pattern, bounds), so the schema and
    the validator never disagree.
    """

    check: Callable[[Any], str | None]
    fix: str
    schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Derived:
    """A default computed from other answers (e.g. the deployment group from the project)."""

    compute: Callable[[Mapping[str, Any]], Any]
    describe: str  # how the default is shown in help and schema, e.g. "<project>-dg"


Kind = Literal["str", "int", "bool", "choice", "map", "list", "records"]


@dataclass(frozen=True)
class When:
    """A question that applies only while another answer has one of `values` (the GitHub
    repository id only for `source.provider: github`, …). A question that does not apply is
    hidden in the wizard, left out of the Terraform variables, and holds its default."""

    key: str
    values: tuple[str, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return answers.get(self.key) in self.values

    def describe(self) -> str:
        """`source.provider is github, gitlab or bitbucket`"""
        names = [str(v) for v in self.values]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"{self.key} is {listed}"


def only_when(key: str, *values: str) -> When:
    return When(key, tuple(values))


@dataclass(frozen=True)
class Question:
    """Everything about one answer except its place in the tree (filled in by `bind`)."""

    default: Any
    help: str
    label: str = ""
    step: str = ""
    rules: tuple[Rule, ...] = ()
    example: str | None = None
    advanced: bool = False
    secret: bool = False
    #: the question applies only while this holds (None: always)
    when: When | None = None
    #: when it applies, it must have a value (not null); `fix` of the "is required" problem
    required: str | None = None
    #: for a list of records (`records()`): the dataclass of one entry, whose fields are questions
    record: type | None = None
    # filled in by `bind()` from the dataclass field:
    key: str = ""
    kind: Kind = "str"
    nullable: bool = False
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0] if "." in self.key else ""

    def condition_text(self) -> str:
        """`Used when source.provider is s3 (required then).` for help, template and schema;
        empty for a question that always applies."""
        if self.when is None:
            return ""
        required = " (required then)" if self.required else ""
        return f"Used when {self.when.describe()}{required}."

    def applies(self, answers: Mapping[str, Any]) -> bool:
        """Whether the question is asked for these (flat, dotted) answers."""
        return self.when is None or self.when.holds(answers)

    def default_for(self, answers: Mapping[str, Any]) -> Any:
        """The default, resolving a `Derived` one against the (flat, dotted) answers so far."""
        if isinstance(self.default, Derived):
            return self.default.compute(answers)
        if isinstance(self.default, dict):
            return dict(self.default)
        if isinstance(self.default, list):
            return list(self.default)
        return self.default

    def default_text(self) -> str:
        if isinstance(self.default, Derived):
            return self.default.describe
        return "null" if self.default is None else str(self.default)


def ask(
    default: Any,
    *,
    help: str,
    label: str = "",
    step: str = "",
    rules: tuple[Rule, ...] | list[Rule] = (),
    example: str | None = None,
    advanced: bool = False,
    when: When | None = None,
    required: str | None = None,
) -> Any:
    """Declare a question as a dataclass field. `when`: it applies only while another answer has
    one of some values; `required`: (the fix) it must then be set."""
    question = Question(
        default=default,
        help=help,
        label=label,
        step=step,
        rules=tuple(rules),
        example=example,
        advanced=advanced,
        when=when,
        required=required,
    )
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"question": question})
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"question": question})
    if isinstance(default, Derived):
        return field(default="", metadata={"question": question})
    return field(default=default, metadata={"question": question})


def records(
    cls: type,
    *,
    help: str,
    label: str = "",
    step: str = "",
    advanced: bool = False,
) -> Any:
    """Declare a list of records (e.g. `environments`): each entry is a `cls`, a dataclass whose
    fields are declared with `ask()` like a section's. Entries are validated field by field and
    reported as `key[i].field`; an entry's derived defaults see the other answers and the entry's
    own fields (by their bare names)."""
    question = Question(
        default=[], help=help, label=label, step=step, advanced=advanced, record=cls
    )
    return field(default_factory=list, metadata={"question": question})


def record_questions(cls: type) -> tuple[Question, ...]:
    """The bound questions of one record (keys are the bare field names)."""
    return tuple(q for _, _, q in walk(cls) if q is not None)


def section(cls: type, *, title: str, help: str) -> Any:
    """Declare a nested section (a dataclass of questions)."""
    return field(default_factory=cls, metadata={"section": (title, help)})


def _kind_of(annotation: Any) -> tuple[Kind, bool, tuple[str, ...]]:
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin is Literal:
        values = typing.get_args(annotation)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int", nullable, ()
        return "choice", nullable, tuple(str(v) for v in values)
    if annotation is bool:
        return "bool", nullable, ()
    if annotation is int:
        return "int", nullable, ()
    if annotation is str:
        return "str", nullable, ()
    if origin is dict:
        return "map", nullable, ()
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        if dataclasses.is_dataclass(item):
            return "records", nullable, ()
        return "list", nullable, ()
    raise TypeError(f"unsupported answer type {annotation!r}")


def walk(cls: type, prefix: str = "") -> list[tuple[str, type | None, Question | None]]:
    """Depth-first (key, section class or None, question or None) in declaration order."""
    out: list[tuple[str, type | None, Question | None]] = []
    hints = typing.get_type_hints(cls, include_extras=False)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if "section" in f.metadata:
            out.append((key, hints[f.name], None))
            out.extend(walk(hints[f.name], prefix=f"{key}."))
            continue
        question: Question = f.metadata["question"]
        kind, nullable, choices = _kind_of(hints[f.name])
        bound = dataclasses.replace(
            question,
            key=key,
            kind=kind,
            nullable=nullable,
            choices=choices,
            label=question.label or f.name.replace("_", " ").capitalize(),
        )
        out.append((key, None, bound))
    return out


def section_info(cls: type) -> dict[str, tuple[str, str]]:
    """Section key -> (title, help) for every nested section."""
    info: dict[str, tuple[str, str]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if "section" in f.metadata:
            info[f.name] = f.metadata["section"]
    for name in list(info):
        sub = hints[name]
        for subname, value in section_info(sub).items():
            info[f"{name}.{subname}"] = value
    return info
