"""The content model behind the CodeCommit extension: one repository's blobs, commits and
branches, and the service's rules for changing them. No HTTP here: `codecommit` reads the
requests and writes the responses; `_delivery` reads branch heads from `stored(repository)`.

- The store hangs off moto's repository object, so `DeleteRepository` and the moto reset drop it
  with the repository.
- Blob, tree and commit ids are git's own sha1 ids (`_gitobjects`).
- `commit()` follows CreateCommit's rules: the first commit of an empty repository needs no parent
  and creates the branch (and makes it the default branch); later commits need the branch to
  exist and the parent to be its tip; a commit that changes nothing is a `NoChangeException`.
- Errors are moto `JsonRESTError`s with the exception names of the botocore model, so callers
  catch them as they would against AWS.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.services.sandbox.extensions._gitobjects import (
    GIT_MODES,
    blob_id,
    commit_id,
    tree_ids,
)

#: CodeCommit quotas the emulator enforces (AWS CodeCommit User Guide, "Quotas").
MAX_FILE_ENTRIES = 100
MAX_FILE_BYTES = 6 * 1024 * 1024

#: path -> (file mode, blob id): the whole tree of a commit
Files = Mapping[str, tuple[str, str]]

_HEX40 = re.compile(r"[0-9a-f]{40}")
_BAD_REF = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|//")


def error(code: str, message: str) -> Exception:
    """A JSON-protocol error botocore parses into `ClientError` with this code."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


@dataclass(frozen=True)
class Commit:
    commit_id: str
    tree_id: str
    parents: tuple[str, ...]
    message: str
    author: Mapping[str, str]
    committer: Mapping[str, str]
    #: the full snapshot
    files: Files


@dataclass
class GitStore:
    """Blobs, commits and branches of one repository. `lock` serialises writers."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Changes:
    """CreateCommit's `putFiles`, `deleteFiles` and `setFileModes` entries, as sent."""

    puts: Sequence[Mapping[str, Any]] = ()
    deletes: Sequence[Mapping[str, Any]] = ()
    modes: Sequence[Mapping[str, Any]] = ()
    keep_empty_folders: bool = False


_STORES_LOCK = threading.Lock()
#: The attribute of moto's repository object that holds its `GitStore`.
_STORE_ATTR = "_cdwizard_git"


def stored(repository: Any) -> GitStore | None:
    """The store attached to moto's repository object, if any (readers: never creates one)."""
    return getattr(repository, _STORE_ATTR, None)


def store_of(repository: Any) -> GitStore:
    """The store attached to moto's repository object (created on first use)."""
    with _STORES_LOCK:
        store = stored(repository)
        if store is None:
            store = GitStore()
            setattr(repository, _STORE_ATTR, store)
        return store


# --- names ----------------------------------------------------------------------------------


def normalise_path(raw: Any, *, allow_root: bool = False) -> str:
    """`/a/b.txt` and `a/b.txt` are the same path; `..`, empty parts and NULs are invalid."""
    if raw is None or (raw == "" and not allow_root):
        raise error("PathRequiredException", "The filePath for a location cannot be empty.")
    path = str(raw).strip("/")
    if not path:
        if allow_root:
            return ""
        raise error("InvalidPathException", f"The specified path is not valid: {raw!r}")
    parts = path.split("/")
    if any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise error("InvalidPathException", f"The specified path is not valid: {raw!r}")
    return path


def check_branch_name(name: Any) -> str:
    if not name:
        raise error("BranchNameRequiredException", "A branch name is required.")
    name = str(name)
    if (
        _BAD_REF.search(name)
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or name == "@"
    ):
        raise error("InvalidBranchNameException", f"The specified branch name is not valid: {name}")
    return name


def check_commit_id(commit: Any) -> str:
    """A well-formed full commit id (CommitIdRequired/InvalidCommitId otherwise)."""
    if not commit:
        raise error("CommitIdRequiredException", "A commit ID was not specified.")
    if not _HEX40.fullmatch(commit):
        raise error("InvalidCommitIdException", f"The commit ID {commit} is not valid.")
    return str(commit)


def ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def under(path: str, prefix: str | None) -> bool:
    if not prefix:
        return True
    return path == prefix or path.startswith(prefix + "/")


# --- reading --------------------------------------------------------------------------------


def resolve(repository: Any, store: GitStore, specifier: str | None) -> Commit:
    """A commit from a full id, a branch name, `refs/heads/<branch>` or nothing/HEAD (default)."""
    if not specifier or specifier == "HEAD":
        default = repository.repository_metadata.get("defaultBranch")
        head = store.branches.get(default) if default else None
        if head is None:
            raise error(
                "CommitDoesNotExistException",
                "No commit was specified, and the repository has no default branch.",
            )
        return store.commits[head]
    name = specifier.removeprefix("refs/heads/")
    if name in store.branches:
        return store.commits[store.branches[name]]
    if specifier in store.commits:
        return store.commits[specifier]
    raise error("CommitDoesNotExistException", f"The commit {specifier} does not exist.")


# --- writing --------------------------------------------------------------------------------


def add_branch(store: GitStore, name: str, target: str | None) -> None:
    """CreateBranch: `name` points at the existing commit `target`."""
    if not target:
        raise error("CommitIdRequiredException", "A commit ID was not specified.")
    with store.lock:
        if name in store.branches:
            raise error("BranchNameExistsException", f"Branch {name} already exists.")
        check_commit_id(target)
        if target not in store.commits:
            raise error("CommitDoesNotExistException", f"The commit {target} does not exist.")
        store.branches[name] = target


def commit(
    repository: Any,
    store: GitStore,
    branch: str,
    parent: str | None,
    changes: Changes,
    *,
    author_name: str,
    email: str,
    message: str,
) -> tuple[Commit, Files]:
    """CreateCommit on `branch`: the new commit, and the tree of its parent (empty for the
    first)."""
    with store.lock:
        base, parents = _parent_tree(store, branch, parent)
        files = _apply(store, base, changes)
        if files == dict(base):
            raise error(
                "NoChangeException",
                "The commit cannot be created because no changes will be made to the "
                "repository as a result of this commit.",
            )
        tree = tree_ids(files)[""]
        date = f"{int(time.time())} +0000"  # CodeCommit reports dates as git does
        author = {"name": author_name, "email": email, "date": date}
        signature = f"{author_name} <{email}> {date}"
        new_id = commit_id(tree, parents, signature, signature, message)
        made = Commit(
            commit_id=new_id,
            tree_id=tree,
            parents=parents,
            message=message,
            author=author,
            committer=dict(author),
            files=files,
        )
        store.commits[new_id] = made
        store.branches[branch] = new_id
        metadata = repository.repository_metadata
        metadata.setdefault("defaultBranch", branch)
        from moto.core.utils import iso_8601_datetime_with_milliseconds

        metadata["lastModifiedDate"] = iso_8601_datetime_with_milliseconds()
    return made, base


def _parent_tree(store: GitStore, branch: str, parent: str | None) -> tuple[Files, tuple[str, ...]]:
    """The tree a commit on `branch` starts from and its parents, with the service's checks."""
    head = store.branches.get(branch)
    if not store.commits:
        if parent:
            raise error(
                "ParentCommitDoesNotExistException",
                f"The parent commit ID {parent} does not exist: the repository is empty.",
            )
        return {}, ()
    if head is None:
        raise error(
            "BranchDoesNotExistException",
            f"Branch {branch} does not exist; create it from a commit first.",
        )
    if not parent:
        raise error(
            "ParentCommitIdRequiredException",
            f"A parent commit ID is required: use GetBranch to read the tip of {branch} ({head}).",
        )
    if not _HEX40.fullmatch(parent):
        raise error(
            "InvalidParentCommitIdException", f"The parent commit ID {parent} is not valid."
        )
    if parent not in store.commits:
        raise error(
            "ParentCommitDoesNotExistException", f"The parent commit ID {parent} does not exist."
        )
    if parent != head:
        raise error(
            "ParentCommitIdOutdatedException",
            f"The parent commit ID {parent} is not the tip of {branch} ({head}).",
        )
    return store.commits[head].files, (head,)


def _apply(store: GitStore, base: Files, changes: Changes) -> dict[str, tuple[str, str]]:
    """The new snapshot after the puts, deletes and mode changes, with the service's checks."""
    puts, deletes, modes = changes.puts, changes.deletes, changes.modes
    if not (puts or deletes or modes):
        raise error(
            "FileEntryRequiredException",
            "The commit cannot be created because no files have been specified as added, "
            "updated, or changed.",
        )
    if len(puts) + len(deletes) + len(modes) > MAX_FILE_ENTRIES:
        raise error(
            "MaximumFileEntriesExceededException",
            f"A commit can change at most {MAX_FILE_ENTRIES} files.",
        )
    seen: set[str] = set()

    def claim(raw: Any) -> str:
        path = normalise_path(raw)
        if path in seen:
            raise error("SamePathRequestException", f"The commit changes {path} more than once.")
        seen.add(path)
        return path

    files = dict(base)
    for entry in deletes:
        path = claim(entry.get("filePath"))
        if path not in files:
            raise error("FileDoesNotExistException", f"The file {path} does not exist.")
        del files[path]
    for entry in puts:
        _put_file(store, base, files, entry, claim(entry.get("filePath")))
    for entry in modes:
        path = claim(entry.get("filePath"))
        mode = entry.get("fileMode")
        if not mode:
            raise error("FileModeRequiredException", f"No file mode was specified for {path}.")
        if mode not in GIT_MODES:
            raise error("InvalidFileModeException", f"The file mode {mode} is not valid.")
        if path not in files:
            raise error("FileDoesNotExistException", f"The file {path} does not exist.")
        files[path] = (mode, files[path][1])
    if changes.keep_empty_folders and deletes:
        _keep_empty_folders(store, base, files)
    return files


def _put_file(
    store: GitStore,
    base: Files,
    files: dict[str, tuple[str, str]],
    entry: Mapping[str, Any],
    path: str,
) -> None:
    """One `putFiles` entry: new content or a copy/move of `sourceFile`, with its checks."""
    content, source = entry.get("fileContent"), entry.get("sourceFile")
    if content is not None and source is not None:
        raise error(
            "FileContentAndSourceFileSpecifiedException",
            f"Both file content and a source file were specified for {path}.",
        )
    mode = entry.get("fileMode")
    if source is not None:
        src = normalise_path(source.get("filePath"))
        if src not in base:
            raise error("FileDoesNotExistException", f"The file {src} does not exist.")
        mode = mode or base[src][0]
        blob = base[src][1]
        if source.get("isMove"):
            files.pop(src, None)
    elif content is not None:
        data = base64.b64decode(content)
        if len(data) > MAX_FILE_BYTES:
            raise error(
                "FileContentSizeLimitExceededException",
                f"The file {path} is larger than {MAX_FILE_BYTES} bytes.",
            )
        blob = blob_id(data)
        store.blobs[blob] = data
    else:
        raise error(
            "SourceFileOrContentRequiredException",
            f"No file content or source file was specified for {path}.",
        )
    mode = mode or (base[path][0] if path in base else "NORMAL")
    if mode not in GIT_MODES:
        raise error("InvalidFileModeException", f"The file mode {mode} is not valid.")
    if any(p.startswith(path + "/") for p in files):
        raise error(
            "FileNameConflictsWithDirectoryNameException",
            f"The file name {path} conflicts with a folder of the same name.",
        )
    clash = next((a for a in ancestors(path) if a in files), None)
    if clash:
        raise error(
            "DirectoryNameConflictsWithFileNameException",
            f"The folder {clash} of {path} conflicts with a file of the same name.",
        )
    files[path] = (mode, blob)


def _keep_empty_folders(store: GitStore, base: Files, files: dict[str, tuple[str, str]]) -> None:
    """`keepEmptyFolders`: a folder the deletions emptied keeps a `.gitkeep` file."""
    before = {a for p in base for a in ancestors(p)}
    after = {a for p in files for a in ancestors(p)}
    empty_blob = blob_id(b"")
    store.blobs[empty_blob] = b""
    for folder in sorted(before - after):
        files[f"{folder}/.gitkeep"] = ("NORMAL", empty_blob)
