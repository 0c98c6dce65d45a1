"""Placeholder until its issue lands (see the issue tracker)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    return None


def run(args: argparse.Namespace) -> int:
    from wizard.commands.common import error

    error("this command is not built yet")
    return 1
