"""Run one hook script the way `HookExecutor#execute_script` does.

- its own process group (here: its own session, which also means no controlling terminal, as
  under the agent's daemon), stdin closed, stdout and stderr read line by line;
- one deadline (`now + timeout`) for the process *and* for both output streams: a process still
  running at the deadline gets `TERM` sent to its whole group (`timed_out`); a process that exited
  while a child still holds stdout/stderr open is reported as `stdout_open` / `stderr_open`, and
  that child is left running, as the agent leaves it;
- deviation: after `TERM` we wait `kill_grace` seconds and then `KILL` the group, so a script
  that ignores `TERM` cannot outlive its rehearsal (the agent would wait for it forever).

Everything happens on the calling thread: a selector over the two pipes, a pidfd for the exit and
a wake-up pipe for `Canceller.cancel()` from another thread. Scripts start with `subprocess.Popen`
(a hand-rolled `os.posix_spawn` saved 2-4 % of a hook's wall time: `bench/bench_process_runners`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["exited", "timed_out", "stdout_open", "stderr_open", "cancelled"]
Stream = Literal["stdout", "stderr"]
OutputCallback = Callable[[Stream, bytes], None]
_READ_SIZE = 65536
_MAX_LINE = 1 << 20
_POLL = 0.05  # only without pidfd (old kernels): how often to look for the exit


class Canceller:
    """Thread-safe cancel flag that also wakes a running script's selector."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def fileno(self) -> int:
        return self._read

    def cancel(self) -> None:
        self._event.set()
        with contextlib.suppress(OSError):
            os.write(self._write, b"x")

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class ProcessResult:
    outcome: Outcome
    pid: int
    returncode: int | None = None
    #: Members of the script's process group still alive when we returned (outputs left open).
    leftover: list[int] = field(default_factory=list)

    @property
    def exit_status(self) -> int | None:
        """Ruby's `exitstatus`: the exit code, or None when a signal ended the process."""
        if self.returncode is None or self.returncode < 0:
            return None
        return self.returncode

    @property
    def signal_name(self) -> str | None:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return None


@dataclass
class Child:
    """A started script: the process, and the read ends of its stdout and stderr."""

    proc: subprocess.Popen[bytes]
    stdout: int
    stderr: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self) -> int:
        return self.proc.wait()


def spawn(argv: Sequence[str], env: Mapping[str, str]) -> Child:
    """Start `argv` in a new session, stdin on /dev/null, no inherited descriptor but 0-2; a
    script without `#!` runs through `/bin/sh`, as Ruby does. `OSError` if it cannot start."""
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        try:
            proc = _popen(list(argv), env, out_write, err_write)
        except OSError as exc:
            if exc.errno != errno.ENOEXEC:
                raise
            proc = _popen(["/bin/sh", *argv], env, out_write, err_write)
    except BaseException:
        os.close(out_read)
        os.close(err_read)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    return Child(proc, out_read, err_read)


def _popen(argv: list[str], env: Mapping[str, str], out: int, err: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
    )


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    on_output: OutputCallback,
    canceller: Canceller | None = None,
    kill_grace: float = 5.0,
) -> ProcessResult:
    """Run to completion, deadline or cancel; `on_output(stream, line)` gets each line (with its
    newline, if it had one) as it arrives. `OSError` if the program cannot be started."""
    deadline = time.monotonic() + timeout
    proc = spawn(argv, env)
    watch = _Watch(proc, on_output, canceller)
    try:
        stop = watch.until(deadline)
        if stop == "done":
            return ProcessResult("exited", proc.pid, proc.returncode)
        if stop == "cancelled" or not watch.exited:
            _terminate_group(proc, watch, kill_grace)
            outcome: Outcome = "cancelled" if stop == "cancelled" else "timed_out"
            return ProcessResult(outcome, proc.pid, proc.returncode)
        # exited, but a child still holds an output open at the deadline
        which: Outcome = "stdout_open" if watch.is_open("stdout") else "stderr_open"
        return ProcessResult(which, proc.pid, proc.returncode, leftover=group_members(proc.pid))
    except BaseException:
        _terminate_group(proc, watch, kill_grace=0.5)
        raise
    finally:
        watch.close()


class _Watch:
    """The selector loop over stdout, stderr, the exit (pidfd) and the cancel pipe."""

    def __init__(
        self,
        proc: Child,
        on_output: OutputCallback,
        canceller: Canceller | None,
    ) -> None:
        self.proc = proc
        self.on_output = on_output
        self.canceller = canceller
        self.selector = selectors.DefaultSelector()
        self.pending: dict[Stream, bytes] = {"stdout": b"", "stderr": b""}
        self.streams: dict[int, Stream] = {}
        outputs: tuple[tuple[Stream, int], ...] = (("stdout", proc.stdout), ("stderr", proc.stderr))
        for name, fd in outputs:
            self.streams[fd] = name
            self.selector.register(fd, selectors.EVENT_READ, name)
        self.pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(proc.pid)
            self.selector.register(self.pidfd, selectors.EVENT_READ, "exit")
        if canceller is not None:
            self.selector.register(canceller.fileno, selectors.EVENT_READ, "cancel")
        self.exited = False

    def is_open(self, name: str) -> bool:
        return name in self.streams.values()

    def until(self, deadline: float) -> Literal["done", "deadline", "cancelled"]:
        while True:
            if self.canceller is not None and self.canceller.cancelled:
                return "cancelled"
            if self.exited and not self.streams:
                return "done"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "deadline"
            wait = remaining if self.pidfd is not None or self.exited else min(remaining, _POLL)
            for key, _mask in self.selector.select(wait):
                if key.data == "exit":
                    self._reap()
                elif key.data == "cancel":
                    return "cancelled"
                else:
                    self._read(key.fd)
            if self.pidfd is None and not self.exited and self.proc.poll() is not None:
                self.exited = True

    def _reap(self) -> None:
        self.proc.wait()
        self.exited = True
        assert self.pidfd is not None
        self.selector.unregister(self.pidfd)
        os.close(self.pidfd)
        self.pidfd = None

    def _read(self, fd: int) -> None:
        name = self.streams[fd]
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        if not data:
            self._close_stream(fd)
            return
        buffer = self.pending[name] + data
        *lines, rest = buffer.split(b"\n")
        for line in lines:
            self.on_output(name, line + b"\n")
        if len(rest) > _MAX_LINE:
            self.on_output(name, rest)
            rest = b""
        self.pending[name] = rest

    def _close_stream(self, fd: int) -> None:
        name = self.streams.pop(fd)
        self.selector.unregister(fd)
        if self.pending[name]:
            self.on_output(name, self.pending[name])
            self.pending[name] = b""

    def drain(self, until: float) -> None:
        """After TERM/KILL: keep reading what is left until the streams close or `until`."""
        while (self.streams or not self.exited) and time.monotonic() < until:
            remaining = until - time.monotonic()
            for key, _mask in self.selector.select(min(remaining, _POLL)):
                if key.data == "exit":
                    self._reap()
                elif key.data != "cancel":
                    self._read(key.fd)
            if not self.exited and self.proc.poll() is not None:
                self.exited = True

    def close(self) -> None:
        for fd in list(self.streams):
            self._close_stream(fd)
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None
        self.selector.close()
        for fd in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                os.close(fd)


def _terminate_group(proc: Child, watch: _Watch, kill_grace: float) -> None:
    """TERM the script's group, give it `kill_grace` seconds, then KILL what is left."""
    _signal_group(proc.pid, signal.SIGTERM)
    watch.drain(time.monotonic() + kill_grace)
    if group_members(proc.pid) or proc.poll() is None:
        _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()
    watch.exited = True
    wait_group_gone(proc.pid, 5.0)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # fields after the ")" that ends the command name: state ppid pgrp ...
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def wait_group_gone(pgid: int, timeout: float) -> bool:
    """True once no live process is left in the group (checked until `timeout`)."""
    end = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= end:
            return False
        _signal_group(pgid, signal.SIGKILL)
        time.sleep(0.01)
    return True
