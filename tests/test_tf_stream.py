"""The `-json` parser over real recorded streams (Terraform 1.11.4) and OpenTofu's shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard.core.events.base import LogLine
from wizard.core.events.terraform import (
    TfApplyComplete,
    TfApplyErrored,
    TfApplyProgress,
    TfApplyStart,
    TfChangeSummary,
    TfDiagnostic,
    TfOutputs,
    TfPlannedChange,
    TfProvision,
    TfRefresh,
    TfUnknown,
    TfVersion,
)
from wizard.services.terraform.stream import (
    human_diagnostics,
    parse_line,
    parse_lines,
    stderr_event,
)

STREAMS = Path(__file__).parent / "data" / "tf_streams"


def events(name: str) -> list:
    return list(parse_lines((STREAMS / f"{name}.jsonl").read_text().splitlines()))


def test_every_recorded_line_becomes_exactly_one_event() -> None:
    for path in sorted(STREAMS.glob("*.jsonl")):
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
        assert len(list(parse_lines(lines))) == len(lines), path.name


def test_plan_stream_types_counts_and_data_read() -> None:
    evs = events("plan")
    version = evs[0]
    assert isinstance(version, TfVersion)
    assert (version.tool, version.version, version.ui) == ("terraform", "1.11.4", "1.2")
    reads = [e for e in evs if isinstance(e, (TfApplyStart, TfApplyComplete))]
    assert reads and all(e.is_data_read and e.action == "read" for e in reads)
    assert all(e.level == "debug" for e in reads)  # not shown as changes in plain output
    planned = [e for e in evs if isinstance(e, TfPlannedChange)]
    assert [(p.address, p.action) for p in planned] == [
        ("terraform_data.first", "create"),
        ("terraform_data.slow", "create"),
    ]
    summary = next(e for e in evs if isinstance(e, TfChangeSummary))
    assert (summary.operation, summary.add, summary.change, summary.remove) == ("plan", 2, 0, 0)
    outputs = next(e for e in evs if isinstance(e, TfOutputs))
    assert outputs.outputs["greeting"] == {"sensitive": False, "action": "create"}
    assert evs[0].at.isoformat().startswith("20")  # terraform's own timestamp, parsed


def test_apply_stream_hooks_progress_and_outputs_without_secrets() -> None:
    evs = events("apply")
    starts = [e.address for e in evs if isinstance(e, TfApplyStart)]
    assert starts == ["terraform_data.first", "terraform_data.slow"]
    progress = [e for e in evs if isinstance(e, TfApplyProgress)]
    assert progress and progress[0].elapsed_seconds == 10
    assert "still creating (10s elapsed)" in progress[0].summary()
    done = [e for e in evs if isinstance(e, TfApplyComplete)]
    assert [d.id_key for d in done] == ["id", "id"] and all(d.id_value for d in done)
    assert any(isinstance(e, TfProvision) and e.phase == "start" for e in evs)
    summary = [e for e in evs if isinstance(e, TfChangeSummary)]
    assert [s.operation for s in summary] == ["apply"]  # a saved-plan apply has no plan summary
    outputs = next(e for e in evs if isinstance(e, TfOutputs))
    assert outputs.values() == {"greeting": "hello"}
    assert "value" not in outputs.outputs["secret"]
    assert "s3cr3t" not in json.dumps(outputs.to_dict())
    assert "secret = (sensitive)" in outputs.summary()


def test_failed_apply_has_errored_hook_then_diagnostic_with_address_and_snippet() -> None:
    evs = events("apply_failed")
    kinds = [type(e).__name__ for e in evs]
    assert kinds.index("TfApplyErrored") < kinds.index("TfDiagnostic")
    errored = next(e for e in evs if isinstance(e, TfApplyErrored))
    assert errored.level == "error" and errored.address == "terraform_data.slow"
    diag = next(e for e in evs if isinstance(e, TfDiagnostic))
    assert diag.address == "terraform_data.slow"
    assert diag.summary_text == "local-exec provisioner error"
    assert "exit status 3" in diag.detail
    assert diag.snippet is not None and diag.snippet.code.strip() == 'provisioner "local-exec" {'
    assert (diag.filename, diag.line) == ("main.tf", diag.snippet.start_line)
    assert "[terraform_data.slow]" in diag.summary()
    assert not any(isinstance(e, TfChangeSummary) for e in evs)
    replace = next(e for e in evs if isinstance(e, TfPlannedChange))
    assert (replace.action, replace.reason) == ("replace", "requested")
    assert "(requested)" in replace.summary()


def test_config_error_diagnostic_without_address() -> None:
    diag = next(e for e in events("config_error") if isinstance(e, TfDiagnostic))
    assert diag.address is None and diag.filename == "bad.tf" and diag.line == 1
    assert diag.summary_text == "Reference to undeclared input variable"
    assert diag.snippet and diag.snippet.highlight_end > diag.snippet.highlight_start


def test_refresh_and_destroy_streams() -> None:
    refresh = [e for e in events("plan_nochanges") if isinstance(e, TfRefresh)]
    assert {r.phase for r in refresh} == {"start", "complete"}
    assert all(r.level == "debug" and r.id_value for r in refresh)
    evs = events("destroy")
    deletes = [e for e in evs if isinstance(e, TfApplyComplete) and e.action == "delete"]
    assert len(deletes) == 2
    assert "destroyed" in deletes[0].summary()
    ops = [e.operation for e in evs if isinstance(e, TfChangeSummary)]
    assert ops == ["plan", "destroy"]  # destroy plans first, then reports


def test_interrupted_apply_log_messages_are_one_line() -> None:
    logs = [e for e in events("apply_interrupted") if isinstance(e, LogLine)]
    assert logs[0].text.startswith("Interrupt received.") and "\n" not in logs[0].text
    diags = [e.summary_text for e in events("apply_interrupted") if isinstance(e, TfDiagnostic)]
    assert "execution halted" in diags


def test_opentofu_version_key_and_unescaped_text() -> None:
    evs = events("tofu_version")
    version = evs[0]
    assert isinstance(version, TfVersion)
    assert (version.tool, version.version) == ("tofu", "1.8.5")
    assert version.summary().startswith("OpenTofu 1.8.5")
    assert isinstance(evs[1], TfPlannedChange)
    diag = evs[2]
    assert isinstance(diag, TfDiagnostic) and diag.summary_text == 'Invalid value <x> & "y"'
    assert evs[0].at.utcoffset() is not None


def test_unknown_types_pass_through_with_their_message() -> None:
    evs = events("unknown_types")
    unknown = [e for e in evs if isinstance(e, TfUnknown)]
    assert [u.message_type for u in unknown] == [
        "ephemeral_op_start",
        "deferred_change",
        "change_summary",
    ]
    assert unknown[0].summary() == "ephemeral.aws_secretsmanager_secret_version.db: Opening..."
    assert unknown[2].summary() == "a change summary with a shape from the future"
    assert unknown[1].raw["reason"] == "deferred_prereq"
    plain = [e for e in evs if isinstance(e, LogLine)]
    assert plain[0].text == "not json at all: a plain line on stdout"
    nanos = evs[-1]
    assert isinstance(nanos, TfVersion) and nanos.at.microsecond == 123456


@pytest.mark.parametrize("line", ["", "   ", "\n"])
def test_blank_lines_are_skipped(line: str) -> None:
    assert parse_line(line) is None
    assert stderr_event(line) is None


def test_stderr_lines_are_warn_log_events() -> None:
    first = (STREAMS / "plan.stderr").read_text().splitlines()[0]
    event = stderr_event(first)
    assert isinstance(event, LogLine)
    assert event.level == "warn" and event.source == "terraform stderr"
    assert event.to_dict()["text"] == first


def test_ndjson_round_trip_of_every_event_is_plain_json() -> None:
    for path in sorted(STREAMS.glob("*.jsonl")):
        for event in parse_lines(path.read_text().splitlines()):
            assert json.loads(json.dumps(event.to_dict()))["type"] == event.kind


@pytest.mark.terraform
def test_human_diagnostics_in_the_box_terraform_draws(terraform_bin: str, tmp_path: Path) -> None:
    """Terraform prints problems with its CLI configuration in a `╷ │ ╵` box, whatever the
    colour flags: read as a warning diagnostic, the line before it as a log line."""
    import os
    import subprocess

    missing = tmp_path / "missing.tfrc"
    proc = subprocess.run(
        [terraform_bin, "version"],
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(missing), "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "╷" in proc.stderr
    found = human_diagnostics(proc.stderr.splitlines())
    diag = next(e for e in found if isinstance(e, TfDiagnostic))
    assert (diag.severity, diag.level) == ("warning", "warn")
    assert diag.summary_text == "Unable to open CLI configuration file"
    assert diag.detail == f'The CLI configuration file at "{missing}" does not exist.'
    assert all(isinstance(e, (TfDiagnostic, LogLine)) for e in found)


def test_init_output_messages_are_log_lines() -> None:
    """`init -json` (Terraform >= 1.9) says what it does as `init_output` messages."""
    line = json.dumps(
        {
            "@level": "info",
            "@message": "Initializing provider plugins...",
            "type": "init_output",
            "message_code": "initializing_provider_plugin_message",
        }
    )
    event = parse_line(line)
    assert isinstance(event, LogLine) and event.text == "Initializing provider plugins..."
