"""CodeCommit content APIs moto 5.2.5 lacks: repositories get branches, commits and files.

Added to moto's `CodeCommitResponse` (the JSON-protocol handler of the moto server):
`ListRepositories`, `ListBranches`, `GetBranch`, `CreateBranch`, `CreateCommit`, `GetCommit`,
`GetFile`, `GetFolder`, `GetDifferences`.

The content model is small but faithful:

- every repository holds blobs, commits and branches; the store hangs off moto's repository
  object, so `DeleteRepository` and the moto reset drop it with the repository;
- blob, tree and commit ids are git's own sha1 ids (`_gitobjects`): the same files give the same
  blob and tree ids as `git`, and a commit id covers tree, parents, author and message;
- `CreateCommit` follows the service's rules: the first commit of an empty repository needs no
  parent and creates the branch (and makes it the default branch); later commits need the branch
  to exist and `parentCommitId` to be its tip (`ParentCommitIdRequiredException`,
  `ParentCommitIdOutdatedException`, ...); a commit that changes nothing is a `NoChangeException`;
- errors use the exception names of the botocore model, so callers can catch them as they would
  against AWS.

Not emulated: merges, tags, pull requests, approval rules, encryption keys, `sourceFile` moves
across commits, and the 20 MB aggregate commit size limit.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.services.sandbox.extensions._gitobjects import (
    GIT_MODES,
    blob_id,
    commit_id,
    tree_ids,
)
from wizard.services.sandbox.extensions._paging import page

#: CodeCommit quotas the emulator enforces (AWS CodeCommit User Guide, "Quotas").
MAX_FILE_ENTRIES = 100
MAX_FILE_BYTES = 6 * 1024 * 1024
#: Page sizes of the list calls (module-level so tests can exercise pagination).
REPOSITORY_PAGE = 1000
BRANCH_PAGE = 100
DIFFERENCE_PAGE = 100

_HEX40 = re.compile(r"[0-9a-f]{40}")
_BAD_REF = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|//")


def _error(code: str, message: str) -> Exception:
    """A JSON-protocol error botocore parses into `ClientError` with this code."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


# --- the content model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    commit_id: str
    tree_id: str
    parents: tuple[str, ...]
    message: str
    author: Mapping[str, str]
    committer: Mapping[str, str]
    #: the full snapshot: path -> (file mode, blob id)
    files: Mapping[str, tuple[str, str]]


@dataclass
class GitStore:
    """Blobs, commits and branches of one repository. `lock` serialises writers."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STORES_LOCK = threading.Lock()
#: The attribute of moto's repository object that holds its `GitStore`.
_STORE_ATTR = "_cdwizard_git"


def stored(repository: Any) -> GitStore | None:
    """The store attached to moto's repository object, if any (readers: never creates one)."""
    return getattr(repository, _STORE_ATTR, None)


def _store(repository: Any) -> GitStore:
    """The store attached to moto's repository object (created on first use)."""
    with _STORES_LOCK:
        store = stored(repository)
        if store is None:
            store = GitStore()
            setattr(repository, _STORE_ATTR, store)
        return store


def _normalise_path(raw: Any, *, allow_root: bool = False) -> str:
    """`/a/b.txt` and `a/b.txt` are the same path; `..`, empty parts and NULs are invalid."""
    if raw is None or (raw == "" and not allow_root):
        raise _error("PathRequiredException", "The filePath for a location cannot be empty.")
    path = str(raw).strip("/")
    if not path:
        if allow_root:
            return ""
        raise _error("InvalidPathException", f"The specified path is not valid: {raw!r}")
    parts = path.split("/")
    if any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise _error("InvalidPathException", f"The specified path is not valid: {raw!r}")
    return path


def _check_branch_name(name: Any) -> str:
    if not name:
        raise _error("BranchNameRequiredException", "A branch name is required.")
    name = str(name)
    if (
        _BAD_REF.search(name)
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or name == "@"
    ):
        raise _error(
            "InvalidBranchNameException", f"The specified branch name is not valid: {name}"
        )
    return name


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _file_entry(path: str, mode: str, blob: str) -> dict[str, str]:
    return {"absolutePath": path, "blobId": blob, "fileMode": mode}


def _now_signature(name: str, email: str) -> tuple[dict[str, str], str]:
    """CodeCommit reports dates as git does: `<epoch seconds> <tz offset>`."""
    date = f"{int(time.time())} +0000"
    return {"name": name, "email": email, "date": date}, f"{name} <{email}> {date}"


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    return page(items, token, size, _invalid_token)


def _invalid_token() -> Exception:
    return _error(
        "InvalidContinuationTokenException", "The specified continuation token is not valid."
    )


# --- request handlers (become methods of moto's CodeCommitResponse) --------------------------


def _repository(self: Any) -> tuple[Any, GitStore]:
    name = self._get_param("repositoryName")
    if not name:
        raise _error("RepositoryNameRequiredException", "A repository name is required.")
    repository = self.codecommit_backend.repositories.get(name)
    if repository is None:
        raise _error("RepositoryDoesNotExistException", f"{name} does not exist")
    return repository, _store(repository)


def _resolve(repository: Any, store: GitStore, specifier: str | None) -> Commit:
    """A commit from a full id, a branch name, `refs/heads/<branch>` or nothing/HEAD (default)."""
    if not specifier or specifier == "HEAD":
        default = repository.repository_metadata.get("defaultBranch")
        head = store.branches.get(default) if default else None
        if head is None:
            raise _error(
                "CommitDoesNotExistException",
                "No commit was specified, and the repository has no default branch.",
            )
        return store.commits[head]
    name = specifier.removeprefix("refs/heads/")
    if name in store.branches:
        return store.commits[store.branches[name]]
    if specifier in store.commits:
        return store.commits[specifier]
    raise _error("CommitDoesNotExistException", f"The commit {specifier} does not exist.")


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
    name = _check_branch_name(self._get_param("branchName"))
    head = store.branches.get(name)
    if head is None:
        raise _error(
            "BranchDoesNotExistException",
            f"Branch {name} does not exist in repository "
            f"{repository.repository_metadata['repositoryName']}.",
        )
    return json.dumps({"branch": {"branchName": name, "commitId": head}})


def create_branch(self: Any) -> str:
    _, store = _repository(self)
    name = _check_branch_name(self._get_param("branchName"))
    target = self._get_param("commitId")
    if not target:
        raise _error("CommitIdRequiredException", "A commit ID was not specified.")
    with store.lock:
        if name in store.branches:
            raise _error("BranchNameExistsException", f"Branch {name} already exists.")
        if not _HEX40.fullmatch(target):
            raise _error("InvalidCommitIdException", f"The commit ID {target} is not valid.")
        if target not in store.commits:
            raise _error("CommitDoesNotExistException", f"The commit {target} does not exist.")
        store.branches[name] = target
    return "{}"


def _apply_changes(
    self: Any, store: GitStore, base: Mapping[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """The new snapshot after putFiles/deleteFiles/setFileModes, with the service's checks."""
    puts = self._get_param("putFiles") or []
    deletes = self._get_param("deleteFiles") or []
    modes = self._get_param("setFileModes") or []
    if not (puts or deletes or modes):
        raise _error(
            "FileEntryRequiredException",
            "The commit cannot be created because no files have been specified as added, "
            "updated, or changed.",
        )
    if len(puts) + len(deletes) + len(modes) > MAX_FILE_ENTRIES:
        raise _error(
            "MaximumFileEntriesExceededException",
            f"A commit can change at most {MAX_FILE_ENTRIES} files.",
        )
    seen: set[str] = set()

    def claim(raw: Any) -> str:
        path = _normalise_path(raw)
        if path in seen:
            raise _error(
                "SamePathRequestException",
                f"The commit changes {path} more than once.",
            )
        seen.add(path)
        return path

    files = dict(base)
    for entry in deletes:
        path = claim(entry.get("filePath"))
        if path not in files:
            raise _error("FileDoesNotExistException", f"The file {path} does not exist.")
        del files[path]
    for entry in puts:
        _put_file(store, base, files, entry, claim(entry.get("filePath")))
    for entry in modes:
        path = claim(entry.get("filePath"))
        mode = entry.get("fileMode")
        if not mode:
            raise _error("FileModeRequiredException", f"No file mode was specified for {path}.")
        if mode not in GIT_MODES:
            raise _error("InvalidFileModeException", f"The file mode {mode} is not valid.")
        if path not in files:
            raise _error("FileDoesNotExistException", f"The file {path} does not exist.")
        files[path] = (mode, files[path][1])
    if self._get_param("keepEmptyFolders") and deletes:
        _keep_empty_folders(store, base, files)
    return files


def _put_file(
    store: GitStore,
    base: Mapping[str, tuple[str, str]],
    files: dict[str, tuple[str, str]],
    entry: Mapping[str, Any],
    path: str,
) -> None:
    """One `putFiles` entry: new content or a copy/move of `sourceFile`, with its checks."""
    content, source = entry.get("fileContent"), entry.get("sourceFile")
    if content is not None and source is not None:
        raise _error(
            "FileContentAndSourceFileSpecifiedException",
            f"Both file content and a source file were specified for {path}.",
        )
    mode = entry.get("fileMode")
    if source is not None:
        src = _normalise_path(source.get("filePath"))
        if src not in base:
            raise _error("FileDoesNotExistException", f"The file {src} does not exist.")
        mode = mode or base[src][0]
        blob = base[src][1]
        if source.get("isMove"):
            files.pop(src, None)
    elif content is not None:
        data = base64.b64decode(content)
        if len(data) > MAX_FILE_BYTES:
            raise _error(
                "FileContentSizeLimitExceededException",
                f"The file {path} is larger than {MAX_FILE_BYTES} bytes.",
            )
        blob = blob_id(data)
        store.blobs[blob] = data
    else:
        raise _error(
            "SourceFileOrContentRequiredException",
            f"No file content or source file was specified for {path}.",
        )
    mode = mode or (base[path][0] if path in base else "NORMAL")
    if mode not in GIT_MODES:
        raise _error("InvalidFileModeException", f"The file mode {mode} is not valid.")
    if any(p.startswith(path + "/") for p in files):
        raise _error(
            "FileNameConflictsWithDirectoryNameException",
            f"The file name {path} conflicts with a folder of the same name.",
        )
    clash = next((a for a in _ancestors(path) if a in files), None)
    if clash:
        raise _error(
            "DirectoryNameConflictsWithFileNameException",
            f"The folder {clash} of {path} conflicts with a file of the same name.",
        )
    files[path] = (mode, blob)


def _keep_empty_folders(
    store: GitStore, base: Mapping[str, tuple[str, str]], files: dict[str, tuple[str, str]]
) -> None:
    """`keepEmptyFolders`: a folder the deletions emptied keeps a `.gitkeep` file."""
    before = {a for p in base for a in _ancestors(p)}
    after = {a for p in files for a in _ancestors(p)}
    empty_blob = blob_id(b"")
    store.blobs[empty_blob] = b""
    for folder in sorted(before - after):
        files[f"{folder}/.gitkeep"] = ("NORMAL", empty_blob)


def create_commit(self: Any) -> str:
    repository, store = _repository(self)
    branch = _check_branch_name(self._get_param("branchName"))
    parent = self._get_param("parentCommitId")
    with store.lock:
        head = store.branches.get(branch)
        if not store.commits:
            if parent:
                raise _error(
                    "ParentCommitDoesNotExistException",
                    f"The parent commit ID {parent} does not exist: the repository is empty.",
                )
            base: Mapping[str, tuple[str, str]] = {}
            parents: tuple[str, ...] = ()
        else:
            if head is None:
                raise _error(
                    "BranchDoesNotExistException",
                    f"Branch {branch} does not exist; create it from a commit first.",
                )
            if not parent:
                raise _error(
                    "ParentCommitIdRequiredException",
                    "A parent commit ID is required: use GetBranch to read the tip of "
                    f"{branch} ({head}).",
                )
            if not _HEX40.fullmatch(parent):
                raise _error(
                    "InvalidParentCommitIdException", f"The parent commit ID {parent} is not valid."
                )
            if parent not in store.commits:
                raise _error(
                    "ParentCommitDoesNotExistException",
                    f"The parent commit ID {parent} does not exist.",
                )
            if parent != head:
                raise _error(
                    "ParentCommitIdOutdatedException",
                    f"The parent commit ID {parent} is not the tip of {branch} ({head}).",
                )
            base = store.commits[head].files
            parents = (head,)
        files = _apply_changes(self, store, base)
        if files == dict(base):
            raise _error(
                "NoChangeException",
                "The commit cannot be created because no changes will be made to the "
                "repository as a result of this commit.",
            )
        tree = tree_ids(files)[""]
        name = self._get_param("authorName") or "cdwizard-sandbox"
        email = self._get_param("email") or ""
        author, signature = _now_signature(name, email)
        message = self._get_param("commitMessage") or ""
        new_id = commit_id(tree, parents, signature, signature, message)
        store.commits[new_id] = Commit(
            commit_id=new_id,
            tree_id=tree,
            parents=parents,
            message=message,
            author=author,
            committer=dict(author),
            files=files,
        )
        store.branches[branch] = new_id
        metadata = repository.repository_metadata
        metadata.setdefault("defaultBranch", branch)
        from moto.core.utils import iso_8601_datetime_with_milliseconds

        metadata["lastModifiedDate"] = iso_8601_datetime_with_milliseconds()
    added = [_file_entry(p, *files[p]) for p in sorted(files) if p not in base]
    deleted = [_file_entry(p, *base[p]) for p in sorted(base) if p not in files]
    updated = [
        _file_entry(p, *files[p]) for p in sorted(files) if p in base and base[p] != files[p]
    ]
    return json.dumps(
        {
            "commitId": new_id,
            "treeId": tree,
            "filesAdded": added,
            "filesUpdated": updated,
            "filesDeleted": deleted,
        }
    )


def get_commit(self: Any) -> str:
    _, store = _repository(self)
    wanted = self._get_param("commitId")
    if not wanted:
        raise _error("CommitIdRequiredException", "A commit ID was not specified.")
    if not _HEX40.fullmatch(wanted):
        raise _error("InvalidCommitIdException", f"The commit ID {wanted} is not valid.")
    found = store.commits.get(wanted)
    if found is None:
        raise _error("CommitIdDoesNotExistException", f"The commit ID {wanted} does not exist.")
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
    path = _normalise_path(self._get_param("filePath"))
    commit = _resolve(repository, store, self._get_param("commitSpecifier"))
    if path not in commit.files:
        raise _error("FileDoesNotExistException", f"The file {path} does not exist.")
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
        raise _error("PathRequiredException", "The folderPath cannot be empty.")
    folder = _normalise_path(raw, allow_root=True)
    commit = _resolve(repository, store, self._get_param("commitSpecifier"))
    trees = tree_ids(commit.files)
    if folder not in trees:
        raise _error("FolderDoesNotExistException", f"The folder {raw} does not exist.")
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


def _under(path: str, prefix: str | None) -> bool:
    if not prefix:
        return True
    return path == prefix or path.startswith(prefix + "/")


def get_differences(self: Any) -> str:
    repository, store = _repository(self)
    after_spec = self._get_param("afterCommitSpecifier")
    if not after_spec:
        raise _error("CommitRequiredException", "A commit was not specified.")
    after = _resolve(repository, store, after_spec)
    before_spec = self._get_param("beforeCommitSpecifier")
    before = _resolve(repository, store, before_spec).files if before_spec else {}
    # one path limits both sides; two paths compare a renamed folder
    before_path = self._get_param("beforePath") or self._get_param("afterPath")
    after_path = self._get_param("afterPath") or before_path
    before_prefix = _normalise_path(before_path, allow_root=True) if before_path else None
    after_prefix = _normalise_path(after_path, allow_root=True) if after_path else None
    if before_prefix is not None and not (
        any(_under(p, before_prefix) for p in before)
        or any(_under(p, after_prefix) for p in after.files)
    ):
        raise _error("PathDoesNotExistException", f"The path {before_path} does not exist.")
    old = {p: e for p, e in before.items() if _under(p, before_prefix)}
    new = {p: e for p, e in after.files.items() if _under(p, after_prefix)}
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
        raise _error("InvalidMaxResultsException", f"MaxResults {size} is not valid.")
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
