"""`cdwizard monitor` / `ship` wiring: the screen in a terminal (built exactly as the command
builds it), `--timeout` on the screen, and `--sandbox` reopening the emulator an earlier apply
left in the workspace (separate processes: moto's backends are process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.monitor_scenarios import create_pipeline, start_execution
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.cli import build_parser
from wizard.commands.monitor import follow_spec, monitor_app
from wizard.core.answers import load_answers
from wizard.core.exitcodes import ExitCode
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec
from wizard.services.aws.session import AwsClients
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen

SIZE = (120, 40)


def answers_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "answers.yml"
    path.write_text("version: 1\nproject: shop\n", encoding="utf-8")
    return path


def terminal_args(*argv: str):
    args = build_parser().parse_args(list(argv))
    args.output = "tui"  # what `resolve_output` says at a terminal
    return args


async def test_monitor_in_a_terminal_opens_the_screen_on_the_newest_execution(
    aws_target, tmp_path: Path
) -> None:
    clients = AwsClients(aws_target)
    create_pipeline(clients, name="shop", repository="shop")
    start_execution(clients, pipeline="shop", status="Failed")
    path = answers_file(tmp_path)
    args = terminal_args("monitor", "--answers", str(path), "--out", str(tmp_path / "ws"))
    answers = load_answers(path)
    spec = follow_spec(args, answers)
    assert spec.keep_following and spec.execution == ExecutionSelector("newest")
    app = monitor_app(args, aws_target, spec, answers)
    feed = app.feed
    assert isinstance(feed, AwsFeed)
    assert feed.label == "pipeline shop · sandbox"
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor")
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_for(pilot, lambda: screen.updates >= 1, what="the first poll", timeout=30)
        assert "execution" in str(screen.query_one("#flow").content)
        assert "ship" in screen.offered, "--answers gives ship its repository and payload"
        await pilot.press("q")
    assert app.return_value == ExitCode.DEPLOY_FAILED
    assert feed.ended.wait(5)
    pinned = follow_spec(terminal_args("monitor", "--pipeline", "shop", "--execution", "abc"), None)
    assert not pinned.keep_following and pinned.execution == ExecutionSelector("id", "abc")


async def test_ship_in_a_terminal_follows_the_push_on_the_screen(
    aws_target, tmp_path: Path
) -> None:
    from tests.monitor_scenarios import moto_backend
    from wizard.commands.monitor import ship_app

    create_pipeline(AwsClients(aws_target), name="shop", repository="shop")
    path = answers_file(tmp_path)
    answers = load_answers(path)
    args = terminal_args("ship", "--answers", str(path), "--trigger-wait", "5s")
    spec = FollowSpec(pipeline="shop", execution=ExecutionSelector("commit", "c" * 40))
    # nothing new was pushed (the branch held this payload): the pipeline is released at once
    app = ship_app(args, aws_target, spec, answers, commit_id="c" * 40, unchanged=True)
    (released,) = moto_backend("codepipeline").pipelines["shop"].executions
    assert app.intro == f"the branch already held this payload: released it again ({released})"
    assert app.feed.monitor.spec.execution == ExecutionSelector("id", released)
    assert app.feed.trigger_wait == 5.0
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor")
        await wait_for(pilot, lambda: app.screen.updates >= 1, what="the first poll", timeout=30)
        assert released[:8] in str(app.screen.query_one("#flow").content)
    assert app.feed.ended.wait(5)


async def test_timeout_on_the_screen_exits_12_while_nothing_finished(aws_target) -> None:
    create_pipeline(AwsClients(aws_target), name="idle")
    args = terminal_args("monitor", "--pipeline", "idle")
    app = monitor_app(args, aws_target, follow_spec(args, None), None)
    assert isinstance(app, MonitorApp)
    app.timeout = 0.2
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.return_value is not None, what="the timeout")
    assert app.return_value == ExitCode.TIMED_OUT and app.timed_out


SEED = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.monitor_scenarios import create_pipeline
    from wizard.services.sandbox.launcher import Sandbox

    out = Path(sys.argv[1])
    box = Sandbox(state_file=out / ".cdwizard/sandbox-state.pkl.gz")
    box.start()
    # the repository first: the execution that creating the pipeline starts then finds it
    # (empty), whatever the clock says
    box.clients.client("codecommit").create_repository(repositoryName="shop")
    create_pipeline(box.clients, name="shop", repository="shop")
    box.stop()
    """
)

CHECK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from wizard.services.sandbox.launcher import Sandbox

    out = Path(sys.argv[1])
    box = Sandbox(state_file=out / ".cdwizard/sandbox-state.pkl.gz")
    box.start()
    head = box.clients.client("codecommit").get_branch(repositoryName="shop", branchName="master")
    print(head["branch"]["commitId"])
    box.stop()
    """
)


#: The seed's pipeline polls its branch: at the default pace polling notices the push ~10 s
#: later and starts a run of its own, so under load the monitor could see that run instead of
#: the one creating the pipeline started. Schedules are fixed when computed, so a slow pace for
#: the push and the monitor moves only the poll (to ~5 min) and leaves the seeded run as it was.
SLOW_POLL = "30"


def python(*argv: str, pace: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pace is not None:
        env["CDWIZARD_SANDBOX_PACE"] = pace
    return subprocess.run(
        [sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.slow
def test_sandbox_commands_reopen_the_workspace_emulator(tmp_path: Path) -> None:
    out = tmp_path / "ws"
    answers_file(out)  # the wizard saves its answers in the workspace
    seeded = python("-c", SEED, str(out))
    assert seeded.returncode == 0, seeded.stderr
    shipped = python(
        "-m",
        "wizard",
        "ship",
        "--sandbox",
        "--out",
        str(out),
        "--plain",
        "--no-follow",
        pace=SLOW_POLL,
    )
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert "(a new branch: the repository's first commit)" in shipped.stdout
    checked = python("-c", CHECK, str(out))
    assert checked.returncode == 0, checked.stderr
    commit = checked.stdout.strip()
    assert f"as commit {commit[:7]}" in shipped.stdout, "the push was saved with the sandbox"
    watched = python(
        "-m",
        "wizard",
        "monitor",
        "--sandbox",
        "--out",
        str(out),
        "--plain",
        "--timeout",
        "60s",
        pace=SLOW_POLL,
    )
    # the sandbox's delivery engine ran the execution that creating the pipeline starts, while
    # the repository was still empty (the seed has no trigger rule, so the push started none)
    assert watched.returncode == ExitCode.DEPLOY_FAILED, watched.stdout + watched.stderr
    assert "pipeline shop: execution" in watched.stdout
    assert "(trigger CreatePipeline)" in watched.stdout
    assert "branch 'master' does not exist in repository 'shop'" in watched.stdout
    missing = python(
        "-m", "wizard", "monitor", "--sandbox", "--out", str(tmp_path / "none"), "--pipeline", "p"
    )
    assert missing.returncode == ExitCode.USAGE
    assert "no sandbox in" in missing.stderr and "cdwizard apply --sandbox" in missing.stderr
