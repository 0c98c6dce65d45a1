"""Saving and restoring the emulator's state, so `--sandbox` runs can follow each other.

moto keeps everything in per-service backend objects in this process. We pickle the backends that
were used (service, account, region -> backend) into one gzip file in the workspace, and put them
back before the next server starts. The file is written atomically with mode 0600 and is only
ever read from the user's own workspace (unpickling runs code: never load a file you did not
write -- the same trust as the terraform state next to it).

Three kinds of objects in moto's backends cannot be pickled as they are: `defaultdict(lambda: ...)`
factories, saved as "a fresh copy of what the lambda returned when empty" (which is what they
do), `cryptography` private keys (KMS, EC2 key pairs), saved as PKCS#8 PEM, and locks (the
CodeCommit extension's per-repository writer lock), restored as fresh unlocked locks.
"""

from __future__ import annotations

import copy
import gzip
import io
import pickle
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from wizard.core.atomic import write_atomic

FORMAT = 1

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
    """(service, account, region, backend) for every backend moto has created so far."""
    from moto.core.base_backend import BackendDict

    found = []
    # moto declares this class-level registry as a generic instance variable (its own code
    # ignores the same error)
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        for account, per_region in list(backends.items()):
            for region, backend in list(dict.items(per_region)):
                found.append((backends.service_name, account, region, backend))
    return found


def save_state(path: Path) -> int:
    """Write the emulator state to `path`; returns the number of backends saved."""
    backends = snapshot()
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        {"format": FORMAT, "backends": backends}
    )
    write_atomic(Path(path), gzip.compress(buffer.getvalue(), compresslevel=1), mode=0o600)
    return len(backends)


def load_state(path: Path) -> int:
    """Put the backends saved in `path` back into moto; returns how many were restored."""
    from moto.backends import get_backend

    data = pickle.loads(gzip.decompress(Path(path).read_bytes()))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a cdwizard sandbox state (format {FORMAT})")
    count = 0
    for service, account, region, backend in data["backends"]:
        try:
            per_region = get_backend(service)[account]
        except (KeyError, ValueError):  # a service this moto version no longer has
            continue
        dict.__setitem__(per_region, region, backend)
        count += 1
    return count
