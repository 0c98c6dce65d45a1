"""The answers reference as Markdown, generated from the declarations (the README embeds it and
a test keeps the two identical)."""

from __future__ import annotations

from wizard.core.answers.fields import Question, record_questions
from wizard.core.answers.validate import questions

START = "<!-- answers-reference:start (generated: python -m wizard.core.answers.docs) -->"
END = "<!-- answers-reference:end -->"


def _type(q: Question) -> str:
    names = {
        "str": "text",
        "int": "integer",
        "bool": "true/false",
        "map": "map",
        "list": "list",
        "records": "list of entries",
    }
    base = names.get(q.kind, "")
    if q.choices:
        base = " \\| ".join(f"`{c}`" for c in q.choices)
    return f"{base} or null" if q.nullable else base


def _default(q: Question) -> str:
    if hasattr(q.default, "compute"):
        return f"`{q.default_text()}`"
    if q.default is None:
        return "required" if q.required is not None and q.when is None else "null"
    if isinstance(q.default, bool):
        return "true" if q.default else "false"
    if isinstance(q.default, dict):
        inner = ", ".join(f"{k}: {v}" for k, v in q.default.items())
        return f"`{{{inner}}}`"
    if isinstance(q.default, list):
        return f"`[{', '.join(str(item) for item in q.default)}]`"
    return f"`{q.default}`"


def markdown_reference() -> str:
    """A table of every key: type, default and help, in declaration order."""
    rows = [START, "", "| key | type | default | what it is |", "|---|---|---|---|"]
    for q in questions():
        help_text = " ".join(filter(None, (q.help, q.condition_text()))).replace("|", "\\|")
        rows.append(f"| `{q.key}` | {_type(q)} | {_default(q)} | {help_text} |")
        for f in record_questions(q.record) if q.record is not None else ():
            text = f.help.replace("|", "\\|")
            rows.append(f"| `{q.key}[].{f.key}` | {_type(f)} | {_default(f)} | {text} |")
    rows += ["", END]
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_reference())
