"""Step 7: review everything before anything is created — answers, files, plan — then confirm."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Static, TabbedContent, TabPane, Tabs, Tree

from wizard.app.draft import (
    Draft,
    environment_applies,
    environment_question_map,
    environment_questions,
    item_key,
    pipeline_stages,
    split_item_key,
)
from wizard.app.failure_steps import failure_lines
from wizard.app.ports import Failure, is_runner_error
from wizard.app.steps import FORM_STEPS, number, step, step_questions
from wizard.core.answers import Answers, AnswersError, question_map, to_flat, to_text
from wizard.core.answers.model import deployment_group_name, notifications_enabled
from wizard.core.caveats import review_caveats
from wizard.core.events.base import plural
from wizard.core.events.terraform import PlanSummary
from wizard.core.next_steps import cause_text
from wizard.core.render import render
from wizard.tui.messages import FilesRendered, RunnerEvent
from wizard.tui.screens.base import Navigate, StepScreen, titled
from wizard.tui.screens.modals import Dialog
from wizard.tui.widgets.answer_field import AnswerField, field_id
from wizard.tui.widgets.failure_panel import FailurePanel
from wizard.tui.widgets.lookup import LookupStatus

LEXERS = {
    ".tf": "terraform",
    ".hcl": "terraform",
    ".tfvars": "terraform",
    ".sh": "bash",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".py": "python",
    ".json": "json",
    ".md": "markdown",
    ".toml": "toml",
    ".txt": "text",
}


#: the file shown first in the viewer (the first one that exists)
PREVIEW_FIRST = ("terraform/main.tf", "payload/appspec.yml")


def lexer_for(path: str) -> str:
    return LEXERS.get(PurePosixPath(path).suffix, "text")


def answers_summary(answers: Answers) -> str:
    """Every form step's answers as `Label  value` lines (advanced ones included), of the
    questions that apply (another source provider's fields are left out)."""
    flat = to_flat(answers)
    lines: list[str] = []
    for name in FORM_STEPS:
        lines.append(step(name).title.upper())
        for q in step_questions(name):
            if not q.applies(flat):
                continue
            # as the form field shows it (yes/no, Key=value, ...); nothing set reads "(none)"
            lines.append(f"  {q.label:<24} {to_text(q, flat[q.key]) or '(none)'}")
        lines.append("")
    return "\n".join(lines).rstrip()


def environments_summary(answers: Answers) -> str:
    """The environments and notifications as `Label  value` lines (empty without them)."""
    lines: list[str] = []
    for index, env in enumerate(answers.environments):
        values = asdict(env)
        lines.append(f"ENVIRONMENT {index + 1}: {env.name}")
        for q in environment_questions():
            if q.key != "name" and environment_applies(q.key, values):
                lines.append(f"  {q.label:<24} {to_text(q, values[q.key]) or '(none)'}")
        lines.append("")
    flat = to_flat(answers)
    if notifications_enabled(flat):
        lines.append("NOTIFICATIONS")
        for q in step_questions("environments"):
            if q.key.startswith("notifications."):
                lines.append(f"  {q.label:<24} {to_text(q, flat[q.key]) or '(none)'}")
    return "\n".join(lines).rstrip()


def pipeline_text(answers: Answers) -> str:
    """The pipeline as its stages, then what each environment's stages do."""
    envs = [asdict(env) for env in answers.environments]
    lines = [" → ".join(pipeline_stages(envs)), ""]
    for env in envs:
        name = env["name"]
        if env["approval"]:
            url = f"\n  {'':<20}  {env['approval_url']}" if env["approval_url"] else ""
            lines.append(f"  {'Approve-' + name:<20}  waits: “{env['approval_message']}”{url}")
        where = f"{env['tag_key']}={env['tag_value']}"
        kind = f"new {env['instance_type']} instance"
        created = (
            f", {plural(env['instance_count'], kind)}"
            if env["create_instance"]
            else ", instances you run"
        )
        group = deployment_group_name(answers.project, name)
        lines.append(f"  {'Deploy-' + name:<20}  {group} → {where}{created}")
    flat = to_flat(answers)
    if notifications_enabled(flat):
        topic = answers.notifications.topic_arn or f"{answers.project}-notifications (created)"
        emails = ", ".join(answers.notifications.emails) or "no e-mail addresses"
        lines += [
            "",
            f"Notifications: {', '.join(answers.notifications.events)} → {topic}: {emails}.",
            "Each address must confirm its subscription from the e-mail AWS sends it first.",
        ]
    return "\n".join(lines)


def problem_place(path: str, draft: Draft) -> str:
    """Where a problem is, as the wizard names it: `Source › Branch`, or for an environment
    `Environments › production › Tag value (environments[1].tag_value)`."""
    item = split_item_key(path)
    if item is not None:
        index, name = item
        label = environment_question_map()[name].label
        env = draft.text(item_key(index, "name")) or f"#{index + 1}"
        return f"Environments › {env} › {label} ({path})"
    q = question_map().get(path)
    return f"{step(q.step).title} › {q.label}" if q and q.step else path


def caveats_text(answers: Answers) -> str:
    """What AWS does on its own that the first deployment depends on (`wizard.core.caveats`)."""
    return "\n".join(f"{c.title}: {c.text}" for c in review_caveats(answers))


class ReviewScreen(StepScreen):
    STEP = "review"
    BINDINGS: ClassVar = [
        Binding("y", "confirm", "Yes, apply"),
        Binding("n", "back", "No, go back"),
        Binding("d", "details", "Details"),
        Binding("a", "adopt", "Adopt existing"),
        Binding("ctrl+r", "refresh", "Plan again"),
        Binding("escape", "back", "Back", show=False),
        Binding("f1", "help", "Help"),
    ]

    AUTO_FOCUS = ""  # not the first settings field: that would open the Settings tab
    answers: Answers | None = None
    plan: PlanSummary | None = None
    details = False
    #: plan with `--adopt` (the user chose "adopt N existing resources")
    adopt = False

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield self.step_indicator()
        with TabbedContent(id="review-tabs", initial="tab-summary"):
            with TabPane("Summary", id="tab-summary"), VerticalScroll(id="summary"):
                index = number(self.STEP, self.draft.optional_steps())
                yield Static(f"{index}. Review", classes="step-title")
                yield Static(step("review").intro, classes="step-intro", markup=False)
                yield Static("", id="problems", classes="problems", markup=False)
                if self.draft.environments_wanted and self.draft.environment_count:
                    yield titled("The pipeline", Static("", id="pipeline-stages", markup=False))
                yield titled(
                    "What terraform will do",
                    Vertical(
                        LookupStatus("", id="status-plan"),
                        FailurePanel(id="plan-problem", classes="failure-detail"),
                        Static("", id="plan", markup=False),
                        id="plan-block",
                    ),
                )
                yield Static("", id="confirm", markup=False)
                yield titled("Before the first deployment", Static("", id="caveats", markup=False))
                yield titled("Your answers", Static("", id="answers-summary", markup=False))
            with TabPane("Files", id="tab-files"), Horizontal(id="files-pane"):
                yield Tree(str(self.context.out), id="files")
                with VerticalScroll(id="viewer"):
                    yield Static("Pick a file on the left.", id="file-view", markup=False)
            with TabPane("Settings", id="tab-settings"), VerticalScroll(id="form"):
                yield Static(
                    "Rarely changed: where terraform keeps its state, which binary runs it, "
                    "and tags for every resource.",
                    classes="step-intro",
                    markup=False,
                )
                for question in step_questions(self.STEP):
                    yield self._field(question)
        with Horizontal(id="nav"):
            yield Button("← Back", id="back")
            yield Static("", id="nav-status")
            yield Button("Apply →", id="next", variant="primary", disabled=True)
        yield Footer()

    def ready(self) -> None:
        self.refresh_review()
        self.query_one("#review-tabs", TabbedContent).query_one(Tabs).focus()

    def refresh_review(self) -> None:
        """Validate everything again, re-render the files and plan again."""
        problems_view = self.query_one("#problems", Static)
        self.plan = None
        self.refresh_bindings()
        self.query_one("#next", Button).disabled = True
        self._show_text("#confirm", "")
        self._show_text("#plan", "")
        self.query_one("#plan-problem", FailurePanel).clear()
        try:
            self.answers = self.draft.answers()
        except AnswersError as exc:
            self.answers = None
            lines = ["Fix these before applying:"]
            for problem in exc.problems:
                where = problem_place(problem.path, self.draft)
                lines.append(f"  ✗ {where}: {problem.message} — {problem.fix}")
            problems_view.update("\n".join(lines))
            problems_view.display = True
            self.query_one("#answers-summary", Static).update("")
            self.query_one("#caveats", Static).update("")
            self.status("plan").off("Nothing is planned until the answers are valid.")
            return
        problems_view.display = False
        summary = answers_summary(self.answers)
        extra = environments_summary(self.answers)
        self.query_one("#answers-summary", Static).update(f"{summary}\n\n{extra}".rstrip())
        for stages in self.query("#pipeline-stages").results(Static):
            stages.update(pipeline_text(self.answers))
        self.query_one("#caveats", Static).update(caveats_text(self.answers))
        self.render_files(self.answers)
        if self.context.services.runner is None:
            self.status("plan").off(
                "Planning is not available in this build (no terraform runner): the Files "
                "tab shows everything that would be written."
            )
            return
        self.make_plan(self.answers)

    # --- the plan -----------------------------------------------------------------------------

    @work(exclusive=True, group="plan", exit_on_error=False, name="planning")
    async def make_plan(self, answers: Answers) -> None:
        """Render, init and plan with the runner (async worker: terraform streams on the loop)."""
        factory = self.context.services.runner
        assert factory is not None
        previous, self.context.runner = self.context.runner, None
        if previous is not None:
            await asyncio.to_thread(previous.close)
        if self.adopt:
            runner = factory(answers, self.context.out, self.context.emit, adopt=True)
        else:
            runner = factory(answers, self.context.out, self.context.emit)
        self.context.runner = runner
        status = self.status("plan")
        status.asking("Getting terraform ready…")
        try:
            await asyncio.to_thread(runner.start)
            status.asking("Planning (terraform init and plan)…")
            plan = await runner.prepare()
        except Exception as exc:
            if not is_runner_error(exc):
                raise
            self.show_failure(exc)
            return
        self.show_plan(plan)

    def show_failure(self, exc: BaseException) -> None:
        """The plan could not be made: terraform's diagnostics, why, and what to do, right here
        (a failure before terraform ran, such as a missing binary, has its own fix)."""
        status = self.status("plan")
        failure = getattr(exc, "failure", None)
        if failure is None:
            fix = getattr(exc, "hint", None) or "fix it, then press Ctrl+R to plan again"
            status.failed(Failure(str(exc), fix))
            return
        why = (
            f"Why: {cause_text(failure.cause)}."
            if failure.cause != "terraform_error"
            else "What terraform said and what to do:"
        )
        status.failed(Failure(failure.headline, why))
        lines = failure_lines(failure.diagnostics, None, failure.next_steps, "review")
        self.query_one("#plan-problem", FailurePanel).show(lines)

    @on(RunnerEvent)
    def _show_latest_event(self, message: RunnerEvent) -> None:
        """While planning, the status line follows what terraform is doing."""
        status = self.status("plan")
        first = message.event.summary().partition("\n")[0]
        if first and status.state == "loading":
            status.asking(first[:110])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers "Adopt existing" only while the plan has something to adopt."""
        if action == "adopt":
            return self._can_adopt()
        return True

    def _can_adopt(self) -> bool:
        plan = self.plan
        return (
            not self.adopt
            and plan is not None
            and bool(plan.adoptable)
            and self.answers is not None
        )

    def show_plan(self, plan: PlanSummary) -> None:
        self.plan = plan
        self.refresh_bindings()
        status = self.status("plan")
        if not plan.has_changes:
            status.ok("No changes: what exists already matches these answers.")
            self._show_text("#plan", "")
            return
        imports = plan.imports
        counts = f"{plan.add} to add, {plan.change} to change, {plan.remove} to destroy"
        if imports:
            counts = f"{imports} to import (they existed before cdwizard), {counts}"
        adoptable = 0 if self.adopt else plan.adoptable
        if plan.destructive:
            status.warn(f"{counts}. DESTRUCTIVE: " + "; ".join(plan.destructive))
        elif adoptable:
            status.warn(
                f"{counts}. {adoptable} existing resource(s) have the names this plan creates: "
                "applying fails on them unless you adopt them (a)."
            )
        else:
            status.ok(counts)
        self._show_text("#plan", plan_lines(plan, details=self.details))
        self.query_one("#next", Button).disabled = False
        offer = f"    a  adopt {adoptable} existing resources" if adoptable else ""
        self._show_text(
            "#confirm", f"Apply this plan?   y  yes    n  no, go back    d  details{offer}"
        )

    def _show_text(self, selector: str, text: str | Content) -> None:
        """Update a Static and hide it while it is empty (no blank gaps in the summary)."""
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(str(text))

    # --- files --------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="render", exit_on_error=False, name="render files")
    def render_files(self, answers: Answers) -> None:

        tree = render(answers, sandbox=self.context.services.render_sandbox)
        files = {path: f.content for path, f in tree.items()}
        self.post_message(FilesRendered(files))

    @on(FilesRendered)
    def _show_files(self, message: FilesRendered) -> None:
        files = self.files = message.files
        tree: Tree[str] = self.query_one("#files", Tree)
        tree.clear()
        tree.root.expand()
        folders: dict[str, Any] = {"": tree.root}
        for path in files:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    parent = folders["/".join(parts[: depth - 1])]
                    folders[folder] = parent.add(parts[depth - 1] + "/", expand=depth == 1)
            folders["/".join(parts[:-1])].add_leaf(parts[-1], data=path)
        if not files:
            self.query_one("#file-view", Static).update("Nothing to render yet.")
            return
        first = next((p for p in PREVIEW_FIRST if p in files), next(iter(files)))
        self.show_file(first)

    @on(Tree.NodeHighlighted, "#files")
    @on(Tree.NodeSelected, "#files")
    def _file_chosen(self, event: Tree.NodeHighlighted[str] | Tree.NodeSelected[str]) -> None:
        path = event.node.data
        if path is None:
            return
        self.show_file(path)

    def show_file(self, path: str) -> None:
        content = self.files.get(path, b"")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            self.query_one("#file-view", Static).update(f"{path}: binary file")
            return
        from rich.syntax import Syntax  # pygments is heavy: only when a file is shown

        self.viewing = (path, lexer_for(path))
        syntax = Syntax(
            text,
            lexer_for(path),
            line_numbers=True,
            word_wrap=False,
            theme="ansi_dark",
            background_color=self.app.current_theme.background,
        )
        self.query_one("#file-view", Static).update(syntax)

    files: dict[str, bytes] = {}  # noqa: RUF012 - replaced per instance when rendered
    #: (path, lexer) of the file in the viewer
    viewing: tuple[str, str] | None = None

    # --- actions ------------------------------------------------------------------------------

    def on_field_edited(self, key: str, text: str) -> None:
        if not self.query_one(f"#{field_id(key)}", AnswerField).invalid:
            self.refresh_review()

    def action_refresh(self) -> None:
        """Ctrl+R: validate, render and plan again (after fixing the network, a mirror, …)."""
        self.refresh_review()

    def action_confirm(self) -> None:
        self.action_next()

    def action_next(self) -> None:
        problems = self.draft.problems(self.STEP)
        self.show_problems(problems)
        if problems:
            self.query_one(TabbedContent).active = "tab-settings"
            return
        if self.answers is None:
            self.notify("Fix the answers listed under Summary first.", severity="warning")
            return
        plan = self.plan
        if plan is None:
            self.notify("The plan is not ready yet.", severity="warning")
            return
        if not plan.has_changes:
            self.notify("Nothing to apply: what exists already matches the answers.")
            return
        if plan.destructive:

            def apply_if_confirmed(yes: bool | None) -> None:
                if yes:
                    self.post_message(Navigate(self.STEP, "next"))

            self.app.push_screen(
                Dialog(
                    "This plan destroys things",
                    "It replaces or deletes:\n  "
                    + "\n  ".join(plan.destructive)
                    + "\n\nWhat they hold (history, artifacts, running instances) is lost.",
                    "Apply anyway",
                    "Go back",
                    danger=True,
                ),
                callback=apply_if_confirmed,
            )
            return
        self.post_message(Navigate(self.STEP, "next"))

    def action_adopt(self) -> None:
        """Plan again with `--adopt`: import the existing resources instead of failing on them."""
        if not self._can_adopt() or self.answers is None:
            return
        self.adopt = True
        self.plan = None
        self.refresh_bindings()
        self.query_one("#next", Button).disabled = True
        self._show_text("#confirm", "")
        self.make_plan(self.answers)

    def action_details(self) -> None:
        """Show the resources behind each line of the plan (and back)."""
        self.details = not self.details
        self.query_one(TabbedContent).active = "tab-summary"
        if self.plan is not None:
            self._show_text("#plan", plan_lines(self.plan, details=self.details))


def plan_lines(plan: PlanSummary, *, details: bool) -> Content:
    """`+ creates pipeline shop` lines, destructive ones flagged; addresses with details."""
    marks = {
        "creates": "+",
        "updates": "~",
        "replaces": "±",
        "deletes": "-",
        "destroys": "-",
        "imports": "<",
    }
    out: list[Content] = []
    for item in plan.items:
        mark = marks.get(item.action, "•")
        line = Content.from_markup(
            "[$success]$mark[/] $action $what"
            if not item.destructive
            else "[b $error]$mark $action $what  ⚠ DESTRUCTIVE[/]",
            mark=mark,
            action=item.action,
            what=item.what,
        )
        out.append(line)
        if details:
            for address in item.addresses:
                out.append(Content.from_markup("[dim]    $a[/]", a=address))
    return Content("\n").join(out)
