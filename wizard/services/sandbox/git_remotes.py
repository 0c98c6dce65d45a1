"""The sandbox's GitHub, GitLab and Bitbucket: one real bare git repository per repository id,
inside the workspace (`.cdwizard/sandbox-git/<provider>/<owner>/<name>.git`).

`ship --sandbox` pushes to it with the real `git`; the delivery engine reads the branch head from
its refs and zips the commit with `git archive`, as a CodeConnections source action reads the
provider's repository. A repository that does not exist yet is an empty one (no branch), as a
new repository on the provider is until its first push.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Under the workspace's `.cdwizard/` (next to the emulator's state file).
FOLDER = "sandbox-git"

#: Provider folder by CodeConnections provider type (and by answers provider).
PROVIDER_FOLDERS = {
    "GitHub": "github",
    "GitLab": "gitlab",
    "Bitbucket": "bitbucket",
    "github": "github",
    "gitlab": "gitlab",
    "bitbucket": "bitbucket",
}

_root: dict[str, Path | None] = {"path": None}


def set_root(path: Path | None) -> None:
    """Where the emulator finds the repositories (the launcher sets the workspace's)."""
    _root["path"] = Path(path) if path is not None else None


def root() -> Path | None:
    return _root["path"]


def root_for_state(state_file: Path) -> Path:
    """The repositories' folder of the workspace whose emulator state is `state_file`."""
    return Path(state_file).parent / FOLDER


class RemoteError(Exception):
    """The repository cannot be read (git missing or failing); the message says why."""


def repository_path(base: Path, provider: str, full_id: str) -> Path | None:
    """`base/<provider>/<full_id>.git`, or None when the id cannot name a folder safely (an
    empty, `.` or `..` segment, a backslash): such an id names no repository."""
    folder = PROVIDER_FOLDERS.get(provider)
    parts = full_id.split("/")
    if folder is None or len(parts) < 2:
        return None
    if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return base.joinpath(folder, *parts[:-1], parts[-1] + ".git")


def branch_head(repository: Path, branch: str) -> str | None:
    """The commit `refs/heads/<branch>` points at (loose ref, else packed-refs), or None.

    Read straight from git's documented ref files: the engine looks on every API call it
    serves, and a subprocess per look would dominate the emulator's time."""
    name = f"refs/heads/{branch}"
    if not repository.is_dir() or ".." in branch.split("/"):
        return None
    loose = repository / name
    try:
        text = loose.read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, UnicodeDecodeError):
        text = ""
    if text.startswith("ref: "):
        return None  # a symbolic ref as a branch: not something a push creates
    if len(text) == 40:
        return text
    try:
        packed = (repository / "packed-refs").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in packed.splitlines():
        if line.startswith(("#", "^")):
            continue
        commit, _, ref = line.partition(" ")
        if ref == name and len(commit) == 40:
            return commit
    return None


def ensure_repository(base: Path, provider: str, full_id: str) -> Path:
    """The sandbox repository for `full_id`, created (empty, bare) if it is not there yet: what
    creating the repository on the provider's website is on the real thing."""
    path = repository_path(base, provider, full_id)
    if path is None:
        raise RemoteError(f"'{full_id}' cannot name a repository")
    if not (path / "HEAD").is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["git", "init", "--bare", "--quiet", str(path)], capture_output=True, check=False
        )
        if proc.returncode != 0:
            raise RemoteError(proc.stderr.decode("utf-8", "replace").strip() or "git init")
    return path


@dataclass(frozen=True)
class Commit:
    commit_id: str
    message: str
    author: str
    email: str
    #: author date, epoch seconds
    authored: float


def _git(repository: Path, *args: str, binary: bool = False) -> bytes:
    try:
        proc = subprocess.run(
            ["git", f"--git-dir={repository}", *args],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise RemoteError("git is not installed (the sandbox's repositories are git)") from None
    if proc.returncode != 0:
        raise RemoteError(proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]}")
    return proc.stdout


def read_commit(repository: Path, commit_id: str) -> Commit | None:
    """The commit's message, author and author date (None: no such commit)."""
    try:
        out = _git(repository, "log", "-1", "--format=%an%x00%ae%x00%at%x00%B", commit_id, "--")
    except RemoteError:
        return None
    author, email, stamp, message = out.decode("utf-8", "replace").split("\x00", 3)
    return Commit(commit_id, message.rstrip("\n"), author, email, float(stamp or 0))


def archive_zip(repository: Path, commit_id: str) -> bytes:
    """The commit's tree as a zip (`git archive --format=zip`), as CODE_ZIP sources output."""
    return _git(repository, "archive", "--format=zip", commit_id)


__all__ = [
    "FOLDER",
    "Commit",
    "RemoteError",
    "archive_zip",
    "branch_head",
    "ensure_repository",
    "read_commit",
    "repository_path",
    "root",
    "root_for_state",
    "set_root",
]
