"""The few Ruby behaviours the agent's messages and paths depend on, in Python.

The agent builds messages with `#{value}` (Ruby `to_s`), joins paths with `File.join` (which
never drops the left side for an absolute right side) and reads numbers with `String#to_i`.
Copying those exactly is what makes a rehearsal's messages read like the real agent's.
"""

from __future__ import annotations

import errno
import json
import os
import re
from typing import Any

_TO_I = re.compile(r"\s*([+-]?\d+(?:_\d+)*)")
_STRIP = " \t\n\v\f\r\0"


def ruby_str(value: Any) -> str:
    """Ruby's `to_s` for the values YAML can produce (`nil` is empty, booleans are lowercase)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return ruby_inspect(value)
    return str(value)


def ruby_inspect(value: Any) -> str:
    """Ruby's `inspect`: strings quoted, arrays `["a", "b"]`, hashes `{"k"=>"v"}`."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
        )
    if value is None:
        return "nil"
    return ruby_str(value)


def ruby_to_i(value: Any) -> int:
    """`value.to_i`: leading digits of a string (`"30s"` is 30, `"abc"` is 0), floats truncated.

    Raises `TypeError` for values Ruby has no `to_i` for (`true`, lists, maps).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"undefined method `to_i' for {ruby_inspect(value)}")
    if isinstance(value, (int, float)):
        return int(value)
    match = _TO_I.match(value)
    return int(match.group(1).replace("_", "")) if match else 0


def ruby_strip(text: str) -> str:
    """`String#strip`: whitespace and NUL off both ends."""
    return text.strip(_STRIP)


def file_join(left: str, right: str) -> str:
    """`File.join(left, right)`: one separator between the parts, even when `right` is absolute."""
    if not right:
        return left.rstrip("/") + "/" if left else ""
    if not left:
        return right
    return left.rstrip("/") + "/" + right.lstrip("/")


def expand_path(path: str) -> str:
    """`File.expand_path`: absolute and normalised against the current directory (no symlinks)."""
    expanded = os.path.normpath(os.path.abspath(os.path.expanduser(path)))
    return "/" + expanded.lstrip("/") if expanded.startswith("//") else expanded


def errno_message(exc: OSError, func: str | None = None) -> str:
    """A Ruby `Errno::*` message. Ruby names the C function that failed (`func`: `rb_sysopen`
    for File.open, `dir_s_mkdir`, `apply2files` for chmod/chown/utime/unlink, …):
    `No such file or directory @ rb_sysopen - /path`; spawn errors name none."""
    text = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        where = exc.filename2 if exc.errno == errno.EEXIST else f"({where}, {exc.filename2})"
    at = f" @ {func}" if func else ""
    return f"{text}{at} - {where}" if where != "" else f"{text}{at}"
