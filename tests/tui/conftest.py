"""TUI test fixtures: no cursor blink, a workspace folder, services over the moto server."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from wizard.app.ports import WizardServices


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots differ from run to run."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def moto_services(moto_endpoint: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> WizardServices:
    """The product's discovery and explainer, talking HTTP to the moto server."""
    from wizard.app.adapters import AwsDiscovery, explain_text
    from wizard.services.aws.target import ENDPOINT_ENV

    monkeypatch.setenv(ENDPOINT_ENV, moto_endpoint)
    # no profiles from whoever runs the tests: the AWS step lists none, always
    monkeypatch.setenv("AWS_CONFIG_FILE", str(out.parent / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(out.parent / "no-aws-credentials"))
    return WizardServices(
        discovery=AwsDiscovery(out),
        explain=explain_text,
        refresh_seconds=3600,
        debounce_seconds=0.05,
        clock=lambda: 1_700_000_000.0,
    )
