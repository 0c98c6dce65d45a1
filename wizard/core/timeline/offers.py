"""Which monitor actions make sense for a snapshot (the keys a screen offers, and why)."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.timeline.failures import (
    FETCH_LOG,
    REDEPLOY_IGNORE_STOP,
    RELEASE,
    RETRY_FAILED,
    SHIP,
    explain,
)
from wizard.core.timeline.views import Snapshot

STOP = "stop"
STOP_ROLLBACK = "stop_rollback"
REDEPLOY_LAST_SUCCESS = "redeploy_last_success"
APPROVE = "approve"
REJECT = "reject"


@dataclass(frozen=True)
class ActionOffer:
    """An action that applies now: its key, a label, and why it is offered."""

    key: str
    label: str
    reason: str
    suggested: bool = False


def available_actions(snapshot: Snapshot) -> tuple[ActionOffer, ...]:
    """Actions that apply to `snapshot`, the one the failure explanation suggests first."""
    offers: list[ActionOffer] = []
    report = explain(snapshot)
    suggested = report.action if report else None
    pipeline, deployment = snapshot.pipeline, snapshot.deployment
    if pipeline is not None:
        offers.append(ActionOffer(RELEASE, "release change", "run the pipeline on the branch head"))
        waiting = pipeline.waiting_approval
        if waiting is not None:
            why = f"stage {waiting.stage} waits for approval"
            offers.append(ActionOffer(APPROVE, "approve", why))
            offers.append(ActionOffer(REJECT, "reject", why))
        if pipeline.failed_stage is not None:
            offers.append(
                ActionOffer(
                    RETRY_FAILED,
                    "retry failed actions",
                    f"stage {pipeline.failed_stage.name} failed",
                )
            )
        if suggested == SHIP:
            offers.append(ActionOffer(SHIP, "ship the payload", report.headline if report else ""))
    if deployment is not None:
        if not deployment.final:
            offers.append(ActionOffer(STOP, "stop deployment", "leave instances as they are"))
            offers.append(
                ActionOffer(STOP_ROLLBACK, "stop and roll back", "redeploy the last good revision")
            )
        else:
            offers.append(
                ActionOffer(
                    REDEPLOY_LAST_SUCCESS,
                    "redeploy last successful revision",
                    "go back to what worked",
                )
            )
        if suggested == REDEPLOY_IGNORE_STOP:
            offers.append(
                ActionOffer(
                    REDEPLOY_IGNORE_STOP,
                    "redeploy ignoring ApplicationStop failures",
                    report.headline if report else "",
                )
            )
        if deployment.failed_instances:
            offers.append(
                ActionOffer(FETCH_LOG, "fetch full log", "read the whole scripts.log over SSM")
            )
    return tuple(
        ActionOffer(o.key, o.label, o.reason, suggested=o.key == suggested) for o in offers
    )
