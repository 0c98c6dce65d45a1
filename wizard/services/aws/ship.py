"""Push the rendered payload to the pipeline's branch through the CodeCommit API (no git, no git
credentials): `create_commit` with the files and their modes on top of the branch head.

- branch exists: the new commit's parent is its head;
- branch missing, repository has other branches: the branch is created from the default
  branch's head (`create_branch`), then committed to;
- empty repository: the first `create_commit` (no parent) creates the branch.

CodeCommit caps a commit at 100 changed files and a few MB; bigger payloads go in several
commits chained on each other. Planning only reads; `execute_ship` writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from wizard.core.events.base import plural

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

MAX_FILES_PER_COMMIT = 100
#: CodeCommit refuses a commit whose combined changes exceed ~7 MB; stay well below it.
MAX_BYTES_PER_COMMIT = 5 * 1024 * 1024
#: ... and a single file over 6 MB.
MAX_FILE_BYTES = 6 * 1024 * 1024
_SKIPPED_PARTS = frozenset({"__pycache__", ".git", ".venv", "venv", ".pytest_cache", ".ruff_cache"})


class ShipError(Exception):
    """Shipping cannot go on; the message names the cause and the fix."""


@dataclass(frozen=True)
class ShipFile:
    """One file of the payload, as it will land in the repository."""

    path: str
    content: bytes
    executable: bool = False

    @property
    def mode(self) -> str:
        return "EXECUTABLE" if self.executable else "NORMAL"


def files_from_tree(tree: Mapping[str, Any], prefix: str = "payload/") -> list[ShipFile]:
    """The payload files of a rendered tree (`wizard.core.render.render`), prefix stripped."""
    out = [
        ShipFile(path[len(prefix) :], f.content, bool(f.mode & 0o111))
        for path, f in sorted(tree.items())
        if path.startswith(prefix)
    ]
    if not out:
        raise ShipError("the rendered tree has no payload files (nothing under payload/)")
    return out


def files_from_dir(root: Path) -> list[ShipFile]:
    """Every regular file under `root` (a workspace's `payload/`), caches and VCS dirs skipped."""
    out: list[ShipFile] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIPPED_PARTS for part in rel.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        if path.is_file() and not path.is_symlink():
            out.append(
                ShipFile(rel.as_posix(), path.read_bytes(), bool(os.stat(path).st_mode & 0o111))
            )
    if not out:
        raise ShipError(f"{root} holds no files to ship")
    return out


def batches(files: Iterable[ShipFile]) -> tuple[tuple[ShipFile, ...], ...]:
    """Split into commits of ≤100 files and ≤5 MB each; refuse files CodeCommit would refuse."""
    groups: list[list[ShipFile]] = [[]]
    size = 0
    for f in files:
        if len(f.content) > MAX_FILE_BYTES:
            raise ShipError(
                f"{f.path} is {len(f.content) // 1024 // 1024} MB: the CodeCommit API takes files "
                "up to 6 MB; push it with git instead"
            )
        if groups[-1] and (
            len(groups[-1]) >= MAX_FILES_PER_COMMIT or size + len(f.content) > MAX_BYTES_PER_COMMIT
        ):
            groups.append([])
            size = 0
        groups[-1].append(f)
        size += len(f.content)
    return tuple(tuple(g) for g in groups if g)


Base = Literal["branch", "new-branch", "empty-repository"]


@dataclass(frozen=True)
class ShipPlan:
    """What `execute_ship` will do; `describe()` says it in words."""

    repository: str
    branch: str
    files: tuple[ShipFile, ...]
    base: Base
    parent_commit_id: str | None = None
    default_branch: str | None = None

    @property
    def commits(self) -> tuple[tuple[ShipFile, ...], ...]:
        return batches(self.files)

    def describe(self) -> str:
        """`Push 24 files to shop:master (a new branch: the repository's first commit) with
        codecommit:CreateCommit; files not in the payload are left alone.`"""
        n = len(self.files)
        count = len(self.commits)
        parent = (self.parent_commit_id or "")[:7]
        calls = "codecommit:CreateCommit"
        if self.base == "branch":
            base = f"on top of {parent}"
        elif self.base == "new-branch":
            base = f"a new branch from {self.default_branch} at {parent}"
            calls = "codecommit:CreateBranch and CreateCommit"
        else:
            base = "a new branch: the repository's first commit"
        commits = f" in {count} commits" if count > 1 else ""
        return (
            f"Push {plural(n, 'file')} to {self.repository}:{self.branch} ({base})"
            f"{commits} with {calls}; files not in the payload are left alone."
        )


@dataclass(frozen=True)
class ShipResult:
    """What was pushed. `unchanged`: the branch already held exactly these files."""

    repository: str
    branch: str
    commit_id: str
    commits: tuple[str, ...]
    created_branch: bool
    unchanged: bool
    files: int


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def plan_ship(
    clients: AwsClients, repository: str, branch: str, files: Iterable[ShipFile]
) -> ShipPlan:
    """Read the repository and branch and decide how to commit (no writes)."""

    codecommit = clients.client("codecommit")
    listed = tuple(files)
    batches(listed)  # refuse oversized files before touching AWS
    try:
        head = codecommit.get_branch(repositoryName=repository, branchName=branch)["branch"]
        return ShipPlan(repository, branch, listed, "branch", head.get("commitId"))
    except ClientError as exc:
        code = _code(exc)
        if code == "RepositoryDoesNotExistException":
            raise ShipError(
                f"CodeCommit repository {repository} does not exist in this account/region: "
                "create it (answers: source.create_repository: true, then `cdwizard apply`) or "
                "fix source.repository"
            ) from None
        if code != "BranchDoesNotExistException":
            raise
    meta = codecommit.get_repository(repositoryName=repository)["repositoryMetadata"]
    default = meta.get("defaultBranch")
    if default and default != branch:
        head = codecommit.get_branch(repositoryName=repository, branchName=default)["branch"]
        return ShipPlan(repository, branch, listed, "new-branch", head.get("commitId"), default)
    return ShipPlan(repository, branch, listed, "empty-repository")


def execute_ship(
    clients: AwsClients,
    plan: ShipPlan,
    *,
    message: str,
    author: str = "cdwizard",
    email: str | None = None,
) -> ShipResult:
    """Create the branch if needed and commit the files; returns the resulting head."""

    codecommit = clients.client("codecommit")
    created = plan.base != "branch"
    parent = plan.parent_commit_id
    if plan.base == "new-branch":
        codecommit.create_branch(
            repositoryName=plan.repository, branchName=plan.branch, commitId=parent
        )
    commits: list[str] = []
    batches_ = plan.commits
    for index, group in enumerate(batches_, start=1):
        suffix = f" ({index}/{len(batches_)})" if len(batches_) > 1 else ""
        kwargs: dict[str, Any] = {
            "repositoryName": plan.repository,
            "branchName": plan.branch,
            "authorName": author,
            "commitMessage": message + suffix,
            "putFiles": [
                {"filePath": f.path, "fileMode": f.mode, "fileContent": f.content} for f in group
            ],
        }
        if email:
            kwargs["email"] = email
        if parent:
            kwargs["parentCommitId"] = parent
        try:
            out = codecommit.create_commit(**kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code == "NoChangeException":
                continue
            if code == "ParentCommitIdOutdatedException":
                raise ShipError(
                    f"branch {plan.branch} moved while shipping (someone pushed): run ship again"
                ) from None
            raise
        parent = out["commitId"]
        commits.append(parent)
    if parent is None:
        raise ShipError("CodeCommit created no commit")  # only an empty file list gets here
    return ShipResult(
        repository=plan.repository,
        branch=plan.branch,
        commit_id=parent,
        commits=tuple(commits),
        created_branch=created,
        unchanged=not commits,
        files=len(plan.files),
    )
