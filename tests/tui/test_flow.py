"""The whole wizard driven by key presses: fill every step, go back and forth, hit validation
errors, review; the saved answers are what was typed; a relaunch resumes."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import Static

from tests.tui.keys import field, pick, retype, switch
from tests.tui.waiting import wait_for
from wizard.core.answers import load_answers
from wizard.tui.app import WizardApp
from wizard.tui.screens.modals import QuitDialog, ResumeDialog

SIZE = (120, 40)


def on_step(app: WizardApp, name: str) -> bool:
    return getattr(app.screen, "STEP", None) == name and app.screen.is_mounted


async def goto(pilot, app: WizardApp, name: str) -> None:
    await wait_for(pilot, lambda: on_step(app, name), what=f"the {name} step")


def nav_status(app: WizardApp) -> str:
    return str(app.screen.query_one("#nav-status", Static).content)


async def test_whole_wizard_by_keyboard(out: Path) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        await retype(pilot, "project", "Shop")
        assert field(pilot, "project").invalid, "upper case is rejected as you type"
        assert "lowercase" in field(pilot, "project").error_text
        await retype(pilot, "project", "shop")
        assert not field(pilot, "project").invalid
        await pilot.press("enter")  # Enter on the last text field means Next

        await goto(pilot, app, "aws")
        assert field(pilot, "aws.region").text == "eu-west-1"
        await retype(pilot, "aws.region", "eu-central-1")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "source")
        # derived defaults follow the project typed on the first step
        assert field(pilot, "source.repository").text == "shop"
        assert field(pilot, "pipeline.name").text == "shop"
        await retype(pilot, "source.repository", "shop-repo")
        await retype(pilot, "source.branch", "bad branch")
        assert "not a valid git branch name" in field(pilot, "source.branch").error_text
        await pilot.press("ctrl+n")
        assert on_step(app, "source"), "an invalid answer keeps you on the step"
        assert nav_status(app) == "1 answer needs attention"
        await retype(pilot, "source.branch", "main")
        await switch(pilot, "source.create_repository", True)
        await pick(pilot, "source.change_detection", "poll")
        await retype(pilot, "pipeline.name", "shop-pipeline")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "targets")
        assert field(pilot, "targets.tag_value").text == "shop"
        await retype(pilot, "targets.tag_value", "shop-web")
        await switch(pilot, "targets.create_instance", False)
        assert not field(pilot, "targets.instance_type").display, "create-only fields hide"
        await pilot.press("ctrl+n")
        # the cross-field rule of the answers file, shown next to the field
        agent = field(pilot, "targets.agent_install")
        assert on_step(app, "targets")
        assert "only installs the agent on instances cdwizard creates" in agent.error_text
        await pick(pilot, "targets.agent_install", "ssm")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "deployment")
        await pilot.press("escape")  # back: everything typed is still there
        await goto(pilot, app, "targets")
        assert field(pilot, "targets.tag_value").text == "shop-web"
        assert field(pilot, "targets.create_instance").text == "no"
        assert field(pilot, "targets.agent_install").text == "ssm"
        await pilot.press("escape")
        await goto(pilot, app, "source")
        assert field(pilot, "source.branch").text == "main"
        assert field(pilot, "source.change_detection").text == "poll"
        await pilot.press("ctrl+n")
        await goto(pilot, app, "targets")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "deployment")
        assert field(pilot, "deployment.group").text == "shop-dg"
        await pick(pilot, "deployment.config", "CodeDeployDefault.HalfAtATime")
        await retype(pilot, "deployment.group_tags", "Team=web, Env=dev")
        await retype(pilot, "deployment.service_role", "ShopDeployRole")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "payload")
        await retype(pilot, "payload.port", "80")
        await pilot.press("ctrl+n")
        assert "privileged" in field(pilot, "payload.port").error_text
        await retype(pilot, "payload.port", "8080")
        await retype(pilot, "payload.health_path", "/healthz")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "review")
        summary = str(app.screen.query_one("#answers-summary", Static).content)
        assert "shop-pipeline" in summary
        assert "CodeDeployDefault.HalfAtATime" in summary

    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
    assert saved["project"] == "shop"
    assert saved["aws"] == {"region": "eu-central-1", "profile": None}
    assert saved["source"]["repository"] == "shop-repo"
    assert saved["source"]["branch"] == "main"
    assert saved["source"]["create_repository"] is True
    assert saved["source"]["change_detection"] == "poll"
    assert saved["pipeline"]["name"] == "shop-pipeline"
    assert saved["targets"]["tag_value"] == "shop-web"
    assert saved["targets"]["create_instance"] is False
    assert saved["targets"]["agent_install"] == "ssm"
    assert saved["deployment"]["config"] == "CodeDeployDefault.HalfAtATime"
    assert saved["deployment"]["group_tags"] == {"Team": "web", "Env": "dev"}
    assert saved["deployment"]["service_role"] == "ShopDeployRole"
    assert saved["payload"]["port"] == 8080
    assert saved["payload"]["health_path"] == "/healthz"
    # the saved file is a complete, valid answers file
    answers = load_answers(out / "answers.yml")
    assert answers.deployment.group == "shop-dg"


async def test_answers_are_saved_after_every_step(out: Path) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        await retype(pilot, "project", "orders")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "aws")
        saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
        assert saved == {"version": 1, "project": "orders"}
        await pilot.press("ctrl+n")
        await goto(pilot, app, "source")
        saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
        assert saved["aws"] == {"region": "eu-west-1", "profile": None}
        assert "source" not in saved


async def test_relaunch_offers_to_resume(out: Path) -> None:
    first = WizardApp(out=out)
    async with first.run_test(size=SIZE) as pilot:
        await goto(pilot, first, "welcome")
        await retype(pilot, "project", "billing")
        await pilot.press("ctrl+n")
        await goto(pilot, first, "aws")
        await retype(pilot, "aws.region", "us-east-2")
        await pilot.press("ctrl+n")
        await goto(pilot, first, "source")
        await retype(pilot, "source.branch", "develop")  # typed, not confirmed with Next
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(first.screen, QuitDialog), what="quit dialog")
        await pilot.press("y")
    assert first.return_code == 0

    second = WizardApp(out=out)
    async with second.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(second.screen, ResumeDialog), what="resume offer")
        body = str(second.screen.query_one(".dialog-body", Static).content)
        assert "Project: billing" in body
        assert "Steps done: 2 of 6 (last: AWS)" in body
        await pilot.press("y")
        await goto(pilot, second, "source")  # the first step not confirmed yet
        assert field(pilot, "source.repository").text == "billing"
        await pilot.press("escape")
        await goto(pilot, second, "aws")
        region = field(pilot, "aws.region")
        assert region.text == "us-east-2"
        assert region.origin == "saved"

    third = WizardApp(out=out)
    async with third.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(third.screen, ResumeDialog), what="resume offer")
        await pilot.press("n")  # start over
        await goto(pilot, third, "welcome")
        assert field(pilot, "project").text == "devops-python-service"


async def test_answers_file_prefills_and_wins_over_saved(out: Path, tmp_path: Path) -> None:
    out.mkdir(parents=True)
    (out / "answers.yml").write_text("version: 1\nproject: saved-one\naws: {region: us-west-2}\n")
    given = tmp_path / "given.yml"
    given.write_text("version: 1\nproject: from-file\nsource: {branch: 'no good'}\nbogus: 1\n")
    app = WizardApp(out=out, answers_file=given, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        project = field(pilot, "project")
        assert project.text == "from-file"
        assert project.origin == "file"
        notes = str(app.screen.query_one("#aside").query(Static).last().content)
        assert "bogus" in notes
        await pilot.press("ctrl+n")
        await goto(pilot, app, "aws")
        assert field(pilot, "aws.region").text == "us-west-2"  # the saved value fills the gap
        await pilot.press("ctrl+n")
        await goto(pilot, app, "source")
        branch = field(pilot, "source.branch")
        assert branch.invalid, "a bad value from the file is flagged at once"
        await pilot.press("ctrl+n")
        assert on_step(app, "source")


async def test_a_step_can_be_filled_with_tab_alone(out: Path) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "aws")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "source")
        await retype(pilot, "source.repository", "web", by_tab=True)
        await retype(pilot, "source.branch", "trunk", by_tab=True)
        await switch(pilot, "source.create_repository", True, by_tab=True)
        await pick(pilot, "source.change_detection", "poll", by_tab=True)
        await retype(pilot, "pipeline.name", "web-pipe", by_tab=True)
        await pilot.press("enter")  # Enter on the last text field means Next
        await goto(pilot, app, "targets")
    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
    assert saved["source"] == {
        "provider": "codecommit",
        "repository": "web",
        "branch": "trunk",
        "create_repository": True,
        "change_detection": "poll",
    }
    assert saved["pipeline"] == {
        "name": "web-pipe",
        "artifact_bucket": None,
        "artifact_expiration_days": 30,
        "type": "V2",
    }


async def test_help_shows_on_question_mark_and_f1(out: Path) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        project = field(pilot, "project")
        assert not project.help_shown
        await pilot.press("question_mark")
        assert project.help_shown
        assert project.text == "devops-python-service", "? is not typed into the field"
        await pilot.press("f1")
        assert not project.help_shown


async def test_ctrl_c_asks_then_a_second_press_quits(out: Path) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "welcome")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit dialog")
        await pilot.press("escape")
        await goto(pilot, app, "welcome")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitDialog), what="quit dialog")
        await pilot.press("ctrl+c")
    assert app.return_code == 0
