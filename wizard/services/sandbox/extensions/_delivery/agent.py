"""The simulated CodeDeploy agent on one instance: which lifecycle events succeed or fail, how
long they take, and what they write to `scripts.log`, decided from the revision's real content.

Nothing is executed. The agent's decisions that depend only on the bundle are reproduced:

- ApplicationStop (and Before/AfterBlockTraffic) run the scripts of the revision last installed
  successfully on the instance in this deployment group (a no-op on its first deployment); their
  failure fails the instance unless the deployment ignores ApplicationStop failures;
- DownloadBundle fails when the bundle cannot be fetched or unpacked;
- the first hook after it parses `appspec.yml` with the rehearsal's validator
  (`wizard.services.rehearse.appspec`, the agent's rules and messages): a missing or invalid
  appspec fails there with the agent's message (UnknownError);
- a hook script missing from the bundle fails ScriptMissing with the agent's message and path
  (`/opt/codedeploy-agent/deployment-root/<group-id>/<deployment-id>/deployment-archive/<location>`);
- a shell script (bash, sh or no shebang) is syntax-checked with `bash -n` / `sh -n` on this host;
  a syntax error fails the event ScriptFailed with exit code 2, as running it would, and the
  shell's message goes to the log tail;
- anything else succeeds after a plausible time, writing `[stdout]` lines that say the script was
  simulated (the ValidateService hook also writes the health-check line the seed shows).

`cdwizard rehearse` runs the hooks for real on this machine; the sandbox never does.
"""

from __future__ import annotations

import functools
import hashlib
import os
import posixpath
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from wizard.core.agent_log import (
    DEPLOYMENT_ROOT,
    ScriptLogTail,
    lifecycle_message,
    output_message,
    script_message,
)
from wizard.core.events.lifecycle import PREVIOUS_REVISION_EVENTS, SERVICE_EVENTS
from wizard.services.rehearse.appspec import AppSpec, AppSpecError, HookScript, parse_appspec
from wizard.services.rehearse.rubyisms import file_join
from wizard.services.sandbox.extensions._delivery import clock
from wizard.services.sandbox.extensions._delivery.bundle import appspec_name
from wizard.services.sandbox.extensions._delivery.model import Bundle, EventRun

#: Seconds (at pace 1) a script of each event takes; the gap between events is the agent's poll.
_SCRIPT_SECONDS = {
    "ApplicationStop": 1.5,
    "BeforeInstall": 2.5,
    "AfterInstall": 4.5,
    "ApplicationStart": 2.0,
    "ValidateService": 2.0,
}
_STEP_SECONDS = {"DownloadBundle": 1.2, "Install": 1.0, "BlockTraffic": 2.0, "AllowTraffic": 2.0}
_NOOP_SECONDS = 0.1
_FAIL_SECONDS = 0.3
GAP_SECONDS = 0.3

_PLAUSIBLE = {
    "ApplicationStop": "stopping the application",
    "BeforeInstall": "preparing the destination",
    "AfterInstall": "installing dependencies",
    "ApplicationStart": "starting the application",
}


def archive_dir(group_id: str, deployment_id: str) -> str:
    return f"{DEPLOYMENT_ROOT}/{group_id}/{deployment_id}/deployment-archive"


# --- shell syntax check -----------------------------------------------------------------------

_SYNTAX_CACHE: dict[tuple[str, str], tuple[int, str]] = {}
_PATH_MARK = "\0path\0"


def shell_for(content: bytes) -> str | None:
    """The shell that runs a script: `bash`, `sh` (also without a shebang: the agent falls back
    to /bin/sh), or None for other interpreters (not checked)."""
    first = content.split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return "sh"
    words = first[2:].decode("utf-8", errors="replace").split()
    if not words:
        return "sh"
    program = posixpath.basename(words[0])
    if program == "env":
        rest = [w for w in words[1:] if not w.startswith("-")]
        program = posixpath.basename(rest[0]) if rest else ""
    if program == "bash":
        return "bash"
    if program in ("sh", "dash"):
        return "sh"
    return None


@functools.lru_cache(maxsize=8)
def _which(shell: str, search_path: str) -> str | None:
    return shutil.which(shell, path=search_path or None)


def syntax_check(content: bytes, path: str) -> tuple[int, str]:
    """(`<shell> -n` exit status, its stderr with the script named `path`); (0, "") when the
    script is not a shell script or the shell is not installed here."""
    shell = shell_for(content)
    program = _which(shell, os.environ.get("PATH", "")) if shell else None
    if program is None:
        return 0, ""
    key = (program, hashlib.sha256(content).hexdigest())
    cached = _SYNTAX_CACHE.get(key)
    if cached is None:
        with tempfile.TemporaryDirectory(prefix="cdwizard-sandbox-") as tmp:
            script = os.path.join(tmp, "hook")
            with open(script, "wb") as handle:
                handle.write(content)
            try:
                proc = subprocess.run(
                    [program, "-n", script],
                    capture_output=True,
                    timeout=20,
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired):
                return 0, ""
            text = proc.stderr.decode("utf-8", errors="replace").replace(script, _PATH_MARK)
        cached = (proc.returncode, text)
        if len(_SYNTAX_CACHE) > 512:
            _SYNTAX_CACHE.clear()
        _SYNTAX_CACHE[key] = cached
    status, text = cached
    return status, text.replace(_PATH_MARK, path)


# --- one instance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Previous:
    """The revision last installed successfully on the instance (this deployment group)."""

    deployment_id: str
    bundle: Bundle


@dataclass(frozen=True)
class TrafficTiming:
    """Seconds (at pace 1) the service's traffic events take on this instance, and whether
    AllowTraffic can succeed (the target turns healthy)."""

    block_seconds: float
    allow_seconds: float
    turns_healthy: bool = True
    give_up_seconds: float = 300.0


@dataclass(frozen=True)
class InstanceInput:
    deployment_id: str
    group_id: str
    instance_id: str
    events: tuple[str, ...]
    #: the revision's files, or None when it could not be downloaded (`problem` says why)
    files: Mapping[str, bytes] | None
    problem: str | None
    previous: Previous | None
    ignore_stop_failures: bool
    traffic: TrafficTiming | None = None


@dataclass
class InstanceResult:
    """Events relative to the instance's start (time 0); `status` Succeeded or Failed."""

    events: list[EventRun]
    status: str
    duration: float


class _Failure(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        script: str = "",
        tail: str = "",
        *,
        at: float | None = None,
        reported: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.script = script
        self.tail = tail
        #: when the event fails (None: right after its last log line)
        self.at = at
        #: False: the service's own event, which carries no agent diagnostics
        self.reported = reported


def _prefix(script: HookScript) -> str:
    prefix = f"Script at specified location: {script.location}"
    return prefix + (f" run as user {script.runas}" if script.runas is not None else "")


def _appspec_missing(archive: str) -> str:
    return (
        "The CodeDeploy agent did not find an AppSpec file within the unpacked revision "
        'directory at revision-relative path "appspec.yml". The revision was unpacked to '
        f'directory "{archive}", and the AppSpec file was expected but not found at path '
        f'"{archive}/appspec.yml". Consult the AWS CodeDeploy Appspec documentation for more '
        "information at http://docs.aws.amazon.com/codedeploy/latest/userguide/"
        "reference-appspec-file.html"
    )


def parse_bundle_appspec(files: Mapping[str, bytes], archive: str) -> AppSpec:
    """The bundle's appspec as the agent parses it; `_Failure` (UnknownError) if it cannot."""
    name = appspec_name(files)
    if name is None:
        raise _Failure("UnknownError", _appspec_missing(archive))
    spec, problem = _parse(files[name])
    if spec is None:
        raise _Failure("UnknownError", problem)
    return spec


@functools.lru_cache(maxsize=64)
def _parse(text: bytes) -> tuple[AppSpec | None, str]:
    """Parse once per distinct appspec (a fleet's instances share one)."""
    try:
        return parse_appspec(text.decode("utf-8", errors="replace")), ""
    except AppSpecError as exc:
        return None, exc.message


def script_paths(files: Mapping[str, bytes]) -> set[str]:
    """Bundle paths of every hook script the appspec names (none if it does not parse)."""
    try:
        spec = parse_bundle_appspec(files, "")
    except _Failure:
        return set()
    return {_bundle_path(s.location) for scripts in spec.hooks.values() for s in scripts}


def _bundle_path(location: str) -> str:
    return posixpath.normpath(location.lstrip("/"))


class _EventLog:
    """The entries one event writes (scripts.log lines and the agent's ~2 KB tail)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, str]] = []
        self.tail = ScriptLogTail()

    def add(self, at: float, message: str) -> None:
        self.entries.append((at, message))
        self.tail.append(message)


def _success_lines(event: str, at: float) -> list[str]:
    if event == "ValidateService":
        stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        health = f'{{"status":"ok"}}[{stamp}] application passing health checks'
        return [output_message("stdout", health)]
    what = _PLAUSIBLE.get(event, "done")
    return [output_message("stdout", f"[{event}] {what}")]


def _run_scripts(
    ctx: InstanceInput,
    event: str,
    scripts: tuple[HookScript, ...],
    *,
    files: Mapping[str, bytes],
    archive: str,
    start: float,
    log: _EventLog,
) -> float:
    """Simulate the scripts of one event from `start`; its end time, or `_Failure`."""
    t = start
    log.add(t, lifecycle_message(event))
    for script in scripts:
        content = files.get(_bundle_path(script.location))
        path = posixpath.normpath(file_join(archive, script.location))
        if content is None:
            raise _Failure(
                "ScriptMissing",
                f"Script does not exist at specified location: {path}",
                script.location,
                log.tail.text(),
            )
        log.add(t, script_message(script.location))
        status, errors = syntax_check(content, path)
        if status != 0:
            t += clock.duration(_FAIL_SECONDS, ctx.deployment_id, ctx.instance_id, event, "x")
            for line in errors.splitlines():
                log.add(t, output_message("stderr", line))
            raise _Failure(
                "ScriptFailed",
                f"{_prefix(script)} failed with exit code {status}",
                script.location,
                log.tail.text(),
            )
        base = _SCRIPT_SECONDS.get(event, 1.5)
        took = clock.duration(base, ctx.deployment_id, ctx.instance_id, event, script.location)
        log.add(
            t + took * 0.1,
            output_message(
                "stdout",
                f"[sandbox] {script.location} was simulated, not run "
                "(`cdwizard rehearse` runs hooks for real)",
            ),
        )
        t += took
        for line in _success_lines(event, t):
            log.add(t, line)
    return t


def simulate_instance(ctx: InstanceInput) -> InstanceResult:
    """The instance's lifecycle events, from time 0."""
    events: list[EventRun] = []
    t = 0.0
    failed = False
    current_archive = archive_dir(ctx.group_id, ctx.deployment_id)
    for index, name in enumerate(ctx.events):
        if failed:
            events.append(EventRun(name=name, status="Skipped", start=None, end=t))
            continue
        if index:
            t += clock.duration(GAP_SECONDS, ctx.deployment_id, ctx.instance_id, name, "gap")
        start = t
        log = _EventLog()
        try:
            t = _event(ctx, name, start, log, current_archive)
        except _Failure as exc:
            if exc.at is not None:
                t = exc.at
            else:
                t = max(t, log.entries[-1][0] if log.entries else start) + clock.duration(
                    0.05, ctx.deployment_id, ctx.instance_id, name, "end"
                )
            events.append(
                EventRun(
                    name=name,
                    status="Failed",
                    start=start,
                    end=t,
                    error_code=exc.code,
                    script_name=exc.script,
                    message=exc.message,
                    log_tail=exc.tail,
                    log=log.entries,
                    diagnostics=exc.reported,
                )
            )
            ignored = name in PREVIOUS_REVISION_EVENTS and ctx.ignore_stop_failures
            failed = not ignored
            continue
        events.append(
            EventRun(
                name=name,
                status="Succeeded",
                start=start,
                end=t,
                log=log.entries,
                diagnostics=name not in SERVICE_EVENTS,
            )
        )
    return InstanceResult(events=events, status="Failed" if failed else "Succeeded", duration=t)


def _event(ctx: InstanceInput, name: str, start: float, log: _EventLog, archive: str) -> float:
    """Run one event from `start`; its end, or `_Failure`."""
    dep, inst = ctx.deployment_id, ctx.instance_id
    if name in SERVICE_EVENTS and ctx.traffic is not None:
        return _traffic_event(ctx, name, start, ctx.traffic)
    if name in SERVICE_EVENTS or name in ("DownloadBundle", "Install"):
        if name == "DownloadBundle" and ctx.files is None:
            raise _Failure("UnknownError", ctx.problem or "The bundle could not be downloaded.")
        if name == "Install":
            assert ctx.files is not None
            spec = parse_bundle_appspec(ctx.files, archive)
            try:
                for permission in spec.permissions:
                    permission.validate_file_permission()
            except AppSpecError as exc:
                raise _Failure("UnknownError", exc.message) from None
        return start + clock.duration(_STEP_SECONDS.get(name, 1.0), dep, inst, name)
    if name in PREVIOUS_REVISION_EVENTS:
        if ctx.previous is None:  # first deployment to this instance: the agent skips it
            return start + clock.duration(_NOOP_SECONDS, dep, inst, name)
        files: Mapping[str, bytes] = ctx.previous.bundle.files
        archive = archive_dir(ctx.group_id, ctx.previous.deployment_id)
    else:
        assert ctx.files is not None
        files = ctx.files
    spec = parse_bundle_appspec(files, archive)
    scripts = spec.scripts_for(name)
    if not scripts:
        return start + clock.duration(_NOOP_SECONDS, dep, inst, name)
    return _run_scripts(ctx, name, scripts, files=files, archive=archive, start=start, log=log)


def _traffic_event(ctx: InstanceInput, name: str, start: float, timing: TrafficTiming) -> float:
    """BlockTraffic lasts the deregistration delay; AllowTraffic until the target is healthy,
    or fails when it never is (the service reports no diagnostics for either)."""
    dep, inst = ctx.deployment_id, ctx.instance_id
    if name == "BlockTraffic":
        return start + clock.duration(timing.block_seconds, dep, inst, name)
    if timing.turns_healthy:
        return start + clock.duration(timing.allow_seconds, dep, inst, name)
    raise _Failure(
        "UnknownError",
        "",
        at=start + clock.duration(timing.give_up_seconds, dep, inst, name, "give up"),
        reported=False,
    )


def shift(events: list[EventRun], offset: float) -> list[EventRun]:
    """The same events moved `offset` seconds later (in place; returns them)."""
    for event in events:
        if event.start is not None:
            event.start = round(event.start + offset, 3)
        event.end = round(event.end + offset, 3)
        event.log = [(round(at + offset, 3), message) for at, message in event.log]
    return events
