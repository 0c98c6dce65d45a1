"""A commented answers file generated from the declarations: every key, its help and default."""

from __future__ import annotations

import textwrap
from typing import Any

from wizard.core.answers.fields import Question, record_questions, section_info
from wizard.core.answers.model import Answers
from wizard.core.answers.validate import questions, resolve


def _scalar(value: Any) -> str:
    """YAML for one value, via the YAML dumper (never concatenated by hand)."""
    import yaml  # here, not at the top: importing the answers model stays free of yaml

    if isinstance(value, dict):
        if not value:
            return "{}"
        return yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(text, width=92 - len(indent))]


def _describe(q: Question) -> str:
    parts = [q.help]
    if q.when is not None:
        parts.append(q.condition_text())
    if q.choices:
        parts.append(f"One of: {', '.join(q.choices)}.")
    if hasattr(q.default, "compute"):
        parts.append(f"Default: {q.default_text()}.")
    return " ".join(parts)


def _record_example(q: Question, indent: str) -> list[str]:
    """A commented entry of a list of records: each field, its help and its default."""
    assert q.record is not None
    lines = [f"{indent}# Each entry (uncomment and fill in):", f"{indent}# {q.name}:"]
    for position, f in enumerate(record_questions(q.record)):
        lead = "  - " if position == 0 else "    "
        if f.example is not None:
            value = f.example
        elif hasattr(f.default, "compute"):
            value = f.default_text()
        else:
            value = _scalar(f.default)
        lines.extend(_comment(_describe(f), f"{indent}#     "))
        lines.append(f"{indent}# {lead}{f.key}: {value}")
    return lines


def template_text() -> str:
    """The commented template; loading it gives the default answers."""
    defaults = resolve({})
    titles = section_info(Answers)
    lines = [
        "# cdwizard answers file. Check it with `cdwizard answers check FILE`;",
        "# use it with `cdwizard render|plan|apply --answers FILE` or `cdwizard --answers FILE`.",
        "# Credentials are never stored here: use aws.profile or the usual AWS environment.",
    ]
    opened: set[str] = set()
    for q in questions():
        parts = q.key.split(".")
        for depth in range(len(parts) - 1):
            sec = ".".join(parts[: depth + 1])
            if sec not in opened:
                opened.add(sec)
                title, help_text = titles[sec]
                lines.append("")
                lines.extend(_comment(f"{title}: {help_text}", "  " * depth))
                lines.append(f"{'  ' * depth}{parts[depth]}:")
        indent = "  " * (len(parts) - 1)
        if len(parts) == 1:
            lines.append("")
        lines.extend(_comment(_describe(q), indent))
        lines.append(f"{indent}{parts[-1]}: {_scalar(defaults[q.key])}")
        if q.record is not None:
            lines.extend(_record_example(q, indent))
    return "\n".join(lines) + "\n"
