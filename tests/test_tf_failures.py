"""A failing terraform command says what terraform said, why, and what to do next — the same
typed event for plain lines and NDJSON (the TUI's side: tests/tui/test_terraform_failures.py).

The failures are real and offline: `terraform init` against a CLI configuration whose provider
installation cannot succeed (an empty filesystem mirror, a network mirror on a closed loopback
port, the registry behind a proxy that refuses), a state lock held by another terraform, a saved
plan gone stale. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.tf_offline import cached_provider, cli_config, closed_port
from wizard.core.answers import validate_mapping
from wizard.core.events.terraform import TfCommandFinished, TfCommandStarted, TfDiagnostic
from wizard.services.terraform.binary import probe
from wizard.services.terraform.diagnose import Situation, diagnose
from wizard.services.terraform.runner import TerraformRunner, terraform_env
from wizard.services.terraform.workflow import Options, Workflow

pytestmark = pytest.mark.terraform


EXPECTED_CAUSE = {
    "empty-mirror": "provider_not_in_mirror",
    "closed-network-mirror": "mirror_unreachable",
    "refusing-proxy": "registry_unreachable",
}


def plan_cli(
    tmp_path: Path, env: dict[str, str], *output: str
) -> tuple[int, list[dict[str, Any]], str]:
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\nproject: offline\n")
    full = {k: v for k, v in os.environ.items() if k != "CDWIZARD_PROVIDER_MIRROR"}
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", "plan", "--answers", str(answers), "--out", "ws", *output],
        cwd=tmp_path,
        env={**full, "PYTHONPATH": str(REPO), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", sorted(EXPECTED_CAUSE))
def test_unreachable_provider_installs_name_the_cause_and_the_mirror_option(
    kind: str, tmp_path: Path, terraform_bin: str
) -> None:
    config, extra = cli_config(tmp_path, kind)
    cache = tmp_path / "plugin-cache"  # terraform's plugin cache, holding the provider
    cached_provider(cache)
    env = {
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "CDWIZARD_TERRAFORM": terraform_bin,
        **extra,
    }
    code, events, output = plan_cli(tmp_path, env, "--json")
    assert code == 5, output
    [failure] = [e for e in events if e["type"] == "terraform.failure"]
    assert failure["command"] == "init" and failure["cause"] == EXPECTED_CAUSE[kind]
    [diag] = failure["diagnostics"]
    assert diag["summary_text"] == "Failed to query available provider packages"
    assert "hashicorp/aws" in diag["detail"]  # terraform's own words, in full
    steps = failure["next_steps"]
    actions = [s["action"] for s in steps]
    cached, general = [s for s in steps if s["action"] == "use_provider_mirror"]
    assert cached["path"] == str(cache) and cached["detail"] == "TF_PLUGIN_CACHE_DIR"
    assert cached["command"].endswith(f"--out ws --provider-mirror {cache}")
    assert general["env"] == "CDWIZARD_PROVIDER_MIRROR"
    assert general["command"].startswith("cdwizard plan --answers ")
    assert general["command"].endswith("--provider-mirror DIR")
    assert "make_provider_mirror" in actions
    assert all(s["text"] for s in steps)  # the words, beside the data
    if kind == "refusing-proxy":
        network = steps[actions.index("check_network")]
        assert network["detail"] == "registry.terraform.io" and network["env"] == "HTTPS_PROXY"
    else:  # the CLI configuration's provider_installation is what sends installs there
        config_step = steps[actions.index("fix_cli_config")]
        assert config_step["path"] == str(config)
        assert config_step["detail"] in diag["detail"]
    # no second, vaguer line after it: the failure is the last word
    assert events[-1]["type"] == "terraform.failure"

    code, _events, plain = plan_cli(tmp_path, env, "--plain")
    assert code == 5
    assert "✗ terraform init failed: Failed to query available provider packages" in plain
    assert f"--provider-mirror {cache}`" in plain and "CDWIZARD_PROVIDER_MIRROR=DIR" in plain
    assert "see above" not in plain


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [e async for e in events]


async def test_human_init_output_gives_the_same_diagnostic_as_json(
    tmp_path: Path, terraform_bin: str
) -> None:
    """Terraform before 1.9 (and OpenTofu) have no `init -json`: their stderr is read as
    diagnostics, and gives what `-json` gives (terraform's line wrapping undone)."""
    config, _ = cli_config(tmp_path, "empty-mirror")
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    env = terraform_env(extra={"TF_CLI_CONFIG_FILE": str(config)})
    binary = probe(terraform_bin)
    if not binary.init_json:
        pytest.skip(f"{binary.describe()} has no init -json to compare with")
    found = {}
    older = dataclasses.replace(binary, version=(1, 8, 0))
    for name, tool in (("-json", binary), ("-no-color", older)):
        runner = TerraformRunner(tmp_path, tool, env=env)
        events = await collect(runner.init())
        assert isinstance(events[0], TfCommandStarted) and name in events[0].argv
        finished = events[-1]
        assert isinstance(finished, TfCommandFinished) and finished.exit_code == 1
        [diag] = [e for e in events if isinstance(e, TfDiagnostic) and e.severity == "error"]
        found[name] = (diag.summary_text, diag.detail)
    assert found["-no-color"] == found["-json"]


async def test_a_held_state_lock_gives_the_force_unlock_command_with_its_id(
    tmp_path: Path, terraform_bin: str
) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    env = terraform_env(extra={"TF_CLI_CONFIG_FILE": os.devnull})
    runner = TerraformRunner(tmp_path, probe(terraform_bin), env=env)
    assert (await collect(runner.init()))[-1].exit_code == 0
    holder = await asyncio.create_subprocess_exec(  # `terraform console` holds the state lock
        terraform_bin,
        "console",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        lock_info = tmp_path / ".terraform.tfstate.lock.info"
        for _ in range(300):
            if lock_info.is_file() and lock_info.read_text():
                break
            await asyncio.sleep(0.05)
        lock_id = json.loads(lock_info.read_text())["ID"]
        argv = [terraform_bin, "plan", "-json", "-input=false", "-lock-timeout=0s"]
        events = await collect(runner.stream("plan", argv))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        await holder.wait()
    errors = [e for e in events if isinstance(e, TfDiagnostic) and e.severity == "error"]
    found = diagnose(errors, Situation(workdir="ws/terraform", rerun="cdwizard plan -a a.yml"))
    assert found.cause == "state_locked"
    [unlock] = found.steps
    assert unlock.detail == lock_id
    assert unlock.command == f"terraform -chdir=ws/terraform force-unlock {lock_id}"


async def test_a_stale_plan_says_to_plan_again(tmp_path: Path, terraform_bin: str) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    env = terraform_env(extra={"TF_CLI_CONFIG_FILE": os.devnull})
    runner = TerraformRunner(tmp_path, probe(terraform_bin), env=env)
    assert (await collect(runner.init()))[-1].exit_code == 0
    await collect(runner.plan(out="old"))
    await collect(runner.plan(out="new"))
    assert (await collect(runner.apply(plan="new")))[-1].exit_code == 0
    events = await collect(runner.apply(plan="old"))  # the state moved on since "old"
    assert events[-1].exit_code == 1
    errors = [e for e in events if isinstance(e, TfDiagnostic) and e.severity == "error"]
    found = diagnose(errors, Situation(workdir=".", rerun="cdwizard apply -a a.yml"))
    assert found.cause == "stale_plan"
    assert [(s.action, s.command) for s in found.steps] == [("replan", "cdwizard apply -a a.yml")]


@pytest.mark.mirror
async def test_the_plugin_cache_works_as_the_mirror_it_is_suggested_as(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--provider-mirror $TF_PLUGIN_CACHE_DIR` (the suggestion) installs: terraform refuses to
    install a folder into itself, so the workflow drops the cache variable for that run."""
    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(provider_mirror))
    monkeypatch.setenv("CDWIZARD_TERRAFORM", terraform_bin)
    answers = validate_mapping({"version": 1})
    seen: list[Any] = []
    options = Options(answers=answers, out=tmp_path / "ws", mirror=provider_mirror)
    flow = Workflow(options, seen.append)
    flow.start()
    assert flow.runner is not None and "TF_PLUGIN_CACHE_DIR" not in flow.runner.env
    flow.render()
    events = await collect(flow.runner.init())
    assert events[-1].exit_code == 0, [e.summary() for e in events]


@pytest.mark.mirror
def test_a_profile_missing_from_the_aws_config_names_the_answer_to_change(
    tmp_path: Path, terraform_bin: str, provider_mirror: Path
) -> None:
    """The provider fails before any call when the profile does not exist (no metadata service,
    and any call would meet a refusing proxy on loopback)."""
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    (tmp_path / "answers.yml").write_text("version: 1\naws: {profile: 'gone (eu)'}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proxy = f"http://127.0.0.1:{closed_port()}"
    env.update(
        PYTHONPATH=str(REPO),
        CDWIZARD_TERRAFORM=terraform_bin,
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        HTTPS_PROXY=proxy,
        HTTP_PROXY=proxy,
        NO_PROXY="localhost",
    )
    argv = ["plan", "--answers", "answers.yml", "--out", "ws", "--json"]
    argv += ["--provider-mirror", str(provider_mirror)]
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *argv],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 5, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    [failure] = [e for e in events if e["type"] == "terraform.failure"]
    assert failure["command"] == "plan" and failure["cause"] == "aws_credentials"
    assert "gone (eu)" in failure["diagnostics"][0]["summary_text"]
    [step] = failure["next_steps"]
    assert (step["action"], step["key"]) == ("configure_profile", "aws.profile")
    assert step["command"] == "aws configure --profile 'gone (eu)'"
