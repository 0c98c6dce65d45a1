"""`cdwizard doctor` end to end: the real CLI in a subprocess, AWS calls to the moto server through
`CDWIZARD_AWS_ENDPOINT_URL`, the real terraform binary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.test_preflight import instance, layout_mirror, repo_with_branch
from wizard.core.exitcodes import ExitCode
from wizard.services.aws.session import AwsClients

ANSWERS = """\
version: 1
project: shop
source:
  repository: shop
  branch: main
targets:
  tag_key: App
  tag_value: shop
  create_instance: false
  agent_install: ssm
"""


@pytest.fixture
def env(moto_endpoint: str, terraform_bin: str, tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("CDWIZARD_")}
    out.update(
        {
            "CDWIZARD_AWS_ENDPOINT_URL": moto_endpoint,
            "CDWIZARD_TERRAFORM": terraform_bin,
            "CDWIZARD_PROVIDER_MIRROR": str(layout_mirror(tmp_path)),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return out


def doctor(env: dict[str, str], tmp_path: Path, *args: str, answers: str | None = ANSWERS):
    argv = [sys.executable, "-m", "wizard", "doctor", "--out", str(tmp_path / "ws"), *args]
    if answers is not None:
        path = tmp_path / "answers.yml"
        path.write_text(answers)
        argv += ["--answers", str(path)]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_ready_setup_exits_zero_with_a_checklist(
    env: dict[str, str], aws_target, tmp_path: Path
) -> None:
    clients = AwsClients(aws_target)
    repo_with_branch(clients)
    instance(clients)
    proc = doctor(env, tmp_path, "--plain")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    endpoint = env["CDWIZARD_AWS_ENDPOINT_URL"]
    assert lines[0] == f"cdwizard doctor: checking against emulator {endpoint} (eu-west-1)"
    assert any(line.startswith("  ✓ AWS credentials") for line in lines)
    assert any(line.startswith("  ✓ Terraform ") and "Terraform 1." in line for line in lines)
    assert any(line.startswith("  ✓ Branch") and "'main' exists at" in line for line in lines)
    assert lines[-1] == "14 ok, 0 warnings, 0 failed, 6 skipped"  # i17's 13, and leftovers


def test_failures_show_the_fix_and_set_the_exit_code(
    env: dict[str, str], aws_target, tmp_path: Path
) -> None:
    clients = AwsClients(aws_target)
    instance(clients, profile=False)
    proc = doctor(env, tmp_path, "--plain")
    assert proc.returncode == ExitCode.AWS_ERROR, proc.stdout + proc.stderr
    out = proc.stdout
    assert "  ✗ Repository" in out
    assert "fix: create it (`aws codecommit create-repository --repository-name shop`)" in out
    assert "  - Branch             needs the repository" in out
    assert "  ✗ Instance profiles" in out and "associate-iam-instance-profile" in out


def test_json_output_is_one_event_per_line(env: dict[str, str], tmp_path: Path) -> None:
    proc = doctor(env, tmp_path, "--json")
    assert proc.returncode == ExitCode.AWS_ERROR
    got = events(proc.stdout)
    assert got[0]["type"] == "preflight.started"
    checks = [e for e in got if e["type"] == "preflight.check"]
    assert [c["name"] for c in checks] == got[0]["checks"]
    assert {"name", "title", "status", "detail", "fix", "area", "level", "at"} <= set(checks[0])
    instances = next(c for c in checks if c["name"] == "instances")
    assert instances["status"] == "fail" and instances["level"] == "error"
    assert got[-1]["type"] == "preflight.finished"
    assert got[-1]["exit_code"] == ExitCode.AWS_ERROR and got[-1]["first_failure"] == "repository"


def test_missing_terraform_is_tool_missing(env: dict[str, str], aws_target, tmp_path: Path) -> None:
    clients = AwsClients(aws_target)
    repo_with_branch(clients)
    instance(clients)
    bare = dict(env, PATH=str(tmp_path / "empty-bin"))
    bare.pop("CDWIZARD_TERRAFORM")
    proc = doctor(bare, tmp_path, "--json")
    assert proc.returncode == ExitCode.TOOL_MISSING, proc.stdout + proc.stderr
    terraform = next(e for e in events(proc.stdout) if e.get("name") == "terraform")
    assert terraform["status"] == "fail" and "install Terraform" in terraform["fix"]


def test_without_answers_it_checks_the_defaults(env: dict[str, str], tmp_path: Path) -> None:
    proc = doctor(env, tmp_path, "--plain", answers=None)
    assert "no --answers given: checking the default answers" in proc.stdout
    assert "'devops-python-service' does not exist" in proc.stdout


def test_a_bad_answers_file_is_bad_answers(env: dict[str, str], tmp_path: Path) -> None:
    proc = doctor(env, tmp_path, answers="version: 1\ntargets:\n  tag_key: ''\n")
    assert proc.returncode == ExitCode.BAD_ANSWERS
    assert "targets.tag_key" in proc.stderr


def test_name_clashes_respect_the_workspace_state(
    env: dict[str, str], aws_target, tmp_path: Path
) -> None:
    clients = AwsClients(aws_target)
    repo_with_branch(clients)
    instance(clients)
    # a Lambda application of the same name cannot be adopted: a failed check
    clients.client("codedeploy").create_application(
        applicationName="shop", computePlatform="Lambda"
    )
    refused = doctor(env, tmp_path, "--plain")
    assert refused.returncode == ExitCode.AWS_ERROR
    assert "its compute platform is Lambda" in refused.stdout
    assert "deployment.application" in refused.stdout
    state = tmp_path / "ws" / "terraform" / "terraform.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps(
            {
                "version": 4,
                "resources": [
                    {
                        "mode": "managed",
                        "type": "aws_codedeploy_app",
                        "name": "app",
                        "instances": [{"attributes": {"name": "shop"}}],
                    }
                ],
            }
        )
    )
    proc = doctor(env, tmp_path, "--plain")
    assert proc.returncode == 0, proc.stdout
    assert "1 already managed by this workspace" in proc.stdout


@pytest.mark.slow
def test_sandbox_runs_the_checks_against_the_embedded_emulator(
    terraform_bin: str, tmp_path: Path
) -> None:
    pytest.importorskip("wizard.services.sandbox.launcher", reason="the sandbox launcher")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDWIZARD_", "AWS_"))}
    env["CDWIZARD_TERRAFORM"] = terraform_bin
    env["CDWIZARD_PROVIDER_MIRROR"] = str(layout_mirror(tmp_path))
    fresh = (
        "version: 1\nproject: shop\n"
        "source: {repository: shop, branch: main, create_repository: true}\n"
        "targets: {tag_key: App, tag_value: shop, create_instance: true}\n"
    )
    proc = doctor(env, tmp_path, "--sandbox", "--json", answers=fresh)
    got = events(proc.stdout)
    assert got[0]["target"].startswith("emulator http://127.0.0.1:"), proc.stdout + proc.stderr
    status = {e["name"]: e["status"] for e in got if e["type"] == "preflight.check"}
    assert status["credentials"] == "ok" and status["instances"] == "ok"
    assert status["repository"] == "ok"  # the emulator's CodeCommit takes new repositories
    # the emulator's default VPC is AWS's: default subnets with public IPs, an internet gateway
    assert status["default_vpc"] == "ok" and status["network"] == "ok"
    assert status["instance_role"] == "skip"  # no instance of the user's is targeted
    assert proc.returncode == 0, proc.stdout + proc.stderr
