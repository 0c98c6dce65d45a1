"""The instances' first-boot script (terraform/modules/instance/user_data.sh.tftpl), rendered by
terraform's own `templatefile()` and run for real by bash against stub package tools: a dpkg lock
held at first boot is waited out, for every apt call and for the agent's installer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

TEMPLATE = REPO / "terraform" / "modules" / "instance" / "user_data.sh.tftpl"
LOCK_MESSAGE = (
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1432 "
    "(unattended-upgr)\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
    "process using it?"
)
PACKAGE_TOOLS = ("apt-get", "dnf", "yum", "./install", "gdebi", "dpkg", "rpm")


@pytest.fixture(scope="module")
def script(terraform_bin: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The user_data as terraform renders it (no providers needed for `templatefile`)."""
    empty = tmp_path_factory.mktemp("console")
    expression = (
        f'templatefile("{TEMPLATE}", {{region = "eu-west-1", dns_suffix = "amazonaws.com"}})'
    )
    proc = subprocess.run(
        [terraform_bin, "console"],
        input=f"jsonencode({expression})\n",
        cwd=empty,
        capture_output=True,
        text=True,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        check=True,
    )
    return str(json.loads(json.loads(proc.stdout)))


def _stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def run_first_boot(
    script: str,
    tmp_path: Path,
    *,
    apt_failures: int = 2,
    apt_error: str = LOCK_MESSAGE,
    installer_failures: int = 1,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the rendered script as cloud-init would, with stub apt-get, wget, the agent's
    installer, systemctl and sleep on PATH; its log and console go to `tmp_path`."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    calls = state / "calls"
    (state / "apt-error").write_text(apt_error + "\n")
    _stub(
        bin_dir / "apt-get",
        f'echo "apt-get $*" >>{calls}\n'
        f"n=$(($(cat {state}/apt-count 2>/dev/null || echo 0) + 1)); echo $n >{state}/apt-count\n"
        f'if [ "$n" -le {apt_failures} ]; then cat {state}/apt-error >&2; exit 100; fi\n',
    )
    installer = state / "installer"
    _stub(
        installer,
        f'echo "install $*" >>{calls}\n'
        f"n=$(($(cat {state}/install-count 2>/dev/null || echo 0) + 1)); "
        f"echo $n >{state}/install-count\n"
        f'if [ "$n" -le {installer_failures} ]; then echo "{LOCK_MESSAGE.splitlines()[0]}"; '
        "exit 1; fi\n"
        'echo "codedeploy-agent installed"\n',
    )
    _stub(
        bin_dir / "wget",
        f'echo "wget $*" >>{calls}\n'
        'while [ $# -gt 0 ]; do [ "$1" = -O ] && out=$2; shift; done\n'
        f'cp {installer} "$out"\n',
    )
    _stub(
        bin_dir / "systemctl",
        f'echo "systemctl $*" >>{calls}\n[ "$1" = is-active ] && echo active\nexit 0\n',
    )
    _stub(bin_dir / "sleep", f'echo "sleep $*" >>{calls}\n')
    log, console = tmp_path / "user-data.log", tmp_path / "console"
    console.touch()
    assert script.count("\nlog=/var/log/cdwizard-user-data.log\n") == 1
    assert script.count("\nconsole=/dev/console\n") == 1
    local = script.replace("\nlog=/var/log/cdwizard-user-data.log\n", f"\nlog={log}\n").replace(
        "\nconsole=/dev/console\n", f"\nconsole={console}\n"
    )
    path = tmp_path / "user_data.sh"
    path.write_text(local)
    proc = subprocess.run(
        ["bash", str(path)],
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc, state


def test_rendered_user_data_passes_shellcheck(script: str, tmp_path: Path) -> None:
    path = tmp_path / "user_data.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (`.ci/run` installs it)")
    proc = subprocess.run([shellcheck, "-s", "bash", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_every_package_manager_call_and_the_installer_are_retried(script: str) -> None:
    statements = [line.split() for line in script.splitlines() if line.strip()]
    # the one exception: the recovery `dpkg --configure -a` inside retry_locked (best effort)
    bare = [
        s for s in statements if s[0] in PACKAGE_TOOLS and s[:3] != ["dpkg", "--configure", "-a"]
    ]
    guarded = [s for s in statements if s[0] == "retry_locked" and s[1] in PACKAGE_TOOLS]
    assert bare == [], "every apt-get/dnf/yum call and the installer go through retry_locked"
    assert [s[1] for s in guarded] == ["apt-get", "apt-get", "dnf", "yum", "./install"]
    assert "install -y -q ruby-full wget gdebi-core" in script


def test_a_held_dpkg_lock_is_waited_out(script: str, tmp_path: Path) -> None:
    proc, state = run_first_boot(script, tmp_path)
    log = (tmp_path / "user-data.log").read_text()
    assert proc.returncode == 0, log
    calls = (state / "calls").read_text().splitlines()
    apt = [c for c in calls if c.startswith("apt-get")]
    assert apt == [
        "apt-get -o DPkg::Lock::Timeout=300 update -q",
        "apt-get -o DPkg::Lock::Timeout=300 update -q",
        "apt-get -o DPkg::Lock::Timeout=300 update -q",
        "apt-get -o DPkg::Lock::Timeout=300 install -y -q ruby-full wget gdebi-core",
    ]
    assert [c for c in calls if c.startswith("install")] == ["install auto", "install auto"]
    assert [c for c in calls if c.startswith("sleep")] == ["sleep 10"] * 3
    assert "systemctl enable --now codedeploy-agent" in calls
    assert log.count("the package lock is held, waiting: apt-get") == 2
    assert "the package lock is held, waiting: ./install auto" in log
    console = (tmp_path / "console").read_text().splitlines()
    assert [line.split(" at ")[0] for line in console] == [
        "cdwizard-agent: installing",
        "cdwizard-agent: running",
    ]


def test_other_failures_give_up_and_say_so_on_the_console(script: str, tmp_path: Path) -> None:
    proc, state = run_first_boot(
        script, tmp_path, apt_failures=99, apt_error="E: Failed to fetch http://archive (404)"
    )
    assert proc.returncode != 0
    calls = (state / "calls").read_text().splitlines()
    assert len([c for c in calls if c.startswith("apt-get")]) == 5  # not the lock: 5 tries
    log = (tmp_path / "user-data.log").read_text()
    assert "giving up after 5 attempts: apt-get" in log
    last = (tmp_path / "console").read_text().splitlines()[-1]
    assert last.startswith("cdwizard-agent: failed at ")
    assert "user_data stopped at line" in last and "user-data.log" in last
