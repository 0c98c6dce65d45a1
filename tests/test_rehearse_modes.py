"""File modes through a rehearsal, as the agent leaves them (issue 16, divergence 1).

folder/tar/tgz/zip bundles × files/folders × umask 022 and 002, in `deployment-archive/` and at
the destination. The rules (checked against the real agent below when it is available): a folder
bundle is `FileUtils.cp_r` (file modes less the umask, folders made fresh); tar and tgz keep every
recorded mode (`tar -xpsf`); zip keeps recorded modes without set-id/sticky bits (`unzip`);
Install copies each file with its archive mode and makes its folders fresh.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import agent_local
from tests.test_rehearse_support import rehearse

KINDS = ("directory", "tar", "tgz", "zip")
UMASKS = (0o022, 0o002)
FILES = {"f775": 0o775, "f664": 0o664, "f640": 0o640, "f700": 0o700, "d750/inner": 0o664}
DIRS = {"d775": 0o775, "d750": 0o750, "d777": 0o777}
#: only compared with the agent: what its set-id handling does is the agent's to say
AGENT_EXTRA_FILES = {"suid": 0o4755, "d777/sticky": 0o1777}


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def source_tree(base: Path, files: dict[str, int]) -> Path:
    """A bundle folder holding files and folders with the given modes."""
    src = base / "src"
    for name in DIRS:
        (src / name).mkdir(parents=True, exist_ok=True)
    for name, mode in files.items():
        (src / name).write_text(name)
        os.chmod(src / name, mode)
    for name, mode in DIRS.items():
        os.chmod(src / name, mode)
    return src


def bundle_for(src: Path, kind: str, dest: Path, out: Path) -> Path:
    """`src` with an appspec copying all of it to `dest`, as a folder or an archive."""
    (src / "appspec.yml").write_text(
        f"version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: {dest}\n"
    )
    if kind == "directory":
        return src
    entries = sorted(src.rglob("*"))
    if kind == "zip":
        path = out / "bundle.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for entry in entries:
                zf.write(entry, str(entry.relative_to(src)))
        return path
    path = out / f"bundle.{kind}"
    with tarfile.open(path, "w:gz" if kind == "tgz" else "w") as tar:
        for entry in sorted(src.iterdir()):
            tar.add(entry, arcname=entry.name)
    return path


def modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.lstat().st_mode & 0o7777
        for p in sorted(root.rglob("*"))
        if p.name != "appspec.yml"
    }


def expected(kind: str, mask: int) -> tuple[dict[str, int], dict[str, int]]:
    """(deployment-archive modes, destination modes) by the agent's rules."""
    fresh_dir = 0o777 & ~mask
    if kind == "directory":
        archive = {n: m & ~mask for n, m in FILES.items()} | dict.fromkeys(DIRS, fresh_dir)
    elif kind == "zip":
        archive = {n: m & 0o777 for n, m in {**FILES, **DIRS}.items()}
    else:
        archive = {**FILES, **DIRS}
    dest = {n: archive[n] for n in FILES} | dict.fromkeys(DIRS, fresh_dir)
    return archive, dest


def rehearse_modes(
    base: Path, src: Path, kind: str, mask: int
) -> tuple[dict[str, int], dict[str, int]]:
    bundle = bundle_for(src, kind, base / "rdest", base)
    with umask(mask):
        result, _, _ = rehearse(bundle, base / "rroot", bundle_type=kind)
    assert result.succeeded, result
    return modes(result.deployment_dir / "deployment-archive"), modes(base / "rdest")


@pytest.mark.parametrize("mask", UMASKS, ids=lambda m: f"umask{m:03o}")
@pytest.mark.parametrize("kind", KINDS)
def test_modes_in_the_archive_and_at_the_destination(kind: str, mask: int, tmp_path: Path) -> None:
    src = source_tree(tmp_path, FILES)
    archive, dest = rehearse_modes(tmp_path, src, kind, mask)
    want_archive, want_dest = expected(kind, mask)
    assert {k: oct(v) for k, v in archive.items()} == {k: oct(v) for k, v in want_archive.items()}
    assert {k: oct(v) for k, v in dest.items()} == {k: oct(v) for k, v in want_dest.items()}


@pytest.mark.parametrize("mask", UMASKS, ids=lambda m: f"umask{m:03o}")
@pytest.mark.parametrize("kind", KINDS)
def test_modes_match_the_real_agent(kind: str, mask: int, tmp_path: Path) -> None:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    src = source_tree(tmp_path, {**FILES, **AGENT_EXTRA_FILES})
    agent = agent_local.LocalAgent(tmp_path / "agent")
    run = agent.deploy(
        bundle_for(src, kind, tmp_path / "adest", tmp_path), bundle_type=kind, umask=mask
    )
    assert run.outcome == "succeeded" and run.deployment_dir is not None, run
    agent_archive = modes(run.deployment_dir / "deployment-archive")
    agent_dest = modes(tmp_path / "adest")
    shutil.rmtree(tmp_path / "agent")
    archive, dest = rehearse_modes(tmp_path, src, kind, mask)
    assert {k: oct(v) for k, v in archive.items()} == {k: oct(v) for k, v in agent_archive.items()}
    assert {k: oct(v) for k, v in dest.items()} == {k: oct(v) for k, v in agent_dest.items()}
