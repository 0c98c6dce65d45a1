"""Writing a rendered tree into a workspace without ever silently losing a user's edit.

A manifest (`.cdwizard/manifest.json`) records the hash of every file the last render wrote. On
re-render, a file whose content differs from both the manifest and the new rendering was edited
by the user: it is kept, and the new version goes to `<file>.new` (or is overwritten with
`force=True`). Writes are atomic; the manifest is deterministic (no timestamps).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wizard.core.atomic import write_atomic
from wizard.core.render.engine import RenderedTree

MANIFEST = ".cdwizard/manifest.json"

Status = Literal["added", "updated", "unchanged", "removed", "conflict", "kept", "overwritten"]


@dataclass(frozen=True)
class FileChange:
    path: str
    status: Status
    diff: str = ""


@dataclass
class WriteReport:
    out_dir: Path
    changes: list[FileChange] = field(default_factory=list)

    def by_status(self, *statuses: Status) -> list[FileChange]:
        return [c for c in self.changes if c.status in statuses]

    @property
    def conflicts(self) -> list[FileChange]:
        return self.by_status("conflict")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.status] = out.get(change.status, 0) + 1
        return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out_dir: Path) -> dict[str, str]:
    path = Path(out_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    files = data.get("files", {})
    return {str(k): str(v["sha256"]) for k, v in files.items() if isinstance(v, dict)}


def _unified(path: str, old: bytes, new: bytes) -> str:
    try:
        a, b = old.decode("utf-8"), new.decode("utf-8")
    except UnicodeDecodeError:
        return f"Binary files a/{path} and b/{path} differ\n"
    return "".join(
        difflib.unified_diff(
            a.splitlines(keepends=True), b.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def plan_write(tree: RenderedTree, out_dir: Path, *, force: bool = False) -> WriteReport:
    """What `write_workspace` would do, without touching the disk."""
    return _apply(tree, Path(out_dir), force=force, dry_run=True)


def write_workspace(tree: RenderedTree, out_dir: Path, *, force: bool = False) -> WriteReport:
    """Write the tree; edited files are kept (new version in `*.new`) unless `force`."""
    return _apply(tree, Path(out_dir), force=force, dry_run=False)


def _apply(tree: RenderedTree, out_dir: Path, *, force: bool, dry_run: bool) -> WriteReport:
    previous = read_manifest(out_dir)
    report = WriteReport(out_dir)
    manifest: dict[str, dict[str, object]] = {}
    for rel, rendered in tree.items():
        target = out_dir / rel
        new_hash = sha256(rendered.content)
        current = target.read_bytes() if target.is_file() else None
        record: dict[str, object] = {"sha256": new_hash, "mode": f"{rendered.mode:o}"}
        if current is None:
            status: Status = "added"
        elif current == rendered.content:
            status = "unchanged"
        elif previous.get(rel) == sha256(current):
            status = "updated"
        elif force:
            status = "overwritten"
        else:
            status = "conflict"
        diff = (
            ""
            if current is None or status == "unchanged"
            else _unified(rel, current, rendered.content)
        )
        report.changes.append(FileChange(rel, status, diff))
        if status == "conflict":
            # keep the user's file; remember the hash we rendered before, so it stays "edited"
            if rel in previous:
                record = {"sha256": previous[rel], "mode": f"{rendered.mode:o}"}
            else:
                record = {"sha256": new_hash, "mode": f"{rendered.mode:o}", "pending": True}
            if not dry_run:
                write_atomic(
                    target.with_name(target.name + ".new"), rendered.content, mode=rendered.mode
                )
        elif status != "unchanged" and not dry_run:
            write_atomic(target, rendered.content, mode=rendered.mode)
        elif (
            status == "unchanged"
            and not dry_run
            and (target.stat().st_mode & 0o777) != rendered.mode
        ):
            os.chmod(target, rendered.mode)
        manifest[rel] = record
    for rel, old_hash in sorted(previous.items()):
        if rel in tree:
            continue
        target = out_dir / rel
        if not target.is_file():
            continue
        if sha256(target.read_bytes()) == old_hash:
            report.changes.append(FileChange(rel, "removed"))
            if not dry_run:
                target.unlink()
        else:
            report.changes.append(FileChange(rel, "kept"))
    if not dry_run:
        body = {"generator": "cdwizard", "files": dict(sorted(manifest.items()))}
        write_atomic(out_dir / MANIFEST, json.dumps(body, indent=2, sort_keys=True) + "\n")
    return report
