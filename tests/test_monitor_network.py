"""A real network outage: the monitor talks to moto through a TCP relay the test takes down and
brings back. botocore raises a genuine `EndpointConnectionError`; the monitor shows a banner
(`connection.problem`), keeps polling with a growing delay, and recovers (`connection.restored`).
Also: an endpoint without GetPipelineState/ListActionExecutions degrades instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.monitor_scenarios import create_pipeline, set_execution, start_execution
from tests.relay import Relay
from wizard.core.events.base import Notice
from wizard.core.events.pipeline import (
    ConnectionProblem,
    ConnectionRestored,
    PipelineExecutionFinished,
)
from wizard.core.output import CollectingSink
from wizard.services.aws.monitor import FollowSpec, Monitor, MonitorUpdate, PollIntervals
from wizard.services.aws.session import AwsClients


@pytest.fixture
def relay(moto_endpoint: str):
    r = Relay(moto_endpoint)
    r.up()
    yield r
    r.down()


def test_network_error_shows_a_banner_and_recovers(aws_target, relay: Relay) -> None:
    setup = AwsClients(aws_target)
    create_pipeline(setup)
    execution = start_execution(setup)
    clients = relay.clients(aws_target.region)
    steps: list[Callable[[], None]] = [
        relay.down,  # before poll 2
        lambda: None,  # poll 3 still down
        relay.up,  # poll 4 reaches AWS again
        lambda: set_execution("demo", execution, "Succeeded"),  # poll 5 sees the end
    ]
    delays: list[float] = []

    def sleeper(delay: float) -> None:
        delays.append(delay)
        if steps:
            steps.pop(0)()

    intervals = PollIntervals(active=1.0, idle=5.0, max_offline=3.0)
    monitor = Monitor(clients, FollowSpec(pipeline="demo"), intervals=intervals, sleeper=sleeper)
    sink = CollectingSink()
    seen: list[MonitorUpdate] = []

    def on_update(update: MonitorUpdate) -> None:
        seen.append(update)
        for e in update.events:
            sink.emit(e)

    monitor.subscribe(on_update)
    monitor.start()
    outcome = monitor.wait(timeout=120)
    monitor.join(timeout=10)

    assert outcome is not None and outcome.result == "succeeded"
    problems = [e for e in sink.events if isinstance(e, ConnectionProblem)]
    assert len(problems) == 1  # one banner for the whole outage, not one per poll
    assert "Could not connect to the endpoint URL" in problems[0].message
    assert problems[0].service == "codepipeline"
    assert problems[0].operation == "ListPipelineExecutions"
    restored = [e for e in sink.events if isinstance(e, ConnectionRestored)]
    assert len(restored) == 1
    # the snapshots carry the banner state for a screen
    states = [(u.snapshot.connection.ok, u.snapshot.connection.problem is None) for u in seen]
    assert states[:4] == [(True, True), (False, False), (False, False), (True, True)]
    # retry delay grows while offline (1 s, 2 s), back to the active interval after
    assert delays[:3] == [1.0, 1.0, 2.0]
    assert delays[3] == 1.0
    ends = [e for e in sink.events if isinstance(e, PipelineExecutionFinished)]
    assert [e.status for e in ends] == ["Succeeded"]
    # moto has no GetPipelineState / ListActionExecutions: said once, stages still listed
    notes = [e.text for e in sink.events if isinstance(e, Notice)]
    assert any("does not implement GetPipelineState" in n for n in notes)
    assert len(notes) == len(set(notes))
    snap = monitor.latest
    assert snap is not None and snap.pipeline is not None
    assert [s.name for s in snap.pipeline.stages] == ["Source", "Deploy"]
