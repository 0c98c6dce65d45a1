"""`cdwizard monitor` as a user runs it: a subprocess against the moto server
(`AWS_ENDPOINT_URL`), plain and NDJSON output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.monitor_scenarios import (
    create_deployment,
    create_pipeline,
    set_deployment,
    start_execution,
)
from wizard.commands.monitor import parse_duration
from wizard.core.exitcodes import ExitCode
from wizard.services.aws.session import AwsClients


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def cdwizard(
    moto_endpoint: str, *argv: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="eu-west-1",
        AWS_MAX_ATTEMPTS="2",
    )
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "wizard", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_monitor_pipeline_plain_follows_the_newest_execution_to_success(
    moto_endpoint, clients
) -> None:
    create_pipeline(clients)
    start_execution(clients, status="Succeeded")
    proc = cdwizard(moto_endpoint, "monitor", "--pipeline", "demo", "--plain")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any("pipeline demo: execution" in line and "Succeeded" in line for line in lines)
    assert any("does not implement GetPipelineState" in line for line in lines)
    assert all(line[:8].count(":") == 2 for line in lines)  # HH:MM:SS on every line


def test_monitor_json_is_one_event_per_line(moto_endpoint, clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients, status="Succeeded")
    proc = cdwizard(moto_endpoint, "monitor", "--pipeline", "demo", "--json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "pipeline.execution_started"
    assert "pipeline.execution_finished" in types
    end = next(e for e in events if e["type"] == "pipeline.execution_finished")
    assert end["execution_id"] == execution and end["status"] == "Succeeded"
    assert end["at"].endswith("Z")


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        ("Succeeded", ExitCode.OK, "Succeeded"),
        ("Failed", ExitCode.DEPLOY_FAILED, "Failed"),
        ("Stopped", ExitCode.DEPLOY_STOPPED, "Stopped"),
    ],
)
def test_monitor_deployment_exit_codes(
    moto_endpoint, clients, status: str, code: int, words: str
) -> None:
    deployment = create_deployment(clients)
    set_deployment(deployment, status, {status: 1})
    proc = cdwizard(moto_endpoint, "monitor", "--deployment", deployment, "--plain")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert f"deployment {deployment} {words}" in proc.stdout
    # moto lacks the target APIs: the monitor says so once and still reports the result
    assert proc.stdout.count("does not implement ListDeploymentTargets") == 1


def test_monitor_times_out_only_when_asked(moto_endpoint, clients) -> None:
    deployment = create_deployment(clients)  # moto keeps it "Created" forever
    proc = cdwizard(
        moto_endpoint, "monitor", "--deployment", deployment, "--timeout", "1s", "--plain"
    )
    assert proc.returncode == ExitCode.TIMED_OUT, proc.stdout + proc.stderr
    assert "gave up waiting after 1s (--timeout)" in proc.stdout
    assert f"still waiting for deployment {deployment}" in proc.stdout


def test_monitor_reads_the_pipeline_from_the_answers(
    moto_endpoint, clients, tmp_path: Path
) -> None:
    create_pipeline(clients, name="from-answers")
    start_execution(clients, pipeline="from-answers", status="Failed")
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\nproject: from-answers\n", encoding="utf-8")
    proc = cdwizard(moto_endpoint, "monitor", "--answers", str(answers), "--plain")
    assert proc.returncode == ExitCode.DEPLOY_FAILED, proc.stdout + proc.stderr
    assert "pipeline from-answers: execution" in proc.stdout


def test_monitor_unknown_deployment_is_an_aws_error(moto_endpoint) -> None:
    proc = cdwizard(moto_endpoint, "monitor", "--deployment", "d-NOPE12345", "--plain")
    assert proc.returncode == ExitCode.AWS_ERROR
    assert "DeploymentDoesNotExistException" in proc.stdout


def test_monitor_without_a_target_is_a_usage_error(moto_endpoint) -> None:
    proc = cdwizard(moto_endpoint, "monitor", "--plain")
    assert proc.returncode == ExitCode.USAGE
    assert "give --answers FILE, --pipeline NAME or --deployment ID" in proc.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("45s", 45.0), ("10m", 600.0), ("1h30m", 5400.0), ("2h", 7200.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_duration_names_the_fix(moto_endpoint) -> None:
    proc = cdwizard(moto_endpoint, "monitor", "--pipeline", "p", "--timeout", "soon")
    assert proc.returncode == 2
    assert "--timeout" in proc.stderr and "e.g. 90, 45s, 10m, 1h30m" in proc.stderr
