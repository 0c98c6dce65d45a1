"""SIGTERM and SIGHUP reach the wizard as a stop request: with no apply running it quits at once
with 143 / 129 (with one running, it first stops terraform like a confirmed Ctrl+C: the
`cdwizard` command installs the handlers, see `WizardApp(handle_signals=True)`)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.tui.waiting import wait_for
from wizard.tui.app import WizardApp


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
async def test_a_stop_signal_quits_the_wizard_with_its_code(
    out: Path, sig: signal.Signals, code: int
) -> None:
    app = WizardApp(out=out)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: getattr(app.screen, "STEP", "") == "welcome", what="welcome")
        app.stop_for_signal(sig)
        await pilot.pause()
    assert app.return_value == code  # what `cdwizard` exits with
