"""`cdwizard monitor --approve / --reject`: the approval the pipeline waits at is answered with
PutApprovalResult and the token from GetPipelineState, after asking (or `--yes`); without a
terminal and without `--yes` it refuses. moto holds the pipeline and its executions; the
Stubber answers GetPipelineState, ListActionExecutions and PutApprovalResult (moto has none)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

import wizard.services.aws.monitor as monitor_pkg
from tests.approval_scenarios import TOKEN, Step, create_env_pipeline, queue_poll
from tests.monitor_scenarios import GapStubber, start_execution
from wizard.cli import main
from wizard.core.exitcodes import ExitCode
from wizard.services.aws.session import AwsClients

APIS = {"GetPipelineState", "ListActionExecutions", "PutApprovalResult"}
STAGED = {"Source": Step("Succeeded"), "Deploy-staging": Step("Succeeded", "d-1")}


@pytest.fixture
def clients(aws_target, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    made = AwsClients(aws_target, max_attempts=2)
    monkeypatch.setattr(monitor_pkg, "monitor_clients", lambda target, **kw: made)
    return made


def monitor(*argv: str) -> int:
    return main(["monitor", "--pipeline", "shop", "--region", "eu-west-1", *argv])


def waiting(clients: AwsClients) -> GapStubber:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), APIS)
    queue_poll(stub, "shop", execution, {**STAGED, "Approve-production": Step("InProgress")})
    return stub


def expect_put(stub: GapStubber, status: str, summary: str) -> None:
    stub.add_response(
        "put_approval_result",
        {"approvedAt": datetime(2026, 1, 2, tzinfo=UTC)},
        {
            "pipelineName": "shop",
            "stageName": "Approve-production",
            "actionName": "Approve",
            "result": {"summary": summary, "status": status},
            "token": TOKEN,
        },
    )


def test_approve_with_yes_puts_the_result_with_the_token(clients, capsys) -> None:
    stub = waiting(clients)
    expect_put(stub, "Approved", "looks good")
    with stub:
        code = monitor("--approve", "--comment", "looks good", "--yes", "--json")
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    texts = [json.loads(line).get("text") for line in out.splitlines()]
    assert 'approved stage Approve-production: "looks good"' in texts


def test_reject_asks_on_the_terminal_first(clients, capsys, monkeypatch) -> None:
    stub = waiting(clients)
    expect_put(stub, "Rejected", "500s on staging")
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "y"

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    with stub:
        code = monitor("--reject", "--comment", "500s on staging", "--plain")
        stub.assert_no_pending_responses()
    captured = capsys.readouterr()
    assert code == ExitCode.OK, captured
    assert asked == ["Reject? [y/N] "]
    assert "Reject stage Approve-production of pipeline shop" in captured.err
    assert 'rejected stage Approve-production: "500s on staging"' in captured.out


def test_answering_no_changes_nothing(clients, capsys, monkeypatch) -> None:
    stub = waiting(clients)  # no PutApprovalResult queued: calling it would fail the test
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    with stub:
        code = monitor("--approve", "--plain")
        stub.assert_no_pending_responses()
    assert code == ExitCode.REFUSED
    assert "not approved: nothing was changed" in capsys.readouterr().out


def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)


@pytest.mark.parametrize(
    "case",
    [
        (("--approve",), ExitCode.REFUSED, "refusing to approve without confirmation"),
        (("--reject", "--yes"), ExitCode.USAGE, "--reject needs --comment TEXT"),
        (("--approve", "--reject"), ExitCode.USAGE, "not allowed with argument"),
        (("--comment", "hi"), ExitCode.USAGE, "--comment goes with --approve or --reject"),
        (("--approve", "--follow", "--yes"), ExitCode.USAGE, "leave out --deployment and --follow"),
    ],
)
def test_bad_or_unconfirmed_requests_change_nothing(
    clients, capsys, monkeypatch, case: tuple[tuple[str, ...], int, str]
) -> None:
    argv, code, words = case
    _no_terminal(monkeypatch)
    try:
        got: Any = monitor(*argv)
    except SystemExit as exc:  # argparse's own usage errors
        got = exc.code
    assert got == code
    assert words in capsys.readouterr().err


def test_nothing_waiting_names_the_fix(clients, capsys) -> None:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), APIS)
    queue_poll(stub, "shop", execution, {"Source": Step("InProgress")})
    with stub:
        code = monitor("--approve", "--yes", "--plain")
    assert code == ExitCode.USAGE
    assert "no approval of pipeline shop is waiting" in capsys.readouterr().err
