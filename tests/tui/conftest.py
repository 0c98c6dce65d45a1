"""TUI test fixtures: no cursor blink, a workspace folder, services over the moto server."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from wizard.tui.services import WizardServices


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots differ from run to run."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def moto_services(aws_target):  # type: ignore[no-untyped-def]
    """Real discovery calls over HTTP to the moto server (test adapter until discovery lands)."""
    from tests.tui.moto_discovery import MotoDiscovery

    return WizardServices(
        discovery=MotoDiscovery(aws_target),
        refresh_seconds=3600,
        debounce_seconds=0.05,
        clock=lambda: 1_700_000_000.0,
    )
