"""One lifecycle event's scripts, run as `HookExecutor#execute` runs them.

For each script, in appspec order: missing -> ScriptMissing; not executable -> a warning, `chmod
+x`, and ScriptNotExecutable only if that fails; then the script runs by absolute path with the
inherited environment plus the five CodeDeploy variables, its output going to `scripts.log`, the
combined log, the ~2 KB tail and the caller (live `HookOutput` events). The first failure stops
the event with the agent's error code and message.

`runas` uses `su USER -c PATH` like the agent (which runs as root). Rehearsing as root does
exactly that for every `runas`, `runas: root` included, so the script gets what `su` sets up
(`HOME`, `SHELL`, `MAIL`, `USER`/`LOGNAME` for other users, …). Without root the rehearsal cannot
switch users: a script whose `runas` is someone else runs as the rehearsing user with a warning,
and one whose `runas` is that user runs directly (`su` to oneself would ask for a password), so
it keeps the rehearsal's own `HOME`, `SHELL`, `USER`, `LOGNAME` and has no `MAIL` from `su`.
`sudo: true` becomes `sudo -n` without root; as root it is left out (see the README).
"""

from __future__ import annotations

import errno
import os
import pwd
import shlex
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wizard.core.agent_log import (
    ScriptLogTail,
    lifecycle_message,
    output_prefix,
    script_message,
)
from wizard.services.rehearse import process
from wizard.services.rehearse.appspec import HookScript
from wizard.services.rehearse.logs import Clock, DeploymentsLog, ScriptsLog
from wizard.services.rehearse.rubyisms import errno_message, expand_path, file_join

SCRIPT_MISSING = 1
SCRIPT_EXECUTABILITY = 2
SCRIPT_TIMED_OUT = 3
SCRIPT_FAILED = 4
UNKNOWN_ERROR = 5
OUTPUTS_LEFT_OPEN = 6

#: Agent `ScriptError` codes -> the API's `Diagnostics.errorCode` names. 0-5 follow the enum's
#: order; 6 (outputs left open) has no name of its own in the API and shows as UnknownError.
ERROR_CODE_NAMES: Mapping[int, str] = {
    0: "Success",
    SCRIPT_MISSING: "ScriptMissing",
    SCRIPT_EXECUTABILITY: "ScriptNotExecutable",
    SCRIPT_TIMED_OUT: "ScriptTimedOut",
    SCRIPT_FAILED: "ScriptFailed",
    UNKNOWN_ERROR: "UnknownError",
    OUTPUTS_LEFT_OPEN: "UnknownError",
}

OutputSink = Callable[[process.Stream, str], None]
Warn = Callable[[str], None]


class ScriptError(Exception):
    """A failed script, as the agent reports it (code, appspec location, message, log tail)."""

    def __init__(self, code: int, script_name: str, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.code = code
        self.script_name = script_name
        self.message = message
        self.log_tail = log_tail

    @property
    def error_code(self) -> str:
        return ERROR_CODE_NAMES[self.code]


class HookCancelled(Exception):
    """The rehearsal was cancelled while a script ran (its process group was terminated)."""

    def __init__(self, script_name: str, log_tail: str) -> None:
        super().__init__(script_name)
        self.script_name = script_name
        self.log_tail = log_tail


@dataclass(frozen=True)
class RunningUser:
    name: str
    is_root: bool

    @classmethod
    def current(cls) -> RunningUser:
        uid = os.geteuid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        return cls(name=name, is_root=uid == 0)


def script_command(path: str, script: HookScript, user: RunningUser) -> list[str]:
    """`LinuxUtil.prepare_script_command` as root; without root no `su` (it would ask for a
    password), and `sudo -n`; as root no `sudo`."""
    argv = [path]
    if script.runas is not None and user.is_root:
        argv = ["su", script.runas, "-c", shlex.quote(path)]
    if script.sudo and not user.is_root:
        argv = ["sudo", "-n", *argv]
    return argv


def _prefix(script: HookScript) -> str:
    prefix = "Script at specified location: " + script.location
    if script.runas is not None:
        prefix += " run as user " + script.runas
    return prefix


@dataclass
class HookRun:
    """Everything one event needs to run its scripts."""

    event: str
    deployment_id: str
    archive: Path
    scripts: tuple[HookScript, ...]
    env: Mapping[str, str]
    scripts_log: Path
    deployments_log: DeploymentsLog
    on_output: OutputSink
    warn: Warn
    clock: Clock
    user: RunningUser
    canceller: process.Canceller | None = None
    kill_grace: float = 5.0

    def execute(self) -> None:
        """Run every script; raise `ScriptError` (or `HookCancelled`) at the first failure."""
        self._tail = ScriptLogTail()
        self._log = ScriptsLog(self.scripts_log, self.clock)
        try:
            self._entry(lifecycle_message(self.event).encode())
            for script in self.scripts:
                self._run_one(script)
        finally:
            self._log.close()

    def _entry(self, message: bytes) -> str:
        text = message.decode("utf-8", errors="replace")
        self._tail.append(text)
        self._log.write(message)
        self.deployments_log.log(self.deployment_id, text)
        return text

    def _fail(self, code: int, script: HookScript, message: str) -> ScriptError:
        return ScriptError(code, script.location, message, self._tail.text())

    def _run_one(self, script: HookScript) -> None:
        path = file_join(str(self.archive), script.location)
        if not os.path.exists(path):
            raise self._fail(
                SCRIPT_MISSING,
                script,
                "Script does not exist at specified location: " + expand_path(path),
            )
        if not os.access(path, os.X_OK):
            self.warn(
                f"Script at specified location: {script.location} is not executable.  "
                "Trying to make it executable."
            )
            try:
                os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            except OSError:
                raise self._fail(
                    SCRIPT_EXECUTABILITY,
                    script,
                    f"Unable to set script at specified location: {script.location} as executable",
                ) from None
        if script.runas is not None and script.runas != self.user.name and not self.user.is_root:
            self.warn(
                f"{script.location} asks for runas: {script.runas}, but this rehearsal runs as "
                f"{self.user.name} without root and cannot switch users, so it runs the script as "
                f"{self.user.name} (the agent, as root, would `su {script.runas}`). Rehearse as "
                "root to run it as that user."
            )
        self._entry(script_message(script.location).encode())
        try:
            result = process.run(
                script_command(path, script, self.user),
                env=self.env,
                timeout=script.timeout,
                on_output=self._output,
                canceller=self.canceller,
                kill_grace=self.kill_grace,
            )
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, "EUNKNOWN")
            raise self._fail(
                SCRIPT_FAILED,
                script,
                f"{_prefix(script)} failed with error Errno::{name} with message "
                f"{errno_message(exc)}",
            ) from None
        self._check(script, result)

    def _check(self, script: HookScript, result: process.ProcessResult) -> None:
        if result.outcome == "cancelled":
            raise HookCancelled(script.location, self._tail.text())
        if result.outcome == "timed_out":
            raise self._fail(
                SCRIPT_TIMED_OUT,
                script,
                f"Script at specified location: {script.location} failed to complete in "
                f"{script.timeout} seconds",
            )
        if result.outcome in ("stdout_open", "stderr_open"):
            which = "STDOUT" if result.outcome == "stdout_open" else "STDERR"
            if result.leftover:
                pids = ", ".join(str(p) for p in result.leftover)
                self.warn(
                    f"{script.location} exited but left process(es) {pids} (process group "
                    f"{result.pid}) holding its {which} open; like the agent, the rehearsal "
                    "leaves them running. Redirect a background command's output "
                    "(`cmd >/dev/null 2>&1 &`) so the hook can finish."
                )
            raise self._fail(
                OUTPUTS_LEFT_OPEN,
                script,
                f"Script at specified location: {script.location} failed to close {which}",
            )
        if result.returncode != 0:
            if result.signal_name:
                self.warn(f"{script.location} was killed by {result.signal_name}")
            status = "" if result.exit_status is None else str(result.exit_status)
            raise self._fail(
                SCRIPT_FAILED, script, f"{_prefix(script)} failed with exit code {status}"
            )

    def _output(self, stream: process.Stream, line: bytes) -> None:
        prefix = output_prefix(stream)
        text = self._entry(prefix.encode() + line)
        self.on_output(stream, text[len(prefix) :].rstrip("\n"))
