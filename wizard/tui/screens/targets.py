"""Step 4: which instances get deployed to, with a live count of those matching the tag."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.timer import Timer

from wizard.core.events.base import plural
from wizard.tui.ports import FleetSummary
from wizard.tui.screens.base import REFRESH, StepScreen, titled
from wizard.tui.widgets.lookup import LookupStatus

#: fields that only matter when cdwizard creates the instances
CREATE_ONLY = (
    "targets.instance_type",
    "targets.instance_count",
    "targets.ami",
    "targets.root_volume_size",
    "targets.subnet_id",
)


def describe_match(match: FleetSummary) -> str:
    """`3 running instances match Name=shop` plus what a deployment needs from them."""
    n = match.count
    head = (
        f"{plural(n, 'running instance')} match{'es' if n == 1 else ''} "
        f"{match.tag_key}={match.tag_value}"
    )
    if n == 0:
        return head
    lines = [head]
    shown = ", ".join(match.instance_ids[:3]) + (" …" if n > 3 else "")
    lines.append(f"  {shown}")
    lines.append(f"  {match.with_profile} of {n} with an instance profile")
    if match.ssm_online is None:
        lines.append("  SSM agent status unknown")
    else:
        lines.append(f"  {match.ssm_online} of {n} with the SSM agent online")
    return "\n".join(lines)


class TargetsStep(StepScreen):
    STEP = "targets"
    BINDINGS: ClassVar = [REFRESH]

    _tag_timer: Timer | None = None
    _refresh_timer: Timer | None = None

    def compose_aside(self) -> ComposeResult:
        yield titled("Instances with this tag", LookupStatus("", id="status-instances"))
        yield titled("What will be deployed to", LookupStatus("", id="status-plan"))

    def ready(self) -> None:
        super().ready()
        self._show_create_fields()
        self._show_plan()

    def start_lookups(self) -> None:
        if self.context.services.discovery is None:
            self.status("instances").off("Discovery is not available: no live count.")
            return
        self._look_up_instances()

    def _schedule_refresh(self) -> None:
        """Look again a while after an answer arrived (never overlapping lookups; dolphie's
        reschedule-on-complete pattern)."""
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._refresh_timer = self.set_timer(
            self.context.services.refresh_seconds, self._look_up_instances
        )

    def _tag(self) -> tuple[str, str]:
        values = self.draft.resolved()
        return str(values["targets.tag_key"]), str(values["targets.tag_value"])

    def _look_up_instances(self) -> None:
        if any(self.field(k).invalid for k in ("targets.tag_key", "targets.tag_value")):
            return
        key, value = self._tag()
        status = self.status("instances")
        if status.state in ("idle", "failed", "off"):
            status.asking(f"Looking for running instances tagged {key}={value}…")
        self.lookup(
            "instances",
            (key, value),
            lambda a: a.match_instances(key, value),
            label="matching instances",
        )

    def on_field_edited(self, key: str, text: str) -> None:
        tag_edited = key in ("targets.tag_key", "targets.tag_value")
        if tag_edited and self.context.services.discovery is not None:
            self._tag_edited(key)
        if key == "targets.create_instance":
            self._show_create_fields()
        self._show_plan()

    def _tag_edited(self, key: str) -> None:
        """Look the tag up again once typing pauses (only while the tag is valid)."""
        if self._tag_timer is not None:
            self._tag_timer.stop()
        if self.field(key).invalid:
            self.status("instances").off("Waiting for a valid tag…")
            return
        self.status("instances").asking("Looking up the tag…")
        self._tag_timer = self.set_timer(
            self.context.services.debounce_seconds, self._look_up_instances
        )

    def _show_create_fields(self) -> None:
        create = bool(self.draft.value("targets.create_instance"))
        for key in CREATE_ONLY:
            self.field(key).display = create

    def on_lookup_failed(self, what: str, failure: Any) -> None:
        if what == "instances":
            self._schedule_refresh()

    def on_lookup_done(self, what: str, result: Any) -> None:
        if what != "instances":
            return
        self._schedule_refresh()
        match: FleetSummary = result
        self.context.facts["instances"] = match
        status = self.status("instances")
        text = describe_match(match)
        if match.count and (
            match.with_profile < match.count
            or (
                self.draft.value("targets.agent_install") == "ssm"
                and (match.ssm_online or 0) < match.count
            )
        ):
            status.warn(text)
        else:
            status.ok(text)
        self._show_plan()

    def _show_plan(self) -> None:
        values = self.draft.resolved()
        match: FleetSummary | None = self.context.facts.get("instances")
        existing = match.count if match is not None else None
        status = self.status("plan")
        parts = []
        if values["targets.create_instance"]:
            n = values["targets.instance_count"]
            parts.append(plural(n, f"new {values['targets.instance_type']} instance"))
        if existing:
            parts.append(f"{plural(existing, 'running instance')} you have")
        if not parts:
            status.warn(
                "No instances: nothing carries this tag and none will be created.\n"
                "  Switch on 'Create instances' or tag your instances."
            )
            return
        status.ok(" + ".join(parts))
        if not values["targets.create_instance"] and values["targets.agent_install"] == "user_data":
            status.warn(
                " + ".join(parts) + "\n  'user_data' cannot reach instances you already "
                "run: pick 'ssm' or 'preinstalled'."
            )


def total_targets(values: dict[str, Any], match: FleetSummary | None) -> int:
    """How many instances a deployment will reach: the created ones plus matching ones."""
    created = int(values["targets.instance_count"]) if values["targets.create_instance"] else 0
    return created + (match.count if match is not None else 0)
