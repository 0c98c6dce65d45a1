"""The progress reducer: recorded streams in, per-resource rows and counts out (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wizard.core.events.terraform import (
    TfApplyComplete,
    TfApplyStart,
    TfCommandFinished,
    TfCommandStarted,
    TfPlannedChange,
)
from wizard.core.progress import Progress, reduce, replay
from wizard.services.terraform.stream import parse_lines

STREAMS = Path(__file__).parent / "data" / "tf_streams"


def run(name: str, command: str, exit_code: int, *, interrupted: bool = False) -> Progress:
    events = [
        TfCommandStarted(command=command),
        *parse_lines((STREAMS / f"{name}.jsonl").read_text().splitlines()),
        TfCommandFinished(command=command, exit_code=exit_code, interrupted=interrupted),
    ]
    return replay(events)


def test_successful_apply_rows_and_elapsed_from_event_timestamps() -> None:
    state = run("apply", "apply", 0)
    assert list(state.rows) == ["terraform_data.first", "terraform_data.slow"]
    slow = state.rows["terraform_data.slow"]
    assert slow.status == "done" and slow.action == "create" and slow.id_value
    assert 10 <= slow.elapsed_seconds < 13  # the provisioner slept 11 s
    counts = state.counts()
    assert (counts.total, counts.done, counts.failed, counts.running) == (2, 2, 0, 0)
    assert counts.line() == "2/2 done"
    assert state.ok and state.summary is not None and state.summary.operation == "apply"


def test_plan_counts_changes_not_data_reads() -> None:
    state = run("plan", "plan", 2)
    assert set(state.rows) == {"terraform_data.first", "terraform_data.slow"}
    assert all(r.status == "pending" for r in state.rows.values())
    assert state.ok  # exit code 2 = changes present


def test_failed_apply_row_has_the_reason_and_replace_counts_once() -> None:
    state = run("apply_failed", "apply", 1)
    row = state.rows["terraform_data.slow"]
    assert row.status == "failed" and row.action == "replace"
    assert row.error and row.error.startswith("local-exec provisioner error: Error running command")
    counts = state.counts()
    assert (counts.total, counts.failed, counts.done) == (1, 1, 0)
    assert not state.ok


def test_interrupted_apply_keeps_first_cause_and_general_errors() -> None:
    state = run("apply_interrupted", "apply", 1, interrupted=True)
    assert state.interrupted and not state.ok
    assert state.rows["terraform_data.first"].status == "done"
    slow = state.rows["terraform_data.slow"]
    assert slow.status == "failed" and "local-exec provisioner error" in (slow.error or "")
    assert "execution halted" in state.errors


def test_destroy_rows() -> None:
    state = run("destroy", "destroy", 0)
    assert {r.action for r in state.rows.values()} == {"delete"}
    assert state.counts().done == 2


def test_reducer_is_pure_and_ignores_unrelated_events() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    start = Progress(command="apply")
    planned = TfPlannedChange(address="aws_s3_bucket.a", action="create", at=t0)
    s1 = reduce(start, planned)
    assert start.rows == {} and s1 is not start
    running = reduce(s1, TfApplyStart(address="aws_s3_bucket.a", action="create", at=t0))
    assert running.rows["aws_s3_bucket.a"].status == "running"
    assert s1.rows["aws_s3_bucket.a"].status == "pending"
    later = t0 + timedelta(seconds=42)
    done = reduce(running, TfApplyComplete(address="aws_s3_bucket.a", action="create", at=later))
    assert done.rows["aws_s3_bucket.a"].elapsed_seconds == 42
    assert reduce(done, TfCommandStarted(command="output")) is done
    # a replacement is a delete and a create: done only after both
    r0 = reduce(Progress(), TfPlannedChange(address="x.y", action="replace", at=t0))
    r1 = reduce(r0, TfApplyStart(address="x.y", action="delete", at=t0))
    r2 = reduce(r1, TfApplyComplete(address="x.y", action="delete", at=t0))
    assert r2.rows["x.y"].status == "running"
    r3 = reduce(r2, TfApplyStart(address="x.y", action="create", at=t0))
    r4 = reduce(r3, TfApplyComplete(address="x.y", action="create", at=later))
    assert r4.rows["x.y"].status == "done" and r4.rows["x.y"].elapsed_seconds == 42


def test_running_rows_become_interrupted_when_the_command_stops() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    s = reduce(Progress(), TfApplyStart(address="aws_instance.a", action="create", at=t0))
    s = reduce(s, TfCommandFinished(command="apply", exit_code=130, interrupted=True))
    assert s.rows["aws_instance.a"].status == "interrupted"
    assert s.counts().line() == "0/1 done, 1 interrupted"


def test_full_stack_apply_on_the_sandbox() -> None:
    """The real provider's stream (22 resources, modules, indexed addresses, data reads)."""
    state = run("sandbox_apply", "apply", 0)
    counts = state.counts()
    assert (counts.total, counts.done, counts.failed) == (22, 22, 0)
    assert not any(addr.startswith("data.") or ".data." in addr for addr in state.rows)
    assert "module.instance.aws_instance.this[0]" in state.rows
    instance = state.rows["module.instance.aws_instance.this[0]"]
    assert instance.id_value and instance.id_value.startswith("i-")
    assert instance.elapsed_seconds >= 10


def test_plain_apply_lines_name_resources_like_the_apply_screen() -> None:
    """The recorded sandbox plan's summary, then its apply stream, through plain and JSON."""
    import io
    import json

    from wizard.core.output import JsonSink, PlainSink
    from wizard.core.progress import ResourceNames, resource_labels, resource_name
    from wizard.services.terraform.summary import summarize

    summary = summarize(json.loads((STREAMS / "sandbox_plan.json").read_text()))
    labels = resource_labels(summary)
    bucket = "module.artifacts.aws_s3_bucket.this"
    assert labels[bucket].startswith("artifact bucket ")
    assert resource_name(bucket, labels) == f"{labels[bucket]} ({bucket})"
    roles = next(i for i in summary.items if "IAM roles" in i.what)
    # each resource of a group ("4 IAM roles (…)") is named on its own
    assert labels["module.iam.aws_iam_role.codedeploy"] == "IAM role CodeDeployServiceRole"
    assert all(labels[a].removeprefix("IAM role ") in roles.what for a in roles.addresses)
    attachment = "module.iam.aws_iam_role_policy_attachment.codedeploy"
    assert labels[attachment] == "IAM policy AWSCodeDeployRole for role CodeDeployServiceRole"
    target = "module.events[0].aws_cloudwatch_event_target.this"
    assert labels[target].startswith("EventBridge target for rule ")
    assert set(labels) == {a for item in summary.items for a in item.addresses}, "all named"

    stream = [summary, *parse_lines((STREAMS / "sandbox_apply.jsonl").read_text().splitlines())]
    plain, ndjson = io.StringIO(), io.StringIO()
    lines = PlainSink(plain, heartbeat=None, describe=ResourceNames().line)
    raw = JsonSink(ndjson, heartbeat=None)
    for event in stream:
        lines.emit(event)
        raw.emit(event)
    text = plain.getvalue()
    assert f"{labels[bucket]} ({bucket}): creating…" in text
    assert re.search(rf"{re.escape(labels[bucket])} \({re.escape(bucket)}\): created in \d+s", text)
    role = roles.addresses[0]
    assert f"{labels[role]} ({role}): created in" in text
    # JSON carries the events unchanged: the same as each event's own wire form
    assert ndjson.getvalue().splitlines() == [
        json.dumps(e.to_dict(), ensure_ascii=False) for e in stream
    ]
