"""After a successful apply the wizard lands on the live monitor of the new pipeline.

terraform is replayed here (the real terraform event types through the real progress reducer;
`test_apply_sandbox.py` runs the real binary against the sandbox, slow). The monitor is the real
one, built the way the wizard builds it, polling a moto server that holds the pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.monitor_scenarios import create_pipeline
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.app.ports import WizardServices
from wizard.core.events.terraform import (
    PlanItem,
    PlanSummary,
    TfApplyComplete,
    TfApplyStart,
    TfCommandFinished,
    TfCommandStarted,
    TfPlannedChange,
)
from wizard.core.progress import Progress, reduce
from wizard.services.aws.session import AwsClients
from wizard.services.aws.target import ENDPOINT_ENV
from wizard.tui.app import WizardApp
from wizard.tui.screens.apply import ApplyScreen
from wizard.tui.screens.monitor import MonitorScreen

SIZE = (120, 40)
ADDRESS = "aws_codepipeline.this"
PLAN = PlanSummary(
    items=(PlanItem(action="creates", what="pipeline shop", addresses=(ADDRESS,)),), add=1
)
APPLY = (
    TfCommandStarted(command="apply"),
    TfPlannedChange(address=ADDRESS, action="create"),
    TfApplyStart(address=ADDRESS, action="create"),
    TfApplyComplete(address=ADDRESS, action="create", elapsed_seconds=2.0),
    TfCommandFinished(command="apply", exit_code=0),
)


class ReplayedApply:
    """The TUI's `Runner` over a recorded apply of one resource."""

    def __init__(self, answers: Any, out: Path, emit: Callable[[Any], None]) -> None:
        self.emit = emit
        self.progress = Progress()
        self.exit_code = 0
        self.summary = PLAN
        self.report = None

    def start(self) -> None:
        return None

    async def prepare(self) -> PlanSummary:
        return PLAN

    async def apply(self) -> int:
        for event in APPLY:
            self.progress = reduce(self.progress, event)
            self.emit(event)
        return 0

    def interrupt(self) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.fixture
def reviewed(out: Path) -> Path:
    steps = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    (out / ".cdwizard").mkdir(parents=True)
    (out / "answers.yml").write_text("version: 1\nproject: shop\n", encoding="utf-8")
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": steps}))
    return out


async def test_a_successful_apply_lands_on_the_monitor_of_the_new_pipeline(
    reviewed: Path, aws_target, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_pipeline(AwsClients(aws_target), name="shop", repository="shop")
    monkeypatch.setenv(ENDPOINT_ENV, aws_target.endpoint_url)
    app = WizardApp(out=reviewed, services=WizardServices(runner=ReplayedApply), resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "plan", None) is PLAN, what="the plan")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        feed = monitor.feed
        assert isinstance(feed, AwsFeed)
        assert feed.base_spec.pipeline == "shop" and feed.base_spec.keep_following
        assert feed.ship is not None and feed.ship.repository == "shop"
        await wait_for(pilot, lambda: monitor.updates >= 1, what="the first poll", timeout=30)
        assert "Applied" in str(monitor.query_one("#intro").content)
        assert "no executions yet" in str(monitor.query_one("#flow").content)
        assert {"release", "ship"} <= monitor.offered
        apply = app.screen_stack[-2]
        assert isinstance(apply, ApplyScreen) and apply.succeeded
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is apply, what="back on the apply summary")
        assert feed.ended.wait(5), "leaving the monitor stops its polling"
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor again")
        assert app.screen.feed is not feed
