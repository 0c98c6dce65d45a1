"""The revision bundle: a directory, tar, tgz or zip, placed the way DownloadBundle places it.

- directory: copied to `deployment-archive/` (no `bundle.tar`), like `FileUtils.cp_r`;
- file: `bundle.tar` is a symlink to it, then it is unpacked into `deployment-archive/`
  (modes kept, like `tar -xpsf` / `unzip -qo`), and a single top-level folder holding an
  `appspec*` file is stripped ("Stripping leading directory from archive bundle contents.").

Archive members never land outside `deployment-archive/` (absolute paths and `..` are refused,
as GNU tar and unzip refuse them).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Literal, get_args

BundleType = Literal["directory", "tar", "tgz", "zip"]
BUNDLE_TYPES: tuple[BundleType, ...] = get_args(BundleType)
APPSPEC_NAMES = ("appspec.yml", "appspec.yaml")


class BundleError(ValueError):
    """The bundle location is unusable (message in codedeploy-local's words where it has one)."""


def detect_type(location: Path, given: str | None = None) -> BundleType:
    """Check `location` against `--type` (codedeploy-local's messages), or guess the type."""
    if not location.exists():
        raise BundleError(
            f"location {location} is specified as a file or directory which does not exist"
        )
    if given is not None:
        if given not in BUNDLE_TYPES:
            raise BundleError(
                f"type {given} is not a valid type. Must be one of {','.join(BUNDLE_TYPES)}"
            )
        if given == "directory" and not location.is_dir():
            raise BundleError(
                f"location {location} is specified with type directory but it is a file"
            )
        if given != "directory" and location.is_dir():
            raise BundleError(
                f"location {location} is specified as a compressed local file but it is a directory"
            )
        return given
    if location.is_dir():
        return "directory"
    if zipfile.is_zipfile(location):
        return "zip"
    with open(location, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return "tgz"
    if tarfile.is_tarfile(location):
        return "tar"
    raise BundleError(
        f"location {location} is neither a directory nor a tar, tgz or zip archive; pass a "
        "folder holding appspec.yml or such an archive"
    )


def check_directory_bundle(location: Path) -> None:
    """codedeploy-local refuses a directory bundle without an appspec at its top."""
    if location.is_dir() and not any((location / name).exists() for name in APPSPEC_NAMES):
        raise BundleError(
            f"Expecting appspec file at location {location}/appspec.yml or "
            f"{location}/appspec.yaml but it is not found there. Please either run the CLI from "
            "within a directory containing the appspec.yml or appspec.yaml file or specify a "
            "bundle location containing an appspec.yml or appspec.yaml file in its root directory"
        )


def place_bundle(location: Path, kind: BundleType, deployment_dir: Path) -> bool:
    """Fill `deployment_dir/deployment-archive`; True if a leading folder was stripped."""
    archive = deployment_dir / "deployment-archive"
    location = Path(os.path.abspath(location))
    if kind == "directory":
        _copy_tree(location, archive)
        return False
    link = deployment_dir / "bundle.tar"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(location)
    shutil.rmtree(archive, ignore_errors=True)
    archive.mkdir(parents=True)
    if kind == "zip":
        _extract_zip(location, archive)
    else:
        _extract_tar(location, archive)
    return _strip_leading_dir(archive, deployment_dir)


def _copy_tree(source: Path, target: Path) -> None:
    """`FileUtils.cp_r`: contents and modes; symlinks inside stay symlinks."""
    shutil.copytree(source, target, symlinks=True, copy_function=shutil.copy)


def _extract_tar(path: Path, archive: Path) -> None:
    try:
        with tarfile.open(path, mode="r:*") as tar:
            tar.extractall(archive, filter="tar")
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"Error extracting tar archive: {exc}") from None


def _extract_zip(path: Path, archive: Path) -> None:
    """Like `unzip -qo`: Unix modes and symlinks from the entries' external attributes."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                mode = (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0
                target = Path(zf.extract(info, archive))
                if stat.S_ISLNK(mode):
                    link_target = target.read_text(encoding="utf-8")
                    target.unlink()
                    target.symlink_to(link_target)
                elif mode & 0o7777 and not info.is_dir():
                    target.chmod(mode & 0o7777)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"Error extracting zip archive: {exc}") from None


_APPSPEC_RE = re.compile("appspec", re.IGNORECASE)


def _strip_leading_dir(archive: Path, deployment_dir: Path) -> bool:
    entries = os.listdir(archive)
    if len(entries) != 1:
        return False
    nested = archive / entries[0]
    if not nested.is_dir() or not any(_APPSPEC_RE.search(n) for n in os.listdir(nested)):
        return False
    temp = deployment_dir / "deployment-archive-temp"
    shutil.rmtree(temp, ignore_errors=True)
    archive.rename(temp)
    (temp / entries[0]).rename(archive)
    temp.rmdir()
    return True
