"""Atomic file writes: a temp file in the same directory, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _stage(path: Path, data: bytes | str, mode: int | None) -> str:
    """Write `data` to a new temporary file next to `path` (fsynced, with its final mode);
    returns the temporary file's path. Nothing is left behind when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write `data` to `path` so readers see the old or the new content, never half of it.

    `mode` sets the permission bits of the new file; by default an existing file's mode is kept
    and a new file gets 0o644 (mkstemp's private 0o600 is widened before the rename).
    """
    path = Path(path)
    tmp = _stage(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_all_atomic(files: list[tuple[Path, bytes | str, int | None]]) -> None:
    """Write several files so that either all of them change or none does.

    Every new content is first written (and fsynced) to a temporary file next to its target; only
    when all of them are on disk are they renamed over their targets, in order. A failure while
    writing (a full disk, a read-only folder) removes the temporary files and leaves every target
    as it was; the renames themselves need no space. `files` holds `(path, data, mode)` as for
    `write_atomic`."""
    staged: list[tuple[str, Path]] = []
    renamed = 0
    try:
        for path, data, mode in files:
            staged.append((_stage(Path(path), data, mode), Path(path)))
        for tmp, target in staged:
            os.replace(tmp, target)
            renamed += 1
    except BaseException:
        for tmp, _target in staged[renamed:]:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
