"""The live monitor's AWS side: pollers, the background monitor thread, actions, full logs.

- `Monitor` + `FollowSpec`: poll in a background thread, publish `MonitorUpdate`s
  (a frozen `wizard.core.timeline.Snapshot` and the typed events since the previous one)
- `PipelinePoller`, `DeploymentPoller`: one poll each, minimal API calls
- `actions`: release change, retry failed actions, stop (with/without rollback), redeploy,
  fetch the full log, approve/reject a waiting manual approval — each described before it runs
- `full_log`: the whole `scripts.log` over SSM

Clients come from `wizard.services.aws.session.AwsClients` (use `monitor_clients`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.services.aws.monitor.monitor import FollowSpec, Monitor, MonitorUpdate
from wizard.services.aws.monitor.pipeline_poller import ExecutionSelector
from wizard.services.aws.monitor.schedule import PollIntervals, PollSchedule

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients, AwsTarget

__all__ = [
    "ExecutionSelector",
    "FollowSpec",
    "Monitor",
    "MonitorUpdate",
    "PollIntervals",
    "PollSchedule",
    "monitor_clients",
]


def monitor_clients(target: AwsTarget, *, max_attempts: int = 4) -> AwsClients:
    """Clients for polling: botocore's adaptive retry mode (client-side rate limiting on
    throttling), few attempts so a network problem shows within seconds instead of minutes."""
    from wizard.services.aws.session import AwsClients

    return AwsClients(target, retry_mode="adaptive", max_attempts=max_attempts)
