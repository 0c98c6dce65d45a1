"""The `wizard` package type-checks cleanly with mypy, configured by `[tool.mypy]` in pyproject."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _cache_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """mypy's incremental cache inside pytest's own cache: warm on a developer's reruns, cold
    (a full check) on a clean clone; a throw-away folder when the cache plugin is off."""
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("mypy") if cache is not None else tmp_path / "mypy-cache"


@pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed (it is in the `test` extra: pip install -e '.[test]')",
)
def test_wizard_type_checks_cleanly(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(_cache_dir(request, tmp_path)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
