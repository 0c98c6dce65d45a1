"""How the simulation plugs into moto's server: one wrapper for every request handler.

`simulated(original)` turns a function `(response, world, now) -> dict` into a moto handler:
while the simulation is enabled it takes the lock, performs what is due by now (`advance`) and
answers with the JSON the function returns (timestamps as epoch numbers, as the JSON protocols
want; a query-protocol handler returns moto's own `ActionResult`, which moto serialises);
while disabled it behaves as moto does without the extension (the original handler, or
`NotImplementedError` for an API moto lacks).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from wizard.services.sandbox.extensions import _paging as paging
from wizard.services.sandbox.extensions._delivery import clock, pipeline
from wizard.services.sandbox.extensions._delivery.world import LOCK, World, enabled, world_of

Handler = Callable[[Any, World, float], Any]

#: Marks the functions this extension put on moto's classes (install is idempotent).
MARK = "_cdwizard_delivery"


def _not_implemented(name: str) -> Callable[[Any], Any]:
    def missing(self: Any) -> Any:
        raise NotImplementedError(f"The {name} action has not been implemented")

    return missing


def simulated(owner: type, name: str, fn: Handler) -> Callable[[Any], Any]:
    """The handler `owner.name` becomes; keeps the one it replaces for the disabled mode."""
    current = owner.__dict__.get(name)
    if current is not None and getattr(current, MARK, False):
        current = getattr(current, "_cdwizard_original", None)
    original = current if current is not None else _not_implemented(name)

    @functools.wraps(fn)
    def method(self: Any) -> Any:
        if not enabled():
            return original(self)
        with LOCK:
            world = world_of(self)
            now = clock.now()
            pipeline.advance(world, now)
            out = fn(self, world, now)
        # our handlers answer with dicts; a moto handler's own answer (a str, or moto's
        # ActionResult since 5.2.6) passes through as moto made it
        return dumps(out) if isinstance(out, (dict, list)) else out

    setattr(method, MARK, True)
    method._cdwizard_original = original  # type: ignore[attr-defined]  # a function attribute
    return method


def install_handlers(owner: type, handlers: dict[str, Handler]) -> None:
    for name, fn in handlers.items():
        setattr(owner, name, simulated(owner, name, fn))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def result_of(answer: Any) -> Any:
    """The data of a moto handler's answer, whatever its shape: moto's `ActionResult` (its
    `.result`), a JSON string, or already data."""
    if hasattr(answer, "result"):
        return answer.result
    if isinstance(answer, (str, bytes)):
        return json.loads(answer)
    return answer


def dumps(value: Any) -> str:
    """JSON for a response: datetimes as epoch seconds, `None` members left out."""
    return json.dumps(_plain(value))


def _invalid_token() -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("InvalidNextTokenException", "The next token is not valid.")


def page(items: Sequence[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    """One page of `items` from an opaque `token`; the next token (None at the end)."""
    return paging.page(items, token, size, _invalid_token)
