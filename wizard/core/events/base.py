"""The event envelope: frozen dataclasses that know their wire name and their one-line summary."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

Level = Literal["debug", "info", "warn", "error"]

_REGISTRY: dict[str, type[Event]] = {}


def utcnow() -> datetime:
    """Timezone-aware now; a single seam so tests can freeze time by patching this module."""
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event.

    Subclasses set `kind` (the NDJSON `type`, dotted: `terraform.apply_start`) and override
    `summary()` with the line plain output prints. `level` drives colour and filtering.
    """

    kind: ClassVar[str] = "event"
    level: Level = "info"
    at: datetime = field(default_factory=utcnow, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            _REGISTRY[cls.kind] = cls

    def __post_init__(self) -> None:
        if self.level == "info":  # not set by the producer: the event's own state decides
            implied = self.implied_level()
            if implied != "info":
                object.__setattr__(self, "level", implied)

    def implied_level(self) -> Level:
        """The level this event has unless its producer chose one (failures raise it)."""
        return "info"

    def summary(self) -> str:
        """One human line, no trailing newline. Plain output prints it after a timestamp."""
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping: `type`, `at`, `level`, then the event's own fields."""
        out: dict[str, Any] = {"type": self.kind, "at": _jsonable(self.at), "level": self.level}
        for f in dataclasses.fields(self):
            if f.name in ("at", "level"):
                continue
            out[f.name] = _jsonable(getattr(self, f.name))
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


def event_types() -> Mapping[str, type[Event]]:
    """Every event class by its wire name (for docs, schema and tests)."""
    return dict(_REGISTRY)


@dataclass(frozen=True, kw_only=True)
class LogLine(Event):
    """A raw line from a tool (terraform's stderr, a hook script's output)."""

    kind: ClassVar[str] = "log"
    source: str
    text: str

    def summary(self) -> str:
        return f"{self.source}: {self.text}"


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """Something the user should read: a step started, a hint, a warning, a next step."""

    kind: ClassVar[str] = "notice"
    text: str
    hint: str | None = None

    def summary(self) -> str:
        return f"{self.text} ({self.hint})" if self.hint else self.text


@dataclass(frozen=True, kw_only=True)
class Heartbeat(Event):
    """Still alive: emitted by plain output when nothing else was printed for a while."""

    kind: ClassVar[str] = "heartbeat"
    activity: str
    elapsed_seconds: float

    def summary(self) -> str:
        return f"… still {self.activity} ({format_duration(self.elapsed_seconds)} elapsed)"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 instance`, `3 instances` (`nouns` when the plural is not noun + s): a count with its
    noun, for summaries, explanations and messages."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from `start` to `end` (never negative); None unless both are known."""
    if start and end:
        return max(0.0, (end - start).total_seconds())
    return None


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: compact and stable for logs and tables."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
