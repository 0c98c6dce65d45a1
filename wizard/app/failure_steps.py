"""A terraform failure in the panel that reports it: what terraform said (every error diagnostic,
summary and detail), why in our terms, and the next steps worded for the wizard (a key where the
wizard has one, e.g. Ctrl+R on Review, instead of the command a shell user would run).

The steps arrive as data (`wizard.core.next_steps.NextStep`, from the workflow's diagnosis);
everything not worded here reads as plain output words it (`step_text`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from wizard.app.steps import step
from wizard.core.answers import question_map
from wizard.core.next_steps import NextStep, cause_text, step_text

Panel = Literal["review", "apply"]

_KEEP = "your answers are kept"


def step_words(item: NextStep, panel: Panel) -> str:
    """One next step as the wizard says it."""
    action = item.action
    restarts = bool(item.command and item.command.startswith("cdwizard "))
    if action == "use_provider_mirror" and restarts:
        head = (
            f"{item.path} ({item.detail}) already holds the provider"
            if item.path
            else "No network to the provider registry? Give cdwizard a provider mirror"
        )
        env = f" (or set {item.env}=DIR)" if item.env else ""
        return f"{head}: quit (Ctrl+Q, {_KEEP}) and start again with `{item.command}`{env}"
    again = "press Ctrl+R to plan again" if panel == "review" else "go back to Review (Esc)"
    if action == "fix_and_rerun":
        return f"Fix the cause (an answer, a quota or a permission), then {again}"
    if action == "replan":
        return "Press Ctrl+R to plan again" if panel == "review" else "Go back to Review (Esc)"
    if action == "resume_apply":
        return (
            "Fix the cause (an answer, a quota or a permission), then go back to Review (Esc) "
            "and apply again: terraform keeps what was created and does the rest"
        )
    if action == "adopt_existing":
        return (
            "Or, if you built it by hand, go back to Review (Esc) and press a to adopt the "
            "existing resources"
        )
    if action == "rename_existing":
        where = _field(item.key)
        return (
            f"'{item.detail}' exists outside this workspace: go back (Esc) and choose another "
            f"name for {where}, or delete the existing one"
        )
    if action == "configure_profile":
        return (
            f"The AWS profile '{item.detail}' is not in your AWS configuration: create it "
            f"(`{item.command}` or `aws configure sso`) and press Ctrl+R, or pick another one "
            f"at {_field(item.key)}"
        )
    if action in ("check_credentials", "grant_permission"):
        text = step_text(item).removesuffix(", then run again")
        return _capital(f"{text}, then {again}")
    return _capital(step_text(item))


def failure_lines(
    diagnostics: Iterable[Any],
    cause: str | None,
    steps: Sequence[NextStep],
    panel: Panel,
    *,
    labels: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """What terraform said, why, and what to do, as (role, text) lines for a `FailurePanel`:
    roles "error", "detail", "why", "heading" and "step"."""
    out: list[tuple[str, str]] = []
    for diag in diagnostics:
        address = getattr(diag, "address", None)
        name = ""
        if address:
            label = (labels or {}).get(address)
            name = f"{label} ({address}): " if label else f"{address}: "
        out.append(("error", f"✗ {name}{diag.summary_text}"))
        detail = str(diag.detail).strip("\n")
        if detail:
            out.append(("detail", detail))
    if cause and cause != "terraform_error":
        out.append(("why", f"Why: {cause_text(cause)}."))
    if steps:
        out.append(("heading", "What to do:"))
        out.extend(("step", step_words(item, panel)) for item in steps)
    return out


def _field(key: str | None) -> str:
    """`Deployment › Service role (deployment.service_role)` for an answers key."""
    if not key:
        return "it"
    question = question_map().get(key)
    if question is None or not question.step:
        return key
    return f"{step(question.step).title} › {question.label} ({key})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
