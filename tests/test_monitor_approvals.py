"""Manual approvals and a stage per environment, seen by the pipeline poller: the pipeline's
structure and executions come from a moto server, `GetPipelineState` and
`ListActionExecutions` from botocore's Stubber (shapes checked against the service model)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from tests.approval_scenarios import (
    MESSAGE,
    TOKEN,
    URL,
    Step,
    create_env_pipeline,
    poll_answers,
    queue_poll,
    queue_runs,
)
from tests.monitor_scenarios import GapStubber, set_execution, start_execution
from wizard.app.monitor_feed import environments_in
from wizard.core.events.approval import ApprovalApproved, ApprovalRejected, ApprovalWaiting
from wizard.core.events.base import Event, event_types
from wizard.core.events.pipeline import DeploymentLinked
from wizard.core.timeline import PipelineView, Snapshot, available_actions, diff, explain
from wizard.services.aws.monitor import (
    ExecutionSelector,
    FollowSpec,
    Monitor,
    PollIntervals,
    actions,
)
from wizard.services.aws.monitor.actions import ActionUnavailable
from wizard.services.aws.monitor.follow import activity
from wizard.services.aws.monitor.pipeline_poller import PipelinePoller
from wizard.services.aws.session import AwsClients

PIPELINE_APIS = {"GetPipelineState", "ListActionExecutions"}
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


class Watch:
    """Polls the pipeline and diffs each view against the previous one, like the monitor."""

    def __init__(self, clients: AwsClients, stub: Stubber) -> None:
        self.poller = PipelinePoller(clients.client("codepipeline"), "shop")
        self.stub = stub
        self.last: Snapshot | None = None
        self.events: list[Event] = []

    def poll(self, selector: ExecutionSelector | None = None) -> PipelineView:
        view = self.poller.poll(selector or ExecutionSelector("newest"))
        seq = self.last.sequence + 1 if self.last else 1
        snap = Snapshot(sequence=seq, taken_at=AT, pipeline=view)
        self.events += diff(self.last, snap)
        self.last = snap
        return view

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


def test_an_approval_waits_once_then_is_approved_and_the_next_environment_deploys(
    clients,
) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    ok = Step("Succeeded")
    with stub:
        watch = Watch(clients, stub)
        queue_poll(
            stub, "shop", execution, {"Source": ok, "Deploy-staging": Step("InProgress", "d-1")}
        )
        view = watch.poll()
        assert view.deployment_id == "d-1"
        assert view.waiting_approval is None

        waiting = {
            "Source": ok,
            "Deploy-staging": Step("Succeeded", "d-1"),
            "Approve-production": Step("InProgress"),
        }
        queue_poll(stub, "shop", execution, waiting)
        view = watch.poll()
        approval = view.waiting_approval
        assert approval is not None and approval.token == TOKEN
        assert (approval.stage, approval.approval_message, approval.approval_url) == (
            "Approve-production",
            MESSAGE,
            URL,
        )
        assert view.deployment_id == "d-1", "the staging deployment stays on screen meanwhile"
        assert {"approve", "reject"} <= {o.key for o in available_actions(watch.last)}
        assert "waiting for approval of stage Approve-production" in activity(watch.last)

        queue_poll(stub, "shop", execution, waiting)  # still waiting: nothing new to say
        watch.poll()

        queue_poll(
            stub,
            "shop",
            execution,
            {
                **waiting,
                "Approve-production": Step("Succeeded", by="arn:aws:iam::1:user/ann", comment="ok"),
                "Deploy-production": Step("InProgress", "d-2"),
            },
        )
        view = watch.poll()
        stub.assert_no_pending_responses()

    (waited,) = watch.of(ApprovalWaiting)
    assert isinstance(waited, ApprovalWaiting)
    assert (waited.stage, waited.action, waited.message, waited.url, waited.token_present) == (
        "Approve-production",
        "Approve",
        MESSAGE,
        URL,
        True,
    )
    assert waited.execution_id == execution
    assert "Approve-production waits for approval" in waited.summary()
    (approved,) = watch.of(ApprovalApproved)
    assert isinstance(approved, ApprovalApproved)
    assert (approved.by, approved.comment) == ("arn:aws:iam::1:user/ann", "ok")
    # the deployment panel follows the stage that runs now
    assert view.deployment_id == "d-2" and view.waiting_approval is None
    linked = [(e.stage, e.deployment_id) for e in watch.of(DeploymentLinked)]  # type: ignore[attr-defined]
    assert linked == [("Deploy-staging", "d-1"), ("Deploy-production", "d-2")]
    for event in watch.events:
        data = json.loads(json.dumps(event.to_dict()))
        assert data["type"] == event.kind
    assert {"approval.waiting", "approval.approved", "approval.rejected"} <= set(event_types())


def test_a_rejection_fails_the_run_and_the_history_says_how_far_it_got(clients) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    staged = {"Source": Step("Succeeded"), "Deploy-staging": Step("Succeeded", "d-1")}
    with stub:
        watch = Watch(clients, stub)
        queue_poll(stub, "shop", execution, {**staged, "Approve-production": Step("InProgress")})
        view = watch.poll()
        assert view.executions[0].progress == "staging ✓ · approval ▶ waiting"

        set_execution("shop", execution, "Failed")
        rejected = Step("Failed", by="arn:aws:iam::1:user/bob", comment="staging shows 500s")
        queue_poll(stub, "shop", execution, {**staged, "Approve-production": rejected})
        view = watch.poll()
        stub.assert_no_pending_responses()

    (event,) = watch.of(ApprovalRejected)
    assert isinstance(event, ApprovalRejected)
    assert (event.by, event.comment, event.level) == (
        "arn:aws:iam::1:user/bob",
        "staging shows 500s",
        "error",
    )
    assert view.executions[0].progress == "staging ✓ · approval ✗ rejected"
    report = explain(watch.last)
    assert report is not None
    assert report.headline == (
        'stage Approve-production was rejected by arn:aws:iam::1:user/bob: "staging shows 500s"'
    )


def test_ended_runs_are_read_once_each_for_their_progress(clients) -> None:
    create_env_pipeline(clients)
    older = start_execution(clients, "shop", status="Succeeded")
    newer = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    with stub:
        watch = Watch(clients, stub)
        queue_poll(stub, "shop", newer, {"Source": Step("InProgress")})
        done = {
            "Source": Step("Succeeded"),
            "Deploy-staging": Step("Succeeded", "d-0"),
            "Approve-production": Step("Succeeded", by="ann"),
            "Deploy-production": Step("Succeeded", "d-9"),
        }
        queue_runs(stub, "shop", older, poll_answers("shop", older, done)[1])
        view = watch.poll()
        queue_poll(stub, "shop", newer, {"Source": Step("InProgress")})
        view = watch.poll()  # the ended run is not read again
        stub.assert_no_pending_responses()
    progress = {e.execution_id: e.progress for e in view.executions}
    assert progress == {
        older: "staging ✓ · approval ✓ · production ✓",
        newer: None,
    }


def test_approving_puts_the_result_with_the_token_from_the_pipeline_state(clients) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS | {"PutApprovalResult"})
    staged = {"Source": Step("Succeeded"), "Deploy-staging": Step("Succeeded", "d-1")}
    with stub:
        watch = Watch(clients, stub)
        queue_poll(stub, "shop", execution, {**staged, "Approve-production": Step("InProgress")})
        view = watch.poll()
        approval = actions.waiting_approval(view)
        with pytest.raises(ActionUnavailable, match="a rejection needs a comment"):
            actions.answer_approval(clients, "shop", approval, approve=False, comment="  ")
        with pytest.raises(ActionUnavailable, match="at most 512"):
            actions.answer_approval(clients, "shop", approval, approve=True, comment="x" * 513)
        plan = actions.answer_approval(clients, "shop", approval, approve=True, comment="ship it")
        assert plan.api == "codepipeline:PutApprovalResult"
        assert plan.description == (
            f'Approve stage Approve-production of pipeline shop ("{MESSAGE}"): the stages after '
            "it run (codepipeline:PutApprovalResult status=Approved)."
        )
        stub.add_response(
            "put_approval_result",
            {"approvedAt": AT},
            {
                "pipelineName": "shop",
                "stageName": "Approve-production",
                "actionName": "Approve",
                "result": {"summary": "ship it", "status": "Approved"},
                "token": TOKEN,
            },
        )
        assert plan.execute().message == 'approved stage Approve-production: "ship it"'
        stub.assert_no_pending_responses()


def test_nothing_to_answer_says_so(clients) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    with stub:
        watch = Watch(clients, stub)
        queue_poll(stub, "shop", execution, {"Source": Step("InProgress")})
        view = watch.poll()
    with pytest.raises(ActionUnavailable, match="no approval of pipeline shop is waiting"):
        actions.waiting_approval(view)
    with pytest.raises(ActionUnavailable, match="no pipeline is watched"):
        actions.waiting_approval(None)


def test_the_environments_output_names_the_stages(clients, tmp_path) -> None:
    state = tmp_path / "terraform" / "terraform.tfstate"
    state.parent.mkdir()
    envs = [
        {
            "name": "qa",
            "deployment_group_name": "shop-qa-dg",
            "approval_stage": None,
            "deploy_stage": "Deploy-staging",
            "tag_key": "Environment",
            "tag_value": "qa",
        },
        {
            "name": "live",
            "deployment_group_name": "shop-live-dg",
            "approval_stage": "Approve-production",
            "deploy_stage": "Deploy-production",
            "tag_key": "Environment",
            "tag_value": "live",
        },
    ]
    state.write_text(json.dumps({"version": 4, "outputs": {"environments": {"value": envs}}}))
    environments = environments_in(tmp_path)
    assert [(e.name, e.deployment_group, e.approval_stage) for e in environments] == [
        ("qa", "shop-qa-dg", None),
        ("live", "shop-live-dg", "Approve-production"),
    ]
    assert environments_in(tmp_path / "elsewhere") == ()
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    steps = {
        "Source": Step("Succeeded"),
        "Deploy-staging": Step("Succeeded", "d-1"),
        "Approve-production": Step("Succeeded", by="ann"),
        "Deploy-production": Step("InProgress", "d-2"),
    }
    with stub:
        poller = PipelinePoller(clients.client("codepipeline"), "shop", environments=environments)
        queue_poll(stub, "shop", execution, steps)
        view = poller.poll(ExecutionSelector("newest"))
    assert view.environments == environments
    assert view.executions[0].progress == "qa ✓ · approval ✓ · live ▶"


def test_a_waiting_approval_is_polled_at_the_idle_pace(clients) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    staged = {"Source": Step("Succeeded"), "Deploy-staging": Step("Succeeded")}
    intervals = PollIntervals(active=2.0, idle=10.0)
    with stub:
        monitor = Monitor(clients, FollowSpec(pipeline="shop"), intervals=intervals)
        queue_poll(stub, "shop", execution, {**staged, "Deploy-staging": Step("InProgress")})
        assert monitor.cycle().snapshot.next_poll_seconds == 2.0
        queue_poll(stub, "shop", execution, {**staged, "Approve-production": Step("InProgress")})
        update = monitor.cycle()
        stub.assert_no_pending_responses()
    assert update.snapshot.next_poll_seconds == 10.0
    assert update.snapshot.active, "the run still goes on: --timeout and heartbeats wait for it"
    assert [type(e) for e in update.events if isinstance(e, ApprovalWaiting)] == [ApprovalWaiting]
