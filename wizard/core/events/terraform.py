"""Terraform's machine-readable UI (`plan/apply/destroy -json`), typed; plus the runner's own
events (a command started/finished, the plan summary in pipeline terms, the apply report).

Wire names are `terraform.<type>`, mirroring terraform's own `type` field where one exists. The
parser that builds these from terraform's stdout lives in `wizard.services.terraform.stream`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from wizard.core.events.base import Event, Level, format_duration
from wizard.core.next_steps import NextStep, cause_text, step_text

#: `planned_change.change.action` / `hook.action` values.
Action = Literal[
    "noop", "create", "read", "update", "replace", "delete", "move", "import", "forget"
]

_VERBS = {
    "create": "creating",
    "read": "reading",
    "update": "updating",
    "replace": "replacing",
    "delete": "destroying",
    "noop": "checking",
}
_DONE = {
    "create": "created",
    "read": "read",
    "update": "updated",
    "replace": "replaced",
    "delete": "destroyed",
    "noop": "unchanged",
}


@dataclass(frozen=True, kw_only=True)
class TfEvent(Event):
    """Base of every terraform event. `message` is terraform's own `@message` when it sent one."""

    kind: ClassVar[str] = "terraform.event"
    message: str = ""

    def summary(self) -> str:
        return self.message or self.kind


@dataclass(frozen=True, kw_only=True)
class TfResourceEvent(TfEvent):
    """An event about one resource instance (`address` like `module.iam.aws_iam_role.x[0]`)."""

    kind: ClassVar[str] = "terraform.resource"
    address: str
    resource_type: str = ""
    resource_name: str = ""
    module: str = ""
    action: str = ""

    @property
    def is_data_read(self) -> bool:
        """Data sources are read during plan/apply; they are not infrastructure changes."""
        return (
            self.action == "read" or self.address.startswith("data.") or ".data." in (self.address)
        )

    def summary(self) -> str:
        return self.line(self.address)

    def line(self, name: str) -> str:
        """The summary, calling the resource `name` (its address, or a pipeline-terms label with
        the address, see `wizard.core.progress.ResourceNames`)."""
        return self.message or self.kind


# --- generic ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TfVersion(TfEvent):
    """First line of every stream: which tool and which UI format."""

    kind: ClassVar[str] = "terraform.version"
    tool: Literal["terraform", "tofu"] = "terraform"
    version: str = ""
    ui: str = ""

    def summary(self) -> str:
        name = "OpenTofu" if self.tool == "tofu" else "Terraform"
        return f"{name} {self.version} (machine-readable UI {self.ui})"


@dataclass(frozen=True, kw_only=True)
class Snippet:
    """The configuration excerpt terraform shows under a diagnostic."""

    context: str | None = None
    code: str = ""
    start_line: int = 0
    highlight_start: int = 0
    highlight_end: int = 0


@dataclass(frozen=True, kw_only=True)
class TfDiagnostic(TfEvent):
    """An error or warning, with the resource address and config snippet when terraform has them."""

    kind: ClassVar[str] = "terraform.diagnostic"
    severity: Literal["error", "warning"] = "error"
    summary_text: str = ""
    detail: str = ""
    address: str | None = None
    filename: str | None = None
    line: int | None = None
    snippet: Snippet | None = None

    @property
    def detail_line(self) -> str:
        """The first non-blank line of `detail`, stripped ("" when there is none)."""
        return next((line.strip() for line in self.detail.splitlines() if line.strip()), "")

    def summary(self) -> str:
        where = f" [{self.address}]" if self.address else ""
        at = f" ({self.filename}:{self.line})" if self.filename and self.line else ""
        head = f"{self.severity}: {self.summary_text}{where}{at}"
        detail = self.detail_line
        return f"{head}: {detail}" if detail else head


@dataclass(frozen=True, kw_only=True)
class TfUnknown(TfEvent):
    """A message type this version of cdwizard does not model; shown by its `@message`."""

    kind: ClassVar[str] = "terraform.unknown"
    message_type: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def summary(self) -> str:
        return self.message or self.message_type


# --- plan -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TfPlannedChange(TfResourceEvent):
    """`planned_change`: what the plan will do to one resource (and why, for replacements)."""

    kind: ClassVar[str] = "terraform.planned_change"
    reason: str | None = None
    previous_address: str | None = None

    def line(self, name: str) -> str:
        why = f" ({self.reason.replace('_', ' ')})" if self.reason else ""
        return f"{name}: plan to {self.action}{why}"


@dataclass(frozen=True, kw_only=True)
class TfResourceDrift(TfResourceEvent):
    """`resource_drift`: the real object changed outside terraform since the last apply."""

    kind: ClassVar[str] = "terraform.resource_drift"

    def line(self, name: str) -> str:
        return f"{name}: changed outside terraform ({self.action})"


@dataclass(frozen=True, kw_only=True)
class TfChangeSummary(TfEvent):
    """`change_summary`: counts for a plan, or the result of an apply/destroy."""

    kind: ClassVar[str] = "terraform.change_summary"
    operation: Literal["plan", "apply", "destroy"] = "plan"
    add: int = 0
    change: int = 0
    remove: int = 0
    imported: int = 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.remove + self.imported

    def summary(self) -> str:
        return self.message or (
            f"{self.operation}: {self.add} to add, {self.change} to change, "
            f"{self.remove} to destroy"
        )


@dataclass(frozen=True, kw_only=True)
class TfOutputs(TfEvent):
    """`outputs`: root module outputs. Sensitive values are never carried (terraform omits them
    too); plan-time outputs carry only the `action`."""

    kind: ClassVar[str] = "terraform.outputs"
    outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """name -> value for the non-sensitive outputs that have a value."""
        return {
            k: v["value"]
            for k, v in self.outputs.items()
            if "value" in v and not v.get("sensitive")
        }

    def summary(self) -> str:
        shown = []
        for name, out in self.outputs.items():
            if out.get("sensitive"):
                shown.append(f"{name} = (sensitive)")
            elif "value" in out:
                shown.append(f"{name} = {_short(out['value'])}")
            else:
                shown.append(f"{name} ({out.get('action', 'known after apply')})")
        return "outputs: " + ", ".join(shown) if shown else "no outputs"


# --- apply hooks ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TfApplyStart(TfResourceEvent):
    """`apply_start`: terraform began changing (or, with action `read`, reading) a resource."""

    kind: ClassVar[str] = "terraform.apply_start"
    id_key: str | None = None
    id_value: str | None = None

    def line(self, name: str) -> str:
        ident = f" [{self.id_key}={self.id_value}]" if self.id_value else ""
        return f"{name}: {_VERBS.get(self.action, self.action)}…{ident}"


@dataclass(frozen=True, kw_only=True)
class TfApplyProgress(TfResourceEvent):
    """`apply_progress`: still working on it (terraform sends one every 10 s)."""

    kind: ClassVar[str] = "terraform.apply_progress"
    elapsed_seconds: float = 0.0

    def line(self, name: str) -> str:
        verb = _VERBS.get(self.action, self.action)
        return f"{name}: still {verb} ({format_duration(self.elapsed_seconds)} elapsed)"


@dataclass(frozen=True, kw_only=True)
class TfApplyComplete(TfResourceEvent):
    """`apply_complete`: the resource was created/updated/destroyed."""

    kind: ClassVar[str] = "terraform.apply_complete"
    id_key: str | None = None
    id_value: str | None = None
    elapsed_seconds: float = 0.0

    def line(self, name: str) -> str:
        ident = f" [{self.id_key}={self.id_value}]" if self.id_value else ""
        done = _DONE.get(self.action, self.action)
        return f"{name}: {done} in {format_duration(self.elapsed_seconds)}{ident}"


@dataclass(frozen=True, kw_only=True)
class TfApplyErrored(TfResourceEvent):
    """`apply_errored`: the change failed; the reason follows as a diagnostic with this address."""

    kind: ClassVar[str] = "terraform.apply_errored"
    level: Level = "error"
    elapsed_seconds: float = 0.0

    def line(self, name: str) -> str:
        verb = _VERBS.get(self.action, self.action)
        return f"{name}: failed while {verb} after {format_duration(self.elapsed_seconds)}"


@dataclass(frozen=True, kw_only=True)
class TfRefresh(TfResourceEvent):
    """`refresh_start` / `refresh_complete`: reading the current state of a managed resource."""

    kind: ClassVar[str] = "terraform.refresh"
    phase: Literal["start", "complete"] = "start"
    id_value: str | None = None
    level: Level = "debug"


@dataclass(frozen=True, kw_only=True)
class TfProvision(TfResourceEvent):
    """`provision_*`: a provisioner of a resource started, printed a line, finished or failed."""

    kind: ClassVar[str] = "terraform.provision"
    provisioner: str = ""
    phase: Literal["start", "progress", "complete", "errored"] = "progress"
    output: str | None = None


# --- the runner's own events ------------------------------------------------------------------


Command = Literal["init", "plan", "apply", "destroy", "output", "show", "version"]


@dataclass(frozen=True, kw_only=True)
class TfCommandStarted(Event):
    """The runner started a terraform command (argv without the binary path's directories)."""

    kind: ClassVar[str] = "terraform.command_started"
    command: str
    argv: tuple[str, ...] = ()
    workdir: str = ""

    def summary(self) -> str:
        return f"$ {' '.join(self.argv)}"


@dataclass(frozen=True, kw_only=True)
class TfCommandFinished(Event):
    """A terraform command exited. `interrupted` when the user pressed Ctrl-C."""

    kind: ClassVar[str] = "terraform.command_finished"
    command: str
    exit_code: int
    duration_seconds: float = 0.0
    interrupted: bool = False
    killed: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and self.exit_code == 0

    def summary(self) -> str:
        took = format_duration(self.duration_seconds)
        if self.killed:
            return f"terraform {self.command} killed after {took}"
        if self.interrupted:
            return f"terraform {self.command} stopped by interrupt after {took}"
        return f"terraform {self.command} exited {self.exit_code} after {took}"


@dataclass(frozen=True, kw_only=True)
class TfProgress(Event):
    """Counts after a resource finished (from `wizard.core.progress`): "5/21 done, 2 running"."""

    kind: ClassVar[str] = "terraform.progress"
    operation: str = "apply"
    done: int = 0
    total: int = 0
    running: int = 0
    failed: int = 0

    def summary(self) -> str:
        parts = [f"{self.done}/{self.total} done"]
        if self.running:
            parts.append(f"{self.running} running")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return f"{self.operation} progress: " + ", ".join(parts)


@dataclass(frozen=True, kw_only=True)
class PlanItem:
    """One line of the plan summary: a thing in pipeline terms and what happens to it."""

    action: str
    what: str
    addresses: tuple[str, ...] = ()
    destructive: bool = False
    #: what each of `addresses` is, in the same order ("IAM role shop-pipeline")
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlanSummary(Event):
    """The plan in pipeline terms ("creates pipeline X, deployment group Y targeting tag K=V …").

    `destructive` lists the replacements/deletions of the pipeline, deployment group, bucket,
    roles or repository: things whose loss breaks or resets the delivery path.
    """

    kind: ClassVar[str] = "terraform.plan_summary"
    items: tuple[PlanItem, ...] = ()
    add: int = 0
    change: int = 0
    remove: int = 0
    destructive: tuple[str, ...] = ()
    operation: Literal["apply", "destroy"] = "apply"

    def implied_level(self) -> Level:
        return "warn" if self.destructive else "info"

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.remove)

    def lines(self) -> list[str]:
        """The full summary, one item per line (plain output prints these after `summary()`)."""
        out = []
        for item in self.items:
            flag = "  ⚠ DESTRUCTIVE" if item.destructive else ""
            out.append(f"{item.action} {item.what}{flag}")
        return out

    def summary(self) -> str:
        if not self.has_changes:
            return "no changes: the infrastructure matches the answers"
        parts: list[str] = []
        verb = None
        for item in self.items:  # "creates pipeline X, deployment group Y …; deletes …"
            if item.action != verb:
                parts.append(("; " if parts else "") + f"{item.action} {item.what}")
                verb = item.action
            else:
                parts.append(f", {item.what}")
        head = "".join(parts)
        counts = f"({self.add} to add, {self.change} to change, {self.remove} to destroy)"
        warn = ""
        if self.destructive:
            warn = " — DESTRUCTIVE: " + "; ".join(self.destructive)
        return f"plan: {head} {counts}{warn}"


@dataclass(frozen=True, kw_only=True)
class FailedResource:
    address: str
    action: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RunReport(Event):
    """How an apply/destroy ended: what exists now, what failed and why (terraform's error
    diagnostics in full, and the `cause` in our terms), what to run next."""

    kind: ClassVar[str] = "terraform.report"
    operation: Literal["apply", "destroy"] = "apply"
    ok: bool = True
    interrupted: bool = False
    completed: tuple[str, ...] = ()
    failed: tuple[FailedResource, ...] = ()
    not_started: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    left_behind: tuple[str, ...] = ()
    #: see `wizard.core.next_steps.Cause`; None when it went well or was interrupted
    cause: str | None = None
    #: terraform's error diagnostics of the run, in full
    diagnostics: tuple[TfDiagnostic, ...] = ()

    def implied_level(self) -> Level:
        return "info" if self.ok else "error"

    def lines(self) -> list[str]:
        out: list[str] = []
        done = "destroyed" if self.operation == "destroy" else "done"
        if self.completed and not self.ok:
            out.append(f"{done} ({len(self.completed)}): " + ", ".join(self.completed))
        for f in self.failed:
            out.append(f"FAILED {f.address} ({f.action}): {f.reason}")
        if self.not_started:
            out.append(f"not started ({len(self.not_started)}): " + ", ".join(self.not_started))
        if self.left_behind:
            out.append("still exists: " + ", ".join(self.left_behind))
        if self.cause and self.cause != "terraform_error":
            out.append(f"why: {cause_text(self.cause)}")
        out.extend(f"next: {step_text(step)}" for step in self.next_steps)
        return out

    def summary(self) -> str:
        verb = self.operation
        if self.ok:
            head = f"{verb} succeeded: {len(self.completed)} resource(s)"
        elif self.interrupted:
            head = f"{verb} interrupted: {len(self.completed)} done, {len(self.not_started)} left"
        else:
            head = (
                f"{verb} failed: {len(self.completed)} done, {len(self.failed)} failed, "
                f"{len(self.not_started)} not started"
            )
        rest = self.lines()
        return head + ("\n  " + "\n  ".join(rest) if rest else "")

    def to_dict(self) -> dict[str, Any]:
        return _with_step_texts(super().to_dict(), self.next_steps)


@dataclass(frozen=True, kw_only=True)
class TfFailure(Event):
    """A terraform command failed before anything was changed (`init`, `plan`, the planning of a
    destroy): terraform's error diagnostics in full, why in our terms, what to do next."""

    kind: ClassVar[str] = "terraform.failure"
    command: str
    exit_code: int = 1
    #: see `wizard.core.next_steps.Cause`
    cause: str = "terraform_error"
    diagnostics: tuple[TfDiagnostic, ...] = ()
    next_steps: tuple[NextStep, ...] = ()

    def implied_level(self) -> Level:
        return "error"

    @property
    def headline(self) -> str:
        """`terraform init failed: Failed to query available provider packages`."""
        first = self.diagnostics[0].summary_text if self.diagnostics else ""
        return f"terraform {self.command} failed" + (f": {first}" if first else "")

    def lines(self) -> list[str]:
        """Every diagnostic (summary, then its detail), why, and the next steps."""
        out: list[str] = []
        for i, diag in enumerate(self.diagnostics):
            if i:
                out.append(f"error: {diag.summary_text}")
            where = f"[{diag.address}] " if diag.address else ""
            detail = [line for line in diag.detail.splitlines() if line.strip()]
            out.extend(f"{where}{line}" if not n else line for n, line in enumerate(detail))
        if self.cause != "terraform_error":
            out.append(f"why: {cause_text(self.cause)}")
        out.extend(f"next: {step_text(step)}" for step in self.next_steps)
        return out

    def summary(self) -> str:
        rest = self.lines()
        return self.headline + ("\n  " + "\n  ".join(rest) if rest else "")

    def to_dict(self) -> dict[str, Any]:
        return _with_step_texts(super().to_dict(), self.next_steps)


def _with_step_texts(data: dict[str, Any], steps: tuple[NextStep, ...]) -> dict[str, Any]:
    """NDJSON gives each next step's words beside its data (`text`), for scripts that show it."""
    data["next_steps"] = [
        {**item, "text": step_text(step)}
        for item, step in zip(data["next_steps"], steps, strict=True)
    ]
    return data


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
