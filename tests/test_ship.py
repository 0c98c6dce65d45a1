"""`cdwizard ship`: push the payload through the CodeCommit API, then follow the execution.

moto 5.2.5 has CodeCommit repositories but no branches or commits (GetBranch, CreateBranch,
CreateCommit are not implemented), so those three go through botocore's Stubber, which checks
every request (files, modes, parent commit) against the service model; GetRepository and the
whole pipeline side run on the moto server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import wizard.services.aws.monitor as monitor_pkg
from tests.monitor_scenarios import GapStubber, create_pipeline, moto_backend
from wizard.cli import main
from wizard.core.render import RenderedFile
from wizard.services.aws.session import AwsClients
from wizard.services.aws.ship import (
    MAX_FILES_PER_COMMIT,
    ShipError,
    ShipFile,
    ShipPlan,
    batches,
    execute_ship,
    files_from_dir,
    files_from_tree,
    plan_ship,
)

COMMIT_0 = "0" * 39 + "a"
COMMIT_1 = "1" * 39 + "b"
WRITE_APIS = {"GetBranch", "CreateBranch", "CreateCommit"}


@pytest.fixture
def clients(aws_target) -> AwsClients:
    made = AwsClients(aws_target, max_attempts=2)
    made.client("codecommit").create_repository(repositoryName="demo")
    return made


FILES = [
    ShipFile("appspec.yml", b"version: 0.0\nos: linux\n"),
    ShipFile("scripts/start.sh", b"#!/bin/sh\nexec hypercorn app:app\n", executable=True),
]


def _put(files: list[ShipFile]) -> list[dict[str, Any]]:
    return [{"filePath": f.path, "fileMode": f.mode, "fileContent": f.content} for f in files]


def _no_branch(stub: GapStubber, branch: str = "master") -> None:
    stub.add_client_error(
        "get_branch",
        service_error_code="BranchDoesNotExistException",
        service_message=f"Branch {branch} does not exist",
        expected_params={"repositoryName": "demo", "branchName": branch},
    )


def test_payload_files_keep_their_modes(tmp_path: Path) -> None:
    tree = {
        "payload/appspec.yml": RenderedFile(b"version: 0.0\n"),
        "payload/scripts/start.sh": RenderedFile(b"#!/bin/sh\n", 0o755),
        "terraform/main.tf": RenderedFile(b"# not shipped\n"),
    }
    assert files_from_tree(tree) == [
        ShipFile("appspec.yml", b"version: 0.0\n"),
        ShipFile("scripts/start.sh", b"#!/bin/sh\n", executable=True),
    ]
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "stop.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(tmp_path / "scripts" / "stop.sh", 0o755)
    (tmp_path / "app.py").write_text("app = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert [(f.path, f.mode) for f in files_from_dir(tmp_path)] == [
        ("app.py", "NORMAL"),
        ("scripts/stop.sh", "EXECUTABLE"),
    ]
    with pytest.raises(ShipError, match="no payload files"):
        files_from_tree({"terraform/main.tf": RenderedFile(b"")})


def test_big_payloads_are_split_into_commits_codecommit_accepts() -> None:
    many = [ShipFile(f"f{n:03d}.txt", b"x") for n in range(250)]
    assert [len(b) for b in batches(many)] == [MAX_FILES_PER_COMMIT, MAX_FILES_PER_COMMIT, 50]
    plan = ShipPlan("demo", "master", tuple(many), "branch", "0" * 40)
    assert "Push 250 files to demo:master (on top of 0000000) in 3 commits with" in plan.describe()
    heavy = [ShipFile(f"blob{n}", b"x" * (2 * 1024 * 1024)) for n in range(5)]
    assert [len(b) for b in batches(heavy)] == [2, 2, 1]
    with pytest.raises(ShipError, match="up to 6 MB; push it with git"):
        batches([ShipFile("huge.bin", b"x" * (7 * 1024 * 1024))])


def test_first_push_to_an_empty_repository_creates_the_branch(clients) -> None:
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    _no_branch(stub)
    stub.add_response(
        "create_commit",
        {"commitId": COMMIT_1, "treeId": "t" * 40},
        {
            "repositoryName": "demo",
            "branchName": "master",
            "authorName": "cdwizard",
            "commitMessage": "first",
            "putFiles": _put(FILES),
        },
    )
    with stub:
        plan = plan_ship(clients, "demo", "master", FILES)  # GetRepository: moto
        assert plan.base == "empty-repository" and plan.parent_commit_id is None
        assert plan.describe() == (
            "Push 2 files to demo:master (a new branch: the repository's first commit) with "
            "codecommit:CreateCommit; files not in the payload are left alone."
        )
        result = execute_ship(clients, plan, message="first")
        stub.assert_no_pending_responses()
    assert (result.commit_id, result.created_branch, result.unchanged) == (COMMIT_1, True, False)


def test_push_on_top_of_an_existing_branch(clients) -> None:
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    stub.add_response("get_branch", {"branch": {"branchName": "master", "commitId": COMMIT_0}})
    stub.add_response(
        "create_commit",
        {"commitId": COMMIT_1, "treeId": "t" * 40},
        {
            "repositoryName": "demo",
            "branchName": "master",
            "authorName": "me",
            "email": "me@example.com",
            "commitMessage": "update",
            "parentCommitId": COMMIT_0,
            "putFiles": _put(FILES),
        },
    )
    with stub:
        plan = plan_ship(clients, "demo", "master", FILES)
        assert "to demo:master (on top of 0000000) with codecommit:CreateCommit;" in plan.describe()
        result = execute_ship(clients, plan, message="update", author="me", email="me@example.com")
        stub.assert_no_pending_responses()
    assert (result.commit_id, result.created_branch) == (COMMIT_1, False)


def test_new_branch_starts_from_the_default_branch(clients) -> None:
    """GetRepository is stubbed as well: moto's repositories never have a default branch."""
    stub = GapStubber(clients.client("codecommit"), {*WRITE_APIS, "GetRepository"})
    _no_branch(stub, "release")
    stub.add_response(
        "get_repository",
        {"repositoryMetadata": {"repositoryName": "demo", "defaultBranch": "main"}},
    )
    stub.add_response(
        "get_branch",
        {"branch": {"branchName": "main", "commitId": COMMIT_0}},
        {"repositoryName": "demo", "branchName": "main"},
    )
    stub.add_response(
        "create_branch",
        {},
        {"repositoryName": "demo", "branchName": "release", "commitId": COMMIT_0},
    )
    stub.add_response("create_commit", {"commitId": COMMIT_1, "treeId": "t" * 40})
    with stub:
        plan = plan_ship(clients, "demo", "release", FILES)
        assert (
            "to demo:release (a new branch from main at 0000000) with codecommit:CreateBranch "
            "and CreateCommit;"
        ) in plan.describe()
        result = execute_ship(clients, plan, message="m")
        stub.assert_no_pending_responses()
    assert result.created_branch and result.commit_id == COMMIT_1


def test_unchanged_payload_is_reported_as_such(clients) -> None:
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    stub.add_response("get_branch", {"branch": {"branchName": "master", "commitId": COMMIT_0}})
    stub.add_client_error("create_commit", service_error_code="NoChangeException")
    with stub:
        result = execute_ship(clients, plan_ship(clients, "demo", "master", FILES), message="m")
    assert result.unchanged and result.commit_id == COMMIT_0 and result.commits == ()


def test_missing_repository_names_the_fix(clients) -> None:
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    stub.add_client_error("get_branch", service_error_code="RepositoryDoesNotExistException")
    with stub, pytest.raises(ShipError, match=r"source\.create_repository: true"):
        plan_ship(clients, "other", "master", FILES)


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text(
        "version: 1\nproject: demo\naws:\n  region: eu-west-1\n"
        "source:\n  repository: demo\n  branch: master\n",
        encoding="utf-8",
    )
    return path


def _workspace(tmp_path: Path) -> Path:
    out = tmp_path / "ws"
    for f in FILES:
        target = out / "payload" / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.content)
        if f.executable:
            os.chmod(target, 0o755)
    return out


def test_ship_command_pushes_then_follows_the_execution_it_starts(
    clients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    create_pipeline(clients)
    monkeypatch.setattr(monitor_pkg, "monitor_clients", lambda target, **kw: clients)
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    _no_branch(stub)
    stub.add_response("create_commit", {"commitId": COMMIT_1, "treeId": "t" * 40})
    with stub:
        code = main(
            [
                "ship",
                "--answers",
                str(_answers(tmp_path)),
                "--out",
                str(_workspace(tmp_path)),
                "--plain",
                "--trigger-wait",
                "0.5",
                "--poll-interval",
                "0.2",
            ]
        )
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Push 2 files to demo:master (a new branch: the repository's first commit)" in out
    assert "pushed 2 files to demo:master (new branch) as commit 1111111" in out
    # moto's pipeline has no EventBridge rule: nothing starts by itself, so ship starts it
    assert "no execution of the pushed commit started within" in out
    assert "Start a new execution of pipeline demo" in out
    assert "pipeline demo: execution" in out and "Succeeded" in out
    assert len(moto_backend("codepipeline").pipelines["demo"].executions) == 1


def test_ship_dry_run_pushes_nothing(
    clients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(monitor_pkg, "monitor_clients", lambda target, **kw: clients)
    stub = GapStubber(clients.client("codecommit"), WRITE_APIS)
    stub.add_response("get_branch", {"branch": {"branchName": "master", "commitId": COMMIT_0}})
    with stub:
        code = main(
            [
                "ship",
                "--answers",
                str(_answers(tmp_path)),
                "--out",
                str(_workspace(tmp_path)),
                "--dry-run",
                "--plain",
            ]
        )
        stub.assert_no_pending_responses()  # no CreateCommit was made
    out = capsys.readouterr().out
    assert code == 0
    assert "executable scripts/start.sh" in out and "normal     appspec.yml" in out


def test_ship_over_http_against_the_codecommit_emulator(aws_target) -> None:
    """No Stubber: the sandbox's CodeCommit extension implements branches and commits."""
    pytest.importorskip(
        "wizard.services.sandbox.extensions.codecommit",
        reason="the sandbox CodeCommit extension (discovery branch) is not on this branch yet",
    )
    clients = AwsClients(aws_target, max_attempts=2)
    codecommit = clients.client("codecommit")
    codecommit.create_repository(repositoryName="shop")

    first = execute_ship(clients, plan_ship(clients, "shop", "master", FILES), message="first")
    assert first.created_branch and not first.unchanged
    head = codecommit.get_branch(repositoryName="shop", branchName="master")["branch"]
    assert head["commitId"] == first.commit_id
    script = codecommit.get_file(repositoryName="shop", filePath="scripts/start.sh")
    assert script["fileMode"] == "EXECUTABLE" and script["fileContent"] == FILES[1].content

    again = execute_ship(clients, plan_ship(clients, "shop", "master", FILES), message="again")
    assert again.unchanged and again.commit_id == first.commit_id

    changed = [FILES[0], ShipFile("scripts/start.sh", b"#!/bin/sh\necho v2\n", executable=True)]
    plan = plan_ship(clients, "shop", "master", changed)
    assert plan.base == "branch" and plan.parent_commit_id == first.commit_id
    second = execute_ship(clients, plan, message="v2")
    parents = codecommit.get_commit(repositoryName="shop", commitId=second.commit_id)["commit"]
    assert parents["parents"] == [first.commit_id]

    release = plan_ship(clients, "shop", "release", changed)  # new branch from the default
    assert release.base == "new-branch" and release.parent_commit_id == second.commit_id
    made = execute_ship(clients, release, message="release")
    assert made.created_branch and made.unchanged  # same files as its base: nothing to commit
