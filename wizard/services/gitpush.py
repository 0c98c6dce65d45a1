"""Ship the payload to a GitHub, GitLab or Bitbucket branch with the user's own git.

cdwizard never holds a token: `git` authenticates as it always does for the user (credential
helper, SSH agent, ...), and the remote URL is passed to git on its command line only, never
written anywhere. The work happens in a private bare repository in the workspace
(`.cdwizard/ship.git`), never in the user's checkout:

    git init --bare --quiet WS/.cdwizard/ship.git                       (once)
    git ls-remote --heads URL refs/heads/BRANCH                       (does the branch exist?)
    git --git-dir=… fetch --quiet --no-tags URL +refs/heads/BRANCH:refs/cdwizard/base
    git --git-dir=… read-tree refs/cdwizard/base        (GIT_INDEX_FILE: a private index)
    git --git-dir=… --work-tree=WS/.cdwizard/ship-files add --force --ignore-removal -- .
    git --git-dir=… write-tree
    git --git-dir=… commit-tree TREE -p BASE -m MESSAGE
    git --git-dir=… push --quiet URL COMMIT:refs/heads/BRANCH

As with the CodeCommit API ship, files not in the payload are left alone on the branch; a
payload the branch already holds pushes nothing. `plan()` reads only (ls-remote), so a dry run
shows exactly the commands a real run makes.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from wizard.core.events.base import plural
from wizard.services.aws.ship import ShipError, ShipFile

SCRATCH = ".cdwizard/ship.git"
FILES = ".cdwizard/ship-files"
BASE_REF = "refs/cdwizard/base"
#: When the user's git has no identity (a fresh machine, CI) and none is given.
FALLBACK_AUTHOR = ("cdwizard", "cdwizard@localhost")


def redact(url: str) -> str:
    """The URL with any credential in it masked, for showing (never for using): a password,
    or an http(s) user part, which is how tokens get written into URLs."""
    parts = urlsplit(url)
    secret = parts.password is not None or (
        parts.scheme in ("http", "https") and parts.username is not None
    )
    if not secret:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = "***" if parts.scheme in ("http", "https") else f"{parts.username}:***"
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))


def _shown(argv: Sequence[str]) -> str:
    return shlex.join(redact(a) if "://" in a else a for a in argv)


@dataclass(frozen=True)
class GitCommand:
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)

    def show(self) -> str:
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return (prefix + " " if prefix else "") + _shown(self.argv)


def _run(command: GitCommand, *, stdin: bytes | None = None) -> str:
    try:
        proc = subprocess.run(
            list(command.argv),
            input=stdin,
            capture_output=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **command.env},
            timeout=300,
            check=False,
        )
    except FileNotFoundError:
        raise ShipError(
            "git is not installed: install git (the push uses your own git and its credentials)"
        ) from None
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", "replace").strip()
        raise ShipError(f"`{command.show()}` failed: {said or f'exit {proc.returncode}'}")
    return proc.stdout.decode("utf-8", "replace")


def identity(git_dir: Path) -> tuple[str, str] | None:
    """The user's git identity (user.name / user.email), if configured."""
    values = []
    for key in ("user.name", "user.email"):
        proc = subprocess.run(
            ["git", f"--git-dir={git_dir}", "config", "--get", key],
            capture_output=True,
            text=True,
            check=False,
        )
        values.append(proc.stdout.strip())
    return (values[0], values[1]) if all(values) else None


@dataclass(frozen=True)
class GitShipment:
    """A planned push: where, on top of what, and the exact commands."""

    url: str
    branch: str
    label: str
    files: tuple[ShipFile, ...]
    workspace: Path
    base: str | None

    @property
    def git_dir(self) -> Path:
        return self.workspace / SCRATCH

    @property
    def files_dir(self) -> Path:
        return self.workspace / FILES

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> GitCommand:
        return GitCommand(("git", f"--git-dir={self.git_dir}", *args), dict(env or {}))

    def _index_env(self) -> dict[str, str]:
        return {"GIT_INDEX_FILE": str(self.git_dir / "cdwizard.index")}

    def commands(self, message: str) -> list[GitCommand]:
        """Every git command a real run makes (TREE/BASE/COMMIT stand for their outputs)."""
        out: list[GitCommand] = []
        if not (self.git_dir / "HEAD").is_file():
            out.append(GitCommand(("git", "init", "--bare", "--quiet", str(self.git_dir))))
        if self.base:
            out.append(
                self._git(
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    self.url,
                    f"+refs/heads/{self.branch}:{BASE_REF}",
                )
            )
            out.append(self._git("read-tree", BASE_REF, env=self._index_env()))
        else:
            out.append(self._git("read-tree", "--empty", env=self._index_env()))
        out.append(
            GitCommand(
                (
                    "git",
                    f"--git-dir={self.git_dir}",
                    f"--work-tree={self.files_dir}",
                    "add",
                    "--force",
                    "--ignore-removal",
                    "--",
                    ".",
                ),
                self._index_env(),
            )
        )
        out.append(self._git("write-tree", env=self._index_env()))
        parent = ("-p", BASE_REF) if self.base else ()
        out.append(self._git("commit-tree", "TREE", *parent, "-m", message))
        out.append(self._git("push", "--quiet", self.url, f"COMMIT:refs/heads/{self.branch}"))
        return out

    def describe(self) -> str:
        base = f"on top of {self.base[:7]}" if self.base else "a new branch"
        return (
            f"Push {plural(len(self.files), 'file')} to {self.label}:{self.branch} ({base}) with "
            f"your git, to {redact(self.url)}; files not in the payload are left alone, and "
            "cdwizard stores no token."
        )

    def details(self, message: str) -> list[str]:
        """The commands, the read-only look at the remote (already made) first."""
        looked = GitCommand(("git", "ls-remote", "--heads", self.url, f"refs/heads/{self.branch}"))
        return [f"{looked.show()}   # (run to plan)"] + [c.show() for c in self.commands(message)]

    def execute(self, *, message: str, author: tuple[str, str] | None = None) -> GitPushed:
        """Build the commit in the private repository and push it."""
        steps = self.commands(message)
        if not (self.git_dir / "HEAD").is_file():
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            _run(steps.pop(0))
        self._write_files()
        try:
            for step in steps[:-4]:  # fetch + read-tree, or read-tree --empty; then add
                _run(step)
            _run(steps[-4])  # add
            tree = _run(steps[-3]).strip()
            if self.base:
                old = _run(self._git("rev-parse", f"{BASE_REF}^{{tree}}")).strip()
                if old == tree:
                    return GitPushed(
                        self.label, self.branch, self.base, len(self.files), False, True
                    )
            who = author or identity(self.git_dir) or FALLBACK_AUTHOR
            env = {
                "GIT_AUTHOR_NAME": who[0],
                "GIT_AUTHOR_EMAIL": who[1],
                "GIT_COMMITTER_NAME": who[0],
                "GIT_COMMITTER_EMAIL": who[1],
            }
            parent = ["-p", BASE_REF] if self.base else []
            commit = _run(self._git("commit-tree", tree, *parent, "-m", message, env=env)).strip()
            _run(self._git("push", "--quiet", self.url, f"{commit}:refs/heads/{self.branch}"))
        finally:
            shutil.rmtree(self.files_dir, ignore_errors=True)
        return GitPushed(self.label, self.branch, commit, len(self.files), self.base is None, False)

    def _write_files(self) -> None:
        shutil.rmtree(self.files_dir, ignore_errors=True)
        for f in self.files:
            path = self.files_dir / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.content)
            path.chmod(0o755 if f.executable else 0o644)


@dataclass(frozen=True)
class GitPushed:
    repository: str
    branch: str
    commit_id: str
    files: int
    created_branch: bool
    unchanged: bool


_SHA = re.compile(r"^([0-9a-f]{40})\s+refs/heads/(.+)$")


def remote_head(url: str, branch: str) -> str | None:
    """The branch's commit on the remote (`git ls-remote`), None when it has no such branch."""
    out = _run(GitCommand(("git", "ls-remote", "--heads", url, f"refs/heads/{branch}")))
    for line in out.splitlines():
        found = _SHA.match(line.strip())
        if found and found.group(2) == branch:
            return found.group(1)
    return None


def plan_push(
    url: str, branch: str, files: Sequence[ShipFile], *, workspace: Path, label: str
) -> GitShipment:
    """Look at the remote branch (read only) and plan the push."""
    if not files:
        raise ShipError("nothing to ship: the payload has no files")
    base = remote_head(url, branch)
    return GitShipment(url, branch, label, tuple(files), Path(workspace).resolve(), base)


# --- which remote -------------------------------------------------------------------------


def _git_out(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _names_repository(url: str, full_id: str) -> bool:
    path = re.sub(r"\.git/?$", "", url.rstrip("/"))
    return path.lower().endswith("/" + full_id.lower()) or path.lower().endswith(
        ":" + full_id.lower()
    )


def resolve_remote(remote: str | None, full_id: str, cwd: Path) -> str:
    """The URL to push to: `remote` (a URL, or a remote of the current repository), else the
    current repository's remote whose URL names `full_id`."""
    if remote and ("://" in remote or "@" in remote or remote.startswith(("/", "."))):
        return remote
    if remote:
        url = _git_out(cwd, "remote", "get-url", remote)
        if url is None:
            raise ShipError(
                f"'{remote}' is not a remote of the git repository in {cwd}: give its URL "
                "(--remote https://…/OWNER/NAME.git or git@host:OWNER/NAME.git) or a remote name "
                "from `git remote -v`"
            )
        return url
    names = (_git_out(cwd, "remote") or "").split()
    for name in names:
        url = _git_out(cwd, "remote", "get-url", name)
        if url and _names_repository(url, full_id):
            return url
    where = f"the git repository in {cwd}" if names else f"{cwd} (not a git repository)"
    raise ShipError(
        f"no remote of {where} points at {full_id}: pass --remote URL (your usual clone URL; "
        "git's own credentials are used, cdwizard stores none) or run ship from a clone of it"
    )
