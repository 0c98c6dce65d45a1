"""Messages posted by workers to the screens (thread workers may only `post_message`)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.message import Message

from wizard.app.ports import Failure
from wizard.core.events.base import Event


class Discovered(Message, bubble=False):
    """A discovery lookup finished. `query` identifies what was asked (stale ones are dropped)."""

    def __init__(self, what: str, query: Hashable, result: Any) -> None:
        super().__init__()
        self.what = what
        self.query = query
        self.result = result


class DiscoveryFailed(Message, bubble=False):
    """A discovery lookup failed in an expected way (credentials, permission, network)."""

    def __init__(self, what: str, query: Hashable, failure: Failure) -> None:
        super().__init__()
        self.what = what
        self.query = query
        self.failure = failure


class WorkerCrashed(Message):
    """A worker raised something unexpected; the App shows it instead of crashing."""

    def __init__(self, name: str, error: BaseException) -> None:
        super().__init__()
        self.name = name
        self.error = error


class FilesRendered(Message, bubble=False):
    """The answers were rendered into files (path -> content) for the Review viewer."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__()
        self.files = files


class RunnerEvent(Message, bubble=False):
    """An event of the plan/apply run (posted from any thread; the App hands it to the screen
    on view, which shows it)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
