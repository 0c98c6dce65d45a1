"""How an apply or destroy ended, in words: what exists, what failed and why, what to run next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from wizard.core.events.terraform import FailedResource, LeftoverItem, RunReport
from wizard.core.progress import Progress


def run_report(
    progress: Progress,
    *,
    operation: Literal["apply", "destroy"],
    rerun: str,
    destroy: str,
    workdir: str,
    left_behind: Sequence[str] = (),
    leftovers: Sequence[LeftoverItem] = (),
    state_problem: Sequence[str] = (),
) -> RunReport:
    """`rerun` / `destroy` are the exact commands to suggest (with the user's flags).
    `state_problem`: terraform could not save its state; these steps (recovering it) replace
    the usual ones, which would be wrong ("terraform keeps what was created")."""
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
    if operation == "destroy" and leftovers:
        ok = False
    steps: list[str] = []
    if state_problem:
        steps.extend(state_problem)
        if leftovers:  # they go into the state (or away) before the run is repeated
            steps.insert(len(steps) - 1, "adopt or remove each leftover listed above first")
    elif progress.interrupted:
        steps.append(f"`{rerun}` finishes the job from where it stopped")
        if operation == "apply" and completed:
            steps.append(f"or `{destroy}` removes what was created")
        steps.append(
            f"if terraform reports a state lock: `terraform -chdir={workdir} force-unlock <ID>` "
            "(only when no other run is active)"
        )
    elif not ok:
        for error in progress.errors:
            if not any(error in f.reason for f in failed):
                failed = (*failed, FailedResource(address="(terraform)", action="", reason=error))
        if operation == "apply":
            steps.append(
                "fix the cause shown above (an answer, a quota or a permission), then "
                f"`{rerun}`: terraform keeps what was created and does the rest"
            )
            if completed:
                steps.append(f"or `{destroy}` to remove what was created")
        else:
            steps.append(f"fix the cause shown above, then `{rerun}` again")
            if left_behind:
                steps.append("or delete what is listed as still existing by hand")
    if leftovers and not state_problem:
        steps.append(
            f"adopt or remove each leftover above (its commands are listed with it), then `{rerun}`"
        )
    return RunReport(
        operation=operation,
        ok=ok,
        interrupted=progress.interrupted,
        completed=completed,
        failed=failed,
        not_started=not_started,
        next_steps=tuple(steps),
        left_behind=tuple(left_behind),
        leftovers=tuple(leftovers),
    )
