"""The whole `scripts.log` of a deployment, read from the instance over SSM (no SSH).

CodeDeploy only returns the last ~4 KB of a failing hook's output (`logTail`). The agent keeps
everything in `<root>/<deployment-group-id>/<deployment-id>/logs/scripts.log`. We run
`AWS-RunShellScript` with `send_command` and read the output with `get_command_invocation`
(botocore's `command_executed` waiter does the waiting). SSM returns at most 24,000 characters
of output, so the file travels base64-encoded in chunks of 16,000 bytes.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.core.agent_log import parse_scripts_log
from wizard.core.events.lifecycle import HookOutput

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

CHUNK_BYTES = 16_000
MAX_BYTES = 4_000_000
_MISSING = "cdwizard-missing"
_SIZE = "cdwizard-size"


class LogFetchError(Exception):
    """The log could not be read; the message says why and what to do."""


def chunk_command(path: str, offset: int, size: int) -> str:
    """A POSIX shell line printing the file size, then `size` bytes from `offset`, base64."""
    q = shlex.quote(path)
    return (
        f'f={q}; if [ ! -r "$f" ]; then echo {_MISSING}; exit 3; fi; '
        f'echo "{_SIZE} $(wc -c < "$f")"; '
        f'tail -c +{offset + 1} "$f" | head -c {size} | base64 | tr -d "\\n"'
    )


@dataclass(frozen=True)
class FullLog:
    """A fetched `scripts.log`: its text, and where it came from."""

    instance_id: str
    path: str
    text: str
    size: int
    #: True when only the last `MAX_BYTES` were fetched
    truncated: bool = False

    def to_events(self, deployment_id: str) -> list[HookOutput]:
        """The log as `HookOutput` events (`LifecycleEvent - X` lines set the event name)."""
        return [
            HookOutput(
                deployment_id=deployment_id,
                target_id=self.instance_id,
                event=line.event,
                stream=line.stream,
                text=line.text,
            )
            for line in parse_scripts_log(self.text)
        ]


def _run(ssm: Any, instance_id: str, command: str, *, delay: int, attempts: int) -> dict[str, Any]:
    from botocore.exceptions import ClientError, WaiterError

    try:
        sent = ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [command]},
            Comment="cdwizard: read the CodeDeploy scripts.log",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidInstanceId":
            raise LogFetchError(
                f"{instance_id} is not managed by SSM (or its SSM agent is offline): attach "
                "AmazonSSMManagedInstanceCore to its role (answers: targets.ssm_managed: true)"
            ) from None
        raise
    command_id = sent["Command"]["CommandId"]
    try:
        ssm.get_waiter("command_executed").wait(
            CommandId=command_id,
            InstanceId=instance_id,
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
    except WaiterError as exc:
        last = exc.last_response or {}
        if last.get("Status") in (None, "Pending", "InProgress", "Delayed"):
            raise LogFetchError(
                f"{instance_id} did not run the command within {delay * attempts}s "
                "(is its SSM agent running?)"
            ) from None
    return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)


def fetch_scripts_log(
    clients: AwsClients,
    instance_id: str,
    path: str,
    *,
    chunk: int = CHUNK_BYTES,
    max_bytes: int = MAX_BYTES,
    delay: int = 2,
    attempts: int = 60,
) -> FullLog:
    """Read `path` on `instance_id` through SSM, chunk by chunk (the last `max_bytes` at most)."""
    ssm = clients.client("ssm")
    parts: list[bytes] = []
    offset = 0
    total: int | None = None
    start = 0
    while total is None or offset < total:
        invocation = _run(
            ssm, instance_id, chunk_command(path, offset, chunk), delay=delay, attempts=attempts
        )
        out = invocation.get("StandardOutputContent") or ""
        if _MISSING in out:
            raise LogFetchError(
                f"{path} does not exist on {instance_id} (the agent writes it when a hook "
                "with a script runs; an older deployment's folder may have been pruned)"
            )
        if invocation.get("Status") != "Success":
            err = (invocation.get("StandardErrorContent") or "").strip()
            raise LogFetchError(f"reading {path} on {instance_id} failed: {err or 'no output'}")
        header, _, body = out.partition("\n")
        if not header.startswith(_SIZE):
            raise LogFetchError(f"unexpected output from {instance_id}: {header[:200]!r}")
        size = int(header.split()[1])
        if total is None:
            total = size
            if size > max_bytes:
                start = offset = size - max_bytes
                continue
        data = base64.b64decode(body.strip()) if body.strip() else b""
        if not data:
            break
        parts.append(data)
        offset += len(data)
    text = b"".join(parts).decode("utf-8", errors="replace")
    return FullLog(
        instance_id=instance_id, path=path, text=text, size=total or 0, truncated=start > 0
    )
