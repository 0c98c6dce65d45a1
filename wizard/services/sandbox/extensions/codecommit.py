"""CodeCommit content APIs moto 5.2.5 lacks: repositories get branches, commits and files.

Added to moto's `CodeCommitResponse` (the JSON-protocol handler of the moto server):
`ListRepositories`, `ListBranches`, `GetBranch`, `CreateBranch`, `CreateCommit`, `GetCommit`,
`GetFile`, `GetFolder`, `GetDifferences`.

This module reads the requests and writes the responses; the content model (blobs, commits and
branches with git's own ids) and CreateCommit's rules live in `_gitstore`. Errors use the
exception names of the botocore model, so callers catch them as they would against AWS.

Not emulated: merges, tags, pull requests, approval rules, encryption keys, `sourceFile` moves
across commits, and the 20 MB aggregate commit size limit.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from wizard.services.sandbox.extensions._gitobjects import GIT_MODES, tree_ids
from wizard.services.sandbox.extensions._gitstore import (
    MAX_FILE_ENTRIES,
    Changes,
    GitStore,
    add_branch,
    check_branch_name,
    check_commit_id,
    commit,
    error,
    normalise_path,
    resolve,
    store_of,
    under,
)
from wizard.services.sandbox.extensions._paging import page

#: Page sizes of the list calls (module-level so tests can exercise pagination).
REPOSITORY_PAGE = 1000
BRANCH_PAGE = 100
DIFFERENCE_PAGE = 100


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    return page(items, token, size, _invalid_token)


def _invalid_token() -> Exception:
    return error(
        "InvalidContinuationTokenException", "The specified continuation token is not valid."
    )


def _file_entry(path: str, mode: str, blob: str) -> dict[str, str]:
    return {"absolutePath": path, "blobId": blob, "fileMode": mode}


# --- request handlers (become methods of moto's CodeCommitResponse) --------------------------


def _repository(self: Any) -> tuple[Any, GitStore]:
    name = self._get_param("repositoryName")
    if not name:
        raise error("RepositoryNameRequiredException", "A repository name is required.")
    repository = self.codecommit_backend.repositories.get(name)
    if repository is None:
        raise error("RepositoryDoesNotExistException", f"{name} does not exist")
    return repository, store_of(repository)


def list_repositories(self: Any) -> str:
    sort_by = self._get_param("sortBy") or "repositoryName"
    order = self._get_param("order") or "ascending"
    repos = [r.repository_metadata for r in self.codecommit_backend.repositories.values()]
    key = "repositoryName" if sort_by == "repositoryName" else "lastModifiedDate"
    repos.sort(key=lambda m: (m[key], m["repositoryName"]), reverse=order == "descending")
    chunk, token = _page(repos, self._get_param("nextToken"), REPOSITORY_PAGE)
    out: dict[str, Any] = {
        "repositories": [
            {"repositoryName": m["repositoryName"], "repositoryId": m["repositoryId"]}
            for m in chunk
        ]
    }
    if token:
        out["nextToken"] = token
    return json.dumps(out)


def list_branches(self: Any) -> str:
    _, store = _repository(self)
    chunk, token = _page(sorted(store.branches), self._get_param("nextToken"), BRANCH_PAGE)
    out: dict[str, Any] = {"branches": chunk}
    if token:
        out["nextToken"] = token
    return json.dumps(out)


def get_branch(self: Any) -> str:
    repository, store = _repository(self)
    name = check_branch_name(self._get_param("branchName"))
    head = store.branches.get(name)
    if head is None:
        raise error(
            "BranchDoesNotExistException",
            f"Branch {name} does not exist in repository "
            f"{repository.repository_metadata['repositoryName']}.",
        )
    return json.dumps({"branch": {"branchName": name, "commitId": head}})


def create_branch(self: Any) -> str:
    _, store = _repository(self)
    name = check_branch_name(self._get_param("branchName"))
    add_branch(store, name, self._get_param("commitId"))
    return "{}"


def create_commit(self: Any) -> str:
    repository, store = _repository(self)
    branch = check_branch_name(self._get_param("branchName"))
    changes = Changes(
        puts=self._get_param("putFiles") or [],
        deletes=self._get_param("deleteFiles") or [],
        modes=self._get_param("setFileModes") or [],
        keep_empty_folders=bool(self._get_param("keepEmptyFolders")),
    )
    made, base = commit(
        repository,
        store,
        branch,
        self._get_param("parentCommitId"),
        changes,
        author_name=self._get_param("authorName") or "cdwizard-sandbox",
        email=self._get_param("email") or "",
        message=self._get_param("commitMessage") or "",
    )
    files = made.files
    added = [_file_entry(p, *files[p]) for p in sorted(files) if p not in base]
    deleted = [_file_entry(p, *base[p]) for p in sorted(base) if p not in files]
    updated = [
        _file_entry(p, *files[p]) for p in sorted(files) if p in base and base[p] != files[p]
    ]
    return json.dumps(
        {
            "commitId": made.commit_id,
            "treeId": made.tree_id,
            "filesAdded": added,
            "filesUpdated": updated,
            "filesDeleted": deleted,
        }
    )


def get_commit(self: Any) -> str:
    _, store = _repository(self)
    wanted = check_commit_id(self._get_param("commitId"))
    found = store.commits.get(wanted)
    if found is None:
        raise error("CommitIdDoesNotExistException", f"The commit ID {wanted} does not exist.")
    return json.dumps(
        {
            "commit": {
                "commitId": found.commit_id,
                "treeId": found.tree_id,
                "parents": list(found.parents),
                "message": found.message,
                "author": dict(found.author),
                "committer": dict(found.committer),
                "additionalData": "",
            }
        }
    )


def get_file(self: Any) -> str:
    repository, store = _repository(self)
    path = normalise_path(self._get_param("filePath"))
    commit = resolve(repository, store, self._get_param("commitSpecifier"))
    if path not in commit.files:
        raise error("FileDoesNotExistException", f"The file {path} does not exist.")
    mode, blob = commit.files[path]
    data = store.blobs[blob]
    return json.dumps(
        {
            "commitId": commit.commit_id,
            "blobId": blob,
            "filePath": path,
            "fileMode": mode,
            "fileSize": len(data),
            "fileContent": base64.b64encode(data).decode(),
        }
    )


def get_folder(self: Any) -> str:
    repository, store = _repository(self)
    raw = self._get_param("folderPath")
    if raw is None:
        raise error("PathRequiredException", "The folderPath cannot be empty.")
    folder = normalise_path(raw, allow_root=True)
    commit = resolve(repository, store, self._get_param("commitSpecifier"))
    trees = tree_ids(commit.files)
    if folder not in trees:
        raise error("FolderDoesNotExistException", f"The folder {raw} does not exist.")
    prefix = f"{folder}/" if folder else ""
    files: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    subfolders: list[dict[str, str]] = []
    for name in sorted(
        {p[len(prefix) :].split("/")[0] for p in commit.files if p.startswith(prefix)}
    ):
        absolute = prefix + name
        if absolute in commit.files:
            mode, blob = commit.files[absolute]
            item = {
                "blobId": blob,
                "absolutePath": absolute,
                "relativePath": name,
                "fileMode": mode,
            }
            (links if mode == "SYMLINK" else files).append(item)
        else:
            subfolders.append(
                {"treeId": trees[absolute], "absolutePath": absolute, "relativePath": name}
            )
    return json.dumps(
        {
            "commitId": commit.commit_id,
            "folderPath": raw,
            "treeId": trees[folder],
            "subFolders": subfolders,
            "files": files,
            "symbolicLinks": links,
            "subModules": [],
        }
    )


def get_differences(self: Any) -> str:
    repository, store = _repository(self)
    after_spec = self._get_param("afterCommitSpecifier")
    if not after_spec:
        raise error("CommitRequiredException", "A commit was not specified.")
    after = resolve(repository, store, after_spec)
    before_spec = self._get_param("beforeCommitSpecifier")
    before = resolve(repository, store, before_spec).files if before_spec else {}
    # one path limits both sides; two paths compare a renamed folder
    before_path = self._get_param("beforePath") or self._get_param("afterPath")
    after_path = self._get_param("afterPath") or before_path
    before_prefix = normalise_path(before_path, allow_root=True) if before_path else None
    after_prefix = normalise_path(after_path, allow_root=True) if after_path else None
    if before_prefix is not None and not (
        any(under(p, before_prefix) for p in before)
        or any(under(p, after_prefix) for p in after.files)
    ):
        raise error("PathDoesNotExistException", f"The path {before_path} does not exist.")
    old = {p: e for p, e in before.items() if under(p, before_prefix)}
    new = {p: e for p, e in after.files.items() if under(p, after_prefix)}
    differences: list[dict[str, Any]] = []
    for path in sorted(set(old) | set(new)):
        was, now = old.get(path), new.get(path)
        if was == now:
            continue
        item: dict[str, Any] = {"changeType": "A" if was is None else "D" if now is None else "M"}
        if was is not None:
            item["beforeBlob"] = {"blobId": was[1], "path": path, "mode": GIT_MODES[was[0]]}
        if now is not None:
            item["afterBlob"] = {"blobId": now[1], "path": path, "mode": GIT_MODES[now[0]]}
        differences.append(item)
    size = self._get_param("MaxResults") or DIFFERENCE_PAGE
    if not isinstance(size, int) or size < 1:
        raise error("InvalidMaxResultsException", f"MaxResults {size} is not valid.")
    chunk, token = _page(differences, self._get_param("NextToken"), size)
    out: dict[str, Any] = {"differences": chunk}
    if token:
        out["NextToken"] = token
    return json.dumps(out)


_HANDLERS: dict[str, Callable[[Any], str]] = {
    "list_repositories": list_repositories,
    "list_branches": list_branches,
    "get_branch": get_branch,
    "create_branch": create_branch,
    "create_commit": create_commit,
    "get_commit": get_commit,
    "get_file": get_file,
    "get_folder": get_folder,
    "get_differences": get_differences,
}


def install() -> None:
    """Add the handlers to moto's CodeCommit response class (idempotent: plain attributes).

    They replace any moto implementation of the same actions so that all content calls share
    this one content model.
    """
    from moto.codecommit.responses import CodeCommitResponse

    for name, handler in _HANDLERS.items():
        setattr(CodeCommitResponse, name, handler)


__all__ = ["BRANCH_PAGE", "DIFFERENCE_PAGE", "MAX_FILE_ENTRIES", "REPOSITORY_PAGE", "install"]
