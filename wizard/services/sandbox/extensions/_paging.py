"""Page tokens of the emulator's own list APIs: opaque to callers, the next item's offset inside."""

from __future__ import annotations

import base64
import binascii
import json


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
