"""Page tokens of the emulator's own list APIs: opaque to callers, the next item's offset inside."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str) -> int | None:
    """The offset in a token `encode_token` made; None for anything else (the caller raises the
    API's own invalid-token error)."""
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def page(
    items: Sequence[T], token: str | None, size: int, invalid: Callable[[], Exception]
) -> tuple[list[T], str | None]:
    """One page of `items` from `token` (None: the first) and the next token (None at the end);
    a token `encode_token` did not make raises `invalid()`, the API's own error."""
    start = decode_token(token) if token else 0
    if start is None:
        raise invalid()
    more = start + size < len(items)
    return list(items[start : start + size]), (encode_token(start + size) if more else None)
