"""Git object ids for the CodeCommit emulator: blob, tree and commit ids computed exactly as git
does (`sha1("<type> <size>\\0" + body)`), so ids look and behave like CodeCommit's own.

Pure functions over a flat `{path: (git_mode, blob_id)}` file map; no moto imports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

#: CodeCommit's `FileModeTypeEnum` -> git's tree-entry mode.
GIT_MODES: dict[str, str] = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
_TREE_MODE = "40000"

#: A flat snapshot: path (no leading slash) -> (CodeCommit file mode, blob id).
FileMap = Mapping[str, tuple[str, str]]


def object_id(kind: str, body: bytes) -> str:
    """The 40-hex sha1 git gives an object of `kind` with `body`."""
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body, usedforsecurity=False).hexdigest()


def blob_id(content: bytes) -> str:
    return object_id("blob", content)


def _children(files: FileMap, folder: str) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """Direct files and direct sub-folder names of `folder` ("" is the root)."""
    prefix = f"{folder}/" if folder else ""
    direct: dict[str, tuple[str, str]] = {}
    subdirs: set[str] = set()
    for path, entry in files.items():
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            subdirs.add(head)
        else:
            direct[rest] = entry
    return direct, subdirs


def tree_ids(files: FileMap) -> dict[str, str]:
    """Tree id of every folder in `files` ("" is the root), bottom-up like `git write-tree`."""
    ids: dict[str, str] = {}

    def build(folder: str) -> str:
        direct, subdirs = _children(files, folder)
        entries: list[tuple[bytes, bytes]] = []
        for name, (mode, blob) in direct.items():
            entries.append(
                (name.encode(), f"{GIT_MODES[mode]} {name}\0".encode() + bytes.fromhex(blob))
            )
        for name in subdirs:
            sub = build(f"{folder}/{name}" if folder else name)
            # git sorts a tree entry as if a folder's name ended with "/"
            entries.append(
                ((name + "/").encode(), f"{_TREE_MODE} {name}\0".encode() + bytes.fromhex(sub))
            )
        body = b"".join(raw for _, raw in sorted(entries))
        ids[folder] = object_id("tree", body)
        return ids[folder]

    build("")
    return ids


def commit_id(
    tree: str,
    parents: tuple[str, ...],
    author: str,
    committer: str,
    message: str,
) -> str:
    """A commit's id; `author`/`committer` are `Name <email> <epoch> <tz>` lines."""
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
    lines += [f"author {author}", f"committer {committer}", "", message]
    return object_id("commit", "\n".join(lines).encode())
