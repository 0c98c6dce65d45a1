"""A polling pipeline stops polling after 30 days without a run, as on AWS: the sandbox reports
`pollingDisabledAt` and stops noticing pushes; `doctor` and `monitor` say so, with the fix.
All over HTTP against the moto server with the delivery simulation, on a fake clock."""

from __future__ import annotations

from pathlib import Path

from tests.sandbox_delivery_support import T0, FakeClock, Stack, payload
from tests.test_preflight import layout_mirror
from wizard.core.answers import Answers, validate_mapping
from wizard.core.events.preflight import CheckStatus, PreflightCheck
from wizard.services.aws.monitor.monitor import FollowSpec, Monitor
from wizard.services.aws.preflight import PreflightOptions, run_preflight

DAY = 86400.0


def answers_for(stack: Stack, change_detection: str = "poll") -> Answers:
    return validate_mapping(
        {
            "version": 1,
            "project": "demo",
            "source": {
                "repository": stack.repository,
                "branch": stack.branch,
                "change_detection": change_detection,
            },
            "targets": {
                "tag_key": "App",
                "tag_value": "demo",
                "create_instance": False,
                "agent_install": "ssm",
            },
            "pipeline": {"name": stack.pipeline},
        }
    )


def polling_check(stack: Stack, tmp_path: Path, change_detection: str = "poll") -> PreflightCheck:
    options = PreflightOptions(provider_mirror=layout_mirror(tmp_path))
    report = run_preflight(answers_for(stack, change_detection), stack.clients, options)
    return report.by_name("polling")


def test_polling_stops_after_30_days_without_a_run(
    stack: Stack, sim_clock: FakeClock, tmp_path: Path
) -> None:
    stack.create(instances=1, poll=True)  # its creation starts the first run, at T0
    meta = stack.client("codepipeline").get_pipeline(name=stack.pipeline)["metadata"]
    assert "pollingDisabledAt" not in meta
    check = polling_check(stack, tmp_path)
    assert check.status is CheckStatus.OK and "polling stops on" in check.detail

    sim_clock.advance(31 * DAY)
    meta = stack.client("codepipeline").get_pipeline(name=stack.pipeline)["metadata"]
    assert meta["pollingDisabledAt"].timestamp() == T0 + 30 * DAY

    runs = len(stack.executions())
    stack.push(payload(marker="unseen"), "a push nobody polls for")
    sim_clock.advance(120)
    assert len(stack.executions()) == runs, "a push no longer starts the pipeline"

    check = polling_check(stack, tmp_path)
    assert check.status is CheckStatus.FAIL
    assert f"pipeline {stack.pipeline} stopped polling for source changes on" in check.detail
    assert "(30 days without a run): pushes no longer start it" in check.detail
    fix = check.fix or ""
    assert "switch source.change_detection to eventbridge and apply" in fix
    assert f"`aws codepipeline start-pipeline-execution --name {stack.pipeline}`" in fix

    # a release change still runs it, and polling stays off
    stack.client("codepipeline").start_pipeline_execution(name=stack.pipeline)
    assert len(stack.executions()) == runs + 1
    meta = stack.client("codepipeline").get_pipeline(name=stack.pipeline)["metadata"]
    assert meta["pollingDisabledAt"].timestamp() == T0 + 30 * DAY

    monitor = Monitor(stack.clients, FollowSpec(pipeline=stack.pipeline))
    update = monitor.cycle()
    assert any("stopped polling for source changes" in n for n in update.snapshot.notes)
    notices = [e for e in update.events if "stopped polling" in e.summary()]
    assert notices and notices[0].level == "warn"


def test_event_based_pipelines_never_stop(
    stack: Stack, sim_clock: FakeClock, tmp_path: Path
) -> None:
    stack.create(instances=1, poll=False)
    sim_clock.advance(90 * DAY)
    meta = stack.client("codepipeline").get_pipeline(name=stack.pipeline)["metadata"]
    assert "pollingDisabledAt" not in meta
    check = polling_check(stack, tmp_path, "eventbridge")
    assert check.status is CheckStatus.SKIP
    runs = len(stack.executions())
    stack.push(payload(marker="seen"), "EventBridge starts it")
    assert len(stack.executions()) == runs + 1
