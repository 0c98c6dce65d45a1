"""`terraform test` (plan only, mocked aws provider) of the modules environments and
notifications touch: the pipeline's stages and role scope, the notification rules' event ids.
The `.tftest.hcl` files live in tests/tftest/ (a module folder is copied into every rendering, so
its tests must not live there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.render_terraform_support import terraform

TFTEST = REPO / "tests" / "tftest"
MODULES = REPO / "terraform" / "modules"


@pytest.mark.terraform
@pytest.mark.mirror
@pytest.mark.parametrize(
    "module", sorted(p.stem.removesuffix(".tftest") for p in TFTEST.glob("*.tftest.hcl"))
)
def test_module(module: str, terraform_bin: str, tf_env: dict[str, str], tmp_path: Path) -> None:
    shutil.copytree(MODULES / module, tmp_path, dirs_exist_ok=True)
    (tmp_path / "tests").mkdir()
    shutil.copy(TFTEST / f"{module}.tftest.hcl", tmp_path / "tests")
    proc = terraform(terraform_bin, tmp_path, tf_env, "init", "-backend=false", "-no-color")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = terraform(terraform_bin, tmp_path, tf_env, "test", "-no-color")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout
