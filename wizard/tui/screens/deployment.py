"""Step 5: CodeDeploy application, group, rollout config (explained for this fleet), roles."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Switch

from wizard.core.answers import question_map
from wizard.core.events.base import plural
from wizard.tui.screens.base import REFRESH, StepScreen, titled
from wizard.tui.screens.targets import total_targets
from wizard.tui.widgets.lookup import LookupStatus
from wizard.tui.widgets.step_indicator import StepIndicator


class DeploymentStep(StepScreen):
    STEP = "deployment"
    CLASH_KEYS = (
        "deployment.application",
        "deployment.group",
        "deployment.service_role",
        "deployment.instance_profile",
    )
    BINDINGS: ClassVar = [REFRESH]
    DEFAULT_CSS = """
    #want-environments-row {
        height: auto;
        margin: 1 0 1 0;
    }

    #want-environments-label {
        width: 1fr;
        padding: 1 1 0 1;
    }
    """

    def compose_outro(self) -> ComposeResult:
        with Horizontal(id="want-environments-row"):
            yield Switch(self.draft.environments_wanted, id="want-environments")
            yield Static(
                "Several environments (e.g. staging, then production), manual approvals or "
                "e-mail notifications: set up in the next step.",
                id="want-environments-label",
                markup=False,
            )

    @on(Switch.Changed, "#want-environments")
    def _want_environments(self, event: Switch.Changed) -> None:
        event.stop()
        self.draft.wants_environments = event.value
        count = self.draft.environment_count
        if not event.value and count:
            self.notify(
                f"{plural(count, 'environment')} kept, but left out of the answers: the pipeline "
                "deploys once, to the Targets step's instances. Switch on to use them again.",
                title="Environments off",
            )
        self.query_one(StepIndicator).set_optional(self.draft.optional_steps())

    def compose_aside(self) -> ComposeResult:
        yield titled("What this config means here", Static("", id="explainer", markup=False))
        yield titled("Existing resources", LookupStatus("", id="status-clashes"))

    def ready(self) -> None:
        super().ready()
        self._explain()

    def start_lookups(self) -> None:
        if self.context.services.discovery is None:
            self.status("clashes").off("Discovery is not available: names are not checked.")
            return
        answers = self.draft.resolved()
        if "instances" not in self.context.facts:  # resumed here: count the fleet for the text
            key, value = str(answers["targets.tag_key"]), str(answers["targets.tag_value"])
            self.lookup(
                "instances",
                (key, value),
                lambda a: a.match_instances(key, value),
                label="matching instances",
            )
        self.look_up_clashes()

    def on_field_edited(self, key: str, text: str) -> None:
        if key == "deployment.config":
            self._explain()
        elif key in self.CLASH_KEYS:
            self.start_lookups()

    def explanation(self) -> str:
        values = self.draft.resolved()
        config = str(values["deployment.config"])
        count = total_targets(values, self.context.facts.get("instances"))
        explain = self.context.services.explain
        if explain is not None:
            return explain(config, count)
        short = config.removeprefix("CodeDeployDefault.")
        return (
            f"{short} on {plural(count, 'instance')}.\n\n{question_map()['deployment.config'].help}"
        )

    def _explain(self) -> None:
        self.query_one("#explainer", Static).update(self.explanation())

    def on_lookup_done(self, what: str, result: Any) -> None:
        if what == "instances":
            self.context.facts["instances"] = result
            self._explain()
        if what == "clashes":
            self.show_step_clashes(result)
