"""Typed events shared by every producer (terraform runner, AWS pollers, local rehearsal) and
every consumer (TUI, plain lines, NDJSON).

`base` holds the envelope; each domain has its own module:

- `lifecycle`: CodeDeploy deployments and their per-instance lifecycle events (monitor + rehearse)
- `terraform`: terraform's machine-readable UI, typed (runner)
- `pipeline`: CodePipeline executions and stages (monitor)
- `preflight`: `cdwizard doctor` checks (discovery)
- `traffic`: the load balancer's target group during a deployment (monitor)
- `approval`: manual approvals waiting, approved, rejected (monitor)
"""

from wizard.core.events.base import Event, Heartbeat, LogLine, Notice, event_types

__all__ = ["Event", "Heartbeat", "LogLine", "Notice", "event_types"]
