"""One lock per workspace: only one cdwizard process reads and writes a workspace at a time.

    with WorkspaceLock(out, "apply"):      # WorkspaceBusy names the holder; OSError if unwritable
        ...

The lock is `<out>/.cdwizard/lock`, held with `flock` for as long as the process works in the
workspace, and holding who took it (pid, command, host, since when) so a refused process can say
who is in the way. The kernel releases an flock when its process dies however it dies, so a
killed run never blocks the next one; the next one finds the dead holder's details still in the
file, says it takes over, and goes on. On a file system without flock (some network mounts) the
holder's pid is checked instead: a lock whose process is gone (on this host) is taken over.

Within one process the lock is re-entrant (the wizard holds it, and the terraform workflow it
starts takes it again); the lock file descriptor is never inherited by child processes
(terraform), so a terraform left running after we died cannot keep the workspace locked.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

LOCK_FILE = ".cdwizard/lock"


@dataclass
class _Entry:
    fd: int
    count: int


_registry_lock = threading.Lock()
#: resolved lock path -> the open, flocked lock file and how many holders this process has
_held: dict[str, _Entry] = {}


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a workspace lock."""

    pid: int
    command: str
    host: str
    since: float  # epoch seconds

    def describe(self) -> str:
        """`cdwizard apply (pid 4242 on ci-7, since 10:02:11)`."""
        when = datetime.fromtimestamp(self.since).astimezone()
        today = datetime.now().astimezone().date() == when.date()
        stamp = when.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M:%S")
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"cdwizard {self.command} (pid {self.pid}{where}, since {stamp})"

    def to_json(self) -> str:
        return json.dumps(
            {"pid": self.pid, "command": self.command, "host": self.host, "since": self.since}
        )

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(
                pid=int(data["pid"]),
                command=str(data["command"]),
                host=str(data.get("host", "")),
                since=float(data["since"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def alive(self) -> bool:
        """The process still runs (only knowable on this host; elsewhere assume it does)."""
        if self.host and self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class WorkspaceBusy(Exception):
    """Another process holds the workspace lock."""

    def __init__(self, out: Path, holder: Holder | None) -> None:
        self.out = Path(out)
        self.holder = holder
        who = holder.describe() if holder else "another cdwizard process"
        super().__init__(
            f"the workspace {out} is in use by {who}; wait for it to finish (or stop it), "
            "or use another --out"
        )


def lock_path(out: Path) -> Path:
    return Path(out) / LOCK_FILE


def _read(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    return Holder.parse(data.decode("utf-8", "replace")) if data.strip() else None


def _write(fd: int, holder: Holder | None) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    if holder is not None:
        os.write(fd, holder.to_json().encode("utf-8") + b"\n")


def _flock_unsupported(exc: OSError) -> bool:
    return exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


class WorkspaceLock:
    """The lock of the workspace `out`, taken for `command` (shown to a refused process)."""

    def __init__(self, out: Path, command: str) -> None:
        self.out = Path(out)
        self.command = command
        self.path = lock_path(self.out)
        #: the dead process whose lock this one took over, if any (say so to the user)
        self.took_over: Holder | None = None
        self._key: str | None = None

    def acquire(self) -> WorkspaceLock:
        """Take the lock or raise `WorkspaceBusy`; `OSError` when the workspace cannot be
        created or written (the caller words it with `wizard.core.fserrors`)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = str(self.path.resolve())
        with _registry_lock:
            entry = _held.get(key)
            if entry is not None:  # re-entrant within this process
                entry.count += 1
                self._key = key
                return self
            me = Holder(os.getpid(), self.command, socket.gethostname(), time.time())
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                self.took_over = self._lock(fd)
                _write(fd, me)
            except BaseException:
                os.close(fd)
                raise
            _held[key] = _Entry(fd, 1)
            self._key = key
        return self

    def _lock(self, fd: int) -> Holder | None:
        """flock `fd`; the earlier holder that did not release it (it died), if any."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkspaceBusy(self.out, _read(fd)) from None
        except OSError as exc:
            if not _flock_unsupported(exc):
                raise
            previous = _read(fd)  # no flock here: trust the pid of the holder
            if previous is not None and previous.pid != os.getpid() and previous.alive():
                raise WorkspaceBusy(self.out, previous) from None
            return previous
        previous = _read(fd)
        return previous if previous is not None and previous.pid != os.getpid() else None

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _registry_lock:
            entry = _held.get(key)
            if entry is None:
                return
            entry.count -= 1
            if entry.count > 0:
                return
            del _held[key]
            fd = entry.fd
            with contextlib.suppress(OSError):
                _write(fd, None)  # released cleanly: nothing to take over
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> WorkspaceLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def held_here(out: Path) -> bool:
    """This process holds the lock of `out`."""
    with _registry_lock:
        return str(lock_path(out).resolve()) in _held


def current_holder(out: Path) -> Holder | None:
    """Who holds the lock of `out` right now (None when nobody does, or it is us)."""
    path = lock_path(out)
    if not path.is_file() or held_here(out):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd) or Holder(0, "(unknown)", "", time.time())
        except OSError:
            holder = _read(fd)
            return holder if holder is not None and holder.alive() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
