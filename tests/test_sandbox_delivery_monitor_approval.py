"""The monitor on a sandbox pipeline with environments (Source, Deploy-staging,
Approve-production, Deploy-production, built with boto3 `create_pipeline`): it sees the approval
wait (message, link, token), answers it with PutApprovalResult, and the deployment panel moves
from staging's deployment to production's. Everything over HTTP against the sandbox, on its
fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox_delivery_support import FakeClock, Stack
from tests.test_sandbox_delivery_approval import LINK, MESSAGE, PRODUCTION, STAGING
from tests.test_sandbox_delivery_approval import _environments as environments
from tests.test_sandbox_delivery_approval import _push as push
from wizard.core.events.approval import ApprovalApproved, ApprovalRejected, ApprovalWaiting
from wizard.core.events.base import Event
from wizard.core.events.pipeline import DeploymentLinked
from wizard.core.timeline import Snapshot
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, Monitor, monitor_clients
from wizard.services.aws.monitor.actions import answer_approval, waiting_approval
from wizard.services.aws.session import AwsClients


@pytest.fixture
def clients(sandbox_endpoint: str, aws_target: Any) -> AwsClients:
    return monitor_clients(aws_target, max_attempts=2)


@pytest.fixture
def stack(clients: AwsClients) -> Stack:
    return Stack(clients)


class Watch:
    """The monitor's poll cycles on the sandbox's fake clock, its events collected."""

    def __init__(self, clients: AwsClients, clock: FakeClock, spec: FollowSpec) -> None:
        self.monitor = Monitor(clients, spec, sleeper=lambda _: None)
        self.clock = clock
        self.events: list[Event] = []

    def until(self, done: Any, limit: int = 600) -> Snapshot:
        for _ in range(limit):
            update = self.monitor.cycle()
            self.events += update.events
            if done(update.snapshot):
                return update.snapshot
            self.clock.advance(min(max(update.snapshot.next_poll_seconds, 1.0), 5.0))
        raise AssertionError("the monitor never got there")

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def _waiting(snapshot: Snapshot) -> bool:
    return snapshot.pipeline is not None and snapshot.pipeline.waiting_approval is not None


def _start(clients: AwsClients, stack: Stack, clock: FakeClock) -> tuple[Watch, Snapshot]:
    environments(stack)
    clock.advance(5)
    execution = push(stack, "1")
    spec = FollowSpec(pipeline=stack.pipeline, execution=ExecutionSelector("id", execution))
    watch = Watch(clients, clock, spec)
    return watch, watch.until(_waiting)


def test_the_monitor_sees_the_approval_wait_approves_it_and_follows_production(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    watch, snapshot = _start(clients, stack, sim_clock)
    (waiting,) = watch.of(ApprovalWaiting)
    assert (waiting.stage, waiting.message, waiting.url, waiting.token_present) == (
        "Approve-production",
        MESSAGE,
        LINK,
        True,
    )
    assert snapshot.deployment is not None and snapshot.deployment.group == STAGING[0]
    assert snapshot.deployment.status.value == "Succeeded"

    pipeline = snapshot.pipeline
    assert pipeline is not None
    plan = answer_approval(
        clients, pipeline.name, waiting_approval(pipeline), approve=True, comment="ship it"
    )
    plan.execute()
    end = watch.until(lambda s: s.outcome is not None)

    assert end.outcome is not None and end.outcome.result == "succeeded", end.outcome
    (approved,) = watch.of(ApprovalApproved)
    assert approved.comment == "ship it"
    assert len(watch.of(ApprovalWaiting)) == 1, "one line while it waited"
    linked = [(e.stage, e.deployment_id) for e in watch.of(DeploymentLinked)]
    assert [stage for stage, _ in linked] == ["Deploy-staging", "Deploy-production"]
    assert end.deployment is not None and end.deployment.group == PRODUCTION[0]
    assert end.deployment.deployment_id == linked[1][1]
    assert end.pipeline is not None and end.pipeline.executions[0].progress == (
        "staging ✓ · approval ✓ · production ✓"
    )


def test_a_rejection_from_the_monitor_fails_the_run_in_awss_words(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    watch, snapshot = _start(clients, stack, sim_clock)
    pipeline = snapshot.pipeline
    assert pipeline is not None
    answer_approval(
        clients,
        pipeline.name,
        waiting_approval(pipeline),
        approve=False,
        comment="not on a Friday",
    ).execute()
    end = watch.until(lambda s: s.outcome is not None)

    assert end.outcome is not None and end.outcome.result == "failed"
    (rejected,) = watch.of(ApprovalRejected)
    assert rejected.comment == "not on a Friday"
    assert end.pipeline is not None
    assert end.pipeline.executions[0].progress == "staging ✓ · approval ✗ rejected"
    assert [e.stage for e in watch.of(DeploymentLinked)] == ["Deploy-staging"]
