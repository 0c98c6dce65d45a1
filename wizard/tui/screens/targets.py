"""Step 4: which instances get deployed to, with a live count of those matching the tag."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.timer import Timer

from wizard.app.ports import Finding, FleetSummary
from wizard.core.events.base import plural
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
#: fields that only matter for instances you already run
EXISTING_ONLY = ("targets.extend_role",)
#: answers the network and instance-role checks depend on (edits start them again)
CHECKED_KEYS = (
    "targets.tag_key",
    "targets.tag_value",
    "targets.create_instance",
    "targets.subnet_id",
    "targets.agent_install",
    "targets.extend_role",
)
_STATES = {"ok": 0, "skip": 0, "warn": 1, "fail": 2}


def describe_findings(findings: list[Finding]) -> tuple[str, str]:
    """(worst status, text) of some of doctor's checks: each verdict, and the fix under it."""
    lines = []
    for f in findings:
        lines.append(f"{f.title}: {f.detail}")
        if f.fix and f.status in ("warn", "fail"):
            lines.append(f"  → {f.fix}")
    worst = max((f.status for f in findings), key=lambda s: _STATES.get(s, 0), default="ok")
    return worst, "\n".join(lines)


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
    _checks_timer: Timer | None = None

    def compose_aside(self) -> ComposeResult:
        yield titled("Instances with this tag", LookupStatus("", id="status-instances"))
        yield titled("What will be deployed to", LookupStatus("", id="status-plan"))
        yield titled("Network", LookupStatus("", id="status-network"))
        yield titled("Instance roles", LookupStatus("", id="status-roles"))

    def ready(self) -> None:
        super().ready()
        self._show_create_fields()
        self._show_plan()

    def start_lookups(self) -> None:
        if self.context.services.discovery is None:
            self.status("instances").off("Discovery is not available: no live count.")
            for what in ("network", "roles"):
                self.status(what).off("Discovery is not available: `cdwizard doctor` checks it.")
            return
        self._look_up_instances()
        self._run_checks()

    def _run_checks(self) -> None:
        """doctor's default-VPC, network and instance-role checks for the answers so far."""
        if any(self.field(k).invalid for k in CHECKED_KEYS):
            return
        values = self.draft.resolved()
        keys = (*CHECKED_KEYS, "pipeline.artifact_bucket", "pipeline.name")
        query = tuple(str(values[k]) for k in keys)
        for what in ("network", "roles"):
            if self.status(what).state in ("idle", "failed", "off"):
                self.status(what).asking("Checking…")
        self.lookup(
            "checks",
            query,
            lambda a: list(a.target_checks(values)),
            label="the network and instance roles",
        )

    def _checks_edited(self) -> None:
        if self._checks_timer is not None:
            self._checks_timer.stop()
        self._checks_timer = self.set_timer(
            self.context.services.debounce_seconds, self._run_checks
        )

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
        if key in CHECKED_KEYS and self.context.services.discovery is not None:
            self._checks_edited()
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
        match: FleetSummary | None = self.context.facts.get("instances")
        existing = not create or bool(match and match.count)
        for key in EXISTING_ONLY:
            self.field(key).display = existing or bool(self.draft.value(key))

    def on_lookup_failed(self, what: str, failure: Any) -> None:
        if what == "instances":
            self._schedule_refresh()
        if what == "checks":
            for status in (self.status("network"), self.status("roles")):
                status.failed(failure)

    def _show_checks(self, findings: list[Finding]) -> None:
        groups = {
            "network": [f for f in findings if f.name in ("default_vpc", "network")],
            "roles": [f for f in findings if f.name == "instance_role"],
        }
        for what, found in groups.items():
            status = self.status(what)
            shown = [f for f in found if f.status != "skip"] or found
            worst, text = describe_findings(shown)
            if not found:
                status.off("Checked once the answers are valid.")
            elif worst == "ok" or all(f.status == "skip" for f in found):
                status.ok(text)
            else:
                status.warn(text)
        self.context.facts["target_checks"] = findings

    def on_lookup_done(self, what: str, result: Any) -> None:
        if what == "checks":
            self._show_checks(list(result))
            return
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
        self._show_create_fields()
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
