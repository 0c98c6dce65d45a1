"""The load balancer's hooks: rendered only when the answers configure one, in the agent's order,
shell-clean, and doing what they say when run like the agent runs them (real sockets and HTTP
servers on loopback: AfterBlockTraffic waits for open connections, AfterAllowTraffic checks the
target group's health check and the public URL)."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.payload_support import HookResult, agent_env, free_port, render_payload, run_hook
from wizard.core.answers import AnswersError, validate_mapping
from wizard.core.render import render

TRAFFIC_SCRIPTS = ("scripts/drain_connections.sh", "scripts/check_traffic.sh")


def _answers(tmp_path: Path, *, port: int, hook_timeout: int = 6, **load_balancer: Any) -> Any:
    return validate_mapping(
        {
            "version": 1,
            "payload": {
                "destination": str(tmp_path / "dest"),
                "user": getpass.getuser(),
                "port": port,
                "bind_address": "127.0.0.1",
                "hook_timeout": hook_timeout,
            },
            "load_balancer": {"mode": "create", **load_balancer},
        }
    )


def _run(bundle: Path, event: str, tmp_path: Path) -> HookResult:
    [result] = run_hook(bundle, event, agent_env({"PATH": "/usr/bin:/bin"}, event, "d-TRAFFIC1"))
    return result


def test_no_load_balancer_no_traffic_hooks() -> None:
    tree = render(validate_mapping({"version": 1}))
    assert not [p for p in tree if p.endswith(TRAFFIC_SCRIPTS)]
    hooks = yaml.safe_load(tree["payload/appspec.yml"].content)["hooks"]
    assert "AfterBlockTraffic" not in hooks and "AfterAllowTraffic" not in hooks


def test_appspec_runs_them_in_the_agent_order_as_the_run_as_user(tmp_path: Path) -> None:
    answers = _answers(tmp_path, port=8000, target_port=8080)
    tree = render(answers)
    hooks = yaml.safe_load(tree["payload/appspec.yml"].content)["hooks"]
    assert list(hooks) == [
        "AfterBlockTraffic",
        "ApplicationStop",
        "BeforeInstall",
        "AfterInstall",
        "ApplicationStart",
        "ValidateService",
        "AfterAllowTraffic",
    ]
    assert hooks["AfterBlockTraffic"] == [
        {"location": "scripts/drain_connections.sh", "timeout": 6, "runas": getpass.getuser()}
    ]
    assert hooks["AfterAllowTraffic"][0]["location"] == "scripts/check_traffic.sh"
    for path in TRAFFIC_SCRIPTS:
        rendered = tree[f"payload/{path}"]
        assert rendered.mode == 0o755
        text = rendered.content.decode()
        assert text.startswith("#!/usr/bin/env bash\n# After")
        assert text.count(str(tmp_path / "dest")) == 1  # each answer assigned once, at the top


def test_traffic_hooks_pass_bash_n_and_shellcheck(tmp_path: Path) -> None:
    answers = _answers(tmp_path, port=8000, target_port=8080, url="https://shop.example.com")
    bundle = render_payload(answers, tmp_path / "ws")
    scripts = [bundle / path for path in TRAFFIC_SCRIPTS]
    for script in scripts:
        subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    linted = subprocess.run(
        ["shellcheck", "--shell=bash", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout


@pytest.mark.parametrize("url", ["$(touch pwned)", "https://a.example/`id`", "http://x y"])
def test_a_url_that_could_run_anything_is_refused(url: str) -> None:
    with pytest.raises(AnswersError, match=r"load_balancer\.url"):
        validate_mapping({"version": 1, "load_balancer": {"mode": "create", "url": url}})


# --- AfterBlockTraffic ---------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP server on a free loopback port that accepts and holds connections."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(server.getsockname()[1]), accepted
    finally:
        server.close()
        for conn in accepted:
            conn.close()


def test_drain_returns_at_once_without_connections(
    tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, _ = listener
    bundle = render_payload(_answers(tmp_path, port=port, target_port=1), tmp_path / "ws")
    result = _run(bundle, "AfterBlockTraffic", tmp_path).check()
    assert f"no connection to port {port} is open; nothing to drain" in result.stdout
    assert result.seconds < 3


def test_drain_waits_for_open_connections_to_finish(
    tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, _ = listener
    client = socket.create_connection(("127.0.0.1", port))
    timer = threading.Timer(1.5, client.close)
    timer.start()
    bundle = render_payload(
        _answers(tmp_path, port=port, target_port=1, deregistration_delay=20), tmp_path / "ws"
    )
    result = _run(bundle, "AfterBlockTraffic", tmp_path).check()
    timer.join()
    assert f"1 connection(s) to port {port} still open; waiting up to 4s" in result.stdout
    assert f"every connection to port {port} finished after" in result.stdout
    assert 1 <= result.seconds < 4


def test_drain_gives_up_after_the_deregistration_delay_without_failing(
    tmp_path: Path, listener: tuple[int, list[socket.socket]]
) -> None:
    port, _ = listener
    client = socket.create_connection(("127.0.0.1", port))
    try:
        bundle = render_payload(
            _answers(tmp_path, port=port, target_port=1, deregistration_delay=1), tmp_path / "ws"
        )
        result = _run(bundle, "AfterBlockTraffic", tmp_path).check()
    finally:
        client.close()
    assert "still open after 1s; ApplicationStop stops the service now" in result.stderr


# --- AfterAllowTraffic ---------------------------------------------------------------------------


def _server(status: int, body: bytes, paths: dict[str, int]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths[self.path] = paths.get(self.path, 0) + 1
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[ThreadingHTTPServer] = []

    def make(status: int, body: bytes = b'{"status":"ok"}') -> tuple[int, dict[str, int]]:
        paths: dict[str, int] = {}
        server = _server(status, body, paths)
        made.append(server)
        return int(server.server_address[1]), paths

    yield make
    for server in made:
        server.shutdown()
        server.server_close()


def test_check_runs_the_target_groups_health_check_here(tmp_path: Path, servers: Any) -> None:
    target, seen = servers(200)
    answers = _answers(
        tmp_path, port=free_port(), target_port=target, health_check_path="/lb/health"
    )
    result = _run(render_payload(answers, tmp_path / "ws"), "AfterAllowTraffic", tmp_path).check()
    assert f"http://127.0.0.1:{target}/lb/health answered 200" in result.stdout
    assert "was not checked through the load balancer" in result.stdout
    assert seen == {"/lb/health": 1}


def test_check_goes_through_the_public_url(tmp_path: Path, servers: Any) -> None:
    target, _ = servers(200)
    front, seen = servers(200)
    answers = _answers(
        tmp_path, port=free_port(), target_port=target, url=f"http://127.0.0.1:{front}/"
    )
    result = _run(render_payload(answers, tmp_path / "ws"), "AfterAllowTraffic", tmp_path).check()
    assert f"the service answers through the load balancer: http://127.0.0.1:{front}/health" in (
        result.stdout
    )
    assert seen == {"/health": 1}


def test_check_fails_with_the_answer_it_got(tmp_path: Path, servers: Any) -> None:
    target, _ = servers(200)
    front, _ = servers(502, b"Bad Gateway")
    answers = _answers(
        tmp_path,
        port=free_port(),
        hook_timeout=4,
        target_port=target,
        url=f"http://127.0.0.1:{front}",
    )
    result = _run(render_payload(answers, tmp_path / "ws"), "AfterAllowTraffic", tmp_path)
    assert result.returncode == 1
    assert (
        f"does not answer through the load balancer: http://127.0.0.1:{front}/health answered "
        "502: Bad Gateway" in result.stderr
    )
    unhealthy, _ = servers(404, b"not found")
    answers = _answers(tmp_path, port=free_port(), hook_timeout=4, target_port=unhealthy)
    result = _run(render_payload(answers, tmp_path / "ws2"), "AfterAllowTraffic", tmp_path)
    assert result.returncode == 1
    assert f"the target group's health check fails here: http://127.0.0.1:{unhealthy}/health " in (
        result.stderr
    )
    assert "answered 404: not found" in result.stderr
