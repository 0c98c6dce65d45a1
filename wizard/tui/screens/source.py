"""Step 3: where the code comes from (CodeCommit, GitHub/GitLab/Bitbucket through a
CodeConnections connection, or S3), its fields, change detection and the pipeline's name.

The fields shown follow the provider through each question's declared `when` (the base screen
does that); this screen adds the discovery that fits the provider: CodeCommit repositories and
branches, or the existing connections of that provider to pick from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.app.ports import ConnectionChoice
from wizard.core.answers.model import CONNECTION_PROVIDERS
from wizard.tui.screens.base import REFRESH, Aside, StepScreen, titled
from wizard.tui.widgets.lookup import LookupStatus


def preferred_branch(branches: Sequence[str], current: str) -> str | None:
    """The branch to propose when the current one does not exist in the repository."""
    if not branches or current in branches:
        return None
    for usual in ("main", "master"):
        if usual in branches:
            return usual
    return sorted(branches)[0]


def source_note(answers: dict[str, Any]) -> str:
    """How runs of the chosen source start, and what is left to do by hand (one short text)."""
    provider = answers["source.provider"]
    if provider in CONNECTION_PROVIDERS:
        if answers.get("source.connection_arn"):
            connection = "the chosen connection (it must be AVAILABLE)"
        else:
            connection = (
                f"a new connection '{answers['source.connection_name']}'. It starts PENDING: "
                "authorise it once in the console (Developer Tools > Settings > Connections; "
                "in the sandbox `cdwizard connection authorize --sandbox`)"
            )
        return (
            f"A push to '{answers['source.branch']}' starts the pipeline through {connection}. "
            "`cdwizard ship` pushes with your own git; no token is stored."
        )
    if provider == "s3":
        return (
            "Each new version of the object starts the pipeline (the bucket must be versioned). "
            "`cdwizard ship` uploads the payload zip."
        )
    return (
        f"A push to '{answers['source.branch']}' starts the pipeline. `cdwizard ship` commits "
        "the payload through the CodeCommit API."
    )


class SourceStep(StepScreen):
    STEP = "source"
    CLASH_KEYS = ("pipeline.name", "source.repository", "pipeline.artifact_bucket")
    BINDINGS: ClassVar = [REFRESH]

    _branch_timer: Timer | None = None
    repositories: list[str] | None = None

    def compose_aside(self) -> ComposeResult:
        yield Aside(
            "Repositories",
            LookupStatus("", id="status-repositories"),
            OptionList(id="repositories"),
            id="aside-repositories",
        )
        yield Aside(
            "Branches",
            LookupStatus("", id="status-branches"),
            OptionList(id="branches"),
            id="aside-branches",
        )
        yield Aside(
            "Connections",
            LookupStatus("", id="status-connections"),
            OptionList(id="connections"),
            id="aside-connections",
        )
        yield titled("How it starts", Static("", id="source-note", markup=False))
        yield titled("Existing resources", LookupStatus("", id="status-clashes"))

    def _provider(self) -> str:
        return str(self.draft.value("source.provider"))

    def _sync_asides(self) -> None:
        """The aside blocks of the chosen provider, and the one line on how its runs start."""
        provider = self._provider()
        for block in ("repositories", "branches"):
            self.query_one(f"#aside-{block}").display = provider == "codecommit"
        self.query_one("#aside-connections").display = provider in CONNECTION_PROVIDERS
        self.query_one("#source-note", Static).update(source_note(self.draft.resolved()))

    def start_lookups(self) -> None:
        self._sync_asides()
        provider = self._provider()
        if self.context.services.discovery is None:
            for what in ("repositories", "branches", "connections", "clashes"):
                self.status(what).off("Discovery is not available; type the values.")
            for list_id in ("#repositories", "#branches", "#connections"):
                self.query_one(list_id).display = False
            return
        if provider != "codecommit":
            for what in ("repositories", "branches"):
                self.status(what).off("Only for CodeCommit sources.")
        if provider not in CONNECTION_PROVIDERS:
            self.status("connections").off("Only for GitHub, GitLab and Bitbucket sources.")
        if provider == "codecommit":
            self.status("repositories").asking("Listing CodeCommit repositories…")
            self.lookup(
                "repositories",
                self.context.account_key(),
                lambda a: sorted(a.repositories()),
                label="the CodeCommit repositories",
            )
            self._look_up_branches()
        elif provider in CONNECTION_PROVIDERS:
            self._look_up_connections(provider)
        self.look_up_clashes()

    def _look_up_connections(self, provider: str) -> None:
        self.status("connections").asking(f"Listing the {provider} connections…")
        self.lookup(
            "connections",
            (self.context.account_key(), provider),
            lambda a: list(a.connections(provider)),
            label=f"the {provider} connections",
        )

    def _repository(self) -> str:
        return str(self.draft.value("source.repository"))

    def _look_up_branches(self) -> None:
        repository = self._repository()
        self.status("branches").asking(f"Listing branches of {repository}…")
        self.lookup(
            "branches",
            repository,
            lambda a: sorted(a.branches(repository)),
            label=f"the branches of {repository}",
        )

    def on_field_edited(self, key: str, text: str) -> None:
        if key == "source.provider":
            self.start_lookups()
            return
        if key.startswith("source."):
            self._sync_asides()
        if self.context.services.discovery is None:
            return
        if key in ("source.repository", "source.create_repository"):
            if self._branch_timer is not None:
                self._branch_timer.stop()
            self._branch_timer = self.set_timer(
                self.context.services.debounce_seconds, self._after_repository_edit
            )
        elif key in self.CLASH_KEYS:
            self.look_up_clashes()

    def _after_repository_edit(self) -> None:
        self._show_repository_check()
        self._look_up_branches()
        self.look_up_clashes()

    def _show_repository_check(self) -> None:
        if self.repositories is None:
            return
        repository = self._repository()
        status = self.status("repositories")
        count = f"{len(self.repositories)} in this region"
        if repository in self.repositories:
            status.ok(f"{count}; '{repository}' exists")
        elif self.draft.value("source.create_repository"):
            status.ok(f"{count}; '{repository}' will be created")
        elif self.context.services.target_label == "sandbox":
            status.ok(f"{count}; the sandbox creates '{repository}' when you apply")
        else:
            status.warn(
                f"{count}; '{repository}' does not exist.\n"
                "  Pick one below, or switch on 'Create the repository'."
            )

    def on_lookup_done(self, what: str, result: Any) -> None:
        if what == "repositories":
            self.repositories = list(result)
            options = self.query_one("#repositories", OptionList)
            options.clear_options()
            options.add_options([Option(name, id=name) for name in self.repositories])
            field = self.field("source.repository")
            field.set_suggestions(self.repositories)
            if len(self.repositories) == 1 and self.draft.suggest(
                "source.repository", self.repositories[0]
            ):
                field.set_text(self.repositories[0], origin="discovered")
            self._show_repository_check()
        elif what == "branches":
            branches = list(result)
            options = self.query_one("#branches", OptionList)
            options.clear_options()
            options.add_options([Option(name, id=name) for name in branches])
            self.field("source.branch").set_suggestions(branches)
            current = str(self.draft.value("source.branch"))
            if not branches:
                self.status("branches").warn(
                    "No branches yet: the first run starts when you push "
                    f"to '{current}' (or use `cdwizard ship`)."
                )
                return
            proposal = preferred_branch(branches, current)
            if proposal and self.draft.suggest("source.branch", proposal):
                self.field("source.branch").set_text(proposal, origin="discovered")
                current = proposal
            if current in branches:
                self.status("branches").ok(f"{len(branches)} found; '{current}' exists")
            else:
                self.status("branches").warn(
                    f"{len(branches)} found; '{current}' is not one of them yet"
                )
        elif what == "connections":
            self._show_connections(list(result))
        elif what == "clashes":
            self.show_step_clashes(result)

    def _show_connections(self, found: list[ConnectionChoice]) -> None:
        options = self.query_one("#connections", OptionList)
        options.clear_options()
        options.add_options(
            [Option(f"{c.name} · {c.status}", id=c.arn) for c in found],
        )
        provider = self._provider()
        if not found:
            self.status("connections").ok(
                f"No {provider} connection yet: leave the ARN empty and terraform creates one"
            )
            return
        usable = sum(1 for c in found if c.status == "AVAILABLE")
        self.status("connections").ok(
            f"{len(found)} found, {usable} AVAILABLE; pick one to use it, or leave the ARN "
            "empty to create a new one"
        )

    def on_lookup_failed(self, what: str, failure: Any) -> None:
        if what == "branches":
            self.query_one("#branches", OptionList).clear_options()

    @on(OptionList.OptionSelected, "#repositories")
    def _repository_picked(self, event: OptionList.OptionSelected) -> None:
        field = self.field("source.repository")
        field.set_text(str(event.option.id))
        field.focus_control()

    @on(OptionList.OptionSelected, "#connections")
    def _connection_picked(self, event: OptionList.OptionSelected) -> None:
        field = self.field("source.connection_arn")
        field.set_text(str(event.option.id))
        field.focus_control()

    @on(OptionList.OptionSelected, "#branches")
    def _branch_picked(self, event: OptionList.OptionSelected) -> None:
        field = self.field("source.branch")
        field.set_text(str(event.option.id))
        field.focus_control()
