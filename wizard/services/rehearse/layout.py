"""The deployment root, laid out as the agent lays out `/opt/codedeploy-agent/deployment-root`.

```
<root>/<group-id>/<deployment-id>/{bundle.tar, deployment-archive/, logs/scripts.log}
<root>/deployment-instructions/<group-id>_last_successful_install   (path of a deployment dir)
<root>/deployment-instructions/<group-id>_most_recent_install
<root>/deployment-instructions/<group-id>-cleanup                    (files the last Install made)
<root>/deployment-instructions/<group-id>-install.json
<root>/deployment-logs/codedeploy-agent-deployments.log
```

Also: deployment ids (`d-XXXXXXXXX-local`), pruning to `max_revisions`, and the guards that keep a
rehearsal inside its root (safe group ids, no root in a system folder or inside the bundle).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import string
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from wizard.core.system_paths import is_system_dir

ARCHIVES_TO_RETAIN = 5
DEFAULT_GROUP_ID = "default-local-deployment-group"
DEFAULT_GROUP_NAME = "LocalFleet"
_ID_ALPHABET = string.ascii_uppercase + string.digits
_RESERVED = frozenset({"deployment-instructions", "deployment-logs", "ongoing-deployment"})


class LayoutError(ValueError):
    """A root or group id the rehearsal refuses to use; the message says why and what to do."""


def default_root() -> Path:
    """`~/.cdwizard/deployment-root`: a rehearsal never touches the real agent's `/opt` root."""
    return Path.home() / ".cdwizard" / "deployment-root"


def new_deployment_id() -> str:
    """`d-` + 9 of A-Z0-9 + `-local`, like `Deployer.random_deployment_id`."""
    return "d-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9)) + "-local"


def check_group_id(group_id: str) -> str:
    """A group id is one path component under the root (the agent would write anywhere)."""
    if (
        not group_id
        or "/" in group_id
        or "\0" in group_id
        or group_id in (".", "..")
        or group_id in _RESERVED
        or len(group_id) > 200
    ):
        raise LayoutError(
            f"--group-id {group_id!r} cannot be a folder name under the deployment root; use "
            "letters, digits, '-' and '_' (a real group id is a UUID like "
            "6859c2df-1fdb-4591-94f9-7acf02eba479), and none of " + ", ".join(sorted(_RESERVED))
        )
    return group_id


def check_root(root: Path, bundle: Path | None = None) -> Path:
    """Absolute root that is neither a system folder nor inside the bundle being copied."""
    absolute = Path(os.path.abspath(root))
    if is_system_dir(str(absolute)):
        raise LayoutError(
            f"--root {absolute} is a system folder; give a dedicated folder such as "
            f"{default_root()} (the default)"
        )
    if bundle is not None and bundle.is_dir():
        bundle_abs = Path(os.path.abspath(bundle))
        if absolute == bundle_abs or bundle_abs in absolute.parents:
            raise LayoutError(
                f"--root {absolute} is inside the bundle {bundle_abs}: each rehearsal copies the "
                "bundle, so it would copy its own root; put the root elsewhere"
            )
    if absolute.exists() and not absolute.is_dir():
        raise LayoutError(f"--root {absolute} exists and is not a folder")
    return absolute


@dataclass(frozen=True)
class DeploymentRoot:
    """Paths under one deployment root; `str` paths are what the agent writes into its files."""

    root: Path

    @cached_property
    def instructions_dir(self) -> Path:
        return self.root / "deployment-instructions"

    @cached_property
    def deployments_log(self) -> Path:
        return self.root / "deployment-logs" / "codedeploy-agent-deployments.log"

    def group_dir(self, group_id: str) -> Path:
        return self.root / group_id

    def deployment_dir(self, group_id: str, deployment_id: str) -> Path:
        return self.root / group_id / deployment_id

    def last_successful_file(self, group_id: str) -> Path:
        return self.instructions_dir / f"{group_id}_last_successful_install"

    def most_recent_file(self, group_id: str) -> Path:
        return self.instructions_dir / f"{group_id}_most_recent_install"

    def cleanup_file(self, group_id: str) -> Path:
        return self.instructions_dir / f"{group_id}-cleanup"

    def install_file(self, group_id: str) -> Path:
        return self.instructions_dir / f"{group_id}-install.json"

    # --- the two pointers -----------------------------------------------------------------

    def last_successful_dir(self, group_id: str) -> Path | None:
        """The deployment whose Install last succeeded (agent: `last_successful_deployment_dir`)."""
        return _read_pointer(self.last_successful_file(group_id))

    def most_recent_dir(self, group_id: str) -> Path | None:
        return _read_pointer(self.most_recent_file(group_id))

    def record_last_successful(self, group_id: str, deployment_dir: Path) -> None:
        replace_file(self.last_successful_file(group_id), str(deployment_dir))

    def record_most_recent(self, group_id: str, deployment_dir: Path) -> None:
        replace_file(self.most_recent_file(group_id), str(deployment_dir))

    # --- pruning --------------------------------------------------------------------------

    def prune(self, group_id: str, current: Path, max_revisions: int) -> list[Path]:
        """`cleanup_old_archives`: keep `max_revisions` dirs counting the new one; never the
        last successful. Deletes the oldest by mtime and returns what it deleted."""
        group_dir = self.group_dir(group_id)
        try:
            entries = [group_dir / name for name in os.listdir(group_dir)]
        except FileNotFoundError:
            return []
        entries = [e for e in entries if e != current]
        extra = len(entries) - max_revisions + 1
        if extra <= 0:
            return []
        keep = self.last_successful_dir(group_id)
        candidates = [e for e in entries if e != keep]
        candidates.sort(key=_mtime)
        doomed = candidates[:extra]
        for path in doomed:
            _remove_inside(path, group_dir)
        return doomed

    @contextlib.contextmanager
    def lock(self, group_id: str) -> Iterator[None]:
        """One rehearsal at a time per root and group (the agent runs one command at a time).

        The lock is taken on the group's own folder, which the run creates anyway (the agent
        makes `<root>/<group>/<deployment>` for its first command), so nothing outside the
        agent's layout is left behind; folders made here for a run that never started an event
        are removed again."""
        made = [p for p in (self.root, self.group_dir(group_id)) if not p.is_dir()]
        self.group_dir(group_id).mkdir(parents=True, exist_ok=True)
        fd = os.open(self.group_dir(group_id), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LayoutError(
                    f"another rehearsal of group {group_id} is running on {self.root}; wait for "
                    "it, or use another --root or --group-id"
                ) from None
            try:
                yield
            finally:
                for path in reversed(made):
                    with contextlib.suppress(OSError):
                        path.rmdir()  # only if still empty
        finally:
            os.close(fd)  # releases the lock


def replace_file(path: Path, text: str) -> None:
    """Write `text` via a temp file and a rename: readers see the old or the new content.

    No fsync (unlike `wizard.core.atomic.write_atomic`): these are the rehearsal's own state files,
    rewritten on every run, and the agent writes them in place without syncing either.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read_pointer(path: Path) -> Path | None:
    try:
        text = path.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        return None
    return Path(text) if text else None


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return 0.0


def _remove_inside(path: Path, parent: Path) -> None:
    """`rm -rf path`, but only for a direct child of `parent` (never follows a symlink out)."""
    if path.parent != parent or path.name in ("", ".", ".."):
        return
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    shutil.rmtree(path, ignore_errors=True)
