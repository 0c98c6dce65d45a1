"""The Targets step refuses what cannot work on a real account, with the answers file's words
(an agent 'preinstalled' on a stock image), and shows doctor's network and instance-role checks
against the moto server as you answer."""

from __future__ import annotations

from pathlib import Path

from tests.test_preflight import instance, private_subnet
from tests.tui.keys import field, pick, retype
from tests.tui.test_discovery_ui import start_at
from tests.tui.waiting import wait_for
from wizard.app.ports import WizardServices
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.tui.app import WizardApp
from wizard.tui.widgets.lookup import LookupStatus

SIZE = (120, 40)


def on_step(app: WizardApp, name: str) -> bool:
    return getattr(app.screen, "STEP", None) == name and app.screen.is_mounted


async def test_preinstalled_on_a_stock_image_keeps_you_on_the_step(out: Path) -> None:
    start_at(out, "targets")
    app = WizardApp(out=out, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: on_step(app, "targets"), what="the targets step")
        await pick(pilot, "targets.agent_install", "preinstalled")
        await pilot.press("ctrl+n")
        agent = field(pilot, "targets.agent_install")
        assert on_step(app, "targets"), "the step does not accept it"
        assert "'preinstalled' needs an image that already has" in agent.error_text
        assert "an AMI you built with the agent" in agent.error_text
        await retype(pilot, "targets.ami", "ami-0123456789abcdef0")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: on_step(app, "deployment"), what="the next step")


def start_with(out: Path, answers: str) -> None:
    """Resume at the Targets step with these answers saved."""
    start_at(out, "targets")
    (out / "answers.yml").write_text(answers, encoding="utf-8")


def status(app: WizardApp, what: str) -> LookupStatus:
    return app.screen.query_one(f"#status-{what}", LookupStatus)


async def test_the_network_panel_says_a_subnet_has_no_way_out(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    clients = AwsClients(aws_target)
    _, subnet, table = private_subnet(clients)
    start_with(out, f"version: 1\nproject: shop\ntargets:\n  subnet_id: {subnet}\n")
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        network = lambda: status(app, "network")  # noqa: E731
        await wait_for(pilot, lambda: network().state == "warn", what="the network check")
        assert f"Network: created instances: {subnet} ({table}): no route to the internet" in (
            network().text
        )
        assert f"→ add a NAT gateway route (`aws ec2 create-route --route-table-id {table}" in (
            network().text
        )
        # back to the default VPC: the emulator's has an internet gateway
        await retype(pilot, "targets.subnet_id", "")
        await wait_for(pilot, lambda: network().state == "ok", what="the default VPC's check")
        assert "Default VPC: default VPC vpc-" in network().text


async def test_the_roles_panel_offers_to_extend_the_instances_role(
    out: Path, moto_services: WizardServices, aws_target: AwsTarget
) -> None:
    instance(AwsClients(aws_target), reads_artifacts=False)
    start_with(
        out,
        "version: 1\nproject: shop\ntargets:\n  tag_key: App\n  tag_value: shop\n"
        "  create_instance: false\n  agent_install: ssm\n",
    )
    app = WizardApp(out=out, services=moto_services, resume=True)
    async with app.run_test(size=SIZE) as pilot:
        roles = lambda: status(app, "roles")  # noqa: E731
        await wait_for(pilot, lambda: roles().state == "warn", what="the instance-role check")
        assert "role existing-app of i-" in roles().text
        assert "→ set targets.extend_role: existing-app and cdwizard adds" in roles().text
        assert field(pilot, "targets.extend_role").display
        await retype(pilot, "targets.extend_role", "existing-app")
        await wait_for(pilot, lambda: roles().state == "ok", what="the role to be extended")
        assert "apply adds shop-artifacts-read to it" in roles().text
