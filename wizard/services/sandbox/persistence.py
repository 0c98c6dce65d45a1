"""Saving and restoring the emulator's state, so `--sandbox` runs can follow each other.

moto keeps everything in per-service backend objects in this process. We pickle the backends that
were used (service, account, region -> backend) into one gzip file in the workspace, and put them
back before the next server starts. The file is written atomically with mode 0600 and is only
ever read from the user's own workspace (unpickling runs code: never load a file you did not
write -- the same trust as the terraform state next to it).

The file starts with a one-line JSON header (format, cdwizard and moto versions, when), readable
without unpickling anything, so a state written by another moto gets a clear message instead of
an unpickling traceback (`StateError`); the pickle follows. Files of format 1 (no header, before
cdwizard recorded versions) are still read. Why pickle rather than moto's own request recorder
(record every API call, replay them at start-up): measured in `bench/bench_sandbox_state.py` --
replay re-runs every call (minutes for a full stack), and cdwizard's own simulation (pipeline
runs, deployments, pushes) is time-driven, so replaying its calls would not rebuild the same
state.

Three kinds of objects in moto's backends cannot be pickled as they are: `defaultdict(lambda: ...)`
factories, saved as "a fresh copy of what the lambda returned when empty" (which is what they
do), `cryptography` private keys (KMS, EC2 key pairs), saved as PKCS#8 PEM, and locks (the
CodeCommit extension's per-repository writer lock), restored as fresh unlocked locks.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import pickle
import threading
import zlib
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wizard.core.atomic import write_atomic

FORMAT = 2
#: the first bytes of a format >= 2 file (after gunzip), then the JSON header line
MAGIC = b"cdwizard-sandbox-state\n"


class StateError(ValueError):
    """The state file cannot be used: `reason` says why, `header` is what it says of itself."""

    def __init__(self, reason: str, header: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.header = header or {}

    def written_by(self) -> str:
        """ "cdwizard 0.4.0 with moto 5.2.5", or "" for a file that does not say."""
        h = self.header
        if not h.get("cdwizard"):
            return ""
        return f"cdwizard {h['cdwizard']} with moto {h.get('moto') or '?'}"


_LOCKS = (type(threading.Lock()), type(threading.RLock()))


class _Fresh:
    """A picklable default factory: returns a deep copy of a template value."""

    def __init__(self, template: Any) -> None:
        self.template = template

    def __call__(self) -> Any:
        return copy.deepcopy(self.template)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCKS):  # nobody holds it in the saved state: a fresh one
            return (threading.RLock if isinstance(obj, _LOCKS[1]) else threading.Lock, ())
        if type(obj).__module__.startswith("cryptography.") and hasattr(obj, "private_bytes"):
            # KMS/EC2 key material (Rust objects, not picklable): store as PKCS#8 PEM
            return (_load_private_key, (_private_pem(obj),))
        if isinstance(obj, defaultdict):
            factory = obj.default_factory
            if factory is not None and getattr(factory, "__name__", "") == "<lambda>":
                factory = _Fresh(factory())
            if type(obj) is defaultdict and factory is obj.default_factory:
                return NotImplemented  # plain and picklable: the default reduction works
            # a lambda factory, or a subclass whose __init__ takes other arguments
            # (moto's ssm ParameterDict): rebuild without calling __init__
            state = dict(getattr(obj, "__dict__", {}))
            return (_rebuild_defaultdict, (type(obj), factory, dict(obj), state))
        return NotImplemented


def _private_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _load_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _rebuild_defaultdict(
    cls: type[defaultdict[Any, Any]], factory: Any, items: dict[Any, Any], state: dict[str, Any]
) -> defaultdict[Any, Any]:
    out = cls.__new__(cls)
    defaultdict.__init__(out, factory)
    dict.update(out, items)
    if state:
        out.__dict__.update(state)
    return out


def snapshot() -> list[tuple[str, str, str, Any]]:
    """(service, account, region, backend) for every backend moto has created so far, less the
    global services' backends of partitions no region in use belongs to: moto creates IAM for
    every partition at once (aws-cn, aws-us-gov, ...), each some 800 KiB of AWS managed
    policies, four fifths of a saved state that nothing reads."""
    from moto.core.base_backend import BackendDict
    from moto.utilities.utils import get_partition

    found = []
    # moto declares this class-level registry as a generic instance variable (its own code
    # ignores the same error)
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        for account, per_region in list(backends.items()):
            for region, backend in list(dict.items(per_region)):
                found.append((backends.service_name, account, region, backend))
    regions = {r for _, _, r, _ in found if r not in _PARTITION_KEYS}
    used = {str(get_partition(r)) for r in regions} or {"aws"}
    return [f for f in found if f[2] not in _PARTITION_KEYS or f[2] in used]


#: the region keys under which moto keeps its global services (IAM, S3's account view, ...)
_PARTITION_KEYS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)


def header() -> dict[str, Any]:
    """What a state file says of itself: format, the versions that wrote it, when."""
    from wizard import __version__
    from wizard.services.sandbox.compat import moto_version

    return {
        "format": FORMAT,
        "cdwizard": __version__,
        "moto": moto_version(),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_state(path: Path) -> int:
    """Write the emulator state to `path`; returns the number of backends saved."""
    backends = snapshot()
    buffer = io.BytesIO()
    buffer.write(MAGIC + json.dumps(header()).encode() + b"\n")
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump({"backends": backends})
    write_atomic(Path(path), gzip.compress(buffer.getvalue(), compresslevel=1), mode=0o600)
    return len(backends)


def read_header(path: Path) -> dict[str, Any]:
    """The header of a state file ({"format": 1} for the headerless first format); raises
    `StateError` for a file that is no cdwizard sandbox state."""
    header, _ = _split(Path(path))
    return header


def _split(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise StateError(f"not a cdwizard sandbox state (not gzip data: {exc})") from None
    if not raw.startswith(MAGIC):
        if raw[:1] == b"\x80":  # a bare pickle: format 1
            return {"format": 1}, raw
        raise StateError("not a cdwizard sandbox state (unknown content)")
    line, _, body = raw[len(MAGIC) :].partition(b"\n")
    try:
        found = json.loads(line)
    except ValueError:
        raise StateError("not a cdwizard sandbox state (damaged header)") from None
    if not isinstance(found, dict) or not isinstance(found.get("format"), int):
        raise StateError("not a cdwizard sandbox state (damaged header)")
    return found, body


def load_state(path: Path) -> int:
    """Put the backends saved in `path` back into moto; returns how many were restored.
    Raises `StateError` (with the file's header) when the file cannot be used."""
    from moto.backends import get_backend

    header, body = _split(Path(path))
    if header["format"] > FORMAT:
        raise StateError(
            f"written in a newer format ({header['format']}) than this cdwizard reads ({FORMAT})",
            header,
        )
    try:
        data = pickle.loads(body)
    except Exception as exc:  # moto's classes moved or changed, or the file is truncated
        raise StateError(
            f"its emulator data cannot be read by this moto ({type(exc).__name__}: {exc})",
            header,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("backends"), list):
        raise StateError("not a cdwizard sandbox state (no backends)", header)
    count = 0
    for service, account, region, backend in data["backends"]:
        try:
            per_region = get_backend(service)[account]
        except (KeyError, ValueError):  # a service this moto version no longer has
            continue
        dict.__setitem__(per_region, region, backend)
        count += 1
    return count
