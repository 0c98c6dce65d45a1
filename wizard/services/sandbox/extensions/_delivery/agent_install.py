"""The CodeDeploy agent's first-boot install on sandbox instances, on the simulation's clock.

An instance launched with cdwizard's user_data (it carries the `cdwizard-agent:` console markers)
installs its agent for `AGENT_INSTALL_SECONDS` (paced) after launch, as the real script does in
a few minutes. Meanwhile:

- GetConsoleOutput shows the script's markers as the real serial console would
  (`cdwizard-agent: installing at …`, then `cdwizard-agent: running at …`);
- a deployment that reaches the instance waits for its agent: the instance is InProgress with
  every lifecycle event Pending until the agent runs (CodeDeploy holds host commands for an agent
  up to an hour), then its events run as usual.

Every other instance (no such user_data: an agent you preinstalled, or SSM's install, which the
sandbox reports done at once) has its agent from launch. Launch times are stamped on RunInstances
with the simulation's clock; instances without a stamp (made before this was installed) have
their agent already.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wizard.services.sandbox.extensions._delivery import clock

#: Seconds (pace 1) the first-boot install takes in the sandbox (minutes on AWS). Short enough
#: that the agent runs by the time a user who just pressed Apply pushes (`python -m bench
#: first_green`: 30 s cost ~7 s of the 60 s goal, 20 s ~2 s); a run that starts earlier waits.
AGENT_INSTALL_SECONDS = 20.0
#: What cdwizard's user_data writes to the console (and how the sandbox recognises it).
MARKER = "cdwizard-agent:"
LAUNCH_ATTR = "_cdwizard_launched"
MARK = "_cdwizard_agent_install"

BOOT_LINES = (
    "[    0.000000] Linux version 6.8.0-1021-aws (buildd@lcy02-amd64-086) #23-Ubuntu SMP",
    "[    2.210412] systemd[1]: Detected virtualization amazon.",
    "cloud-init: running modules for config",
)


def launched_at(instance: Any) -> float | None:
    value = getattr(instance, LAUNCH_ATTR, None)
    return float(value) if value is not None else None


def installs_agent(instance: Any) -> bool:
    """Whether the instance runs cdwizard's first-boot install (its user_data has the markers)."""
    data = getattr(instance, "user_data", None)
    if data is None:
        return False
    try:
        text = data.decode() if hasattr(data, "decode") else str(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return MARKER in text


def ready_at(instance: Any) -> float:
    """When the instance's agent runs (0: it always did)."""
    launched = launched_at(instance)
    if launched is None:
        return 0.0
    if not installs_agent(instance):
        return launched
    return round(launched + clock.duration(AGENT_INSTALL_SECONDS, instance.id, "agent"), 3)


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def console_output(instance: Any, region: str, now: float) -> str:
    """The serial console as the instance's boot has written it by `now`."""
    lines = list(BOOT_LINES)
    launched = launched_at(instance)
    if launched is not None and installs_agent(instance):
        lines.append(
            f"{MARKER} installing at {_stamp(launched)}: packages, then the CodeDeploy agent "
            f"for {region}"
        )
        ready = ready_at(instance)
        if now >= ready:
            lines.append(f"{MARKER} running at {_stamp(ready)}")
    return "\n".join(lines) + "\n"


def install() -> None:
    """Stamp launch times on RunInstances and answer GetConsoleOutput (idempotent)."""
    from moto.ec2.models import EC2Backend
    from moto.ec2.responses.general import General

    current = EC2Backend.run_instances
    if not getattr(current, MARK, False):

        def run_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
            reservation = current(self, *args, **kwargs)
            now = clock.now()
            for instance in reservation.instances:
                setattr(instance, LAUNCH_ATTR, now)
            return reservation

        setattr(run_instances, MARK, True)
        # a deliberate monkeypatch of moto's backend method (same signature)
        EC2Backend.run_instances = run_instances  # type: ignore[method-assign]

    if not getattr(General.get_console_output, MARK, False):

        def get_console_output(self: Any) -> Any:
            from moto.core.responses import ActionResult
            from moto.core.utils import utcnow
            from moto.ec2.utils import Base64EncodedString

            instance = self.ec2_backend.get_instance(self._get_param("InstanceId"))
            text = console_output(instance, self.region, clock.now())
            return ActionResult(
                {
                    "InstanceId": instance.id,
                    "Timestamp": utcnow(),
                    "Output": Base64EncodedString.from_raw_string(text),
                }
            )

        setattr(get_console_output, MARK, True)
        # moto's canned console text: a deliberate monkeypatch of its response method
        General.get_console_output = get_console_output  # type: ignore[method-assign]
