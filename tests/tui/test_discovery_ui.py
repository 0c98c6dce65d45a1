"""Discovery in the wizard against a real moto server over HTTP: the account, the live count of
instances matching the tag (changing as instances are created), name clashes, repositories and
branches, and how failures look."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList, Static

from tests.tui.keys import field, pick, retype
from tests.tui.waiting import wait_for
from wizard.app.adapters import AwsDiscovery
from wizard.app.ports import WizardServices
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.aws.target import ENDPOINT_ENV
from wizard.tui.app import WizardApp
from wizard.tui.screens.modals import ErrorScreen
from wizard.tui.widgets.lookup import LookupStatus

SIZE = (120, 40)
MOTO_ACCOUNT = "123456789012"


def start_at(out: Path, step: str) -> None:
    """Leave a saved draft whose steps before `step` are done, so the app resumes there."""
    order = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.yml").write_text("version: 1\nproject: shop\n", encoding="utf-8")
    (out / ".cdwizard").mkdir(exist_ok=True)
    (out / ".cdwizard" / "wizard.json").write_text(
        json.dumps({"version": 1, "completed": order[: order.index(step)]})
    )


def status(app: WizardApp, what: str) -> LookupStatus:
    return app.screen.query_one(f"#status-{what}", LookupStatus)


def run_instances(aws_target: AwsTarget, count: int, tags: dict[str, str], **extra: Any) -> None:
    ec2 = AwsClients(aws_target).client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
            }
        ],
        **extra,
    )


async def test_aws_step_shows_who_you_are(out: Path, moto_services: WizardServices) -> None:
    start_at(out, "aws")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: status(app, "identity").state == "ok", what="identity")
        assert f"Account {MOTO_ACCOUNT}" in status(app, "identity").text
        await wait_for(pilot, lambda: status(app, "regions").state == "ok", what="regions")
        region = field(pilot, "aws.region")
        assert region.control.suggester is not None, "regions complete as you type"


async def test_tag_match_count_follows_the_tag_and_new_instances(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    start_at(out, "targets")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        instances = lambda: status(app, "instances")  # noqa: E731
        await wait_for(pilot, lambda: instances().state == "ok", what="first count")
        assert instances().text == "0 running instances match Name=shop"

        run_instances(aws_target, 2, {"Name": "shop"})
        await pilot.press("ctrl+r")
        await wait_for(
            pilot,
            lambda: instances().text.startswith("2 running instances match Name=shop"),
            what="the count to reach 2",
        )
        assert "0 of 2 with an instance profile" in instances().text
        assert instances().state == "warn", "instances without a profile are a warning"

        await retype(pilot, "targets.tag_value", "billing")
        await wait_for(
            pilot,
            lambda: instances().text == "0 running instances match Name=billing",
            what="the count for the new tag value",
        )
        run_instances(aws_target, 1, {"Name": "billing"})
        await retype(pilot, "targets.tag_key", "Name")  # any edit looks again
        await wait_for(
            pilot,
            lambda: instances().text.startswith("1 running instance matches Name=billing"),
            what="the count after an instance was created",
        )
        plan = status(app, "plan").text
        assert plan == "1 new t3.micro instance + 1 running instance you have"


async def test_a_fleet_tagged_with_parentheses_and_umlauts_can_be_targeted(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    """EC2 takes any text as a tag value: the wizard accepts the fleet's real tags and counts it
    (the lookup matches literally: no wildcard, no markup)."""
    run_instances(aws_target, 2, {"Env": "batch runner (prod)"})
    run_instances(aws_target, 1, {"Env": "Produktion-Süd"})
    run_instances(aws_target, 1, {"Env": "batch [prod] x"})  # a '*' must not match it
    start_at(out, "targets")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        instances = lambda: status(app, "instances")  # noqa: E731
        await wait_for(pilot, lambda: instances().state == "ok", what="first count")
        await retype(pilot, "targets.tag_key", "Env")
        await retype(pilot, "targets.tag_value", "batch runner (prod)")
        await wait_for(
            pilot,
            lambda: instances().text.startswith(
                "2 running instances match Env=batch runner (prod)"
            ),
            what="the fleet tagged 'batch runner (prod)'",
        )
        assert not field(pilot, "targets.tag_value").invalid
        await retype(pilot, "targets.tag_value", "Produktion-Süd")
        await wait_for(
            pilot,
            lambda: instances().text.startswith("1 running instance matches Env=Produktion-Süd"),
            what="the fleet tagged 'Produktion-Süd'",
        )
        await retype(pilot, "targets.tag_value", "batch [prod] *")
        await wait_for(
            pilot,
            lambda: instances().text == "0 running instances match Env=batch [prod] *",
            what="a literal '*' (and brackets, shown as typed) matching nothing",
        )
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.screen.STEP == "deployment", what="the next step")
    saved = (out / "answers.yml").read_text(encoding="utf-8")
    assert "batch [prod] *" in saved


async def test_count_refreshes_by_itself(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    moto_services.refresh_seconds = 0.2
    start_at(out, "targets")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        instances = lambda: status(app, "instances")  # noqa: E731
        await wait_for(pilot, lambda: instances().state == "ok", what="first count")
        run_instances(aws_target, 3, {"Name": "shop"})
        await wait_for(
            pilot,
            lambda: instances().text.startswith("3 running instances match"),
            what="the periodic refresh to see 3 instances",
        )


async def test_existing_names_are_flagged_before_clobbering(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    clients = AwsClients(aws_target)
    clients.client("iam").create_role(
        RoleName="CodeDeployServiceRole", AssumeRolePolicyDocument="{}"
    )
    clients.client("codedeploy").create_application(applicationName="shop")
    start_at(out, "deployment")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        clashes = lambda: status(app, "clashes")  # noqa: E731
        await wait_for(pilot, lambda: clashes().state == "warn", what="the clash warning")
        assert "CodeDeploy application 'shop': already exists" in clashes().text
        assert "IAM role 'CodeDeployServiceRole': already exists" in clashes().text
        await retype(pilot, "deployment.application", "shop-two")
        await retype(pilot, "deployment.service_role", "ShopDeploy")
        await wait_for(pilot, lambda: clashes().state == "ok", what="no clash after renaming")


async def test_repositories_and_branches_are_listed(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    codecommit = AwsClients(aws_target).client("codecommit")
    codecommit.create_repository(repositoryName="shop-api")
    codecommit.create_repository(repositoryName="shop-web")
    first = codecommit.create_commit(
        repositoryName="shop-api",
        branchName="main",
        putFiles=[{"filePath": "README.md", "fileContent": b"hello"}],
    )["commitId"]
    codecommit.create_branch(repositoryName="shop-api", branchName="release", commitId=first)
    start_at(out, "source")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: status(app, "repositories").state != "loading",
            what="the repository list",
        )
        assert "'shop' does not exist" in status(app, "repositories").text
        listed = app.screen.query_one("#repositories", OptionList)
        assert [listed.get_option_at_index(i).id for i in range(listed.option_count)] == [
            "shop-api",
            "shop-web",
        ]
        await retype(pilot, "source.repository", "shop-api")
        await wait_for(
            pilot,
            lambda: "'shop-api' exists" in status(app, "repositories").text,
            what="the repository check",
        )
        # its branches are listed, and 'master' (the default) gives way to 'main'
        await wait_for(
            pilot,
            lambda: status(app, "branches").text == "2 found; 'main' exists",
            what="the branches of shop-api",
        )
        assert field(pilot, "source.branch").text == "main"
        assert field(pilot, "source.branch").origin == "discovered"
        # picking from the list fills the field
        branches = app.screen.query_one("#branches", OptionList)
        branches.focus()
        await pilot.press("end", "enter")
        await wait_for(
            pilot, lambda: field(pilot, "source.branch").text == "release", what="the picked branch"
        )


async def test_missing_credentials_are_explained(
    out: Path, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv(ENDPOINT_ENV, moto_endpoint)
    services = WizardServices(discovery=AwsDiscovery(out))
    start_at(out, "aws")
    app = WizardApp(out=out, services=services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: status(app, "identity").state == "failed", what="failure")
        text = status(app, "identity").text
        assert "credentials" in text.lower()
        assert "aws configure" in text or "aws sso login" in text, text
        assert app.screen.is_mounted and not isinstance(app.screen, ErrorScreen)


async def test_unreachable_aws_is_explained(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(ENDPOINT_ENV, f"http://127.0.0.1:{port}")
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    services = WizardServices(discovery=AwsDiscovery(out))
    start_at(out, "aws")
    app = WizardApp(out=out, services=services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: status(app, "identity").state == "failed", what="failure", timeout=30
        )
        text = status(app, "identity").text.lower()
        assert "reach" in text or "connect" in text, text


class BrokenDiscovery:
    """Not an AWS error: a bug. The App must show it instead of crashing."""

    def profiles(self) -> list[str]:
        return []

    def connect(self, profile: str | None, region: str) -> Any:
        raise RuntimeError("discovery bug")


async def test_a_crashing_worker_shows_the_error_view(out: Path) -> None:
    start_at(out, "aws")
    app = WizardApp(out=out, services=WizardServices(discovery=BrokenDiscovery()), resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), what="error view")
        error_view = app.screen
        assert isinstance(error_view, ErrorScreen)
        assert "discovery bug" in str(error_view.error)
        # both lookups (regions, identity) crash: the second is counted, not stacked
        await wait_for(pilot, lambda: error_view.more == 1, what="the second crash")
        assert app.screen is error_view
        await pilot.press("escape")  # carry on: the wizard still works
        await wait_for(pilot, lambda: getattr(app.screen, "STEP", "") == "aws", what="aws step")
        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: [getattr(s, "STEP", "") for s in app.screen_stack][1] == "source",
            what="the next step (whose lookups crash as well)",
        )


async def test_the_config_is_explained_for_the_fleet(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    run_instances(aws_target, 3, {"Name": "shop"})
    start_at(out, "deployment")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        explainer = lambda: str(app.screen.query_one("#explainer", Static).content)  # noqa: E731
        # 3 running instances carry the tag, and cdwizard creates 1 more
        await wait_for(
            pilot,
            lambda: explainer().startswith("4 instances, OneAtATime"),
            what="the explanation for 4 instances",
        )
        await pick(pilot, "deployment.config", "CodeDeployDefault.AllAtOnce")
        await wait_for(
            pilot,
            lambda: explainer().startswith("4 instances, AllAtOnce"),
            what="the explanation of AllAtOnce",
        )
