"""Check what an emulator sends against botocore's service model.

botocore's parsers drop keys the model does not know, so a typo in an emulated response
(`commitID`) would go unnoticed through the parsed result. `RawResponses` records the raw JSON
bodies of a client's calls; `assert_matches_output` walks one against the operation's output
shape: no unknown keys, every required key, scalar types and enum values as the model says.
"""

from __future__ import annotations

import base64
import json
from typing import Any


class RawResponses:
    """Records the raw JSON body of every response `client` receives."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.bodies: dict[str, list[Any]] = {}
        client.meta.events.register("before-parse", self._record)

    def _record(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict.get("body") or b"{}"
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body  # an error page that is not JSON: kept as bytes for the assertion
        self.bodies.setdefault(operation_model.name, []).append(parsed)

    def last(self, operation: str) -> Any:
        return self.bodies[operation][-1]

    def check(self, operation: str) -> Any:
        """Assert the last raw `operation` response matches the model; return it."""
        raw = self.last(operation)
        shape = self.client.meta.service_model.operation_model(operation).output_shape
        assert_matches(shape, raw, operation)
        return raw


def assert_matches(shape: Any, value: Any, where: str) -> None:
    """`value` (raw JSON) conforms to botocore `shape`; fails naming the path."""
    if shape is None:
        assert value in ({}, None), f"{where}: the model has no output but got {value!r}"
        return
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: keys not in the model: {sorted(unknown)}"
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{where}: required keys missing: {sorted(missing)}"
        for key, item in value.items():
            assert_matches(shape.members[key], item, f"{where}.{key}")
    elif kind == "list":
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        for i, item in enumerate(value):
            assert_matches(shape.member, item, f"{where}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{where}: expected a map, got {value!r}"
        for key, item in value.items():
            assert_matches(shape.value, item, f"{where}[{key!r}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: expected a string, got {value!r}"
        enum = shape.enum
        assert not enum or value in enum, f"{where}: {value!r} is not one of {enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: expected a boolean, got {value!r}"
    elif kind == "timestamp":
        assert isinstance(value, (int, float, str)), f"{where}: bad timestamp {value!r}"
    elif kind == "blob":
        assert isinstance(value, str), f"{where}: expected base64 text, got {value!r}"
        base64.b64decode(value, validate=True)
    else:  # pragma: no cover - shapes this project does not meet
        raise AssertionError(f"{where}: unhandled shape type {kind}")
