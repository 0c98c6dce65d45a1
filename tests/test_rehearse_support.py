"""Builders shared by the rehearse tests: small synthetic bundles and event helpers (no tests)."""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path

from wizard.core.events.base import Event
from wizard.core.events.lifecycle import (
    SCRIPTABLE_IN_ORDER,
    HookOutput,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.core.output import CollectingSink
from wizard.services.rehearse import Rehearsal, RehearsalOptions, RehearsalResult

#: A hook script that records what the agent gives it: the env vars, cwd, $0, and a line per stream.
RECORDER = """\
#!/bin/sh
{
  echo "event=$LIFECYCLE_EVENT rev=$REVISION_TAG cwd=$(pwd) argv0=$0"
  env | grep -E '^(LIFECYCLE_EVENT|DEPLOYMENT_ID|APPLICATION_NAME|DEPLOYMENT_GROUP_(NAME|ID))=' \\
    | sort
} >> "$REHEARSE_TEST_RECORD"
echo "stdout from $LIFECYCLE_EVENT"
echo "stderr from $LIFECYCLE_EVENT" >&2
"""

SCRIPTABLE = SCRIPTABLE_IN_ORDER

SCRIPTS_LOG_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (LifecycleEvent - \w+|Script - \S+|\[std(out|err)\].*)$"
)
DEPLOYMENTS_LOG_LINE = re.compile(
    r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[d-[A-Z0-9]{9}-local\]"
    r"(LifecycleEvent - \w+|Script - \S+|\[std(out|err)\].*)$"
)
LOGGER_HEADER = re.compile(
    r"^# Logfile created on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} "
    r"by logger\.rb/v\d+\.\d+\.\d+$"
)


def write_bundle(
    root: Path,
    appspec: str,
    files: Mapping[str, str | tuple[str, int]] | None = None,
) -> Path:
    """A directory bundle: `appspec.yml` plus files (text, or (text, mode))."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "appspec.yml").write_text(textwrap.dedent(appspec).lstrip())
    for rel, spec in (files or {}).items():
        text, mode = (spec, 0o755) if isinstance(spec, str) else spec
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
    return root


def hooks_yaml(events: Mapping[str, str] | tuple[str, ...], timeout: int | None = None) -> str:
    """`hooks:` section running a script per event (`{event: location}` or events -> recorder)."""
    mapping = events if isinstance(events, Mapping) else dict.fromkeys(events, "scripts/hook.sh")
    lines = ["hooks:"]
    for event, location in mapping.items():
        lines.append(f"  {event}:")
        lines.append(f"    - location: {location}")
        if timeout is not None:
            lines.append(f"      timeout: {timeout}")
    return "\n".join(lines) + "\n"


def recorder_bundle(
    root: Path, destination: Path, tag: str, events: tuple[str, ...] = SCRIPTABLE, extra: str = ""
) -> Path:
    """A bundle whose hooks all run RECORDER; `tag` marks which revision a hook came from."""
    appspec = (
        "version: 0.0\nos: linux\nfiles:\n"
        f"  - source: /\n    destination: {destination}\n" + hooks_yaml(events) + extra
    )
    script = RECORDER.replace("$REVISION_TAG", tag)
    return write_bundle(root, appspec, {"scripts/hook.sh": script, f"rev-{tag}.txt": tag})


def rehearse(
    bundle: Path, root: Path, **options: object
) -> tuple[RehearsalResult, list[Event], Rehearsal]:
    sink = CollectingSink()
    options.setdefault("kill_grace", 2.0)
    rehearsal = Rehearsal(RehearsalOptions(bundle=bundle, root=root, **options))
    result = rehearsal.run(sink)
    return result, sink.events, rehearsal


def statuses(events: list[Event]) -> list[tuple[str, str]]:
    """Final status per lifecycle event, in order."""
    return [
        (e.event, e.status.value)
        for e in events
        if isinstance(e, LifecycleEventChanged) and e.status is not LifecycleStatus.IN_PROGRESS
    ]


def outputs(events: list[Event], event: str | None = None) -> list[str]:
    return [
        f"[{e.stream}]{e.text}"
        for e in events
        if isinstance(e, HookOutput) and (event is None or e.event == event)
    ]


def failed_event(events: list[Event]) -> LifecycleEventChanged:
    failed = [
        e
        for e in events
        if isinstance(e, LifecycleEventChanged) and e.status is LifecycleStatus.FAILED
    ]
    assert len(failed) == 1, failed
    return failed[0]


def process_alive(pid: int) -> bool:
    """True if `pid` is a live (non-zombie) process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
