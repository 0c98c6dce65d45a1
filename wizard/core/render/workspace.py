"""Writing a rendered tree into a workspace without ever silently losing a user's edit.

A manifest (`.cdwizard/manifest.json`) records the hash of every file the last render wrote. On
re-render, a file whose content differs from both the manifest and the new rendering was edited
by the user: it is kept, and the new version goes to `<file>.new` (or is overwritten with
`force=True`). The manifest is deterministic (no timestamps).

All files of one render change together: each is written to a temporary file first, and only when
all are on disk are they renamed into place, the manifest last. A full disk or a read-only folder
therefore leaves the workspace exactly as it was (never new files under an old manifest, which
would then look like the user's edits). A manifest that cannot be read is never guessed around:
`ManifestDamaged` says so, and what to do. Without a manifest (a first render, or after deleting
a damaged one), files in `terraform/` and `payload/` that this rendering does not produce are
reported as `untracked`: they may be left over from an earlier rendering.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wizard.core.atomic import write_all_atomic
from wizard.core.render.engine import RenderedTree

MANIFEST = ".cdwizard/manifest.json"

Status = Literal[
    "added", "updated", "unchanged", "removed", "conflict", "kept", "overwritten", "untracked"
]

#: Files terraform (not the rendering) keeps in the root module folder: never "untracked".
_TERRAFORM_OWN = (
    ".terraform",
    ".terraform.lock.hcl",
    ".terraform.tfstate.lock.info",
    "terraform.tfstate",
    "terraform.tfstate.backup",
    "errored.tfstate",
    "tfplan",
    "tfplan.destroy",
)


class ManifestDamaged(Exception):
    """`.cdwizard/manifest.json` exists but is not a render manifest (truncated, garbage, or
    valid JSON of another shape)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"the render manifest {path} is damaged ({reason}): it records which files cdwizard "
            "wrote, so without it your edits could be overwritten or stale files left behind"
        )

    @property
    def fix(self) -> str:
        return (
            f"delete it (`rm {self.path}`) and render again: every file that differs from the "
            "new rendering is then kept as yours (the new version goes next to it as FILE.new) "
            "and files the rendering does not produce are listed; or re-run with --force to "
            "overwrite every rendered file"
        )


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


def read_manifest(out_dir: Path) -> dict[str, str] | None:
    """Relative path -> sha256 of every file the last render wrote; None when there is no
    manifest. Raises `ManifestDamaged` for one that is not a manifest, `OSError` when it cannot be
    read."""
    path = Path(out_dir) / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        reason = "it is empty" if not raw.strip() else f"not JSON: {exc}"
        raise ManifestDamaged(path, reason) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise ManifestDamaged(path, 'not an object with a "files" object')
    out: dict[str, str] = {}
    for rel, entry in files.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or len(digest) != 64:
            raise ManifestDamaged(path, f"the entry of {rel!r} has no sha256")
        out[str(rel)] = digest
    return out


def _untracked(tree: RenderedTree, out_dir: Path) -> list[str]:
    """Files under terraform/ and payload/ that this rendering does not produce (terraform's
    own files aside): what an earlier rendering may have left, once no manifest says so."""
    found: list[str] = []
    for top in ("terraform", "payload"):
        base = out_dir / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(out_dir).as_posix()
            parts = path.relative_to(base).parts
            if (
                not path.is_file()
                or rel in tree
                or rel.endswith(".new")
                or (top == "terraform" and parts[0] in _TERRAFORM_OWN)
            ):
                continue
            found.append(rel)
    return found


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


@dataclass
class _Pending:
    """What one render will do to the disk, collected before anything is written."""

    writes: list[tuple[Path, bytes | str, int | None]] = field(default_factory=list)
    chmods: list[tuple[Path, int]] = field(default_factory=list)
    removals: list[Path] = field(default_factory=list)
    manifest: dict[str, dict[str, object]] = field(default_factory=dict)


def _status(current: bytes | None, content: bytes, recorded: str | None, force: bool) -> Status:
    if current is None:
        return "added"
    if current == content:
        return "unchanged"
    if recorded == sha256(current):
        return "updated"
    return "overwritten" if force else "conflict"


def _apply(tree: RenderedTree, out_dir: Path, *, force: bool, dry_run: bool) -> WriteReport:
    try:
        known = read_manifest(out_dir)
    except ManifestDamaged:
        if not force:
            raise
        known = None  # --force: every rendered file is overwritten anyway
    previous = known or {}
    report = WriteReport(out_dir)
    pending = _Pending()
    for rel, rendered in tree.items():
        target = out_dir / rel
        new_hash = sha256(rendered.content)
        current = target.read_bytes() if target.is_file() else None
        status = _status(current, rendered.content, previous.get(rel), force)
        diff = (
            ""
            if current is None or status == "unchanged"
            else _unified(rel, current, rendered.content)
        )
        report.changes.append(FileChange(rel, status, diff))
        record: dict[str, object] = {"sha256": new_hash, "mode": f"{rendered.mode:o}"}
        if status == "conflict":
            # keep the user's file; remember the hash we rendered before, so it stays "edited"
            if rel in previous:
                record = {"sha256": previous[rel], "mode": f"{rendered.mode:o}"}
            else:
                record = {"sha256": new_hash, "mode": f"{rendered.mode:o}", "pending": True}
            new = target.with_name(target.name + ".new")
            pending.writes.append((new, rendered.content, rendered.mode))
        elif status != "unchanged":
            pending.writes.append((target, rendered.content, rendered.mode))
        elif (target.stat().st_mode & 0o777) != rendered.mode:
            pending.chmods.append((target, rendered.mode))
        pending.manifest[rel] = record
    for rel, old_hash in sorted(previous.items()):
        target = out_dir / rel
        if rel in tree or not target.is_file():
            continue
        if sha256(target.read_bytes()) == old_hash:
            report.changes.append(FileChange(rel, "removed"))
            pending.removals.append(target)
        else:
            report.changes.append(FileChange(rel, "kept"))
    if known is None:
        report.changes.extend(FileChange(rel, "untracked") for rel in _untracked(tree, out_dir))
    if not dry_run:
        _commit(out_dir, pending)
    return report


def _commit(out_dir: Path, pending: _Pending) -> None:
    """All rendered files and the manifest at once (the manifest last), then modes and
    removals (which need no space)."""
    body = {"generator": "cdwizard", "files": dict(sorted(pending.manifest.items()))}
    manifest = json.dumps(body, indent=2, sort_keys=True) + "\n"
    write_all_atomic([*pending.writes, (out_dir / MANIFEST, manifest, None)])
    for target, mode in pending.chmods:
        os.chmod(target, mode)
    for target in pending.removals:
        target.unlink()
