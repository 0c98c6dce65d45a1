"""The Review offers to adopt what was built by hand: with the seed's stack in the sandbox, the
plan warns that applying would fail on the existing names and offers "a  adopt N existing
resources"; pressing `a` plans again with the imports. Real terraform against the emulator."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.adoption_support import SeedStack
from tests.test_adopt_e2e import _in_sandbox
from tests.tui.test_apply_sandbox import SIZE, settled, step_is
from tests.tui.waiting import wait_for
from wizard.commands.wizard import build_services
from wizard.tui.app import WizardApp
from wizard.tui.widgets.lookup import LookupStatus

pytestmark = [pytest.mark.slow, pytest.mark.terraform, pytest.mark.mirror]


async def test_review_offers_to_adopt_the_seed_stack(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    out = tmp_path / "ws"
    _in_sandbox(out, SeedStack().build)
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\nsource: {create_repository: true}\n")
    args = argparse.Namespace(
        out=out, sandbox=True, provider_mirror=provider_mirror, answers=answers, command=None
    )
    services = build_services(args)
    app = WizardApp(out=out, services=services, answers_file=answers, resume=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: step_is(app, "welcome"), what="welcome")
            for name in ("aws", "source", "targets", "deployment", "payload", "review"):
                await pilot.press("ctrl+n")
                await wait_for(pilot, lambda n=name: step_is(app, n), what=name)
                if name != "review":
                    await wait_for(pilot, lambda: settled(app), what=f"{name} lookups", timeout=60)
            plan = app.screen.query_one("#status-plan", LookupStatus)
            await wait_for(
                pilot, lambda: plan.state in ("ok", "warn", "failed"), what="the plan", timeout=600
            )
            assert plan.state == "warn", plan.text
            assert "existing resource(s) have the names this plan creates" in plan.text
            confirm = str(app.screen.query_one("#confirm", Static).content)
            assert "a  adopt 7 existing resources" in confirm, confirm  # 9 imports: +2 attachments
            await pilot.press("a")
            await wait_for(pilot, lambda: plan.state == "loading", what="planning again")
            await wait_for(
                pilot, lambda: plan.state in ("ok", "warn", "failed"), what="the plan", timeout=600
            )
            assert plan.state == "ok", plan.text
            assert plan.text.startswith("9 to import (they existed before cdwizard)")
            lines = str(app.screen.query_one("#plan", Static).content)
            assert "imports IAM role CodeDeployServiceRole (will change:" in lines, lines
            assert (out / "terraform" / "imports.tf").is_file()
            assert "adopt" not in str(app.screen.query_one("#confirm", Static).content)
    finally:
        sandbox = services.extra.get("sandbox")
        if sandbox is not None:
            sandbox.stop()
