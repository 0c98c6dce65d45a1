"""One escaping filter per target language. Every user value that lands in a rendered file goes
through exactly one of these; templates never concatenate user text into syntax by hand.

- `hcl`: a complete HCL expression (strings quoted, `${`/`%{` template sequences neutralised)
- `sh`: a single shell word (POSIX single-quoting)
- `yaml`: a YAML flow scalar/collection, via the YAML dumper
- `json`: a JSON value, via the JSON encoder
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(text: str) -> str:
    """A quoted HCL string literal whose value is exactly `text`."""
    out: list[str] = ['"']
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch in ("$", "%") and nxt == "{":
            out.append(ch * 2 + "{")  # `${` -> `$${`, `%{` -> `%%{`: literal, not a template
            i += 2
            continue
        if ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


def hcl(value: Any) -> str:
    """Any plain value as an HCL expression (strings, numbers, bools, null, lists, maps)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{hcl_string(str(k))} = {hcl(v)}" for k, v in value.items())
        return "{" + items + "}" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def sh(value: Any) -> str:
    """One shell word, single-quoted when needed (`'` becomes `'"'"'`)."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return shlex.quote(str(value))


def yaml_value(value: Any) -> str:
    """A YAML value on one line (flow style), produced by the YAML dumper."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return text.removesuffix("\n...\n").removesuffix("\n")


def json_value(value: Any, indent: int | None = None) -> str:
    """A JSON value (strings quoted and escaped by the encoder); `indent` pretty-prints."""
    return json.dumps(value, ensure_ascii=False, indent=indent)


FILTERS = {"hcl": hcl, "sh": sh, "yaml": yaml_value, "json": json_value}
