"""The Targets step refuses what cannot work on a real account, with the answers file's words:
an agent 'preinstalled' on a stock image."""

from __future__ import annotations

from pathlib import Path

from tests.tui.keys import field, pick, retype
from tests.tui.test_discovery_ui import start_at
from tests.tui.waiting import wait_for
from wizard.tui.app import WizardApp

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
