"""Shared fixtures. Tool-dependent fixtures skip with an explicit reason when the tool is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    return REPO
