"""SSM Run Command on simulated instances: reading the CodeDeploy agent's logs.

`SendCommand` with `AWS-RunShellScript` to an EC2 instance answers, in its command invocation,
what the instance's agent logs hold at that moment in the simulation:

- `<root>/<group-id>/<deployment-id>/logs/scripts.log` (the entries the simulated hooks wrote)
  and `<root>/deployment-logs/codedeploy-agent-deployments.log` (all deployments, Logger format);
- the commands understood are exactly the log reads cdwizard's monitor sends (size, then a
  base64 chunk; see `wizard.services.aws.monitor.full_log.chunk_command`), `cat FILE` and
  `tail -n N FILE`. Anything else is not run: its invocation fails (exit 127) and says so.

As on AWS, an instance must be SSM-managed (an instance profile whose role lets the SSM agent
register; the same rule as `DescribeInstanceInformation`), else `InvalidInstanceId`.
"""

from __future__ import annotations

import base64
import re
import shlex
from datetime import UTC, datetime
from typing import Any

from wizard.core.agent_log import (
    DEPLOYMENT_ROOT,
    DEPLOYMENTS_LOG,
    deployments_log_entry,
    logfile_header,
)
from wizard.services.sandbox.extensions._delivery import clock, deploy, pipeline
from wizard.services.sandbox.extensions._delivery.api import MARK, result_of
from wizard.services.sandbox.extensions._delivery.world import LOCK, World, enabled, world_of
from wizard.services.sandbox.extensions.ssm_instances import role_lets_agent_register

#: SSM returns at most this many characters of a command's output.
OUTPUT_LIMIT = 24_000
COMBINED_LOG = f"{DEPLOYMENT_ROOT}/{DEPLOYMENTS_LOG}"

_CHUNK = re.compile(
    r"^f=(?P<path>(?:'[^']*'|\"[^\"]*\"|[^\s;'\"])+); "
    r"if \[ ! -r \"\$f\" \]; then echo (?P<missing>[\w.-]+); "
    r"exit 3; fi; echo \"(?P<marker>[\w.-]+) \$\(wc -c < \"\$f\"\)\"; "
    r"tail -c \+(?P<offset>\d+) \"\$f\" \| head -c (?P<count>\d+) \| base64 \| "
    r"tr -d \"\\n\"$"
)
_SCRIPTS_LOG = re.compile(
    rf"^{re.escape(DEPLOYMENT_ROOT)}/(?P<group>[^/]+)/(?P<deployment>[^/]+)/logs/scripts\.log$"
)
_NOT_RUN = (
    "cdwizard sandbox: simulated instances only answer reads of the CodeDeploy agent's logs "
    "(cdwizard's full-log fetch, `cat FILE`, `tail -n N FILE`); this command was not run"
)


def _error(code: str, message: str) -> Exception:
    from moto.ssm.exceptions import SSMException

    return SSMException(code, message)


def _managed(world: World, instance: Any) -> bool:
    association = world.ec2.iam_instance_profile_associations.get(instance.id)
    if association is None or instance.state in ("terminated", "shutting-down"):
        return False
    return any(role_lets_agent_register(r) for r in association.iam_instance_profile.roles)


def _check_instances(world: World, ids: list[str]) -> None:
    instances = {i.id: i for i in world.ec2.all_instances()}
    bad = [i for i in ids if i not in instances or not _managed(world, instances[i])]
    if bad:
        listed = ", ".join(f"[{i}]" for i in bad)
        raise _error(
            "InvalidInstanceId",
            f"Instances [{listed}] not in a valid state for account {world.account}",
        )


def read_file(world: World, instance_id: str, path: str, now: float) -> str | None:
    """The content of an agent log on the instance at `now` (None: no such file)."""
    found = _SCRIPTS_LOG.match(path)
    if found:
        for _, run in deploy.runs(world):
            if run.deployment_id == found["deployment"] and run.group_id == found["group"]:
                return deploy.scripts_log(run, instance_id, now)
        return None
    if path == COMBINED_LOG:
        return _combined(world, instance_id, now)
    return None


def _combined(world: World, instance_id: str, now: float) -> str | None:
    entries = []
    for _, run in deploy.runs(world):
        target = run.target(instance_id)
        for event in target.events if target else []:
            entries += [(at, run.deployment_id, m) for at, m in event.log if at <= now]
    if not entries:
        return None
    entries.sort(key=lambda e: e[0])
    lines = [logfile_header(datetime.fromtimestamp(entries[0][0], UTC))]
    for at, deployment_id, message in entries:
        stamp = datetime.fromtimestamp(at, UTC)
        lines.append(deployments_log_entry(stamp, deployment_id, message.strip()))
    return "".join(lines)


def run_command(world: World, instance_id: str, command: str, now: float) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one understood command on a simulated instance."""
    chunk = _CHUNK.match(command.strip())
    if chunk:
        chunk_path = shlex.split(chunk["path"])[0]
        text = read_file(world, instance_id, chunk_path, now)
        if text is None:
            return 3, chunk["missing"] + "\n", ""
        data = text.encode("utf-8")
        offset, count = int(chunk["offset"]) - 1, int(chunk["count"])
        body = base64.b64encode(data[offset : offset + count]).decode()
        return 0, f"{chunk['marker']} {len(data)}\n{body}", ""
    try:
        words = shlex.split(command)
    except ValueError:
        words = []
    path = None
    lines = None
    if len(words) == 2 and words[0] == "cat":
        path = words[1]
    elif len(words) == 4 and words[0] == "tail" and words[1] == "-n" and words[2].isdigit():
        path, lines = words[3], int(words[2])
    if path is None:
        return 127, "", _NOT_RUN
    text = read_file(world, instance_id, path, now)
    if text is None:
        return 1, "", f"{words[0]}: {path}: No such file or directory\n"
    if lines is not None:
        text = "".join(text.splitlines(keepends=True)[-lines:] if lines else [])
    return 0, text, ""


def _install_send_command() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    current = SimpleSystemManagerResponse.__dict__["send_command"]
    if getattr(current, MARK, False):
        return

    def send_command(self: Any) -> Any:
        if not enabled():
            return current(self)
        world = world_of(self)
        ids = list(self._get_param("InstanceIds", []) or [])
        with LOCK:
            _check_instances(world, ids)
            out = current(self)
            if self._get_param("DocumentName") != "AWS-RunShellScript":
                return out
            now = clock.now()
            pipeline.advance(world, now)
            command_id = result_of(out)["Command"]["CommandId"]
            command = self.ssm_backend.get_command_by_id(command_id)
            lines = (self._get_param("Parameters") or {}).get("commands") or []
            script = "\n".join(lines)
            failed = False
            for invocation in command.invocations:
                code, stdout, stderr = run_command(world, invocation["InstanceId"], script, now)
                status = "Success" if code == 0 else "Failed"
                failed = failed or code != 0
                invocation.update(
                    ResponseCode=code,
                    Status=status,
                    StatusDetails=status,
                    StandardOutputContent=stdout[:OUTPUT_LIMIT],
                    StandardErrorContent=stderr[:OUTPUT_LIMIT],
                )
            if failed:
                command.status = command.status_details = "Failed"
                command.error_count = sum(1 for i in command.invocations if i["ResponseCode"])
        return out

    setattr(send_command, MARK, True)
    # a deliberate monkeypatch of moto's response method
    SimpleSystemManagerResponse.send_command = send_command  # type: ignore[method-assign]


def install() -> None:
    _install_send_command()
