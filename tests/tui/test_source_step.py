"""The Source step per provider, by key presses against a real moto server (with the sandbox's
CodeConnections extension): choosing a provider shows exactly the fields its declarations say
apply, each validates as declared, existing connections are listed to pick from, another
provider's typed values are kept in memory but never saved."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.widgets import OptionList, Static

from tests.tui.keys import field, pick, retype
from tests.tui.test_discovery_ui import SIZE, start_at, status
from tests.tui.test_flow import goto, on_step
from tests.tui.waiting import wait_for
from wizard.app.ports import WizardServices
from wizard.core.answers import questions
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.tui.app import WizardApp
from wizard.tui.widgets.answer_field import AnswerField


def declared_fields(provider: str) -> set[str]:
    """The Source step's questions that apply to `provider`, from the declarations alone."""
    answers = {"source.provider": provider}
    return {q.key for q in questions() if q.step == "source" and q.applies(answers)}


def shown_fields(app: WizardApp) -> set[str]:
    return {f.key for f in app.screen.query(AnswerField) if f.display}


@pytest.mark.parametrize("provider", ["codecommit", "github", "gitlab", "bitbucket", "s3"])
async def test_each_provider_shows_its_declared_fields(
    provider: str, out: Path, moto_services: WizardServices
) -> None:
    start_at(out, "source")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "source")
        assert shown_fields(app) == declared_fields("codecommit")
        if provider != "codecommit":
            await pick(pilot, "source.provider", provider)
        await wait_for(
            pilot,
            lambda: shown_fields(app) == declared_fields(provider),
            what=f"the {provider} fields",
        )
        # sanity on the declarations themselves: each provider has its own identifying field
        own = {
            "codecommit": "source.repository",
            "github": "source.repository_id",
            "gitlab": "source.repository_id",
            "bitbucket": "source.repository_id",
            "s3": "source.object_key",
        }[provider]
        assert own in shown_fields(app)
        note = str(app.screen.query_one("#source-note", Static).content)
        assert ("PENDING" in note) == (provider in ("github", "gitlab", "bitbucket"))


async def test_github_fields_validate_as_declared(out: Path, moto_services: WizardServices) -> None:
    start_at(out, "source")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "source")
        await retype(pilot, "source.repository", "kept-for-later")
        await pick(pilot, "source.provider", "github")
        await wait_for(
            pilot, lambda: field(pilot, "source.repository_id").display, what="the GitHub fields"
        )
        # required for a connection source: Next names the field and stays
        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: "required" in field(pilot, "source.repository_id").error_text,
            what="the required repository id",
        )
        assert on_step(app, "source")
        # the documented shape, as you type
        await retype(pilot, "source.repository_id", "just-a-name")
        assert field(pilot, "source.repository_id").invalid
        assert "OWNER/NAME" in field(pilot, "source.repository_id").error_text
        await retype(pilot, "source.connection_name", "x" * 33)  # AWS: 1-32 characters
        assert field(pilot, "source.connection_name").invalid
        await retype(pilot, "source.connection_name", "shop-github")
        await retype(pilot, "source.repository_id", "my-org/shop")
        await retype(pilot, "source.branch", "main")
        await pilot.press("ctrl+n")
        await goto(pilot, app, "targets")

    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))["source"]
    assert saved["provider"] == "github"
    assert saved["repository_id"] == "my-org/shop"
    assert saved["connection_name"] == "shop-github"
    assert saved["branch"] == "main"
    # CodeCommit's field (typed before switching) and S3's are not in the file
    assert not {"repository", "create_repository", "bucket", "object_key"} & set(saved)


async def test_s3_fields_validate_as_declared(out: Path, moto_services: WizardServices) -> None:
    start_at(out, "source")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "source")
        await pick(pilot, "source.provider", "s3")
        await wait_for(pilot, lambda: field(pilot, "source.bucket").display, what="the S3 fields")
        await retype(pilot, "source.bucket", "Not_A_Bucket")
        assert field(pilot, "source.bucket").invalid
        await retype(pilot, "source.bucket", "shop-source")
        assert not field(pilot, "source.bucket").invalid
        await retype(pilot, "source.object_key", "app/payload.zip")
        assert not field(pilot, "source.object_key").invalid
        await pilot.press("ctrl+n")
        await goto(pilot, app, "targets")

    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))["source"]
    assert (saved["provider"], saved["bucket"], saved["object_key"]) == (
        "s3",
        "shop-source",
        "app/payload.zip",
    )
    assert "repository_id" not in saved and "branch" not in saved


async def test_existing_connections_are_listed_and_picked(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    client = AwsClients(aws_target).client("codestar-connections")
    mine = client.create_connection(ConnectionName="team-gitlab", ProviderType="GitLab")
    client.create_connection(ConnectionName="team-github", ProviderType="GitHub")
    start_at(out, "source")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "source")
        assert not app.screen.query_one("#aside-connections").display  # CodeCommit: no list
        await pick(pilot, "source.provider", "gitlab")
        await wait_for(
            pilot,
            lambda: (
                status(app, "connections").state != "loading"
                and "found" in status(app, "connections").text
            ),
            what="the GitLab connections",
        )
        assert "1 found, 0 AVAILABLE" in status(app, "connections").text
        listed = app.screen.query_one("#connections", OptionList)
        assert listed.option_count == 1
        assert str(listed.get_option_at_index(0).prompt) == "team-gitlab · PENDING"
        listed.focus()
        await pilot.press("home", "enter")
        await wait_for(
            pilot,
            lambda: field(pilot, "source.connection_arn").text == mine["ConnectionArn"],
            what="the picked connection",
        )
        note = str(app.screen.query_one("#source-note", Static).content)
        assert "the chosen connection" in note
