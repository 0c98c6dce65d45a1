"""How the plan and the apply rows read, from the runner's real types (no terraform needed):
destructive lines flagged and confirmed twice, elapsed times on a frozen clock, the failure reason
under its row, console links first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Static

from tests.tui.waiting import wait_for
from wizard.core.events.terraform import PlanItem, PlanSummary
from wizard.core.progress import ResourceRow
from wizard.tui.app import WizardApp
from wizard.tui.screens.apply import ApplyScreen, outputs_content, row_content
from wizard.tui.screens.modals import Dialog
from wizard.tui.screens.review import plan_lines

STARTED = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
NOW = STARTED.timestamp() + 12  # a frozen clock, 12 seconds after the start

REPLACING = PlanSummary(
    items=(
        PlanItem(action="creates", what="pipeline shop", addresses=("aws_codepipeline.this",)),
        PlanItem(
            action="replaces",
            what="deployment group shop-dg",
            addresses=("aws_codedeploy_deployment_group.this",),
            destructive=True,
        ),
    ),
    add=2,
    remove=1,
    destructive=("deployment group shop-dg (replaced)",),
)


def test_running_rows_count_up_and_failed_rows_say_why() -> None:
    running = ResourceRow("aws_iam_role.codedeploy", "create", "running", STARTED, 3.0)
    text = row_content(running, "IAM role CodeDeployServiceRole", NOW, 0, width=100).plain
    assert text.startswith("⠋ IAM role CodeDeployServiceRole  (aws_iam_role.codedeploy)")
    assert text.endswith("create 12s")
    failed = ResourceRow(
        "aws_codedeploy_deployment_group.this",
        "create",
        "failed",
        STARTED,
        4.0,
        error="InvalidRoleException: Cross-account pass role is not allowed",
    )
    lines = row_content(failed, "", NOW, 0, width=100).plain.splitlines()
    assert lines[0].startswith("✗ aws_codedeploy_deployment_group.this")
    assert lines[0].endswith("create 4s"), "a finished row keeps its own time"
    assert lines[1] == "  └ InvalidRoleException: Cross-account pass role is not allowed"
    pending = ResourceRow("aws_codepipeline.this", "create")
    assert row_content(pending, "", NOW, 0, width=60).plain.rstrip().endswith("create")


def test_plan_lines_flag_destructive_changes_and_details_show_addresses() -> None:
    short = plan_lines(REPLACING, details=False).plain.splitlines()
    assert short == [
        "+ creates pipeline shop",
        "± replaces deployment group shop-dg  ⚠ DESTRUCTIVE",
    ]
    detailed = plan_lines(REPLACING, details=True).plain.splitlines()
    assert "    aws_codedeploy_deployment_group.this" in detailed


def test_outputs_put_console_links_first() -> None:
    text = outputs_content(
        {"account_id": "123456789012", "pipeline_console_url": "https://console.aws/x"}
    ).plain.splitlines()
    assert text[0].startswith("pipeline_console_url")
    assert text[1].startswith("account_id")


async def test_destructive_plan_asks_again_before_applying(out: Path) -> None:
    steps = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    (out / ".cdwizard").mkdir(parents=True)
    (out / "answers.yml").write_text("version: 1\nproject: shop\n", encoding="utf-8")
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": steps}))
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "STEP", "") == "review", what="review")
        review = app.screen
        review.show_plan(REPLACING)  # what the plan worker does with the runner's summary
        await pilot.pause()
        assert "DESTRUCTIVE" in review.query_one("#status-plan").text
        await pilot.press("d")
        assert "aws_codepipeline.this" in str(review.query_one("#plan", Static).content)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, Dialog), what="the second question")
        body = str(app.screen.query_one(".dialog-body", Static).content)
        assert "deployment group shop-dg (replaced)" in body
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is review, what="back on review")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, Dialog), what="asked again")
        await pilot.press("y")  # Apply anyway
        await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="the apply")
