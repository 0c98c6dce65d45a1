"""Which lifecycle events a rehearsal runs, in which order, and from which revision.

The order rules and messages are those of `codedeploy-local` (`deployer.rb`, `cli_validator.rb`):
DownloadBundle and Install are added when `--events` leaves them out, only the hooks that run the
previous revision may come before DownloadBundle, and a name that is neither a standard event nor
a hook of the appspec fails at Install. Without `--events` a rehearsal runs the in-place order of
a deployment group without a load balancer (`traffic=True` adds the four traffic hooks), which is
what the service sends; `codedeploy-local` itself always runs all eleven.
"""

from __future__ import annotations

from collections.abc import Sequence

from wizard.core.events.lifecycle import (
    IN_PLACE_EVENTS,
    IN_PLACE_EVENTS_WITH_TRAFFIC,
    PREVIOUS_REVISION_EVENTS,
    SCRIPTABLE_EVENTS,
    SCRIPTABLE_IN_ORDER,
    SERVICE_EVENTS,
)
from wizard.services.rehearse.appspec import AppSpec, closest_event
from wizard.services.rehearse.rubyisms import ruby_inspect

#: `Deployer::DEFAULT_ORDERED_LIFECYCLE_EVENTS`: every event codedeploy-local knows.
#: (the in-place order with traffic control, less the events the service performs itself)
LOCAL_DEFAULT_EVENTS: tuple[str, ...] = tuple(
    e for e in IN_PLACE_EVENTS_WITH_TRAFFIC if e not in SERVICE_EVENTS
)
REQUIRED_EVENTS: tuple[str, ...] = ("DownloadBundle", "Install")

#: Hooks that may come before DownloadBundle (they run the previous revision's scripts).
_PREVIOUS = tuple(e for e in SCRIPTABLE_IN_ORDER if e in PREVIOUS_REVISION_EVENTS)
_NEW_EXCEPT_BEFORE_INSTALL = SCRIPTABLE_EVENTS - PREVIOUS_REVISION_EVENTS - {"BeforeInstall"}


class EventsError(ValueError):
    """`--events` breaks codedeploy-local's ordering rules (message is the tool's own)."""


def default_events(*, traffic: bool = False) -> tuple[str, ...]:
    """In-place order; with `traffic` the load-balancer hooks too (as scriptable events only)."""
    if traffic:
        return LOCAL_DEFAULT_EVENTS
    return IN_PLACE_EVENTS


def parse_events_arg(text: str) -> list[str]:
    """`A,B,C` -> names (codedeploy-local splits on commas; we also drop blanks and spaces)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def plan_events(events: Sequence[str] | None, *, traffic: bool = False) -> tuple[str, ...]:
    """The ordered events to run, validated like `CLIValidator#validate`."""
    if not events:
        return default_events(traffic=traffic)
    wanted = list(events)
    raw = ",".join(wanted)
    before_download = _take_until(wanted, "DownloadBundle")
    if "DownloadBundle" in wanted and any(
        e in before_download for e in (*_NEW_EXCEPT_BEFORE_INSTALL, "Install")
    ):
        raise EventsError(
            "The only events that can be specified before DownloadBundle are "
            f"{','.join(_PREVIOUS)}. Please fix the order of your specified events: {raw}"
        )
    before_install = _take_until(wanted, "Install")
    if "Install" in wanted and any(e in before_install for e in _NEW_EXCEPT_BEFORE_INSTALL):
        allowed = (*_PREVIOUS, "DownloadBundle", "BeforeInstall")
        raise EventsError(
            f"The only events that can be specified before Install are {','.join(allowed)}. "
            f"Please fix the order of your specified events: {raw}"
        )
    planned = [e for e in REQUIRED_EVENTS if e not in wanted] + wanted
    if "Install" in _take_until(planned, "DownloadBundle"):
        d, i = planned.index("DownloadBundle"), planned.index("Install")
        planned[d], planned[i] = planned[i], planned[d]
    return tuple(planned)


def _take_until(events: Sequence[str], stop: str) -> list[str]:
    out = []
    for event in events:
        if event == stop:
            break
        out.append(event)
    return out


def all_possible_events(planned: Sequence[str]) -> tuple[str, ...]:
    """`AllPossibleLifecycleEvents`: the standard eleven plus any custom ones asked for."""
    return (*LOCAL_DEFAULT_EVENTS, *(e for e in planned if e not in LOCAL_DEFAULT_EVENTS))


def check_appspec_hooks(
    appspec: AppSpec, planned: Sequence[str], filename: str = "appspec.yml"
) -> tuple[str, str | None] | None:
    """`validate_app_spec_hooks` (codedeploy-local, at Install): (message, hint) or None."""
    possible = all_possible_events(planned)
    unknown = [name for name in appspec.hooks if name not in possible]
    if unknown:
        guesses = [f"{u} -> {g}" for u in unknown if (g := closest_event(u, LOCAL_DEFAULT_EVENTS))]
        hint: str | None = (
            "hook names are case-sensitive; did you mean " + ", ".join(guesses) + "?"
            if guesses
            else "a custom hook runs only when named in --events; otherwise remove or rename it"
        )
        return f"{filename} file contains unknown lifecycle events: {ruby_inspect(unknown)}", hint
    known = set(appspec.hooks) | SCRIPTABLE_EVENTS
    custom_missing = [e for e in possible if e not in LOCAL_DEFAULT_EVENTS and e not in known]
    if custom_missing:
        guesses = [
            f"{m} -> {g}" for m in custom_missing if (g := closest_event(m, LOCAL_DEFAULT_EVENTS))
        ]
        hint = "did you mean " + ", ".join(guesses) + "?" if guesses else None
        return (
            "You specified a lifecycle event which is not a default one and doesn't exist in "
            f"your {filename} file: {','.join(custom_missing)}",
            hint,
        )
    return None
