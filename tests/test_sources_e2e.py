"""Every source provider end to end, as a user runs it (one apply per provider, no more):

answers -> `apply --sandbox` (real terraform, the real provider, moto over HTTP) -> a second
`plan` has no changes -> `ship --sandbox` (real git into the sandbox's bare repository, or an S3
upload whose object-created event starts the pipeline) -> the monitor follows the execution to a
successful deployment -> `destroy` leaves nothing (checked through the emulator's saved state).

Bitbucket is the variant that first meets its connection PENDING: the push starts no run, the
run ship starts fails at Source, and the monitor explains why and what to do; after
`cdwizard connection authorize --sandbox` the next ship deploys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.terraform, pytest.mark.mirror]

VARIANTS: dict[str, str] = {
    "github": "source: {provider: github, repository_id: my-org/gh-demo, branch: main}\n",
    "gitlab": "source: {provider: gitlab, repository_id: my-group/sub/gl-demo, branch: main}\n",
    "bitbucket": "source: {provider: bitbucket, repository_id: my-team/bb-demo, branch: main}\n",
    "s3": "source: {provider: s3}\n",
}


def cli(*args: str, cwd: Path, mirror: Path) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *args, "--json"],
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "CDWIZARD_PROVIDER_MIRROR": str(mirror),
            "CDWIZARD_SANDBOX_PACE": "0.1",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stderr


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def inventory(workspace: Path) -> dict[str, Any]:
    """What the emulator holds after the commands exited (its state file, read back)."""
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox

    box = Sandbox(state_file=workspace / STATE_FILE)
    with box:
        c = box.clients
        found = {
            "pipelines": [
                p["name"] for p in c.client("codepipeline").list_pipelines()["pipelines"]
            ],
            "buckets": [b["Name"] for b in c.client("s3").list_buckets()["Buckets"]],
            "rules": [r["Name"] for r in c.client("events").list_rules()["Rules"]],
            "connections": [
                (x["ConnectionName"], x["ProviderType"], x["ConnectionStatus"])
                for x in c.client("codestar-connections").list_connections()["Connections"]
            ],
            "roles": [r["RoleName"] for r in c.client("iam").list_roles()["Roles"]],
            "repositories": [
                r["repositoryName"]
                for r in c.client("codecommit").list_repositories()["repositories"]
            ],
        }
        box.reset()
        box.stop(save=False)
    return found


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("provider", sorted(VARIANTS))
def test_source_provider_full_cycle(provider: str, tmp_path: Path, provider_mirror: Path) -> None:
    project = {"github": "gh-demo", "gitlab": "gl-demo", "bitbucket": "bb-demo", "s3": "s3-demo"}
    answers = tmp_path / "answers.yml"
    answers.write_text(f"version: 1\nproject: {project[provider]}\n{VARIANTS[provider]}")
    common = ("--answers", str(answers), "--out", "ws", "--sandbox")
    ws = tmp_path / "ws"

    # --- apply, then nothing left to change -----------------------------------------------
    code, events, err = cli("apply", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    planned = {
        e["address"] for e in of(events, "terraform.planned_change") if e["action"] != "read"
    }
    done = {e["address"] for e in of(events, "terraform.apply_complete") if e["action"] == "create"}
    assert done == planned
    notices = [e["text"] for e in of(events, "notice")]
    created = inventory(ws)
    assert created["pipelines"] == [project[provider]]
    assert created["repositories"] == []  # no CodeCommit repository for other sources
    if provider == "s3":
        assert "module.source_bucket.aws_s3_bucket_notification.this[0]" in planned
        assert f"{project[provider]}-source-123456789012" in created["buckets"]
        assert created["rules"] == [f"{project[provider]}-source-change"]
        assert created["connections"] == []
    else:
        kind = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket"}[provider]
        assert created["connections"] == [(project[provider], kind, "PENDING")]
        assert created["rules"] == []  # the connection's push trigger starts the pipeline
        # the apply report says so, with what to do
        assert any(
            f"connection {project[provider]} ({kind}) is PENDING" in text
            and "cdwizard connection authorize --sandbox" in text
            for text in notices
        ), notices

    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    last = of(events, "terraform.change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)

    # --- ship and follow -------------------------------------------------------------------
    ship = ("ship", *common, "--trigger-wait", "8s", "--timeout", "5m")
    if provider == "bitbucket":  # first with the connection still PENDING
        code, events, err = cli("connection", *common, cwd=tmp_path, mirror=provider_mirror)
        assert code == 13, err
        code, events, err = cli(*ship, cwd=tmp_path, mirror=provider_mirror)
        assert code == 10, err
        finished = of(events, "pipeline.execution_finished")[-1]
        assert finished["status"] == "Failed"
        assert (
            finished["explanation"] == "connection bb-demo is PENDING: nobody has authorised it yet"
        )
        explained = of(events, "failure.explained")[-1]
        assert "cdwizard connection authorize --sandbox" in explained["remedy"]
        assert "Unable to use Connection" in explained["explanation"]
    if provider != "s3":
        code, events, err = cli(
            "connection", "authorize", *common, cwd=tmp_path, mirror=provider_mirror
        )
        assert code == 0, err
        assert "PENDING -> AVAILABLE" in of(events, "notice")[-1]["text"]

    code, events, err = cli(*ship, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    finished = of(events, "pipeline.execution_finished")[-1]
    assert finished["status"] == "Succeeded"
    followed = finished["execution_id"]
    started = [e for e in of(events, "pipeline.execution_started") if e["execution_id"] == followed]
    source = [e for e in of(events, "pipeline.source") if e["execution_id"] == followed][-1]
    if provider == "s3":
        uploaded = of(events, "source.uploaded")[-1]
        assert source["revision_id"] == uploaded["version_id"]
        assert "ETag" in source["description"]
        assert started[-1]["trigger_type"] == "CloudWatchEvent"  # S3 event -> rule -> pipeline
    elif provider == "bitbucket":  # the branch already held the payload: released again
        assert of(events, "source.pushed")[-1]["unchanged"] is True
        assert started[-1]["trigger_type"] == "StartPipelineExecution"
    else:
        pushed = of(events, "source.pushed")[-1]
        assert source["revision_id"] == pushed["commit_id"]
        assert started[-1]["trigger_type"] == "WebhookV2"  # the push, through the connection
        repository = {"github": "my-org/gh-demo", "gitlab": "my-group/sub/gl-demo"}[provider]
        assert f"{repository}@main" in source["description"]
        bare = ws / ".cdwizard" / "sandbox-git" / provider / f"{repository}.git"
        head = subprocess.run(
            ["git", f"--git-dir={bare}", "rev-parse", "refs/heads/main"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert head.stdout.strip() == pushed["commit_id"]
    assert of(events, "deployment.finished")[-1]["status"] == "Succeeded"

    # --- destroy leaves nothing ------------------------------------------------------------
    code, events, err = cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    report = of(events, "terraform.report")[-1]
    assert report["ok"] and report["left_behind"] == []
    gone = inventory(ws)
    for key in ("pipelines", "buckets", "rules", "connections", "roles", "repositories"):
        assert gone[key] == [], (key, gone[key])
