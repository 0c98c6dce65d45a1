"""End to end: render the real FastAPI payload and rehearse it twice, as the agent would deploy it.

Needs the payload (templates/payload/, payload/, tests/payload_support.py with its offline
wheelhouse fixture); skips with the reason until it is on this branch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.test_rehearse_support import DEPLOYMENTS_LOG_LINE, LOGGER_HEADER, SCRIPTS_LOG_LINE
from wizard.core import resources

pytestmark = pytest.mark.slow

GROUP_ID = "6859c2df-1fdb-4591-94f9-7acf02eba479"


@pytest.fixture
def payload(request: pytest.FixtureRequest) -> tuple[Any, dict[str, str]]:
    """(tests.payload_support, environment with the offline wheelhouse for pip)."""
    if not (resources.templates_dir() / "payload" / "appspec.yml.j2").is_file():
        pytest.skip("the payload templates (templates/payload/) are not on this branch yet")
    support = pytest.importorskip("tests.payload_support")
    return support, request.getfixturevalue("payload_pip_env")


def cdwizard(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *(str(a) for a in args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def ndjson(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr}"
    return [json.loads(line) for line in proc.stdout.splitlines()]


def final_statuses(events: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["event"]: e["status"]
        for e in events
        if e["type"] == "lifecycle.event" and e["status"] != "InProgress"
    }


def output_of(events: list[dict[str, Any]], event: str) -> str:
    return "\n".join(
        e["text"] for e in events if e["type"] == "lifecycle.output" and e["event"] == event
    )


def health(port: int) -> dict[str, Any]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
        return json.loads(answer.read())


def test_rehearse_the_rendered_payload_twice(
    tmp_path: Path, payload: tuple[Any, dict[str, str]]
) -> None:
    support, pip_env = payload
    from wizard.core.answers import answers_yaml

    port = support.free_port()
    destination = tmp_path / "target"
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text(answers_yaml(support.payload_answers(destination, port=port)))
    workspace, root = tmp_path / "ws", tmp_path / "deployment-root"
    rendered = cdwizard("render", "--answers", answers_file, "--out", workspace)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    rehearse = (
        "rehearse",
        "--out",
        workspace,
        "--answers",
        answers_file,
        "--root",
        root,
        "--group-id",
        GROUP_ID,
        "--json",
    )
    pid_file = destination / "var" / "app.pid"
    try:
        # --- first deployment: ApplicationStop skipped, the service starts and validates
        first = ndjson(cdwizard(*rehearse, env=pip_env))
        first_id = first[0]["deployment_id"]
        assert final_statuses(first) == {
            "ApplicationStop": "Skipped",
            "DownloadBundle": "Succeeded",
            "BeforeInstall": "Succeeded",
            "Install": "Succeeded",
            "AfterInstall": "Succeeded",
            "ApplicationStart": "Succeeded",
            "ValidateService": "Succeeded",
        }
        validate = output_of(first, "ValidateService")
        assert '{"status":"ok"}' in validate and "application passing health checks" in validate
        assert health(port) == {"status": "ok"}
        first_pid = support.read_pid(pid_file)
        assert first_pid is not None and support.pid_alive(first_pid)

        # --- second deployment: ApplicationStop from the first revision, with the new id
        second = ndjson(cdwizard(*rehearse, env=pip_env))
        second_id = second[0]["deployment_id"]
        assert set(final_statuses(second).values()) == {"Succeeded"}
        stops = [
            e for e in second if e["type"] == "lifecycle.event" and e["event"] == "ApplicationStop"
        ]
        assert {e["ran_revision"] for e in stops} == {first_id}
        stop_output = output_of(second, "ApplicationStop")
        assert (
            f"{root}/{GROUP_ID}/{first_id}/deployment-archive/scripts/stop_server.sh" in stop_output
        )
        assert f"deployment {second_id}" in stop_output
        second_pid = support.read_pid(pid_file)
        assert second_pid is not None and second_pid != first_pid
        assert support.pid_alive(second_pid) and not support.pid_alive(first_pid)
        assert health(port) == {"status": "ok"}

        # --- the env-var dump the hooks keep, as the seed shows it
        env_dir = destination / "var" / "codedeploy-env"
        expected = (
            "LIFECYCLE_EVENT={event}\n"
            f"DEPLOYMENT_ID={second_id}\n"
            "APPLICATION_NAME=devops-python-service\n"
            "DEPLOYMENT_GROUP_NAME=devops-python-service-dg\n"
            f"DEPLOYMENT_GROUP_ID={GROUP_ID}\n"
        )
        for event in ("ApplicationStop", "ValidateService"):
            assert (env_dir / f"{event}.env").read_text() == expected.format(event=event)

        # --- both logs, in the agent's shapes
        scripts_log = (root / GROUP_ID / second_id / "logs" / "scripts.log").read_text()
        lines = scripts_log.splitlines()
        assert lines[0].endswith(" LifecycleEvent - ApplicationStop")
        assert all(SCRIPTS_LOG_LINE.match(line) for line in lines), [
            line for line in lines if not SCRIPTS_LOG_LINE.match(line)
        ]
        combined = (root / "deployment-logs" / "codedeploy-agent-deployments.log").read_text()
        combined_lines = combined.splitlines()
        assert LOGGER_HEADER.match(combined_lines[0])
        assert all(DEPLOYMENTS_LOG_LINE.match(line) for line in combined_lines[1:])
        assert (
            f"[{second_id}][stdout]" in combined and "application passing health checks" in combined
        )
        instructions = root / "deployment-instructions"
        last = (instructions / f"{GROUP_ID}_last_successful_install").read_text()
        assert last == str(root / GROUP_ID / second_id)
        assert (destination / "appspec.yml").is_file()
    finally:
        support.kill_service(pid_file)


def test_rehearse_the_load_balanced_payload_twice(
    tmp_path: Path, payload: tuple[Any, dict[str, str]]
) -> None:
    """Answers with a load balancer: the traffic hooks run by default, AfterBlockTraffic from the
    previous revision (skipped on the first deployment), AfterAllowTraffic checks the service
    the way the target group does."""
    support, pip_env = payload
    from wizard.core.answers import answers_yaml, validate_mapping

    port = support.free_port()
    destination = tmp_path / "target"
    base = support.payload_answers(destination, port=port)
    answers = validate_mapping(
        {
            "version": 1,
            "payload": {
                "destination": str(destination),
                "user": base.payload.user,
                "port": port,
                # a load balancer reaches the service from outside; the test still only talks
                # to 127.0.0.1
                "bind_address": "0.0.0.0",
            },
            "load_balancer": {"mode": "create", "deregistration_delay": 5},
        }
    )
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text(answers_yaml(answers))
    workspace, root = tmp_path / "ws", tmp_path / "deployment-root"
    rendered = cdwizard("render", "--answers", answers_file, "--out", workspace)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    rehearse = ("rehearse", "--out", workspace, "--answers", answers_file, "--root", root)
    pid_file = destination / "var" / "app.pid"
    try:
        first = ndjson(cdwizard(*rehearse, "--json", env=pip_env))
        statuses = final_statuses(first)
        assert statuses["AfterBlockTraffic"] == "Skipped"  # no previous revision yet
        assert statuses["AfterAllowTraffic"] == "Succeeded"
        assert f"http://127.0.0.1:{port}/health answered 200" in output_of(
            first, "AfterAllowTraffic"
        )
        second = ndjson(cdwizard(*rehearse, "--json", env=pip_env))
        assert final_statuses(second)["AfterBlockTraffic"] == "Succeeded"
        drained = output_of(second, "AfterBlockTraffic")
        assert f"no connection to port {port} is open; nothing to drain" in drained
        assert "AfterAllowTraffic" in final_statuses(second)
        assert health(port) == {"status": "ok"}
        # --no-traffic overrides the answers
        third = ndjson(cdwizard(*rehearse, "--json", "--no-traffic", env=pip_env))
        assert "AfterAllowTraffic" not in final_statuses(third)
    finally:
        support.kill_service(pid_file)
