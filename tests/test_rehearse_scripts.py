"""Hook scripts: the agent's error codes, messages, log tail, timeouts and process groups."""

from __future__ import annotations

import os
import pwd
import signal
import threading
from pathlib import Path

import pytest

from tests.test_rehearse_support import (
    failed_event,
    outputs,
    process_alive,
    rehearse,
    statuses,
    write_bundle,
)
from wizard.core.events.base import Event, Notice
from wizard.core.events.lifecycle import (
    DeploymentStatus,
    Diagnostics,
    HookOutput,
    LifecycleEventChanged,
)
from wizard.core.output import CollectingSink
from wizard.services.rehearse import Rehearsal, RehearsalOptions
from wizard.services.rehearse.process import group_members


def hook_bundle(
    tmp_path: Path,
    scripts: dict[str, str],
    *,
    timeout: int | None = None,
    runas: str | None = None,
    modes: dict[str, int] | None = None,
) -> Path:
    """A bundle whose BeforeInstall runs `scripts` in order."""
    lines = ["version: 0.0", "os: linux", "hooks:", "  BeforeInstall:"]
    for name in scripts:
        lines.append(f"    - location: s/{name}")
        if timeout is not None:
            lines.append(f"      timeout: {timeout}")
        if runas is not None:
            lines.append(f"      runas: {runas}")
    files = {f"s/{name}": (body, (modes or {}).get(name, 0o755)) for name, body in scripts.items()}
    return write_bundle(tmp_path / "bundle", "\n".join(lines) + "\n", files)


def diagnostics_of(events: list[Event]) -> Diagnostics:
    diagnostics = failed_event(events).diagnostics
    assert diagnostics is not None
    return diagnostics


def notices(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, Notice)]


def test_failing_script_reports_exit_code_and_log_tail(tmp_path: Path) -> None:
    bundle = hook_bundle(
        tmp_path,
        {"fail.sh": "#!/bin/sh\necho out\nexit 7\n", "never.sh": "#!/bin/sh\necho never\n"},
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.status is DeploymentStatus.FAILED and result.failed_event == "BeforeInstall"
    d = diagnostics_of(events)
    assert (d.error_code, d.script_name) == ("ScriptFailed", "s/fail.sh")
    assert d.message == "Script at specified location: s/fail.sh failed with exit code 7"
    assert d.log_tail == "LifecycleEvent - BeforeInstall\nScript - s/fail.sh\n[stdout]out\n"
    assert "[stdout]never" not in outputs(events)  # the first failure stops the event
    assert statuses(events)[3:] == [
        ("Install", "Skipped"),
        ("AfterInstall", "Skipped"),
        ("ApplicationStart", "Skipped"),
        ("ValidateService", "Skipped"),
    ]
    assert (
        "Your local deployment failed while trying to execute your script at "
        f"{result.deployment_dir}/deployment-archive/s/fail.sh"
    ) in notices(events)


def test_log_tail_is_capped_near_2_kb(tmp_path: Path) -> None:
    # 200 entries of 58 characters, like the agent run in the reference notes
    body = (
        "#!/bin/sh\ni=0\nwhile [ $i -lt 200 ]; do\n"
        f"  printf 'line %03d %s\\n' $i {'x' * 40}\n  i=$((i+1))\ndone\nexit 1\n"
    )
    result, events, _ = rehearse(hook_bundle(tmp_path, {"loud.sh": body}), tmp_path / "root")
    d = diagnostics_of(events)
    assert len(d.log_tail) == 2030 and d.log_tail.startswith("[stdout]line 165 ")
    assert d.log_tail.endswith("[stdout]line 199 " + "x" * 40 + "\n")
    assert len(outputs(events)) == 200  # the live stream and scripts.log keep everything
    assert (result.deployment_dir / "logs" / "scripts.log").read_text().count("[stdout]line") == 200


def test_missing_script(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: s/nope.sh\n",
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    d = diagnostics_of(events)
    assert (d.error_code, d.script_name) == ("ScriptMissing", "s/nope.sh")
    assert d.message == (
        "Script does not exist at specified location: "
        f"{result.deployment_dir}/deployment-archive/s/nope.sh"
    )
    assert d.log_tail == "LifecycleEvent - BeforeInstall\n"


def test_non_executable_script_is_made_executable_with_the_agents_warning(tmp_path: Path) -> None:
    bundle = hook_bundle(
        tmp_path, {"noexec.sh": "#!/bin/sh\necho ran\n"}, modes={"noexec.sh": 0o644}
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded and "[stdout]ran" in outputs(events)
    assert (
        "Script at specified location: s/noexec.sh is not executable.  "
        "Trying to make it executable." in notices(events)
    )
    archived = result.deployment_dir / "deployment-archive" / "s" / "noexec.sh"
    assert archived.stat().st_mode & 0o777 == 0o755
    assert (
        tmp_path / "bundle" / "s" / "noexec.sh"
    ).stat().st_mode & 0o777 == 0o644  # source untouched


def test_script_without_shebang_runs_under_bin_sh(tmp_path: Path) -> None:
    bundle = hook_bundle(tmp_path, {"plain.sh": "echo plain-$LIFECYCLE_EVENT\n"})
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded and outputs(events) == ["[stdout]plain-BeforeInstall"]


def test_killed_by_a_signal_reports_an_empty_exit_code_like_ruby(tmp_path: Path) -> None:
    _, events, _ = rehearse(
        hook_bundle(tmp_path, {"die.sh": "#!/bin/sh\nkill -9 $$\n"}), tmp_path / "root"
    )
    assert (
        diagnostics_of(events).message
        == "Script at specified location: s/die.sh failed with exit code "
    )
    assert any("killed by SIGKILL" in text for text in notices(events))


def test_timeout_terms_the_process_group_and_leaves_nothing(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    body = f"#!/bin/sh\nsleep 30 &\necho $$ $! > {pids}\necho started\nwait\n"
    _, events, _ = rehearse(hook_bundle(tmp_path, {"sleep.sh": body}, timeout=1), tmp_path / "root")
    d = diagnostics_of(events)
    assert (d.error_code, d.message) == (
        "ScriptTimedOut",
        "Script at specified location: s/sleep.sh failed to complete in 1 seconds",
    )
    assert "[stdout]started" in d.log_tail
    script_pid, child_pid = (int(p) for p in pids.read_text().split())
    assert not process_alive(script_pid) and not process_alive(child_pid)
    assert group_members(script_pid) == []
    failed = failed_event(events)
    assert failed.duration is not None and 1.0 <= failed.duration < 5.0


def test_a_script_ignoring_term_is_killed_after_the_grace(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    body = f"#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho $$ $! > {pids}\nwait\n"
    _, events, _ = rehearse(
        hook_bundle(tmp_path, {"stubborn.sh": body}, timeout=1), tmp_path / "root", kill_grace=0.3
    )
    assert diagnostics_of(events).error_code == "ScriptTimedOut"
    script_pid, child_pid = (int(p) for p in pids.read_text().split())
    assert not process_alive(script_pid) and not process_alive(child_pid)
    assert group_members(script_pid) == []


@pytest.mark.parametrize(("redirect", "stream"), [("", "STDOUT"), (">/dev/null", "STDERR")])
def test_a_background_child_holding_an_output_open(
    tmp_path: Path, redirect: str, stream: str
) -> None:
    pid_file = tmp_path / "child"
    body = f"#!/bin/sh\nsleep 30 {redirect} &\necho $! > {pid_file}\necho parent-done\n"
    try:
        _, events, _ = rehearse(
            hook_bundle(tmp_path, {"bg.sh": body}, timeout=1), tmp_path / "root"
        )
        d = diagnostics_of(events)
        assert d.error_code == "UnknownError" and d.script_name == "s/bg.sh"
        assert d.message == f"Script at specified location: s/bg.sh failed to close {stream}"
        child = int(pid_file.read_text())
        assert process_alive(child)  # like the agent, the child is left running...
        assert any(str(child) in text and "leaves them running" in text for text in notices(events))
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_a_redirected_background_child_lets_the_hook_finish(tmp_path: Path) -> None:
    pid_file = tmp_path / "child"
    body = f"#!/bin/sh\nsleep 30 >/dev/null 2>&1 &\necho $! > {pid_file}\n"
    try:
        result, events, _ = rehearse(
            hook_bundle(tmp_path, {"bg.sh": body}, timeout=20), tmp_path / "root"
        )
        assert result.succeeded
        (done,) = [
            e
            for e in events
            if isinstance(e, LifecycleEventChanged) and e.event == "BeforeInstall" and e.ended_at
        ]
        assert done.duration is not None and done.duration < 10  # long before its 20 s deadline
    finally:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.skipif(os.geteuid() == 0, reason="as root every runas goes through su")
def test_without_root_runas_the_current_user_runs_the_script_directly(tmp_path: Path) -> None:
    me = pwd.getpwuid(os.geteuid()).pw_name
    body = "#!/bin/sh\necho ppid=$PPID\n"
    result, events, _ = rehearse(
        hook_bundle(tmp_path, {"me.sh": body}, runas=me), tmp_path / "root"
    )
    assert result.succeeded and outputs(events) == [f"[stdout]ppid={os.getpid()}"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the agent's su to root needs root")
def test_as_root_runas_root_goes_through_su_like_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: su sets up HOME and MAIL for the script, as it does for the agent's."""
    monkeypatch.delenv("MAIL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    body = '#!/bin/sh\necho "parent=$(cat /proc/$PPID/comm) home=$HOME mail=${MAIL:+set}"\n'
    result, events, _ = rehearse(
        hook_bundle(tmp_path, {"me.sh": body}, runas="root"), tmp_path / "root"
    )
    assert result.succeeded
    assert outputs(events) == [f"[stdout]parent=su home={pwd.getpwnam('root').pw_dir} mail=set"]


def test_script_commands_for_runas_and_sudo() -> None:
    from wizard.services.rehearse.appspec import HookScript
    from wizard.services.rehearse.hooks import RunningUser, script_command

    root, dev = RunningUser("root", is_root=True), RunningUser("dev", is_root=False)
    plain, as_snake = HookScript("s/a.sh"), HookScript("s/a.sh", runas="snake")
    assert script_command("/x/s/a.sh", plain, root) == ["/x/s/a.sh"]
    assert script_command("/x/s/a.sh", as_snake, root) == ["su", "snake", "-c", "/x/s/a.sh"]
    assert script_command("/x/s a.sh", as_snake, root) == ["su", "snake", "-c", "'/x/s a.sh'"]
    as_root = HookScript("s/a.sh", runas="root")
    assert script_command("/x/s/a.sh", as_root, root) == ["su", "root", "-c", "/x/s/a.sh"]
    # without root: no user switch (su would ask for a password); sudo never prompts
    assert script_command("/x/s/a.sh", as_snake, dev) == ["/x/s/a.sh"]
    sudo = HookScript("s/a.sh", sudo=True)
    assert script_command("/x/s/a.sh", sudo, dev) == ["sudo", "-n", "/x/s/a.sh"]
    assert script_command("/x/s/a.sh", sudo, root) == ["/x/s/a.sh"]


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user with su needs root")
def test_runas_another_user_goes_through_su(tmp_path: Path) -> None:
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this machine")
    _, events, _ = rehearse(
        hook_bundle(tmp_path, {"pwd.sh": "#!/bin/sh\npwd\n"}, runas="nobody"), tmp_path / "root"
    )
    d = diagnostics_of(events)
    # nobody has a nologin shell: su fails exactly as it does under the agent
    assert (
        d.message
        == "Script at specified location: s/pwd.sh run as user nobody failed with exit code 1"
    )
    assert any("not available" in line for line in outputs(events))


def test_cancel_from_another_thread_stops_the_running_script(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    body = f"#!/bin/sh\nsleep 30 &\necho $$ $! > {pids}\necho started\nwait\n"
    rehearsal = Rehearsal(
        RehearsalOptions(
            bundle=hook_bundle(tmp_path, {"long.sh": body}, timeout=60),
            root=tmp_path / "root",
            kill_grace=2.0,
        )
    )
    started = threading.Event()

    class Sink(CollectingSink):
        def emit(self, event: Event) -> None:
            super().emit(event)
            if isinstance(event, HookOutput) and event.text == "started":
                started.set()

    sink = Sink()
    results = []
    worker = threading.Thread(target=lambda: results.append(rehearsal.run(sink)))
    worker.start()
    assert started.wait(30)
    rehearsal.cancel()
    worker.join(30)
    assert not worker.is_alive()
    (result,) = results
    assert result.status is DeploymentStatus.STOPPED
    assert statuses(sink.events)[2] == ("BeforeInstall", "Failed")
    assert all(status == "Skipped" for _, status in statuses(sink.events)[3:])
    script_pid, child_pid = (int(p) for p in pids.read_text().split())
    assert not process_alive(script_pid) and not process_alive(child_pid)


def test_without_root_runas_another_user_runs_as_oneself_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.services.rehearse import hooks

    monkeypatch.setattr(hooks.RunningUser, "current", classmethod(lambda cls: cls("dev", False)))
    bundle = hook_bundle(tmp_path, {"a.sh": "#!/bin/sh\necho ppid=$PPID\n"}, runas="snake")
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded and outputs(events) == [f"[stdout]ppid={os.getpid()}"]
    assert any(
        "asks for runas: snake" in text and "runs the script as dev" in text
        for text in notices(events)
    )


def test_one_rehearsal_at_a_time_per_root_and_group(tmp_path: Path) -> None:
    from wizard.services.rehearse import RehearsalError
    from wizard.services.rehearse.layout import DeploymentRoot

    bundle = hook_bundle(tmp_path, {"a.sh": "#!/bin/sh\n"})
    with DeploymentRoot(tmp_path / "root").lock("default-local-deployment-group"):
        with pytest.raises(RehearsalError, match="another rehearsal of group"):
            rehearse(bundle, tmp_path / "root")
        other, _, _ = rehearse(bundle, tmp_path / "root", group_id="other-group")
        assert other.succeeded
