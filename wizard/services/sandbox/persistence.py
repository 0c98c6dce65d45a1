"""Saving and restoring the emulator's state, so `--sandbox` runs can follow each other.

moto keeps everything in per-service backend objects in this process. We pickle the backends that
were used (service, account, region -> backend) into one gzip file in the workspace, and put them
back before the next server starts. The file is written atomically with mode 0600 and is only
ever read from the user's own workspace (unpickling runs code: never load a file you did not
write -- the same trust as the terraform state next to it).

A few moto backends hold `defaultdict(lambda: ...)`, which pickle cannot store; those factories
are saved as "a fresh copy of what the lambda returned when empty", which is what they do.
"""

from __future__ import annotations

import copy
import gzip
import io
import pickle
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

from wizard.core.atomic import write_atomic

FORMAT = 1


class _Fresh:
    """A picklable default factory: returns a deep copy of a template value."""

    def __init__(self, template: Any) -> None:
        self.template = template

    def __call__(self) -> Any:
        return copy.deepcopy(self.template)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, defaultdict) and isinstance(obj.default_factory, types.LambdaType):
            factory = obj.default_factory
            if getattr(factory, "__name__", "") == "<lambda>":
                fresh = _Fresh(factory())
                return (_rebuild_defaultdict, (fresh, dict(obj)))
        return NotImplemented


def _rebuild_defaultdict(factory: Any, items: dict[Any, Any]) -> defaultdict[Any, Any]:
    out: defaultdict[Any, Any] = defaultdict(factory)
    out.update(items)
    return out


def snapshot() -> list[tuple[str, str, str, Any]]:
    """(service, account, region, backend) for every backend moto has created so far."""
    from moto.core.base_backend import BackendDict

    found = []
    for backends in list(BackendDict._instances):
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
            per_region = get_backend(service)[account]  # type: ignore[call-overload]
        except (KeyError, ValueError):  # a service this moto version no longer has
            continue
        dict.__setitem__(per_region, region, backend)
        count += 1
    return count
