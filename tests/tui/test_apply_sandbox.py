"""The whole wizard against the sandbox, end to end: real discovery, the real terraform binary and
hashicorp/aws provider planning and applying against the embedded emulator, driven by keys."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from traceback import format_exception

import pytest
import yaml
from textual.widgets import Static

from tests.tui.keys import field, retype
from tests.tui.waiting import wait_for
from wizard.commands.wizard import build_services
from wizard.core.exitcodes import ExitCode
from wizard.tui.app import WizardApp
from wizard.tui.screens.apply import ApplyScreen
from wizard.tui.screens.modals import ErrorScreen, InterruptDialog
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.screens.monitor_modals import ActionDialog
from wizard.tui.widgets.lookup import LookupStatus

pytestmark = [pytest.mark.slow, pytest.mark.terraform, pytest.mark.mirror]

SIZE = (120, 40)


def step_is(app: WizardApp, name: str) -> bool:
    return getattr(app.screen, "STEP", "") == name and app.screen.is_mounted


def settled(app: WizardApp) -> bool:
    if isinstance(app.screen, ErrorScreen):
        error = app.screen.error
        raise AssertionError(f"{app.screen.where} crashed: {''.join(format_exception(error))}")
    return all(s.state not in ("idle", "loading") for s in app.screen.query(LookupStatus))


async def test_wizard_applies_against_the_sandbox(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    monkeypatch.setenv("CDWIZARD_SANDBOX_PACE", "0.1")  # the simulated deployment, 10x faster
    out = tmp_path / "ws"
    args = argparse.Namespace(
        out=out, sandbox=True, provider_mirror=provider_mirror, answers=None, command=None
    )
    services = build_services(args)
    app = WizardApp(out=out, services=services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: step_is(app, "welcome"), what="welcome")
            await retype(pilot, "project", "Shop!")
            await pilot.press("ctrl+n")
            assert step_is(app, "welcome"), "an invalid answer keeps you on the step"
            assert "lowercase" in field(pilot, "project").error_text
            await retype(pilot, "project", "shop")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: step_is(app, "aws"), what="aws")
            await wait_for(pilot, lambda: settled(app), what="identity", timeout=60)
            identity = app.screen.query_one("#status-identity", LookupStatus)
            assert "Account 123456789012" in identity.text
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: step_is(app, "source"), what="source")
            await wait_for(pilot, lambda: settled(app), what="source lookups", timeout=30)
            await retype(pilot, "source.branch", "main")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: step_is(app, "targets"), what="targets")
            await pilot.press("escape")  # back: what was typed is still there
            await wait_for(pilot, lambda: step_is(app, "source"), what="source again")
            assert field(pilot, "source.branch").text == "main"
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: step_is(app, "targets"), what="targets")
            await wait_for(pilot, lambda: settled(app), what="tag count", timeout=30)
            assert (
                "0 running instances match Name=shop"
                in app.screen.query_one("#status-instances", LookupStatus).text
            )
            for name in ("deployment", "payload", "review"):
                await pilot.press("ctrl+n")
                await wait_for(pilot, lambda n=name: step_is(app, n), what=name)
            plan = app.screen.query_one("#status-plan", LookupStatus)
            await wait_for(
                pilot, lambda: plan.state in ("ok", "warn", "failed"), what="the plan", timeout=600
            )
            assert plan.state == "ok", plan.text
            assert "to add" in plan.text
            assert "creates" in str(app.screen.query_one("#plan", Static).content)
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
            screen = app.screen
            assert isinstance(screen, ApplyScreen)
            await wait_for(pilot, lambda: screen.finished is not None, what="apply", timeout=900)
            result = str(screen.query_one("#result", Static).content)
            assert result.startswith("✓ Apply complete"), result
            assert len(screen.query(".resource-row")) >= 10, "one row per resource"
            assert any("console" in name for name in screen.outputs), screen.outputs
            assert "cdwizard monitor" in str(screen.query_one("#next-steps", Static).content)
            # ... and the wizard lands on the live monitor of the pipeline it just created
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor")
            monitor = app.screen
            assert isinstance(monitor, MonitorScreen)
            await wait_for(pilot, lambda: monitor.updates >= 1, what="its first poll", timeout=60)
            assert monitor.snapshot is not None and monitor.snapshot.pipeline is not None
            assert monitor.snapshot.pipeline.name == "shop"
            assert {"release", "ship"} <= monitor.offered
            # ... where one key ships the payload (no question: it is the sandbox) and the
            # first deployment goes green: Apply, then one keypress
            await pilot.press("p")
            await wait_for(
                pilot,
                lambda: (
                    monitor.snapshot is not None
                    and monitor.snapshot.deployment is not None
                    and monitor.snapshot.deployment.status == "Succeeded"
                ),
                what="the shipped revision deployed",
                timeout=180,
            )
            assert not isinstance(app.screen, ActionDialog)
            assert any("pushed" in line for line in monitor.activity)
    finally:
        sandbox = services.extra.get("sandbox")
        if sandbox is not None:
            sandbox.stop()
    saved = yaml.safe_load((out / "answers.yml").read_text(encoding="utf-8"))
    assert saved["project"] == "shop" and saved["source"]["branch"] == "main"
    assert (out / "terraform" / "terraform.tfstate").is_file()


async def test_ctrl_c_asks_then_stops_terraform(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    out = tmp_path / "ws"
    (out / ".cdwizard").mkdir(parents=True)
    (out / "answers.yml").write_text("version: 1\nproject: halt\n", encoding="utf-8")
    done = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    (out / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": done}))
    args = argparse.Namespace(
        out=out, sandbox=True, provider_mirror=provider_mirror, answers=None, command=None
    )
    services = build_services(args)
    app = WizardApp(out=out, services=services, resume=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: step_is(app, "review"), what="review")
            plan = app.screen.query_one("#status-plan", LookupStatus)
            await wait_for(
                pilot, lambda: plan.state in ("ok", "failed", "warn"), what="the plan", timeout=600
            )
            assert plan.state == "ok", plan.text
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
            screen = app.screen
            assert isinstance(screen, ApplyScreen)
            runner = app.context.runner if app.context else None
            assert runner is not None
            await wait_for(
                pilot,
                lambda: any(r.status == "running" for r in runner.progress.rows.values()),
                what="a resource being created",
                timeout=120,
            )
            await pilot.press("ctrl+c")
            await wait_for(
                pilot, lambda: isinstance(app.screen, InterruptDialog), what="the question"
            )
            await pilot.press("ctrl+c")  # a second press does not wait for the answer
            await wait_for(pilot, lambda: screen.finished is not None, what="the stop", timeout=300)
            result = str(screen.query_one("#result", Static).content)
            assert result.startswith("■ Apply stopped"), result
            assert screen.code == ExitCode.INTERRUPTED
            assert app.screen is screen, "still in the wizard: Esc goes back to Review"
    finally:
        sandbox = services.extra.get("sandbox")
        if sandbox is not None:
            sandbox.stop()
