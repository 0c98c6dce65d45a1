"""A handful of SVG snapshots of key screens (plain `def`: snap_compare runs its own loop).

Deterministic: a relative workspace path (the top bar shows it), no cursor blink (conftest),
lookups finished before the shot (no spinner), fixed terminal size, no clock on these screens.
Update with `pytest tests/tui/test_snapshots.py --snapshot-update` after looking at the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tui.keys import keys_for
from tests.tui.waiting import wait_for
from wizard.app.ports import WizardServices
from wizard.tui.app import WizardApp
from wizard.tui.widgets.lookup import LookupStatus

SIZE = (120, 36)
OUT = Path("cdwizard-out")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def saved_until(step: str, project: str = "shop") -> None:
    order = ["welcome", "aws", "source", "targets", "deployment", "payload"]
    done = order[: order.index(step)] if step in order else order
    (OUT / ".cdwizard").mkdir(parents=True, exist_ok=True)
    (OUT / "answers.yml").write_text(f"version: 1\nproject: {project}\n", encoding="utf-8")
    (OUT / ".cdwizard" / "wizard.json").write_text(json.dumps({"completed": done}))


def test_welcome(snap_compare, in_tmp: Path) -> None:
    assert snap_compare(WizardApp(out=OUT), terminal_size=SIZE)


def test_source_step_with_errors(snap_compare, in_tmp: Path) -> None:
    saved_until("source")

    async def run_before(pilot) -> None:
        await wait_for(
            pilot, lambda: getattr(pilot.app.screen, "STEP", "") == "source", what="source step"
        )
        await pilot.press("tab", "ctrl+a", "ctrl+k", *keys_for("shop.git"))
        await pilot.press("tab", "ctrl+a", "ctrl+k", *keys_for("feature..x"))
        await pilot.press("ctrl+n")
        await pilot.pause()

    assert snap_compare(WizardApp(out=OUT, resume=True), run_before=run_before, terminal_size=SIZE)


def test_aws_step_with_discovery(snap_compare, in_tmp: Path, moto_services: WizardServices) -> None:
    saved_until("aws")

    async def run_before(pilot) -> None:
        def settled() -> bool:
            return all(
                s.state not in ("idle", "loading") for s in pilot.app.screen.query(LookupStatus)
            )

        await wait_for(pilot, settled, what="every lookup to finish")
        await pilot.press("f1")  # the help of the focused field
        await pilot.pause()

    app = WizardApp(out=OUT, services=moto_services, resume=True)
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_review_summary(snap_compare, in_tmp: Path) -> None:
    saved_until("review")

    async def run_before(pilot) -> None:
        await wait_for(
            pilot, lambda: getattr(pilot.app.screen, "STEP", "") == "review", what="review"
        )
        await wait_for(pilot, lambda: bool(pilot.app.screen.files), what="rendered files")

    assert snap_compare(WizardApp(out=OUT, resume=True), run_before=run_before, terminal_size=SIZE)


def test_resume_offer(snap_compare, in_tmp: Path) -> None:
    saved_until("targets", project="billing")
    assert snap_compare(WizardApp(out=OUT), terminal_size=SIZE)
