"""Whether the CodeDeploy agent runs on an instance yet, as far as can be told without a shell.

Two signs, read by `wizard.services.aws.agents`:

- the progress markers cdwizard's first-boot user_data writes to the serial console
  (`cdwizard-agent: installing|running|failed at <UTC time>[: detail]`, read back with
  ec2:GetConsoleOutput), for instances cdwizard creates with `agent_install: user_data`;
- the status of the SSM association that installs the agent on the instance
  (ssm:DescribeInstanceAssociationsStatus), with `agent_install: ssm`.

Neither sign: the state is "unknown" (an agent you preinstalled, or one that left no trace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from wizard.core.caveats import agent_not_running

AgentState = Literal["running", "installing", "failed", "unknown"]

_STATES: dict[str, AgentState] = {
    "installing": "installing",
    "running": "running",
    "failed": "failed",
}
#: One console line of the first-boot script (the last one wins).
MARKER = re.compile(
    r"cdwizard-agent: (?P<state>installing|running|failed) at "
    r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)(?:: (?P<detail>.*))?"
)


@dataclass(frozen=True)
class AgentView:
    """One instance's agent, as the monitor shows it while a deployment waits for it."""

    instance_id: str
    state: AgentState
    #: since when it is in that state (installing: since the instance or the install started)
    since: datetime | None = None
    detail: str | None = None
    #: where the state was read: "console", "ssm" or "launch" (only the launch time is known)
    source: str = "launch"

    @property
    def waiting(self) -> bool:
        """A deployment that reaches this instance now would wait for the agent."""
        return self.state != "running"

    def describe(self, now: datetime) -> str:
        """`agent not yet running on i-… (installing since 2 min)`, or what else is known."""
        if self.state == "running":
            return f"agent running on {self.instance_id}"
        if self.state == "failed":
            why = f": {self.detail}" if self.detail else ""
            return f"agent install failed on {self.instance_id}{why}"
        if self.state == "installing":
            return agent_not_running(self.instance_id, self.since, now)
        return f"agent not yet running on {self.instance_id} (no sign of it yet)"


def from_console(instance_id: str, output: str) -> AgentView | None:
    """The last progress marker in an instance's console output, or None when there is none."""
    found = list(MARKER.finditer(output))
    if not found:
        return None
    last = found[-1]
    at = datetime.strptime(last.group("at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    state = _STATES[last.group("state")]
    if state == "installing":
        first = found[0]
        at = datetime.strptime(first.group("at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    detail = (last.group("detail") or "").strip() or None
    return AgentView(instance_id, state, at, detail if state == "failed" else None, "console")


def from_association(
    instance_id: str, status: str, at: datetime | None, detail: str | None = None
) -> AgentView:
    """An SSM association's status on the instance (Success, Failed, Pending, InProgress…)."""
    if status == "Success":
        return AgentView(instance_id, "running", at, None, "ssm")
    if status == "Failed":
        return AgentView(instance_id, "failed", at, detail, "ssm")
    return AgentView(instance_id, "installing", at, None, "ssm")
