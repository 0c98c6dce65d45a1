"""Emulator extensions: APIs moto does not implement, added to its backends before the server
starts, so boto3 and the terraform provider talk to them over HTTP like any other API.

Each module here defines `install() -> None` (idempotent) and keeps to one service. Fixes to
moto's *existing* APIs that the terraform provider trips over are shims, not extensions; they
live in `wizard.services.sandbox.shims`.
"""

from __future__ import annotations

import importlib
import pkgutil


def install_all() -> list[str]:
    """Install every extension module in this package; returns their names."""
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    for name in names:
        importlib.import_module(f"{__name__}.{name}").install()
    return names
