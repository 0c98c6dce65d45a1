"""The optional Environments step: the environments deployed to in turn (add, remove, reorder),
each with its own instances, the live count of those matching its tag, and an optional manual
approval; then who is notified. Zero environments keep today's single Deploy stage."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Collapsible, Static

from wizard.app.draft import (
    default_environment_name,
    environment_questions,
    item_key,
    pipeline_stages,
    question_for,
    split_item_key,
)
from wizard.app.ports import AccountDiscovery, FleetSummary
from wizard.core.answers import Problem
from wizard.core.events.base import plural
from wizard.tui.screens.base import REFRESH, StepScreen, titled
from wizard.tui.screens.targets import describe_match
from wizard.tui.widgets.answer_field import AnswerField
from wizard.tui.widgets.lookup import LookupStatus

#: an environment's rarely changed fields (they follow the Deployment step): folded away
MORE = ("deployment_config", "rollback_on_failure", "group_tags")
#: an environment's fields whose change means looking its instances up again
TAG_FIELDS = ("tag_key", "tag_value")
#: said next to the e-mail addresses, and again in the aside
CONFIRM_NOTE = (
    "Each e-mail address gets a message from AWS Notifications asking it to confirm the "
    "subscription: nothing is sent to an address until somebody clicks 'Confirm subscription' "
    "in that e-mail."
)


def lookup_name(index: int) -> str:
    """The lookup (and its `#status-…` line) of one environment's instances."""
    return f"env-{index}"


def _match(key: str, value: str, account: AccountDiscovery) -> FleetSummary:
    return account.match_instances(key, value)


class EnvironmentCard(Vertical):
    """One environment: its position, move/remove buttons, its fields and its instances."""

    DEFAULT_CSS = """
    EnvironmentCard {
        height: auto;
        border: round $panel-lighten-1;
        border-title-color: $secondary;
        border-title-style: bold;
        padding: 0 1;
        margin: 0 0 1 0;
    }

    EnvironmentCard .env-actions {
        height: auto;
        margin: 0 0 1 0;
    }

    EnvironmentCard .env-actions Button {
        min-width: 8;
        margin: 0 1 0 0;
    }

    EnvironmentCard LookupStatus {
        margin: 0 0 1 0;
    }

    EnvironmentCard Collapsible {
        background: $background;
        border-top: hkey $panel;
        padding: 0;
    }
    """

    def __init__(self, index: int, count: int, fields: list[AnswerField]) -> None:
        super().__init__(id=f"env-{index}", classes="env-card")
        self.index = index
        self.count = count
        self.env_fields = fields

    def compose(self) -> ComposeResult:
        with Horizontal(classes="env-actions"):
            yield Button("↑ Up", id=f"env-up-{self.index}", disabled=self.index == 0)
            yield Button(
                "↓ Down", id=f"env-down-{self.index}", disabled=self.index == self.count - 1
            )
            yield Button("✗ Remove", id=f"env-remove-{self.index}", variant="error")
        yield LookupStatus("", id=f"status-{lookup_name(self.index)}")
        yield from (f for f in self.env_fields if f.question.name not in MORE)
        with Collapsible(title="Deployment settings", collapsed=True, classes="env-more"):
            yield from (f for f in self.env_fields if f.question.name in MORE)


class EnvironmentsStep(StepScreen):
    STEP = "environments"
    BINDINGS: ClassVar = [REFRESH, Binding("ctrl+o", "add_environment", "Add environment")]
    DEFAULT_CSS = """
    #environments, #environments-actions {
        height: auto;
    }

    #environments-actions {
        margin: 0 0 1 0;
    }

    #environments-problems {
        color: $error;
        padding: 0 1;
    }
    """

    _lookup_timer: Timer | None = None

    # --- composition --------------------------------------------------------------------------

    def compose_intro(self) -> ComposeResult:
        yield Static(
            "No environments: one Deploy stage to the Targets step's instances, as before. "
            "Add one (Ctrl+O) for each place to deploy to, in order.",
            id="environments-empty",
            classes="step-intro",
            markup=False,
        )
        yield Vertical(*self._cards(), id="environments")
        yield Static("", id="environments-problems", classes="field-error", markup=False)
        with Horizontal(id="environments-actions"):
            yield Button("+ Add environment", id="env-add")
        yield Static("Notifications", classes="step-title", markup=False)

    def compose_outro(self) -> ComposeResult:
        yield Static(CONFIRM_NOTE, id="notifications-note", classes="step-intro", markup=False)

    def compose_aside(self) -> ComposeResult:
        yield titled("The pipeline", Static("", id="pipeline-preview", markup=False))
        yield titled("E-mail notifications", Static(CONFIRM_NOTE, markup=False))

    def _cards(self) -> list[EnvironmentCard]:
        count = self.draft.environment_count
        cards = []
        for index in range(count):
            fields = [
                AnswerField(question_for(key), self.draft.text(key), self.draft.origin(key))
                for key in (item_key(index, q.key) for q in environment_questions())
            ]
            card = EnvironmentCard(index, count, fields)
            card.border_title = f"{index + 1} · {self.draft.text(item_key(index, 'name'))}"
            cards.append(card)
        return cards

    async def rebuild(self, focus: str | None = None) -> None:
        """Show the environments again after one was added, removed or moved (ids follow the
        position, so the cards are made anew); `focus`: the id of the widget to focus then."""
        box = self.query_one("#environments", Vertical)
        await box.remove_children()
        await box.mount_all(self._cards())
        self.sync_conditions()
        self._show_pipeline()
        self.query_one("#environments-problems", Static).update("")
        self.query_one("#environments-empty").display = not self.draft.environment_count
        if focus is not None and self.query(f"#{focus}"):
            self.call_after_refresh(self.query_one(f"#{focus}").focus)
        self.start_lookups()

    def ready(self) -> None:
        super().ready()
        self.query_one("#environments-problems", Static).display = False
        self.query_one("#environments-empty").display = not self.draft.environment_count
        self._show_pipeline()

    # --- the list -----------------------------------------------------------------------------

    async def action_add_environment(self) -> None:
        await self._add()

    @on(Button.Pressed, "#env-add")
    async def _add_pressed(self) -> None:
        await self._add()

    async def _add(self) -> None:
        count = self.draft.environment_count
        names = [self.draft.text(item_key(i, "name")) for i in range(count)]
        index = self.draft.add_environment(default_environment_name(names))
        await self.rebuild()
        name_field = self.field(item_key(index, "name"))
        name_field.focus_control()
        name_field.scroll_visible()

    @on(Button.Pressed, ".env-actions Button")
    async def _card_action(self, event: Button.Pressed) -> None:
        event.stop()
        action, _, position = (event.button.id or "").removeprefix("env-").rpartition("-")
        index = int(position)
        if action == "remove":
            self.draft.remove_environment(index)
            remaining = self.draft.environment_count
            focus = f"env-remove-{min(index, remaining - 1)}" if remaining else "env-add"
            await self.rebuild(focus=focus)
        elif action in ("up", "down"):
            to = self.draft.move_environment(index, -1 if action == "up" else 1)
            at_end = to == 0 if action == "up" else to == self.draft.environment_count - 1
            other = "down" if action == "up" else "up"
            await self.rebuild(focus=f"env-{other if at_end else action}-{to}")

    # --- edits and lookups --------------------------------------------------------------------

    def on_field_edited(self, key: str, text: str) -> None:
        item = split_item_key(key)
        if item is None:
            return
        index, name = item
        if name == "name":
            card = self.query_one(f"#env-{index}", EnvironmentCard)
            card.border_title = f"{index + 1} · {text}"
        if name in TAG_FIELDS or name in ("create_instance", "instance_count", "instance_type"):
            self._lookups_edited()
        self._show_pipeline()

    def _lookups_edited(self) -> None:
        if self.context.services.discovery is None:
            return
        if self._lookup_timer is not None:
            self._lookup_timer.stop()
        self._lookup_timer = self.set_timer(
            self.context.services.debounce_seconds, self.start_lookups
        )

    def start_lookups(self) -> None:
        """Count the running instances that carry each environment's tag (as Targets does)."""
        for index in range(self.draft.environment_count):
            status = self.status(lookup_name(index))
            if self.context.services.discovery is None:
                status.off("Discovery is not available: no live count.")
                continue
            keys = [item_key(index, name) for name in TAG_FIELDS]
            if any(self.field(k).invalid for k in keys):
                status.off("Waiting for a valid tag…")
                continue
            env = self.draft.environment(index)
            key, value = str(env["tag_key"]), str(env["tag_value"])
            if status.state in ("idle", "failed", "off"):
                status.asking(f"Looking for running instances tagged {key}={value}…")
            self.lookup(
                lookup_name(index),
                (key, value),
                partial(_match, key, value),
                label="matching instances",
            )

    def on_lookup_done(self, what: str, result: Any) -> None:
        if not what.startswith("env-"):
            return
        index = int(what.removeprefix("env-"))
        if index >= self.draft.environment_count:
            return
        match: FleetSummary = result
        env = self.draft.environment(index)
        text = describe_match(match)
        if env.get("create_instance"):
            created = plural(int(env["instance_count"]), f"new {env['instance_type']} instance")
            text += f"\n  + {created}"
        if match.count and match.with_profile < match.count:
            self.status(what).warn(text)  # as on the Targets step: no profile, no agent
        elif match.count or env.get("create_instance"):
            self.status(what).ok(text)
        else:
            self.status(what).warn(
                text + "\n  Nothing to deploy to: switch on 'Create instances' or tag instances."
            )

    # --- the preview and problems -------------------------------------------------------------

    def _show_pipeline(self) -> None:
        envs = self.draft.environments()
        stages = pipeline_stages(envs)
        lines = [" → ".join(stages)]
        if not envs:
            lines.append("\nNo environments: the pipeline deploys once, as set up in Targets.")
        for env in envs:
            if env.get("approval"):
                message = env.get("approval_message") or f"Approve deployment to {env['name']}?"
                lines.append(f"\nApprove-{env['name']}: waits for somebody: “{message}”")
        self.query_one("#pipeline-preview", Static).update("\n".join(lines))

    def show_problems(self, problems: dict[str, Problem]) -> None:
        """As the other steps, plus the problems no field shows (the list as a whole)."""
        first = next((f for f in self.fields() if f.key in problems), None)
        if first is not None:
            for fold in first.ancestors:
                if isinstance(fold, Collapsible):
                    fold.collapsed = False
        super().show_problems(problems)
        shown = {f.key for f in self.fields()}
        rest = [p for key, p in problems.items() if key not in shown]
        box = self.query_one("#environments-problems", Static)
        box.update("\n".join(f"✗ {p.path}: {p.message} — {p.fix}" for p in rest))
        box.display = bool(rest)
