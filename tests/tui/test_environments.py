"""The optional Environments step, driven by keys: opting in on the Deployment step, adding,
removing and reordering environments, the approval toggle, a validation error naming its field,
the live tag-match count per environment (moto over HTTP), the pipeline's stages on Review, and
the environments surviving a save and a resume."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from textual.widgets import Button, Static, Switch

from tests.tui.keys import field, retype, switch
from tests.tui.test_discovery_ui import run_instances
from tests.tui.waiting import wait_for
from wizard.app.draft import Draft
from wizard.app.persist import read_lenient
from wizard.app.ports import WizardServices
from wizard.commands.wizard import build_services
from wizard.core.answers import load_answers
from wizard.services.aws.session import AwsTarget
from wizard.tui.app import WizardApp
from wizard.tui.screens.environments import EnvironmentCard
from wizard.tui.widgets.lookup import LookupStatus
from wizard.tui.widgets.step_indicator import StepIndicator

SIZE = (120, 44)
EXAMPLE = Path(__file__).parents[1] / "data" / "answers" / "environments.yaml"
ORDER = ["welcome", "aws", "source", "targets", "deployment", "payload"]


def start_at(out: Path, step: str, answers: str = "version: 1\nproject: shop\n") -> None:
    """A saved draft whose steps before `step` are done, so the app resumes there."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.yml").write_text(answers, encoding="utf-8")
    (out / ".cdwizard").mkdir(exist_ok=True)
    done = ORDER[: ORDER.index(step)] if step in ORDER else ORDER
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"version": 1, "completed": done}))


def on_step(app: WizardApp, name: str) -> bool:
    return getattr(app.screen, "STEP", None) == name and app.screen.is_mounted


async def goto(pilot, app: WizardApp, name: str) -> None:
    await wait_for(pilot, lambda: on_step(app, name), what=f"the {name} step")


def cards(app: WizardApp) -> list[str]:
    """The environments as the step lists them: `1 · staging`, ..."""
    return [str(card.border_title) for card in app.screen.query(EnvironmentCard)]


def indicator(app: WizardApp) -> str:
    return str(app.screen.query_one(StepIndicator).content)


async def press_button(pilot, app: WizardApp, button_id: str) -> None:
    """Focus a button and press Enter on it, as a keyboard user would."""
    button = app.screen.query_one(f"#{button_id}", Button)
    button.focus()
    await wait_for(pilot, lambda: app.focused is button, what=f"focus on {button_id}")
    await pilot.press("enter")


async def test_environments_are_added_reordered_removed_and_reviewed_as_stages(out: Path) -> None:
    start_at(out, "deployment")
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "deployment")
        assert "Environments" not in indicator(app), "a single environment: today's steps"
        want = app.screen.query_one("#want-environments", Switch)
        want.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: "Environments" in indicator(app), what="the step to show")
        await pilot.press("ctrl+n")

        await goto(pilot, app, "environments")
        assert cards(app) == []
        assert "Source → Deploy" in str(app.screen.query_one("#pipeline-preview", Static).content)
        await press_button(pilot, app, "env-add")
        await wait_for(pilot, lambda: cards(app) == ["1 · staging"], what="staging added")
        await pilot.press("ctrl+o")  # the key does the same
        await wait_for(pilot, lambda: len(cards(app)) == 2, what="a second environment")
        assert cards(app) == ["1 · staging", "2 · production"]
        # defaults follow the Targets step and the environment's name
        assert field(pilot, "environments[1].tag_value").text == "shop-production"
        assert field(pilot, "environments[1].tag_key").text == "Name"

        await press_button(pilot, app, "env-up-1")
        await wait_for(
            pilot, lambda: cards(app) == ["1 · production", "2 · staging"], what="moved up"
        )
        # focus stays on the moved environment (its Up is disabled at the top: on its Down)
        down = app.screen.query_one("#env-down-0", Button)
        await wait_for(pilot, lambda: app.focused is down, what="focus on the moved card")
        await press_button(pilot, app, "env-down-0")
        await wait_for(
            pilot, lambda: cards(app) == ["1 · staging", "2 · production"], what="moved back"
        )
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: len(cards(app)) == 3, what="a third environment")
        assert cards(app)[2] == "3 · env-3"
        await press_button(pilot, app, "env-remove-2")
        await wait_for(pilot, lambda: len(cards(app)) == 2, what="the third removed")

        # the approval toggle shows its message and URL fields and a stage before production
        message = field(pilot, "environments[1].approval_message")
        assert not message.display
        await switch(pilot, "environments[1].approval", True)
        await wait_for(pilot, lambda: message.display, what="the approval message field")
        assert message.text == "Approve deployment to production?"
        await retype(pilot, "environments[1].approval_url", "https://staging.example.com")
        preview = app.screen.query_one("#pipeline-preview", Static)
        await wait_for(
            pilot,
            lambda: (
                "Source → Deploy-staging → Approve-production → Deploy-production"
                in str(preview.content)
            ),
            what="the stages preview",
        )

        # a validation error names the environment's field, and keeps you on the step
        await retype(pilot, "environments[1].name", "staging")
        await pilot.press("ctrl+n")
        name = field(pilot, "environments[1].name")
        await wait_for(pilot, lambda: name.invalid, what="the duplicate name error")
        assert "is already the name of environments[0]" in name.error_text
        assert on_step(app, "environments")
        await retype(pilot, "environments[1].name", "http://")
        assert "lowercase" in name.error_text, "checked as you type"
        await retype(pilot, "environments[1].name", "production")
        await retype(pilot, "notifications.emails", "ops@example.com")
        note = str(app.screen.query_one("#notifications-note", Static).content)
        assert "confirm" in note and "subscription" in note
        await pilot.press("ctrl+n")

        await goto(pilot, app, "payload")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "review")
        stages = app.screen.query_one("#pipeline-stages", Static)
        await wait_for(pilot, lambda: "Source →" in str(stages.content), what="the stages")
        text = str(stages.content)
        assert text.splitlines()[0] == (
            "Source → Deploy-staging → Approve-production → Deploy-production"
        )
        assert "shop-production-dg" in text and "https://staging.example.com" in text
        assert "must confirm its subscription" in text

    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
    assert [e["name"] for e in saved["environments"]] == ["staging", "production"]
    assert saved["environments"][1]["approval"] is True
    assert saved["notifications"]["emails"] == ["ops@example.com"]
    answers = load_answers(out / "answers.yml")
    assert [e.name for e in answers.environments] == ["staging", "production"]
    assert answers.environments[1].approval_url == "https://staging.example.com"


async def test_zero_environments_keep_todays_answers(out: Path) -> None:
    """Opting in and confirming no environment: the same answers as never opting in."""
    start_at(out, "deployment")
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "deployment")
        app.screen.query_one("#want-environments", Switch).focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: "Environments" in indicator(app), what="the step to show")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "environments")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "payload")
        await pilot.press("escape")
        await goto(pilot, app, "environments")  # Back goes through it again
    answers = load_answers(out / "answers.yml")
    assert answers.environments == []
    assert answers.notifications.emails == [] and answers.notifications.topic_arn is None


async def test_a_resumed_draft_shows_its_environments(out: Path) -> None:
    start_at(out, "payload", EXAMPLE.read_text(encoding="utf-8"))
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "environments")  # not confirmed yet: resumed there
        assert cards(app) == ["1 · staging", "2 · production"]
        assert field(pilot, "environments[1].approval").text == "yes"
        assert field(pilot, "environments[1].instance_count").text == "2"
        assert field(pilot, "environments[1].instance_count").origin == "saved"
        assert "Approve-production" in str(
            app.screen.query_one("#pipeline-preview", Static).content
        )


def test_a_draft_round_trip_keeps_environments(tmp_path: Path) -> None:
    loaded = read_lenient(EXAMPLE)
    assert loaded.problems == ()
    draft = Draft.prefilled(file=loaded.flat, completed=ORDER)
    saved = tmp_path / "answers.yml"
    saved.write_text(yaml.safe_dump(draft.document(), sort_keys=False), encoding="utf-8")
    again = Draft.prefilled(saved=read_lenient(saved).flat, completed=ORDER)
    assert again.answers() == draft.answers() == load_answers(EXAMPLE)
    assert again.environments_wanted and again.environment_count == 2
    # declining the step drops environments and notifications from the answers
    again.wants_environments = False
    assert again.answers().environments == []
    assert "environments" not in again.document()


async def test_each_environment_counts_the_instances_with_its_tag(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    run_instances(aws_target, 2, {"Name": "shop-staging"})
    start_at(
        out,
        "payload",
        "version: 1\nproject: shop\nenvironments:\n  - name: staging\n  - name: production\n",
    )
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "environments")

        def status(index: int) -> LookupStatus:
            return app.screen.query_one(f"#status-env-{index}", LookupStatus)

        await wait_for(pilot, lambda: status(0).state == "warn", what="the staging count")
        assert status(0).text.startswith("2 running instances match Name=shop-staging")
        assert "0 of 2 with an instance profile" in status(0).text, "warned as on Targets"
        await wait_for(pilot, lambda: status(1).state == "ok", what="the production count")
        assert status(1).text.startswith("0 running instances match Name=shop-production")
        assert "+ 1 new t3.micro instance" in status(1).text

        run_instances(aws_target, 1, {"Name": "prod-web"})
        await retype(pilot, "environments[1].tag_value", "prod-web")
        await wait_for(
            pilot,
            lambda: status(1).text.startswith("1 running instance matches Name=prod-web"),
            what="the count for the new tag",
        )


async def test_review_names_the_environment_field_of_a_problem(out: Path) -> None:
    """Two environments on the same instances: Review lists it at the field, by its name."""
    start_at(
        out,
        "review",
        "version: 1\nproject: shop\nenvironments:\n"
        "  - {name: staging, tag_value: web}\n  - {name: production, tag_value: web}\n",
    )
    state = out / ".cdwizard" / "wizard.json"
    state.write_text(json.dumps({"version": 1, "completed": [*ORDER, "environments"]}))
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "review")
        problems = app.screen.query_one("#problems", Static)
        await wait_for(pilot, lambda: "Fix these" in str(problems.content), what="the problems")
        assert (
            "✗ Environments › production › Tag value (environments[1].tag_value): targets the "
            "same instances as environments[0]"
        ) in str(problems.content)
        await pilot.press("escape")  # back to the step, where the field shows it
        await goto(pilot, app, "payload")
        await pilot.press("escape")
        await goto(pilot, app, "environments")
        await pilot.press("ctrl+n")
        tag = field(pilot, "environments[1].tag_value")
        await wait_for(pilot, lambda: tag.invalid, what="the error at the field")
        assert "targets the same instances as environments[0]" in tag.error_text


def test_the_draft_moves_and_removes_environments_with_their_texts() -> None:
    draft = Draft.prefilled(file=read_lenient(EXAMPLE).flat)
    assert draft.resume_step() == "welcome"
    draft.completed = list(ORDER)
    assert draft.resume_step() == "environments", "wanted and not confirmed yet"
    assert draft.move_environment(1, -1) == 0
    assert draft.text("environments[0].name") == "production"
    assert draft.origin("environments[0].instance_count") == "file"
    assert draft.text("environments[1].tag_value") == "staging"
    assert draft.move_environment(0, -1) == 0, "the top stays the top"
    draft.remove_environment(0)
    assert [e["name"] for e in draft.environments()] == ["staging"]
    index = draft.add_environment("qa")
    assert draft.text(f"environments[{index}].tag_value") == "shop-qa", "derived default"
    assert draft.text(f"environments[{index}].instance_type") == "t3.micro", "from targets"
    draft.set_text(f"environments[{index}].instance_count", "many")
    problems = draft.problems("environments")
    assert problems[f"environments[{index}].instance_count"].message == "must be a whole number"
    assert draft.problems("payload") == {}, "another step is not held up by it"


@pytest.mark.slow
@pytest.mark.terraform
@pytest.mark.mirror
async def test_review_plans_two_environments_in_the_sandbox(
    out: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real terraform plans the example's two environments (Review's stages, then the plan)."""
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    start_at(out, "review", EXAMPLE.read_text(encoding="utf-8"))
    state = out / ".cdwizard" / "wizard.json"
    state.write_text(json.dumps({"version": 1, "completed": [*ORDER, "environments"]}))
    args = argparse.Namespace(
        out=out, sandbox=True, provider_mirror=provider_mirror, answers=None, command=None
    )
    services = build_services(args)
    app = WizardApp(out=out, services=services, resume=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await goto(pilot, app, "review")
            stages = str(app.screen.query_one("#pipeline-stages", Static).content)
            assert stages.startswith(
                "Source → Deploy-staging → Approve-production → Deploy-production"
            )
            plan = app.screen.query_one("#status-plan", LookupStatus)
            await wait_for(
                pilot, lambda: plan.state in ("ok", "warn", "failed"), what="the plan", timeout=600
            )
            assert plan.state == "ok", plan.text
            assert "to add" in plan.text
    finally:
        sandbox = services.extra.get("sandbox")
        if sandbox is not None:
            sandbox.stop()
