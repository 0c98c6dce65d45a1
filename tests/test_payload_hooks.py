"""The rendered hooks really deploy the service: run like the CodeDeploy agent runs them (absolute
path, agent's environment variables, working directory untouched, `runas` through `su`, own
process group), against the real FastAPI service under hypercorn on a free loopback port."""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.payload_support import (
    HookResult,
    agent_env,
    free_port,
    kill_service,
    payload_answers,
    pid_alive,
    port_open,
    read_pid,
    render_payload,
    run_hook,
)

SUCCESS_LINE = re.compile(
    r'^\{"status":"ok"\}\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\] application passing health checks$',
    re.MULTILINE,
)


def _hook(
    bundle: Path,
    event: str,
    env: Mapping[str, str],
    deployment: str,
    cwd: Path,
    *,
    as_user: str | None = None,
) -> HookResult:
    results = run_hook(bundle, event, agent_env(env, event, deployment), cwd=cwd, as_user=as_user)
    assert len(results) == 1, event
    return results[0]


def _get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        f"http://127.0.0.1:{port}{path}", timeout=5
    ) as answer:
        return answer.status, answer.read().decode()


# --- quick checks, no dependencies installed ------------------------------------------------


@pytest.fixture
def quick_bundle(tmp_path: Path) -> Path:
    """A bundle whose destination exists and whose hooks have a 3 s timeout."""
    answers = payload_answers(tmp_path / "dest", port=free_port(), hook_timeout=3)
    return render_payload(answers, tmp_path / "workspace")


def test_stop_succeeds_when_nothing_runs_and_saves_the_agent_variables(
    quick_bundle: Path, tmp_path: Path
) -> None:
    for _ in range(2):
        stop = _hook(quick_bundle, "ApplicationStop", os.environ, "d-MS07UR13G", tmp_path).check()
        assert "is not running; nothing to stop" in stop.stdout
    saved = tmp_path / "dest" / "var" / "codedeploy-env" / "ApplicationStop.env"
    assert saved.read_text() == (
        "LIFECYCLE_EVENT=ApplicationStop\n"
        "DEPLOYMENT_ID=d-MS07UR13G\n"
        "APPLICATION_NAME=devops-python-service\n"
        "DEPLOYMENT_GROUP_NAME=devops-python-service-dg\n"
        "DEPLOYMENT_GROUP_ID=6859c2df-1fdb-4591-94f9-7acf02eba479\n"
    )


def test_stop_ignores_stale_pid_files_and_never_kills_a_stranger(
    quick_bundle: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "dest" / "var" / "app.pid"
    pid_file.parent.mkdir(parents=True)
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        for pid in (stranger.pid, 2**22 + 1):  # a live non-hypercorn process, then no process
            pid_file.write_text(f"{pid}\n")
            stop = _hook(quick_bundle, "ApplicationStop", os.environ, "d-1", tmp_path).check()
            assert "removing the stale pid file" in stop.stdout
            assert not pid_file.exists()
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


class _Health(BaseHTTPRequestHandler):
    status = 200
    body = b'{"status":"ok"}'

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def health_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A loopback HTTP server answering `request.param` = (status, body) on every path."""
    status, body = request.param
    handler = type("Handler", (_Health,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _path_without_curl(tmp_path: Path) -> str:
    """A PATH with every command of this one except curl (to exercise the urllib probe)."""
    bin_dir = tmp_path / "bin-without-curl"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            link = bin_dir / entry.name
            if entry.name != "curl" and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(bin_dir)


def _validate(tmp_path: Path, port: int, *, curl: bool) -> HookResult:
    answers = payload_answers(
        tmp_path / "dest", port=port, hook_timeout=3, health_path="/ops/ready"
    )
    bundle = render_payload(answers, tmp_path / "workspace")
    env = dict(os.environ)
    if not curl:
        env["PATH"] = _path_without_curl(tmp_path)
    return _hook(bundle, "ValidateService", env, "d-VALIDATE1", tmp_path)


@pytest.mark.parametrize("curl", [True, False], ids=["curl", "urllib"])
@pytest.mark.parametrize("health_server", [(200, b'{"status":"ok"}')], indirect=True)
def test_validate_prints_the_seed_success_line(
    health_server: int, curl: bool, tmp_path: Path
) -> None:
    if curl and not shutil.which("curl"):
        pytest.skip("curl is not installed")
    result = _validate(tmp_path, health_server, curl=curl).check()
    assert SUCCESS_LINE.search(result.stdout), result.output


@pytest.mark.parametrize("curl", [True, False], ids=["curl", "urllib"])
@pytest.mark.parametrize("health_server", [(503, b"warming up")], indirect=True)
def test_validate_fails_with_the_last_answer(
    health_server: int, curl: bool, tmp_path: Path
) -> None:
    if curl and not shutil.which("curl"):
        pytest.skip("curl is not installed")
    result = _validate(tmp_path, health_server, curl=curl)
    assert result.returncode == 1
    assert f"http://127.0.0.1:{health_server}/ops/ready did not answer 2xx" in result.stderr
    assert "last status 503: warming up" in result.stderr
    assert result.seconds < 3  # gave up before the hook timeout


def test_validate_reports_a_refused_connection(tmp_path: Path) -> None:
    result = _validate(tmp_path, free_port(), curl=bool(shutil.which("curl")))
    assert result.returncode == 1
    assert "last status 000:" in result.stderr
    assert re.search(r"(?i)refused|couldn't connect", result.stderr), result.output


# --- the real thing: install, start, validate, redeploy, stop -------------------------------


def _install(bundle: Path, destination: Path) -> None:
    """The agent's Install step for `files: [{source: /, destination}]` with OVERWRITE."""
    shutil.copytree(bundle, destination, symlinks=True, dirs_exist_ok=True)


def _deploy(
    bundle: Path,
    deployment: str,
    env: Mapping[str, str],
    *,
    cwd: Path,
    destination: Path,
    previous: Path | None = None,
    as_user: str | None = None,
) -> dict[str, HookResult]:
    """One deployment in the agent's order; ApplicationStop runs from the previous revision."""
    results: dict[str, HookResult] = {}
    if previous is not None:
        results["ApplicationStop"] = _hook(
            previous, "ApplicationStop", env, deployment, cwd, as_user=as_user
        ).check()
    results["BeforeInstall"] = _hook(
        bundle, "BeforeInstall", env, deployment, cwd, as_user=as_user
    ).check()
    _install(bundle, destination)
    for event in ("AfterInstall", "ApplicationStart", "ValidateService"):
        results[event] = _hook(bundle, event, env, deployment, cwd, as_user=as_user).check()
    return results


@pytest.mark.slow
def test_hooks_deploy_redeploy_and_stop_the_real_service(
    tmp_path: Path, payload_pip_env: dict[str, str]
) -> None:
    port = free_port()
    destination = tmp_path / "dest"
    answers = payload_answers(destination, port=port, hook_timeout=120)
    first = render_payload(answers, tmp_path / "rev1")
    second = render_payload(answers, tmp_path / "rev2")
    (second / "CHANGES.txt").write_text("the second revision\n")
    agent_cwd = tmp_path / "agent-cwd"  # the agent's working directory; hooks must not use it
    agent_cwd.mkdir()
    pid_file = destination / "var" / "app.pid"
    env = payload_pip_env
    try:
        # first deployment: no ApplicationStop (nothing was deployed before)
        one = _deploy(first, "d-FIRST0001", env, cwd=agent_cwd, destination=destination)
        assert SUCCESS_LINE.search(one["ValidateService"].stdout), one["ValidateService"].output
        first_pid = read_pid(pid_file)
        assert first_pid is not None
        assert pid_alive(first_pid)
        status, body = _get(port, "/health")
        assert (status, body) == (200, '{"status":"ok"}')
        first_version = json.loads(_get(port, "/version")[1])
        assert first_version["deployment"]["id"] == "d-FIRST0001"
        assert first_version["deployment"]["group"] == "devops-python-service-dg"
        assert (destination / "var" / "codedeploy-env" / "BeforeInstall.env").read_text() == (
            "LIFECYCLE_EVENT=BeforeInstall\n"
            "DEPLOYMENT_ID=d-FIRST0001\n"
            "APPLICATION_NAME=devops-python-service\n"
            "DEPLOYMENT_GROUP_NAME=devops-python-service-dg\n"
            "DEPLOYMENT_GROUP_ID=6859c2df-1fdb-4591-94f9-7acf02eba479\n"
        )
        assert list(agent_cwd.iterdir()) == []
        _unit_verifies(first, tmp_path)

        # second deployment: the first revision's ApplicationStop stops it, the new one starts
        two = _deploy(
            second, "d-SECOND002", env, cwd=agent_cwd, destination=destination, previous=first
        )
        assert f"TERM to process group {first_pid}" in two["ApplicationStop"].stdout
        assert "reusing the virtual environment" in two["AfterInstall"].stdout
        assert SUCCESS_LINE.search(two["ValidateService"].stdout)
        second_pid = read_pid(pid_file)
        assert second_pid not in (None, first_pid)
        assert not pid_alive(first_pid)
        second_version = json.loads(_get(port, "/version")[1])
        assert second_version["deployment"]["id"] == "d-SECOND002"
        assert second_version["deployment"]["revision"] != first_version["deployment"]["revision"]
        stop_env = (destination / "var" / "codedeploy-env" / "ApplicationStop.env").read_text()
        assert "DEPLOYMENT_ID=d-SECOND002\n" in stop_env

        # stop is idempotent
        stopped = _hook(second, "ApplicationStop", env, "d-THIRD0003", agent_cwd).check()
        assert f"stopped (pid {second_pid})" in stopped.stdout
        again = _hook(second, "ApplicationStop", env, "d-THIRD0003", agent_cwd).check()
        assert "nothing to stop" in again.stdout
        assert not pid_alive(second_pid)
        assert not pid_file.exists()
        assert not port_open(port)

        # a port taken by someone else is reported, not fought over
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            busy = _hook(second, "ApplicationStart", env, "d-THIRD0003", agent_cwd)
        assert busy.returncode == 1
        assert f"port {port} is already in use by another process" in busy.stderr

        # a service that dies at start-up fails ApplicationStart with its own last words
        (destination / "var" / "override.env").write_text("LOG_LEVEL=loud\n")
        _hook(second, "AfterInstall", env, "d-THIRD0003", agent_cwd).check()
        crashed = _hook(second, "ApplicationStart", env, "d-THIRD0003", agent_cwd)
        assert crashed.returncode == 1, crashed.output
        assert "LOG_LEVEL: 'loud' is not a log level" in crashed.stderr
        assert "exited during start-up" in crashed.stderr
        crashed_pid = read_pid(pid_file)
        assert crashed_pid is None or not pid_alive(crashed_pid)
    finally:
        kill_service(pid_file)
    assert not port_open(port)


def _unit_verifies(bundle: Path, tmp_path: Path) -> None:
    """The unit ApplicationStart would install passes `systemd-analyze verify`."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    script = bundle / "scripts" / "start_server.sh"
    unit = subprocess.run(
        ["bash", "-c", 'source "$1" && render_unit', "render_unit", str(script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "@" not in unit.replace("@APP_", "")  # no placeholder left
    assert "@APP_" not in unit
    path = tmp_path / "devops-python-service.service"
    path.write_text(unit)
    verified = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == "", verified.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("userdel") is None,
    reason="needs root and useradd/userdel: the hooks create the run-as user",
)
def test_hooks_create_the_run_as_user_and_run_the_service_as_it(
    payload_wheelhouse: Path, tmp_path: Path
) -> None:
    user = f"cdwz-{secrets.token_hex(4)}"
    # somewhere the new user can reach (pytest's temporary folders are private to root)
    base = Path(tempfile.mkdtemp(prefix="cdwizard-payload-"))
    base.chmod(0o755)
    wheels = base / "wheels"
    shutil.copytree(payload_wheelhouse, wheels)
    for path in (wheels, *wheels.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    destination = base / "dest"
    port = free_port()
    pid_file = destination / "var" / "app.pid"
    try:
        bundle = render_payload(
            payload_answers(destination, port=port, user=user, hook_timeout=120), base / "rev1"
        )
        results = _deploy(bundle, "d-NEWUSER01", env, cwd=tmp_path, destination=destination)
        assert f"creating user {user}" in results["BeforeInstall"].stdout
        assert f"running as {user}" in results["AfterInstall"].stdout
        assert SUCCESS_LINE.search(results["ValidateService"].stdout)
        account = pwd.getpwnam(user)
        assert account.pw_shell == "/bin/bash"  # `su` (runas) needs a real shell
        pid = read_pid(pid_file)
        assert pid is not None
        status = Path(f"/proc/{pid}/status").read_text()
        assert re.search(rf"^Uid:\s+{account.pw_uid}\s", status, re.MULTILINE), status
        # the run-as user owns its state, root owns the code CodeDeploy copied
        assert (destination / ".venv").stat().st_uid == account.pw_uid
        assert (destination / "var").stat().st_uid == account.pw_uid
        assert (destination / "src" / "main.py").stat().st_uid == 0
        _unit_verifies(bundle, tmp_path)
        stop = _hook(bundle, "ApplicationStop", env, "d-NEWUSER02", tmp_path).check()
        assert "stopped" in stop.stdout
        assert not pid_alive(pid)

        # the same hooks without root (a rehearsal by that user): every script runs as the user
        home = base / "home"
        home.mkdir()
        os.chown(home, account.pw_uid, account.pw_gid)
        own_destination = home / "dest"
        own_pid_file = own_destination / "var" / "app.pid"
        own = render_payload(
            payload_answers(own_destination, port=port, user=user, hook_timeout=120),
            base / "rev-own",
        )
        results = _deploy(
            own, "d-NOROOT001", env, cwd=tmp_path, destination=own_destination, as_user=user
        )
        assert "running as root" not in "".join(r.stdout for r in results.values())
        assert SUCCESS_LINE.search(results["ValidateService"].stdout)
        own_pid = read_pid(own_pid_file)
        assert own_pid is not None
        status = Path(f"/proc/{own_pid}/status").read_text()
        assert re.search(rf"^Uid:\s+{account.pw_uid}\s", status, re.MULTILINE), status
        _hook(own, "ApplicationStop", env, "d-NOROOT002", tmp_path, as_user=user).check()
        assert not pid_alive(own_pid)
    finally:
        kill_service(pid_file)
        kill_service(base / "home" / "dest" / "var" / "app.pid")
        subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
