"""The appspec validation error shared by the appspec parser and its ACL and SELinux parts."""

from __future__ import annotations


class AppSpecError(Exception):
    """The agent's `AppSpecValidationException`: `message` is the agent's text, `hint` ours."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
