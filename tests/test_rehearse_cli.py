"""`cdwizard rehearse` on the command line: output modes, defaults, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.test_rehearse_support import recorder_bundle, write_bundle
from wizard.core.events.base import event_types
from wizard.core.exitcodes import ExitCode


def cdwizard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def recording_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "REHEARSE_TEST_RECORD": str(tmp_path / "record.txt")}


def test_json_output_is_ndjson_of_the_lifecycle_event_types(tmp_path: Path) -> None:
    bundle = recorder_bundle(tmp_path / "b", tmp_path / "dest", "one")
    proc = cdwizard(
        "rehearse",
        str(bundle),
        "--root",
        str(tmp_path / "root"),
        "--json",
        env=recording_env(tmp_path),
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    known = event_types()
    assert all(line["type"] in known for line in lines)
    assert lines[0]["type"] == "deployment.started" and lines[0]["origin"] == "rehearsal"
    assert lines[-1]["type"] == "deployment.finished" and lines[-1]["status"] == "Succeeded"
    changes = [line for line in lines if line["type"] == "lifecycle.event"]
    assert {c["status"] for c in changes} == {"Skipped", "InProgress", "Succeeded"}
    assert any(
        line["type"] == "lifecycle.output" and line["text"] == "stdout from AfterInstall"
        for line in lines
    )


def test_plain_failure_exits_deploy_failed_with_the_message(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: fail.sh\n",
        {"fail.sh": "#!/bin/sh\necho boom >&2\nexit 4\n"},
    )
    proc = cdwizard("rehearse", str(bundle), "--root", str(tmp_path / "root"), "--plain")
    assert proc.returncode == ExitCode.DEPLOY_FAILED
    assert "local AfterInstall [stderr] boom" in proc.stdout
    assert (
        "ScriptFailed [fail.sh]: Script at specified location: fail.sh failed with exit code 4"
        in proc.stdout
    )
    assert "Failed" in proc.stdout.splitlines()[-1]


def test_bad_appspec_exits_deploy_failed_with_the_agents_message(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "appspec.yml").write_text('version: "0.0"\nos: linux\n')
    proc = cdwizard("rehearse", str(tmp_path / "b"), "--root", str(tmp_path / "root"), "--plain")
    assert proc.returncode == ExitCode.DEPLOY_FAILED
    assert "an invalid version value (0.0) was entered" in proc.stdout
    assert "fix: version is the string" in proc.stdout


def test_bad_events_order_is_a_usage_error(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", "version: 0.0\nos: linux\n")
    proc = cdwizard(
        "rehearse",
        str(bundle),
        "--root",
        str(tmp_path / "root"),
        "--events",
        "ApplicationStart,DownloadBundle",
    )
    assert proc.returncode == ExitCode.USAGE
    assert "The only events that can be specified before DownloadBundle are" in proc.stderr
    assert not (tmp_path / "root").exists()


def test_events_run_only_what_is_asked_plus_download_and_install(tmp_path: Path) -> None:
    bundle = recorder_bundle(tmp_path / "b", tmp_path / "dest", "one")
    proc = cdwizard(
        "rehearse",
        str(bundle),
        "--root",
        str(tmp_path / "root"),
        "--json",
        "--events",
        "ApplicationStart",
        env=recording_env(tmp_path),
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    started = json.loads(proc.stdout.splitlines()[0])
    assert started["events"] == ["DownloadBundle", "Install", "ApplicationStart"]
    assert "event=ApplicationStart" in (tmp_path / "record.txt").read_text()


def test_default_bundle_is_the_rendered_payload_and_answers_give_the_names(tmp_path: Path) -> None:
    out = tmp_path / "ws"
    recorder_bundle(out / "payload", tmp_path / "dest", "one", events=("BeforeInstall",))
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\nproject: demo-app\n")
    proc = cdwizard(
        "rehearse",
        "--out",
        str(out),
        "--answers",
        str(answers),
        "--root",
        str(tmp_path / "root"),
        "--plain",
        env=recording_env(tmp_path),
    )
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
    record = (tmp_path / "record.txt").read_text()
    assert (
        "APPLICATION_NAME=demo-app\n" in record and "DEPLOYMENT_GROUP_NAME=demo-app-dg\n" in record
    )


def test_missing_default_payload_is_a_usage_error(tmp_path: Path) -> None:
    proc = cdwizard(
        "rehearse", "--out", str(tmp_path / "nothing"), "--root", str(tmp_path / "root")
    )
    assert proc.returncode == ExitCode.USAGE
    assert "render the workspace first" in proc.stderr


def test_help_stays_light() -> None:
    code = (
        "import sys\nfrom wizard.cli import main\n"
        "try:\n    main(['rehearse', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'boto3', 'yaml', 'wizard.services.rehearse')\n"
        "         if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy)); sys.exit(1 if heavy else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "--group-id" in proc.stdout and "--events" in proc.stdout
