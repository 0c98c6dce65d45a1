"""A permission's SELinux `context:`, read with the CodeDeploy agent's rules and messages.

`context` needs a `type`; `name` (the SELinux user) is optional, `role` is ignored, and `range` is
`sN[-sM][:cA[.cB][,cC…]]`: sensitivities `s` + digits with the high one not below the low one,
categories `c0` to `c1023`, ranges `cA.cB` not descending, no category twice. The agent's messages
for a range are terse (`invalid sensitivity sd3`); we add a hint.

The agent writes a context into `<group>-install.json` with its range formatted back
(`s0-s1:c1.c3`); a context without a range makes that write crash (Ruby `NoMethodError`), so
`to_json` raises then, as the agent fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.services.rehearse.errors import AppSpecError
from wizard.services.rehearse.rubyisms import ruby_inspect

_RANGE_HINT = (
    "an SELinux range reads sN[-sM][:cA[.cB],…], e.g. `s0`, `s0-s2` or `s0:c0.c5,c9` "
    "(categories 0–1023, low before high, each once)"
)
NO_RANGE_CRASH = "undefined method `get_range' for nil:NilClass"


@dataclass(frozen=True)
class SelinuxRange:
    low: int
    high: int
    categories: tuple[int, ...] | None = None

    def text(self) -> str:
        """The agent's `get_range`: runs of consecutive categories as `cA.cB`."""
        out = f"s{self.low}" + (f"-s{self.high}" if self.high != self.low else "")
        if self.categories is None:
            return out
        runs: list[str] = []
        cats = self.categories
        i = 0
        while i < len(cats):
            j = i
            while j + 1 < len(cats) and cats[j + 1] == cats[j] + 1:
                j += 1
            runs.append(f"c{cats[i]}" if i == j else f"c{cats[i]}.c{cats[j]}")
            i = j + 1
        return out + ":" + ",".join(runs)


@dataclass(frozen=True)
class SelinuxContext:
    user: Any
    type: Any
    range: SelinuxRange | None = None

    def to_json(self) -> dict[str, Any]:
        """The `context` the agent writes into `<group>-install.json` (crashes without a range)."""
        if self.range is None:
            raise AppSpecError(
                NO_RANGE_CRASH,
                "the agent cannot write its install instructions for a context without a range "
                "(it crashes there on every instance): add one, e.g. `range: s0`",
            )
        return {"user": self.user, "role": None, "type": self.type, "range": self.range.text()}


def parse_context(value: Any) -> SelinuxContext:
    """A permission's `context:` value."""
    if isinstance(value, str):
        # Ruby's String#[] finds a substring: the agent reads "…type…" as type "type", and so on
        fields: dict[str, Any] = {k: k for k in ("type", "name", "range") if k in value}
    elif isinstance(value, dict):
        fields = value
    else:
        raise AppSpecError(
            f"context must be a mapping with type (and optionally name and range), not "
            f"{ruby_inspect(value)} (the agent fails on it with a Ruby error)",
            "write `context:` then `  type: httpd_sys_content_t` and `  range: s0`",
        )
    if fields.get("type") is None:
        raise AppSpecError(
            "The deployment failed because the application specification file specifies an "
            f"invalid context type ({ruby_inspect(value)}). Update the permissions section of the "
            "AppSpec file, and then try again.",
            "context needs at least `type:` (an SELinux type such as httpd_sys_content_t)",
        )
    raw_range = fields.get("range")
    if raw_range is not None and not isinstance(raw_range, str):
        raise AppSpecError(
            f"context range must be text such as s0:c0.c5, not {ruby_inspect(raw_range)} (the "
            "agent fails on it with a Ruby NoMethodError)",
            _RANGE_HINT,
        )
    return SelinuxContext(
        user=fields.get("name"),
        type=fields["type"],
        range=None if raw_range is None else parse_range(raw_range),
    )


def parse_range(text: str) -> SelinuxRange:
    parts = _two_parts(text, ":")
    levels = _two_parts(parts[0], "-")
    low = _number(levels[0], "s", "sensitivity")
    high = low
    if len(levels) == 2:
        high = _number(levels[1], "s", "sensitivity")
        if high < low:
            raise AppSpecError(
                "The deployment failed because of a problem with the SELinux range specified "
                f"({text}) for the context parameter in the permissions section of the application "
                "specification file. Make corrections in the permissions section of the AppSpec "
                "file, and then try again.",
                _RANGE_HINT,
            )
    categories = _categories(_ruby_split(parts[1], ",")) if len(parts) == 2 else None
    return SelinuxRange(low, high, categories)


def _two_parts(text: str, separator: str) -> list[str]:
    """`ensure_parts`: one part, or two around the first separator, none of them empty."""
    parts = text.split(separator, 1)
    if any(part == "" for part in parts):
        raise AppSpecError(f"invalid range part {text}", _RANGE_HINT)
    return parts


def _number(text: str, letter: str, what: str) -> int:
    digits = text[1:]
    if len(text) < 2 or not text.startswith(letter) or not all(c in "0123456789" for c in digits):
        raise AppSpecError(f"invalid {what} {text}", _RANGE_HINT)
    value = int(digits)
    if letter == "c" and value > 1023:
        raise AppSpecError(f"invalid {what} {text}", _RANGE_HINT)
    return value


def _categories(parts: list[str]) -> tuple[int, ...]:
    numbers: list[int] = []
    for part in parts:
        if "." in part:
            ends = _two_parts(part, ".")
            low, high = _number(ends[0], "c", "category"), _number(ends[1], "c", "category")
            if high < low:
                raise AppSpecError(f"invalid category range {ends[0]}.{ends[1]}", _RANGE_HINT)
            numbers += range(low, high + 1)
        else:
            numbers.append(_number(part, "c", "category"))
    numbers.sort()
    if len(set(numbers)) != len(numbers):
        raise AppSpecError("duplicate categories", _RANGE_HINT)
    return tuple(numbers)


def _ruby_split(text: str, separator: str) -> list[str]:
    """`String#split(sep)`: trailing empty fields are dropped."""
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts
