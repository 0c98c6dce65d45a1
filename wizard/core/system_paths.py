"""The system directories cdwizard never uses as a deployment destination or rehearsal root.

One list for every caller, with the same meaning (the folder itself, not what is below it): the
answers validator refuses such a `payload.destination`, and the rehearsal refuses one as its
`--root` or as an appspec `files` destination (unless `--allow-system-destinations`).
Sub-folders are fine: `/srv/myapp` is a good destination, `/srv` is not.
"""

from __future__ import annotations

import posixpath

SYSTEM_DIRS: frozenset[str] = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/sbin",
        "/var",
        "/var/lib",
    }
)


def is_system_dir(path: str) -> bool:
    """Whether `path` (absolute; normalised here) is one of `SYSTEM_DIRS` itself."""
    return posixpath.normpath(path) in SYSTEM_DIRS
