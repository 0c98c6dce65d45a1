"""Screen bases: error forwarding, discovery lookups in thread workers, and the generated form."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from wizard.app.context import WizardContext
from wizard.app.draft import Draft
from wizard.app.ports import AccountDiscovery, Clash, describe_failure, is_aws_error
from wizard.app.steps import flow, number, step, step_questions
from wizard.core.answers import Problem
from wizard.core.events.base import plural
from wizard.tui.messages import Discovered, DiscoveryFailed, WorkerCrashed
from wizard.tui.widgets.answer_field import AnswerField, field_id
from wizard.tui.widgets.lookup import LookupStatus
from wizard.tui.widgets.step_indicator import StepIndicator
from wizard.tui.widgets.top_bar import TopBar

Direction = Literal["next", "back"]


def shown(widget: Widget) -> bool:
    """Whether the widget is displayed (not hidden itself or inside a collapsed section)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


class Navigate(Message):
    """A step screen asks the App to move on (after validating) or back."""

    def __init__(self, step: str, direction: Direction) -> None:
        super().__init__()
        self.step = step
        self.direction = direction


class WizardScreen(Screen[None]):
    """Base of every wizard screen: forwards worker crashes to the App's one error handler and
    runs discovery lookups in thread workers that only ever `post_message`."""

    STEP: ClassVar[str] = ""

    def __init__(self, context: WizardContext) -> None:
        super().__init__()
        self.context = context
        #: lookup name -> the query whose answer is still wanted (older answers are dropped)
        self.wanted: dict[str, Hashable] = {}

    @property
    def draft(self) -> Draft:
        return self.context.draft

    def step_indicator(self) -> StepIndicator:
        """The row of steps of this run (the optional ones it goes through included)."""
        return StepIndicator(
            self.STEP, self.draft.completed, id="steps", optional=self.draft.optional_steps()
        )

    def top_bar(self) -> TopBar:
        services = self.context.services
        if services.target_label == "sandbox":
            target = "sandbox · embedded AWS emulator, nothing leaves this machine"
        else:
            profile, region = self.context.account_key()
            target = f"AWS · profile {profile or 'default'} · {region}"
        return TopBar(target, f"answers: {self.context.answers_path}")

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.app.post_message(WorkerCrashed(event.worker.name, event.worker.error))

    # --- discovery ----------------------------------------------------------------------------

    def lookup(
        self,
        what: str,
        query: Hashable,
        call: Callable[[Any], Any],
        *,
        label: str,
        scope: Literal["account", "discovery"] = "account",
    ) -> bool:
        """Ask discovery in a thread worker; the answer arrives as `Discovered` / `DiscoveryFailed`.

        `call` gets the `AccountDiscovery` for the chosen profile and region, or the `Discovery`
        itself with `scope="discovery"`. Returns False (and starts nothing) when no discovery
        service was given.
        """
        if self.context.services.discovery is None:
            return False
        self.wanted[what] = query
        account_key = self.context.account_key() if scope == "account" else None
        self.run_worker(
            partial(self._lookup_in_thread, what, query, call, label, account_key),
            name=f"look up {label}",
            group=f"lookup-{what}",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return True

    def _lookup_in_thread(
        self,
        what: str,
        query: Hashable,
        call: Callable[[Any], Any],
        label: str,
        account_key: tuple[str | None, str] | None,
    ) -> None:
        worker = get_current_worker()
        try:
            target: AccountDiscovery | Any
            if account_key is None:
                target = self.context.services.discovery
            else:
                target = self.context.account(account_key)
            result = call(target)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            if not worker.is_cancelled:
                self.post_message(DiscoveryFailed(what, query, describe_failure(exc, what=label)))
            return
        if not worker.is_cancelled:
            self.post_message(Discovered(what, query, result))

    @on(Discovered)
    def _discovered(self, message: Discovered) -> None:
        if self.wanted.get(message.what) == message.query:
            self.on_lookup_done(message.what, message.result)

    @on(DiscoveryFailed)
    def _discovery_failed(self, message: DiscoveryFailed) -> None:
        if self.wanted.get(message.what) == message.query:
            for status in self.query(f"#status-{message.what}").results(LookupStatus):
                status.failed(message.failure)
            self.on_lookup_failed(message.what, message.failure)

    def on_lookup_done(self, what: str, result: Any) -> None:
        """Subclasses show a lookup's result."""

    def on_lookup_failed(self, what: str, failure: Any) -> None:
        """Subclasses may react to a failed lookup (the status line already says why)."""

    def status(self, what: str) -> LookupStatus:
        return self.query_one(f"#status-{what}", LookupStatus)


REFRESH = Binding("ctrl+r", "refresh", "Refresh")


class StepScreen(WizardScreen):
    """A form generated from the step's questions, with an aside for discovery and hints."""

    STEP: ClassVar[str] = ""
    #: answers keys whose names the step checks against the account (`#status-clashes`)
    CLASH_KEYS: ClassVar[tuple[str, ...]] = ()
    BINDINGS: ClassVar = [
        Binding("ctrl+n", "next", "Next"),
        Binding("escape", "back", "Back"),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
    ]

    # --- name clashes -------------------------------------------------------------------------

    def look_up_clashes(self) -> None:
        """Ask which of the step's names (`CLASH_KEYS`) already exist in the account."""
        answers = self.draft.resolved()
        self.status("clashes").asking("Checking the names against your account…")
        self.lookup(
            "clashes",
            tuple(sorted((k, str(answers[k])) for k in self.CLASH_KEYS)),
            lambda a: list(a.clashes(answers)),
            label="existing resources",
        )

    def show_step_clashes(self, clashes: list[Clash]) -> None:
        """The looked-up clashes that concern this step's names."""
        show_clashes(self.status("clashes"), [c for c in clashes if c.key in self.CLASH_KEYS])

    # --- composition --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        info = step(self.STEP)
        yield self.top_bar()
        yield self.step_indicator()
        with Horizontal(id="body"):
            with VerticalScroll(id="form"):
                index = number(self.STEP, self.draft.optional_steps())
                yield Static(f"{index}. {info.title}", classes="step-title", markup=False)
                yield Static(info.intro, classes="step-intro", markup=False)
                yield from self.compose_intro()
                asked = [q for q in step_questions(self.STEP) if q.kind != "records"]
                basic = [q for q in asked if not q.advanced]
                advanced = [q for q in asked if q.advanced]
                for question in basic:
                    yield self._field(question)
                if advanced:
                    with Collapsible(title="Advanced settings", collapsed=True, id="advanced"):
                        for question in advanced:
                            yield self._field(question)
                yield from self.compose_outro()
            with VerticalScroll(id="aside"):
                yield from self.compose_aside()
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", disabled=flow()[0] == self.STEP)
            yield Static("", id="nav-status")
            yield Button("Next →", id="next", variant="primary")
        yield Footer()

    def _field(self, question: Any) -> AnswerField:
        return AnswerField(question, self.draft.text(question.key), self.draft.origin(question.key))

    def compose_intro(self) -> ComposeResult:
        """Extra copy under the step's intro."""
        yield from ()

    def compose_outro(self) -> ComposeResult:
        """Extra widgets under the step's fields."""
        yield from ()

    def compose_aside(self) -> ComposeResult:
        """The right-hand panel: discovery results, explanations."""
        yield from ()

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class in the MRO: subclasses override `ready()`.
        self.ready()

    def ready(self) -> None:
        """The screen is mounted: show the fields that apply, focus the first one and start
        looking things up."""
        self.sync_conditions()
        fields = [f for f in self.fields() if f.display]
        if fields:
            fields[0].focus_control()
        self.start_lookups()

    def sync_conditions(self) -> None:
        """Show exactly the fields whose question applies to the answers so far (its declared
        `when`, e.g. the bucket only for an S3 source); a hidden field keeps its text."""
        for field in self.fields():
            field.display = self.draft.applies(field.key)

    def start_lookups(self) -> None:
        """Subclasses start their discovery lookups here (also on Ctrl+R)."""

    # --- fields -------------------------------------------------------------------------------

    def fields(self) -> list[AnswerField]:
        return list(self.query(AnswerField))

    def field(self, key: str) -> AnswerField:
        return self.query_one(f"#{field_id(key)}", AnswerField)

    @on(AnswerField.Edited)
    def _edited(self, event: AnswerField.Edited) -> None:
        if event.text == self.draft.text(event.key):
            return  # a control announcing its initial value, or no real change
        self.draft.set_text(event.key, event.text)
        event.field.set_origin(self.draft.origin(event.key))
        self.sync_conditions()
        self.on_field_edited(event.key, event.text)

    def on_field_edited(self, key: str, text: str) -> None:
        """Subclasses react to edits (refresh a lookup, update an explanation)."""

    @on(AnswerField.Submitted)
    def _submitted(self, event: AnswerField.Submitted) -> None:
        """Enter moves to the next field; on the last text field it means Next."""
        visible = [f for f in self.fields() if shown(f) and isinstance(f.control, Input)]
        if visible and event.field is visible[-1]:
            self.action_next()
        else:
            self.focus_next()

    # --- navigation ---------------------------------------------------------------------------

    def show_problems(self, problems: dict[str, Problem]) -> None:
        for field in self.fields():
            field.show_problem(problems.get(field.key))
        status = self.query_one("#nav-status", Static)
        if not problems:
            status.update("")
            return
        n = len(problems)
        status.update(f"{plural(n, 'answer')} need{'s' if n == 1 else ''} attention")
        first = next((f for f in self.fields() if f.key in problems), None)
        if first is not None:
            advanced = (
                self.query("#advanced").first(Collapsible) if self.query("#advanced") else None
            )
            if advanced is not None and first in advanced.query(AnswerField):
                advanced.collapsed = False
            first.focus_control()
            first.scroll_visible()

    def action_next(self) -> None:
        problems = self.draft.problems(self.STEP)
        self.show_problems(problems)
        if not problems:
            self.post_message(Navigate(self.STEP, "next"))

    def action_back(self) -> None:
        self.post_message(Navigate(self.STEP, "back"))

    def action_help(self) -> None:
        focused = self.focused
        field = None
        if focused is not None:
            field = next(
                (a for a in focused.ancestors_with_self if isinstance(a, AnswerField)), None
            )
        if field is None:
            self.notify("Move to a field (Tab) and press F1 or ? to read about it.", title="Help")
            return
        field.toggle_help()

    def action_refresh(self) -> None:
        self.start_lookups()

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()


class Aside(Vertical):
    """A titled block in the aside holding several widgets."""

    def __init__(self, title: str, *children: Any, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self.add_class("aside-block")
        self.border_title = title


def titled(title: str, widget: Widget, *, warn: bool = False) -> Widget:
    """A titled block in the aside made of one widget (one DOM node instead of two)."""
    widget.border_title = title
    widget.add_class("aside-block")
    if warn:
        widget.add_class("-warn")
    return widget


def show_clashes(status: LookupStatus, clashes: list[Clash]) -> None:
    """Say which chosen names are already taken in the account (or that none is)."""
    if not clashes:
        status.ok("None of these names is taken")
        return
    lines = [f"{c.kind} '{c.name}': {c.detail or 'already exists'}" for c in clashes]
    status.warn("\n  ".join(lines) + "\n  terraform would fail or take it over: rename it.")
