"""File-system errors in words: which path, what went wrong, what to do about it.

Every command turns an `OSError` from reading or writing the workspace into one line built here
(never a traceback): `describe(exc)` names the path and the fix for the common causes (disk full,
read-only file system, permissions, a file where a folder should be, …).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

#: errno -> (what happened, what to do). `{path}` is the path the error names.
_CAUSES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: (
        "no space left on the device",
        "free some space on the disk that holds {path} (`df -h {path}` shows it), then run the "
        "command again",
    ),
    errno.EDQUOT: (
        "your disk quota is used up",
        "delete some files or ask for a larger quota, then run the command again",
    ),
    errno.EROFS: (
        "the file system is read-only",
        "choose a workspace on a writable disk (--out DIR)",
    ),
    errno.EACCES: (
        "permission denied",
        "choose a workspace you may write to (--out DIR), or fix the permissions of {path}",
    ),
    errno.EPERM: (
        "operation not permitted",
        "choose a workspace you may write to (--out DIR), or fix the permissions of {path}",
    ),
    errno.ENOTDIR: (
        "a part of the path is a file, not a folder",
        "choose another --out (one of the folders on the way to {path} is a file)",
    ),
    errno.EISDIR: (
        "it is a folder, not a file",
        "move the folder {path} aside or choose another --out",
    ),
    errno.EEXIST: (
        "a file is in the way",
        "move {path} aside or choose another --out",
    ),
    errno.ENAMETOOLONG: (
        "the path is too long",
        "choose a shorter --out path",
    ),
    errno.ELOOP: (
        "the path loops through symbolic links",
        "fix the links in {path} or choose another --out",
    ),
    errno.ENOENT: (
        "it does not exist",
        "check the path, or create its parent folder",
    ),
    errno.EIO: (
        "an input/output error (the disk or the network file system failed)",
        "check the disk (`dmesg`), then run the command again",
    ),
    errno.EMFILE: (
        "too many open files",
        "raise the limit (`ulimit -n 4096`) and run the command again",
    ),
    errno.EFBIG: (
        "the file is too large for this file system or your file-size limit (`ulimit -f`)",
        "raise the limit or choose a workspace on another disk (--out DIR)",
    ),
}


#: The fixes that differ when the path is a file we read (an answers file, a bundle).
_READING_FIXES: dict[int, str] = {
    errno.EACCES: "make {path} readable for you (`chmod u+r {path}`), or give another file",
    errno.EPERM: "make {path} readable for you (`chmod u+r {path}`), or give another file",
    errno.EISDIR: "give the path of a file, not of a folder",
    errno.ENOTDIR: "check the path: one of the folders on the way to {path} is a file",
    errno.ELOOP: "fix the symbolic links in {path}",
}


@dataclass(frozen=True)
class FileProblem:
    """One file-system error, in words."""

    path: str
    reason: str
    fix: str

    def message(self, doing: str = "") -> str:
        """`cannot write ws/.cdwizard/lock: no space left on the device`."""
        what = f"cannot {doing} " if doing else "cannot use "
        return f"{what}{self.path}: {self.reason}"

    def line(self, doing: str = "") -> str:
        """The message and its fix on one line."""
        return f"{self.message(doing)} — {self.fix}"


def describe(exc: OSError, path: Path | str | None = None, *, reading: bool = False) -> FileProblem:
    """`exc` in words; `path` when the error does not name one (or names a temporary file).
    `reading`: the path is an input file (the fixes are not about choosing a workspace)."""
    named = exc.filename if isinstance(exc.filename, (str, bytes, os.PathLike)) else path
    shown = os.fsdecode(named) if named is not None else "(unknown path)"
    if path is not None and _is_temporary(shown):
        shown = os.fsdecode(path)
    reason, fix = _CAUSES.get(
        exc.errno or 0,
        (exc.strerror or str(exc), "check the path and the disk, then run the command again"),
    )
    if reading:
        fix = _READING_FIXES.get(exc.errno or 0, fix)
    return FileProblem(shown, reason, fix.format(path=shown))


def _is_temporary(name: str) -> bool:
    """The temporary files `write_atomic` writes before renaming (`.name.XXXX.tmp`)."""
    base = os.path.basename(name)
    return base.startswith(".") and base.endswith(".tmp")
