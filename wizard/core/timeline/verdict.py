"""What a snapshot says about the watched run: has it ended, and with which exit code."""

from __future__ import annotations

from wizard.core.events.lifecycle import DeploymentStatus
from wizard.core.events.pipeline import STOPPED_EXECUTION_STATUSES
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline.views import Snapshot


def result_code(snapshot: Snapshot | None) -> int:
    """The exit code the watched run earned so far (0 while it runs or when nothing ran)."""
    if snapshot is None:
        return ExitCode.OK
    if snapshot.outcome is not None:
        return int(snapshot.outcome.exit_code)
    followed = snapshot.pipeline.followed if snapshot.pipeline else None
    dep = snapshot.deployment
    if followed is not None and followed.final and (dep is None or dep.final):
        if followed.status == "Succeeded":
            return ExitCode.OK
        return (
            ExitCode.DEPLOY_STOPPED
            if followed.status in STOPPED_EXECUTION_STATUSES
            else ExitCode.DEPLOY_FAILED
        )
    if snapshot.pipeline is None and dep is not None and dep.final:
        return {
            DeploymentStatus.SUCCEEDED: ExitCode.OK,
            DeploymentStatus.STOPPED: ExitCode.DEPLOY_STOPPED,
        }.get(dep.status, ExitCode.DEPLOY_FAILED)
    return ExitCode.OK


def finished(snapshot: Snapshot | None) -> bool:
    """Whether the watched run has ended (the followed execution and its deployment)."""
    if snapshot is None:
        return False
    if snapshot.outcome is not None:
        return True
    followed = snapshot.pipeline.followed if snapshot.pipeline else None
    dep = snapshot.deployment
    if followed is not None:
        return followed.final and (dep is None or dep.final)
    return snapshot.pipeline is None and dep is not None and dep.final
