"""The revision bundle: a directory, tar, tgz or zip, placed the way DownloadBundle places it.

- directory: copied to `deployment-archive/` (no `bundle.tar`) like `FileUtils.cp_r`: files
  keep their mode less the umask, folders are made fresh (0777 less the umask);
- file: `bundle.tar` is a symlink to it, then it is unpacked into `deployment-archive/` and a
  single top-level folder holding an `appspec*` file is stripped ("Stripping leading directory
  from archive bundle contents."). tar and tgz keep every recorded mode, set-id bits included,
  and the owner when run as root (`tar -xpsf`); zip keeps files' and folders' recorded modes
  without set-id and sticky bits (`unzip -qo`).

Archive members never land outside `deployment-archive/`: a tar member's leading `/` is removed
and one with a `..` component is skipped, after which the step fails with tar's exit status as the
agent reports it ("Error extracting tar archive: 2"); unzip's own rules apply to zip members.
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

from wizard.services.rehearse.files import CopyError, copy_tree

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
    try:
        copy_tree(str(source), str(target))
    except CopyError as exc:
        raise BundleError(exc.message) from None


#: GNU tar's exit status when it skipped members or hit a damaged archive.
_TAR_FAILED = 2


def _extract_tar(path: Path, archive: Path) -> None:
    """`tar -xpsf`: recorded modes and (as root) owners; unsafe members skipped, then failure."""
    skipped: list[str] = []
    base = os.path.realpath(archive)

    def keep(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        name = member.name.lstrip("/")
        link = member.linkname.lstrip("/") if member.islnk() else member.linkname
        if ".." in name.split("/") or (member.islnk() and ".." in link.split("/")):
            skipped.append(member.name)
            return None
        if os.path.commonpath([os.path.realpath(os.path.join(base, name)), base]) != base:
            skipped.append(member.name)  # through a link extracted earlier: out of the archive
            return None
        if (name, link) == (member.name, member.linkname):
            return member
        return member.replace(name=name, linkname=link, deep=False)

    try:
        with tarfile.open(path, mode="r:*") as tar:
            tar.extractall(archive, filter=keep)
    except (tarfile.TarError, OSError):
        skipped.append(str(path))
    if skipped:
        raise BundleError(f"Error extracting tar archive: {_TAR_FAILED}")


def _extract_zip(path: Path, archive: Path) -> None:
    """Like `unzip -qo`: files' and folders' recorded Unix modes without set-id and sticky bits
    (unzip keeps those only with -K), folder modes set last; links from their attributes."""
    folders: list[tuple[Path, int]] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                mode = (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0
                target = Path(zf.extract(info, archive))
                if stat.S_ISLNK(mode):
                    link_target = target.read_text(encoding="utf-8")
                    target.unlink()
                    target.symlink_to(link_target)
                elif info.is_dir():
                    if mode & 0o777:
                        folders.append((target, mode & 0o777))
                elif mode & 0o777:
                    target.chmod(mode & 0o777)
            for folder, mode in reversed(folders):
                folder.chmod(mode)
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
