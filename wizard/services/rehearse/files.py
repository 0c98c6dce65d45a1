"""The two ways the agent copies files, with Ruby's modes and messages.

- `copy_tree` is `FileUtils.cp_r` (a directory bundle into `deployment-archive/`): folders are
  made fresh (mode 0777 less the umask, whatever the source's), files are created with the
  source's mode less the umask, links stay links, entries come in directory order. Nothing else
  is kept: no owner, no times.
- `copy_preserving` is `FileUtils.copy(src, dst, preserve: true)` (Install): the content into a
  file created with the source's mode less the umask, then the source's times, its owner where
  allowed (otherwise the set-id bits are dropped), then its full mode. No extended attributes,
  hence no ACLs, as Ruby copies none.

A failing system call raises `CopyError` with Ruby's `Errno::*` message
(`No such file or directory @ rb_sysopen - /path`).
"""

from __future__ import annotations

import errno
import os
import stat

from wizard.services.rehearse.rubyisms import errno_message

_CHUNK = 1 << 20


class CopyError(Exception):
    """A copy failed; `message` is the agent's (Ruby's `Errno::*` text)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def copy_tree(source: str, target: str) -> None:
    """`FileUtils.cp_r(source, target)` for a `target` that does not exist yet."""
    _mkdir(target)
    try:
        entries = list(os.scandir(source))
    except OSError as exc:
        raise CopyError(errno_message(exc, "dir_initialize")) from None
    for entry in entries:
        destination = os.path.join(target, entry.name)
        if entry.is_symlink():
            _symlink(os.readlink(entry.path), destination)
        elif entry.is_dir():
            copy_tree(entry.path, destination)
        elif entry.is_file():
            _copy_new(entry.path, destination)
        else:
            _special(entry.path, destination)


def copy_preserving(source: str, destination: str) -> None:
    """`FileUtils.copy(source, destination, preserve: true)`."""
    st = _copy_new(source, destination)
    mode = st.st_mode & 0o7777
    try:
        os.utime(destination, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError as exc:
        raise CopyError(errno_message(exc, "apply2files")) from None
    try:
        os.chown(destination, st.st_uid, st.st_gid)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EACCES):
            raise CopyError(errno_message(exc, "apply2files")) from None
        mode &= 0o1777
    try:
        os.chmod(destination, mode)
    except OSError as exc:
        raise CopyError(errno_message(exc, "apply2files")) from None


def _copy_new(source: str, destination: str) -> os.stat_result:
    """Ruby's `File.open(dst, 'wb', src_mode)` + `IO.copy_stream`; returns the source's stat."""
    try:
        src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise CopyError(errno_message(exc, "rb_sysopen")) from None
    try:
        st = os.fstat(src)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        try:
            dst = os.open(destination, flags, st.st_mode & 0o7777)
        except OSError as exc:
            raise CopyError(errno_message(exc, "rb_sysopen")) from None
        try:
            _copy_contents(src, dst, st.st_size)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return st


def _copy_contents(src: int, dst: int, size: int) -> None:
    """All of `src` into `dst`, in the kernel where it can (`IO.copy_stream` does the same)."""
    offset = 0
    try:
        while sent := os.sendfile(dst, src, offset, max(size - offset, _CHUNK)):
            offset += sent
        return
    except OSError as exc:
        if offset or exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise CopyError(errno_message(exc, "io_write")) from None
    while chunk := os.read(src, _CHUNK):
        os.write(dst, chunk)


def _mkdir(path: str) -> None:
    try:
        os.mkdir(path)
    except OSError as exc:
        raise CopyError(errno_message(exc, "dir_s_mkdir")) from None


def _symlink(target: str, path: str) -> None:
    try:
        os.symlink(target, path)
    except OSError as exc:
        raise CopyError(errno_message(exc, "syserr_fail2_in")) from None


def _special(source: str, destination: str) -> None:
    """FIFOs are made anew, as Ruby does; sockets and devices are refused with its words."""
    mode = os.lstat(source).st_mode
    if stat.S_ISFIFO(mode):
        os.mkfifo(destination, stat.S_IMODE(mode))
        return
    raise CopyError("cannot handle socket" if stat.S_ISSOCK(mode) else "cannot handle device file")
