"""How an apply or destroy ended: what exists, what failed and why, what to run next (as data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from wizard.core.events.terraform import FailedResource, RunReport, TfDiagnostic
from wizard.core.next_steps import NextStep
from wizard.core.progress import Progress
from wizard.services.terraform.diagnose import Diagnosis


def run_report(
    progress: Progress,
    *,
    operation: Literal["apply", "destroy"],
    rerun: str,
    destroy: str,
    workdir: str,
    left_behind: Sequence[str] = (),
    diagnostics: Sequence[TfDiagnostic] = (),
    diagnosis: Diagnosis | None = None,
) -> RunReport:
    """`rerun` / `destroy` are the exact commands to suggest (with the user's flags);
    `diagnostics` are the run's error diagnostics and `diagnosis` what they mean."""
    completed = tuple(r.address for r in progress.with_status("done"))
    failed = tuple(
        FailedResource(
            address=r.address,
            action=r.action,
            reason=r.error or ("interrupted" if r.status == "interrupted" else "unknown error"),
        )
        for r in progress.with_status("failed", "interrupted")
    )
    not_started = tuple(r.address for r in progress.with_status("pending"))
    ok = progress.ok and not failed and not progress.errors and not left_behind
    steps: list[NextStep] = []
    cause = None
    if progress.interrupted:
        steps.append(NextStep(action="resume", command=rerun))
        if operation == "apply" and completed:
            steps.append(NextStep(action="destroy", command=destroy))
        steps.append(
            NextStep(
                action="force_unlock",
                detail="<ID>",
                command=f"terraform -chdir={workdir} force-unlock <ID>",
            )
        )
    elif not ok:
        for error in progress.errors:
            if not any(error in f.reason for f in failed):
                failed = (*failed, FailedResource(address="(terraform)", action="", reason=error))
        cause = diagnosis.cause if diagnosis is not None else "terraform_error"
        steps.extend(diagnosis.steps if diagnosis is not None else ())
        if operation == "apply":
            steps.append(NextStep(action="resume_apply", command=rerun))
            if completed:
                steps.append(NextStep(action="destroy", command=destroy))
        else:
            steps.append(NextStep(action="fix_and_rerun", command=rerun))
            if left_behind:
                steps.append(NextStep(action="delete_by_hand"))
    return RunReport(
        operation=operation,
        ok=ok,
        interrupted=progress.interrupted,
        completed=completed,
        failed=failed,
        not_started=not_started,
        next_steps=tuple(steps),
        left_behind=tuple(left_behind),
        cause=cause,
        diagnostics=tuple(d for d in diagnostics if d.severity == "error") if not ok else (),
    )
