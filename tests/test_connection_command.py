"""`cdwizard connection` as a user runs it (a subprocess, --json), against the moto server with
the sandbox's CodeConnections extension: list, status of the answers' connection (exit 13 until
it is AVAILABLE, with where to authorise it), the refusals that name the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.aws.target import ENDPOINT_ENV
from wizard.services.sandbox.console import authorize_connection


def cli(*args: str, cwd: Path, endpoint: str) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", "connection", *args, "--json"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), ENDPOINT_ENV: endpoint},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stderr


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [e.get("text") or e.get("message") or "" for e in events]


def test_list_and_status(tmp_path: Path, moto_endpoint: str, aws_target: AwsTarget) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "version: 1\nproject: shop\naws: {region: eu-west-1}\n"
        "source: {provider: gitlab, repository_id: my-group/shop, branch: main}\n"
    )
    code, events, err = cli("list", "--region", "eu-west-1", cwd=tmp_path, endpoint=moto_endpoint)
    assert code == 0, err
    assert texts(events) == ["no connections in this account and region"]

    code, events, err = cli("--answers", str(answers), cwd=tmp_path, endpoint=moto_endpoint)
    assert code == 13
    assert "no connection named shop" in err + " ".join(texts(events))

    client = AwsClients(aws_target).client("codestar-connections")
    arn = client.create_connection(ConnectionName="shop", ProviderType="GitLab")["ConnectionArn"]
    client.create_connection(ConnectionName="other", ProviderType="GitHub")
    code, events, err = cli(
        "list",
        "--provider",
        "gitlab",
        "--region",
        "eu-west-1",
        cwd=tmp_path,
        endpoint=moto_endpoint,
    )
    assert code == 0, err
    assert texts(events) == [f"shop  GitLab  PENDING  {arn}"]

    code, events, err = cli("--answers", str(answers), cwd=tmp_path, endpoint=moto_endpoint)
    assert code == 13, err
    # an emulator endpoint is the sandbox: the step is the sandbox's (doctor's tests check the
    # console URL given on AWS)
    assert texts(events)[-1] == (
        "connection shop (GitLab) is PENDING: authorise it with `cdwizard connection authorize "
        "--sandbox` (the sandbox's stand-in for the console step)"
    )

    authorize_connection(aws_target, arn)
    code, events, err = cli("--answers", str(answers), cwd=tmp_path, endpoint=moto_endpoint)
    assert code == 0, err
    assert texts(events)[-1] == "connection shop (GitLab) is AVAILABLE"


def test_refusals_name_the_fix(tmp_path: Path, moto_endpoint: str) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "version: 1\nproject: shop\n"
        "source: {provider: github, repository_id: my-org/shop, branch: main}\n"
    )
    code, events, err = cli(
        "authorize", "--answers", str(answers), cwd=tmp_path, endpoint=moto_endpoint
    )
    assert code == 13
    assert "`cdwizard apply` creates it" in err + " ".join(texts(events))
    codecommit = tmp_path / "cc.yml"
    codecommit.write_text("version: 1\nproject: shop\n")
    code, events, err = cli("--answers", str(codecommit), cwd=tmp_path, endpoint=moto_endpoint)
    assert code == 2
    assert "only github, gitlab and bitbucket sources use a connection" in err + " ".join(
        texts(events)
    )
