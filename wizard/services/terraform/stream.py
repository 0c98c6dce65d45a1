"""Terraform's machine-readable UI (`-json`) -> typed events.

One JSON object per stdout line (UI format 0.1 .. 1.x; a minor bump only adds fields, so unknown
keys are ignored and unknown `type`s pass through as `TfUnknown` with their `@message`). Lines
that are not JSON (stderr always; stdout of commands without `-json`, such as `init` on older
versions) become `LogLine`s. OpenTofu writes the same schema with `tofu` instead of `terraform` in
the version line and `tofu.ui` as `@module`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

from wizard.core.events.base import Event, Level, LogLine, utcnow
from wizard.core.events.terraform import (
    Snippet,
    TfApplyComplete,
    TfApplyErrored,
    TfApplyProgress,
    TfApplyStart,
    TfChangeSummary,
    TfDiagnostic,
    TfEvent,
    TfOutputs,
    TfPlannedChange,
    TfProvision,
    TfRefresh,
    TfResourceDrift,
    TfUnknown,
    TfVersion,
)

_LEVELS: dict[str, Level] = {
    "info": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "debug": "debug",
    "trace": "debug",
}


def parse_line(line: str | bytes, *, source: str = "terraform") -> Event | None:
    """One stdout line -> one event; blank lines -> None; non-JSON -> `LogLine`."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    if not text.strip():
        return None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "type" in data:
            return parse_message(data)
    return LogLine(source=source, text=text)


def parse_lines(lines: Iterable[str | bytes], *, source: str = "terraform") -> Iterator[Event]:
    for line in lines:
        event = parse_line(line, source=source)
        if event is not None:
            yield event


def stderr_event(line: str | bytes, *, source: str = "terraform") -> LogLine | None:
    """A stderr line (never JSON in practice: warnings, crash output) -> `LogLine` at warn."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    if not text.strip():
        return None
    return LogLine(source=f"{source} stderr", text=text, level="warn")


def parse_message(data: Mapping[str, Any]) -> Event:
    """One decoded `-json` message -> its typed event (unknown types -> `TfUnknown`)."""
    kind = str(data.get("type", ""))
    common: dict[str, Any] = {
        "message": str(data.get("@message", "")),
        "level": _LEVELS.get(str(data.get("@level", "info")), "info"),
        "at": _timestamp(data.get("@timestamp")),
    }
    builder = _BUILDERS.get(kind)
    if builder is None:
        return TfUnknown(message_type=kind, raw=dict(data), **common)
    try:
        return builder(data, common)
    except (KeyError, TypeError, ValueError, AttributeError):
        # A known type with an unexpected shape (a future UI version): keep its message.
        return TfUnknown(message_type=kind, raw=dict(data), **common)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(_trim_fraction(value))
        except ValueError:
            pass
    return utcnow()


def _trim_fraction(stamp: str) -> str:
    """Python < 3.11.? accepts at most 6 fractional digits; terraform may send 9."""
    if "." not in stamp:
        return stamp
    head, _, rest = stamp.partition(".")
    digits = ""
    for ch in rest:
        if ch.isdigit():
            digits += ch
        else:
            break
    return f"{head}.{digits[:6]}{rest[len(digits) :]}"


def _resource(obj: Mapping[str, Any]) -> dict[str, Any]:
    res = obj["resource"]
    return {
        "address": str(res.get("addr", "")),
        "resource_type": str(res.get("resource_type", "")),
        "resource_name": str(res.get("resource_name", "")),
        "module": str(res.get("module", "") or ""),
    }


def _version(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    tool: Literal["terraform", "tofu"] = "tofu" if "tofu" in data else "terraform"
    return TfVersion(
        tool=tool, version=str(data.get(tool, "")), ui=str(data.get("ui", "")), **common
    )


def _diagnostic(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    diag = data["diagnostic"]
    rng = diag.get("range") or {}
    snip = diag.get("snippet")
    snippet = None
    if isinstance(snip, Mapping):
        snippet = Snippet(
            context=snip.get("context"),
            code=str(snip.get("code", "")),
            start_line=int(snip.get("start_line", 0) or 0),
            highlight_start=int(snip.get("highlight_start_offset", 0) or 0),
            highlight_end=int(snip.get("highlight_end_offset", 0) or 0),
        )
    severity: Literal["error", "warning"] = (
        "warning" if diag.get("severity") == "warning" else "error"
    )
    common = {**common, "level": "warn" if severity == "warning" else "error"}
    return TfDiagnostic(
        severity=severity,
        summary_text=str(diag.get("summary", "")),
        detail=str(diag.get("detail", "") or ""),
        address=diag.get("address") or None,
        filename=rng.get("filename"),
        line=(rng.get("start") or {}).get("line"),
        snippet=snippet,
        **common,
    )


def _planned_change(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    change = data["change"]
    prev = change.get("previous_resource")
    return TfPlannedChange(
        action=str(change.get("action", "")),
        reason=change.get("reason"),
        previous_address=prev.get("addr") if isinstance(prev, Mapping) else None,
        **_resource(change),
        **common,
    )


def _drift(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    change = data["change"]
    # Terraform's human UI shows drift only when it matters to the plan; -json reports all of it
    # (e.g. `tags: null -> {}` after every create), so it is detail, not news.
    common = {**common, "level": "debug"}
    return TfResourceDrift(action=str(change.get("action", "")), **_resource(change), **common)


def _change_summary(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    ch = data["changes"]
    op = ch.get("operation", "plan")
    return TfChangeSummary(
        operation=op if op in ("plan", "apply", "destroy") else "plan",
        add=int(ch.get("add", 0)),
        change=int(ch.get("change", 0)),
        remove=int(ch.get("remove", 0)),
        imported=int(ch.get("import", 0) or 0),
        **common,
    )


def _outputs(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
    outs: dict[str, dict[str, Any]] = {}
    for name, out in (data.get("outputs") or {}).items():
        entry = dict(out)
        if entry.get("sensitive"):
            entry.pop("value", None)  # never carry secrets into logs or NDJSON
        outs[str(name)] = entry
    if outs and not any("value" in o for o in outs.values()):
        common = {**common, "level": "debug"}  # plan time: only "(create)"/"(noop)" markers
    return TfOutputs(outputs=outs, **common)


def _hook(
    cls: type[TfEvent], *extra: str
) -> Callable[[Mapping[str, Any], dict[str, Any]], TfEvent]:
    def build(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
        hook = data["hook"]
        kwargs: dict[str, Any] = {"action": str(hook.get("action", ""))}
        for key in extra:
            if key in hook and hook[key] is not None:
                kwargs[key] = hook[key]
        if cls is TfApplyErrored:
            common = {**common, "level": "error"}
        elif kwargs["action"] == "read":
            common = {**common, "level": "debug"}  # data-source reads are not changes
        return cls(**_resource(hook), **kwargs, **common)

    return build


def _refresh(
    phase: Literal["start", "complete"],
) -> Callable[[Mapping[str, Any], dict[str, Any]], TfEvent]:
    def build(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
        hook = data["hook"]
        return TfRefresh(
            phase=phase,
            id_value=hook.get("id_value"),
            action="read",
            **_resource(hook),
            **{**common, "level": "debug"},
        )

    return build


def _provision(
    phase: Literal["start", "progress", "complete", "errored"],
) -> Callable[[Mapping[str, Any], dict[str, Any]], TfEvent]:
    def build(data: Mapping[str, Any], common: dict[str, Any]) -> TfEvent:
        hook = data["hook"]
        level = "error" if phase == "errored" else common["level"]
        return TfProvision(
            phase=phase,
            provisioner=str(hook.get("provisioner", "")),
            output=hook.get("output"),
            **_resource(hook),
            **{**common, "level": level},
        )

    return build


def _log(data: Mapping[str, Any], common: dict[str, Any]) -> Event:
    text = " ".join(part.strip() for part in common["message"].strip().splitlines() if part.strip())
    return LogLine(source="terraform", text=text, level=common["level"], at=common["at"])


_BUILDERS: dict[str, Callable[[Mapping[str, Any], dict[str, Any]], Event]] = {
    "version": _version,
    "log": _log,
    "init_output": _log,  # `init -json` (Terraform >= 1.9): "Initializing provider plugins..."
    "diagnostic": _diagnostic,
    "planned_change": _planned_change,
    "resource_drift": _drift,
    "change_summary": _change_summary,
    "outputs": _outputs,
    "apply_start": _hook(TfApplyStart, "id_key", "id_value"),
    "apply_progress": _hook(TfApplyProgress, "elapsed_seconds"),
    "apply_complete": _hook(TfApplyComplete, "id_key", "id_value", "elapsed_seconds"),
    "apply_errored": _hook(TfApplyErrored, "elapsed_seconds"),
    "refresh_start": _refresh("start"),
    "refresh_complete": _refresh("complete"),
    "provision_start": _provision("start"),
    "provision_progress": _provision("progress"),
    "provision_complete": _provision("complete"),
    "provision_errored": _provision("errored"),
}


# --- human output (commands without -json) -----------------------------------------------------

_BLOCK_START = re.compile(r"^(?P<severity>Error|Warning): (?P<summary>.*)$")
_BOX = ("╷", "╵")


def human_diagnostics(lines: Iterable[str], *, source: str = "terraform") -> list[Event]:
    """Terraform's human diagnostics (stderr of `init` before 1.9, and of OpenTofu) -> events.

    Each `Error: <summary>` / `Warning: <summary>` block becomes one `TfDiagnostic` whose detail
    is the text below it, up to the next block (with or without the `│` box terraform draws when
    colour is on); terraform's wrapping at 78 columns is undone within paragraphs. Lines outside
    any block stay `LogLine`s (warn, as all stderr)."""
    events: list[Event] = []
    block: dict[str, Any] | None = None

    def close() -> None:
        nonlocal block
        if block is not None:
            warning = block["severity"] == "Warning"
            events.append(
                TfDiagnostic(
                    severity="warning" if warning else "error",
                    summary_text=block["summary"],
                    detail=_unwrap(block["detail"]),
                    message=f"{block['severity']}: {block['summary']}",
                    level="warn" if warning else "error",
                )
            )
        block = None

    for raw in lines:
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if stripped in _BOX:
            close()
            continue
        if line.startswith("│"):
            line = line[1:].removeprefix(" ")
        if m := _BLOCK_START.match(line.strip()):
            close()
            block = {"severity": m.group("severity"), "summary": m.group("summary"), "detail": []}
            continue
        if block is not None:
            block["detail"].append(line)
        elif line.strip():
            events.append(LogLine(source=f"{source} stderr", text=line, level="warn"))
    close()
    return events


def _unwrap(lines: list[str]) -> str:
    """Paragraphs joined back into lines (indented lines, e.g. lists, stay as they are)."""
    out: list[str] = []
    joinable = False
    for line in lines:
        if not line.strip():
            out.append("")
            joinable = False
            continue
        indented = line[:1].isspace()
        if joinable and not indented and out:
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line.rstrip())
        joinable = not indented
    return "\n".join(out).strip("\n")
