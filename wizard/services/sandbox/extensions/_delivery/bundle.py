"""Revision bundles: the source action's CODE_ZIP artifact and what the agent reads from it.

The CodeCommit source action zips the commit's files (a shallow copy, files at the root, the
executable bit kept) into the pipeline's artifact bucket; the CodeDeploy action deploys that S3
object. Both live in moto's S3, so a deployment created by hand from the same key reads the same
bytes. The zip is deterministic (fixed timestamps): the same commit gives the same eTag.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zipfile
from collections.abc import Mapping
from typing import Literal

from wizard.services.rehearse.bundle import APPSPEC_NAMES
from wizard.services.sandbox.extensions._delivery.model import Bundle

_EPOCH = (1980, 1, 1, 0, 0, 0)


def code_zip(files: Mapping[str, tuple[str, bytes]]) -> bytes:
    """A zip of `path -> (CodeCommit file mode, content)`, deterministic."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            mode, content = files[path]
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            unix = 0o120777 if mode == "SYMLINK" else 0o100755 if mode == "EXECUTABLE" else 0o100644
            info.external_attr = unix << 16
            archive.writestr(info, content)
    return out.getvalue()


def _members(data: bytes, bundle_type: str) -> dict[str, bytes]:
    """Regular files of a zip/tar/tgz bundle (path -> content); `ValueError` if unreadable."""
    found: dict[str, bytes] = {}
    if bundle_type == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        found[info.filename] = archive.read(info)
        except zipfile.BadZipFile as exc:
            raise ValueError(f"the bundle is not a valid zip file ({exc})") from None
        return found
    mode: Literal["r:gz", "r:"] = "r:gz" if bundle_type == "tgz" else "r:"
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as archive:
            for member in archive.getmembers():
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    found[member.name] = handle.read()
    except (tarfile.TarError, OSError) as exc:
        raise ValueError(f"the bundle is not a valid {bundle_type} archive ({exc})") from None
    return found


def _normalise(files: dict[str, bytes]) -> dict[str, bytes]:
    """Paths relative to the archive root; a single top folder holding appspec* is stripped."""
    clean = {}
    for name, content in files.items():
        path = posixpath.normpath(name.lstrip("/"))
        if path.startswith("../") or path in (".", ".."):
            continue
        clean[path] = content
    if any(name in clean for name in APPSPEC_NAMES):
        return clean
    tops = {p.split("/", 1)[0] for p in clean}
    if len(tops) == 1:
        top = next(iter(tops))
        if any(f"{top}/{name}" in clean for name in APPSPEC_NAMES):
            return {p[len(top) + 1 :]: c for p, c in clean.items() if "/" in p}
    return clean


def appspec_name(files: Mapping[str, bytes]) -> str | None:
    """`app_spec_real_path`: appspec.yml, else appspec.yaml."""
    return next((name for name in APPSPEC_NAMES if name in files), None)


def read_bundle(data: bytes, bundle_type: str) -> dict[str, bytes]:
    """Every file of a downloaded bundle by path; `ValueError` when it cannot be unpacked."""
    if bundle_type not in ("zip", "tar", "tgz"):
        raise ValueError(
            f"bundle type {bundle_type} cannot be unpacked on an EC2/on-premises instance "
            "(use zip, tar or tgz)"
        )
    return _normalise(_members(data, bundle_type))


def keep_for_hooks(files: Mapping[str, bytes], script_paths: set[str]) -> Bundle:
    """The part of a bundle later deployments need: its appspec and its hook scripts."""
    kept = {p: c for p, c in files.items() if p in APPSPEC_NAMES or p in script_paths}
    return Bundle(files=kept)
