"""Core and services never import textual; `--help`/`--version` stay light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_import_linter_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(REPO / "pyproject.toml")) == 0


def test_core_and_services_import_without_textual() -> None:
    code = (
        "import pkgutil, importlib, sys\n"
        "import wizard.core, wizard.services\n"
        "for pkg in (wizard.core, wizard.services):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(len(bad)); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["render", "--help"]])
def test_help_and_version_do_not_import_heavy_modules(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from wizard.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('textual', 'boto3', 'botocore', 'jinja2', 'yaml', 'moto') "
        "if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_output_into_a_closed_pipe_stops_quietly() -> None:
    code = (
        "from wizard.core.output import PlainSink\n"
        "from wizard.core.events import Notice\n"
        "sink = PlainSink(heartbeat=None)\n"
        "import sys\n"
        "try:\n"
        "    for i in range(100000):\n"
        "        sink.emit(Notice(text=f'line {i}'))\n"
        "except BrokenPipeError:\n"
        "    sys.exit(141)\n"
    )
    proc = subprocess.run(
        f'{sys.executable} -c "{code}" | head -n 2',
        shell=True,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.count("line") == 2
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--out", "apply", "plan"], "plan"),
        (["-a", "x.yml", "--sandbox", "monitor", "--json"], "monitor"),
        (["--provider-mirror", "/m"], None),
        (["--help"], None),
        (["nonsense"], None),
    ],
)
def test_requested_command_skips_option_values(argv: list[str], command: str | None) -> None:
    from wizard.cli import requested_command

    assert requested_command(argv) == command


def test_lazy_parser_parses_like_the_full_one() -> None:
    from wizard.cli import build_parser

    argv = ["--sandbox", "apply", "--answers", "a.yml", "--yes", "--json"]
    lazy = vars(build_parser(argv).parse_args(argv))
    full = vars(build_parser().parse_args(argv))
    assert lazy == full and lazy["command"] == "apply" and lazy["yes"] is True
