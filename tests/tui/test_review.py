"""Review: the rendered files in a tree with a highlighted viewer, the answers summary, and the
rarely changed settings validated like the rest."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static, TabbedContent, Tree

from tests.tui.keys import field, pick, retype
from tests.tui.waiting import wait_for
from wizard.tui.app import WizardApp

SIZE = (120, 40)


def resume_at_review(out: Path, extra: str = "") -> WizardApp:
    steps = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    (out / ".cdwizard").mkdir(parents=True)
    (out / "answers.yml").write_text(f"version: 1\nproject: shop\n{extra}", encoding="utf-8")
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": steps}))
    return WizardApp(out=out, resume=True)


async def test_files_tab_shows_the_rendered_tree_and_a_file(out: Path) -> None:
    app = resume_at_review(out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.files), what="rendered files")
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "tab-summary"
        await pilot.press("right")  # the tab bar has the focus: → opens Files
        await wait_for(pilot, lambda: tabs.active == "tab-files", what="the Files tab")
        tree = app.screen.query_one("#files", Tree)
        top = [str(node.label) for node in tree.root.children]
        assert top == ["payload/", "terraform/"]
        assert "terraform/main.tf" in app.screen.files
        assert app.screen.viewing == ("terraform/main.tf", "terraform"), "main.tf first"
        await pilot.press("tab")  # into the tree
        await pilot.press("down", "down")
        await wait_for(
            pilot,
            lambda: app.screen.viewing is not None and app.screen.viewing[0].startswith("payload/"),
            what="the highlighted file in the viewer",
        )


async def test_summary_lists_every_answer_and_problems_block_apply(out: Path) -> None:
    app = resume_at_review(out, "payload: {port: 80}\n")  # privileged port as user snake
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: app.screen.query_one("#problems", Static).display, what="problems"
        )
        problems = str(app.screen.query_one("#problems", Static).content)
        assert "Payload › Port: port 80 is privileged" in problems
        assert app.screen.query_one("#next").disabled


async def test_settings_are_validated_with_cross_field_rules(out: Path) -> None:
    app = resume_at_review(out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.files), what="rendered files")
        app.screen.query_one(TabbedContent).active = "tab-settings"
        await pilot.pause()
        await pick(pilot, "terraform.backend", "s3")
        await pilot.press("ctrl+n")  # Next (apply) validates the settings first
        bucket = field(pilot, "terraform.state_bucket")
        assert "the s3 backend needs a bucket" in bucket.error_text
        await retype(pilot, "terraform.state_bucket", "my-state-bucket")
        assert not bucket.invalid
        await retype(pilot, "tags", "Team=web")
        summary = str(app.screen.query_one("#answers-summary", Static).content)
        assert "REVIEW" not in summary  # settings are not a form step of their own
    saved = (out / "answers.yml").read_text(encoding="utf-8")
    assert "state_bucket" not in saved, "saved after a step, not per keystroke"


async def test_the_first_deployment_caveats_follow_the_answers(out: Path) -> None:
    app = resume_at_review(out, "source: {change_detection: poll}\n")
    async with app.run_test(size=SIZE) as pilot:
        caveats = lambda: str(app.screen.query_one("#caveats", Static).content)  # noqa: E731
        await wait_for(pilot, lambda: "Polling:" in caveats(), what="the caveats")
        text = caveats()
        assert "CodePipeline stops polling shop after 30 days without a run" in text
        assert "First run: The CodeDeploy agent installs at first boot" in text
        assert "'agent not yet running on i-… (installing since N min)'" in text
        assert "Artifacts: Each run's artifact is kept 30 days" in text
