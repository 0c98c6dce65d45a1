"""The CodeCommit emulator extension, over HTTP with boto3 against the moto server.

Every response is checked raw against botocore's output shapes (`tests/_aws_shapes.py`); every
request goes through botocore's parameter validation. Errors are asserted by their service codes.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._aws_shapes import RawResponses
from wizard.services.aws.session import AwsClients
from wizard.services.sandbox.extensions import codecommit as ext


@pytest.fixture
def cc(aws_target):
    client = AwsClients(aws_target).client("codecommit")
    client.raw = RawResponses(client)
    return client


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def _put(path: str, content: bytes, mode: str = "NORMAL") -> dict[str, Any]:
    return {"filePath": path, "fileContent": content, "fileMode": mode}


def _first_commit(cc: Any, repo: str = "demo", branch: str = "main") -> dict[str, Any]:
    cc.create_repository(repositoryName=repo)
    return cc.create_commit(
        repositoryName=repo,
        branchName=branch,
        authorName="Dev",
        email="dev@example.com",
        commitMessage="first",
        putFiles=[
            _put("README.md", b"hello\n"),
            _put("scripts/start.sh", b"#!/bin/sh\necho start\n", "EXECUTABLE"),
            _put("app/main.py", b"print('hi')\n"),
        ],
    )


def test_first_commit_creates_the_branch_and_default_branch(cc) -> None:
    cc.create_repository(repositoryName="demo")
    assert cc.list_branches(repositoryName="demo")["branches"] == []
    cc.raw.check("ListBranches")
    assert "defaultBranch" not in cc.get_repository(repositoryName="demo")["repositoryMetadata"]

    made = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        commitMessage="first",
        putFiles=[_put("README.md", b"hello\n")],
    )
    raw = cc.raw.check("CreateCommit")
    assert len(made["commitId"]) == 40 and int(made["commitId"], 16) >= 0
    # git's own blob id of "hello\n"
    assert raw["filesAdded"] == [
        {
            "absolutePath": "README.md",
            "blobId": "ce013625030ba8dba906f756967f9e9ca394464a",
            "fileMode": "NORMAL",
        }
    ]
    assert raw["filesUpdated"] == [] and raw["filesDeleted"] == []

    branch = cc.get_branch(repositoryName="demo", branchName="main")["branch"]
    cc.raw.check("GetBranch")
    assert branch == {"branchName": "main", "commitId": made["commitId"]}
    assert cc.list_branches(repositoryName="demo")["branches"] == ["main"]
    meta = cc.get_repository(repositoryName="demo")["repositoryMetadata"]
    assert meta["defaultBranch"] == "main"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_blob_and_tree_ids_are_gits_own(cc, tmp_path: Path) -> None:
    made = _first_commit(cc)
    work = tmp_path / "w"
    (work / "scripts").mkdir(parents=True)
    (work / "app").mkdir()
    (work / "README.md").write_bytes(b"hello\n")
    (work / "scripts/start.sh").write_bytes(b"#!/bin/sh\necho start\n")
    (work / "scripts/start.sh").chmod(0o755)
    (work / "app/main.py").write_bytes(b"print('hi')\n")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=work, capture_output=True, text=True, check=True
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    assert made["treeId"] == git("write-tree")
    folder = cc.get_folder(repositoryName="demo", folderPath="/scripts")
    assert folder["treeId"] == git("rev-parse", f"{made['treeId']}:scripts")


def test_later_commits_need_the_current_tip_as_parent(cc) -> None:
    first = _first_commit(cc)["commitId"]
    change = [_put("README.md", b"hello again\n")]

    with pytest.raises(ClientError) as missing:
        cc.create_commit(repositoryName="demo", branchName="main", putFiles=change)
    assert _code(missing) == "ParentCommitIdRequiredException"

    with pytest.raises(ClientError) as invalid:
        cc.create_commit(
            repositoryName="demo", branchName="main", parentCommitId="nope", putFiles=change
        )
    assert _code(invalid) == "InvalidParentCommitIdException"

    with pytest.raises(ClientError) as unknown:
        cc.create_commit(
            repositoryName="demo", branchName="main", parentCommitId="0" * 40, putFiles=change
        )
    assert _code(unknown) == "ParentCommitDoesNotExistException"

    second = cc.create_commit(
        repositoryName="demo", branchName="main", parentCommitId=first, putFiles=change
    )
    raw = cc.raw.check("CreateCommit")
    assert [f["absolutePath"] for f in raw["filesUpdated"]] == ["README.md"]

    with pytest.raises(ClientError) as outdated:
        cc.create_commit(
            repositoryName="demo",
            branchName="main",
            parentCommitId=first,
            putFiles=[_put("NEW.md", b"x")],
        )
    assert _code(outdated) == "ParentCommitIdOutdatedException"

    commit = cc.get_commit(repositoryName="demo", commitId=second["commitId"])["commit"]
    cc.raw.check("GetCommit")
    assert commit["parents"] == [first]
    assert commit["treeId"] == second["treeId"]
    assert commit["author"]["date"].endswith(" +0000")


def test_commit_errors_use_the_service_codes(cc) -> None:
    with pytest.raises(ClientError) as no_repo:
        cc.create_commit(repositoryName="ghost", branchName="main", putFiles=[_put("a", b"a")])
    assert _code(no_repo) == "RepositoryDoesNotExistException"

    first = _first_commit(cc)["commitId"]

    def commit(**kwargs: Any) -> str:
        with pytest.raises(ClientError) as err:
            cc.create_commit(repositoryName="demo", parentCommitId=first, **kwargs)
        return _code(err)

    assert commit(branchName="main") == "FileEntryRequiredException"
    assert commit(branchName="main", putFiles=[_put("README.md", b"hello\n")]) == (
        "NoChangeException"
    )
    assert commit(branchName="other", putFiles=[_put("x", b"x")]) == ("BranchDoesNotExistException")
    assert commit(branchName="bad..name", putFiles=[_put("x", b"x")]) == (
        "InvalidBranchNameException"
    )
    assert commit(branchName="main", putFiles=[_put("../x", b"x")]) == "InvalidPathException"
    assert commit(branchName="main", putFiles=[_put("scripts", b"x")]) == (
        "FileNameConflictsWithDirectoryNameException"
    )
    assert commit(branchName="main", putFiles=[_put("README.md/inner", b"x")]) == (
        "DirectoryNameConflictsWithFileNameException"
    )
    assert commit(
        branchName="main",
        putFiles=[_put("README.md", b"1")],
        deleteFiles=[{"filePath": "README.md"}],
    ) == ("SamePathRequestException")
    assert commit(branchName="main", deleteFiles=[{"filePath": "missing.txt"}]) == (
        "FileDoesNotExistException"
    )
    assert commit(branchName="main", putFiles=[{"filePath": "empty"}]) == (
        "SourceFileOrContentRequiredException"
    )
    assert commit(
        branchName="main", putFiles=[_put(f"f{i}", b"x") for i in range(ext.MAX_FILE_ENTRIES + 1)]
    ) == ("MaximumFileEntriesExceededException")
    # nothing above moved the branch
    assert cc.get_branch(repositoryName="demo", branchName="main")["branch"]["commitId"] == first


def test_deletes_modes_and_moves(cc) -> None:
    first = _first_commit(cc)["commitId"]
    made = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        deleteFiles=[{"filePath": "app/main.py"}],
        setFileModes=[{"filePath": "README.md", "fileMode": "EXECUTABLE"}],
        putFiles=[
            {
                "filePath": "bin/start.sh",
                "sourceFile": {"filePath": "scripts/start.sh", "isMove": True},
            },
            {"filePath": "link", "fileContent": b"README.md", "fileMode": "SYMLINK"},
        ],
        keepEmptyFolders=True,
    )
    raw = cc.raw.check("CreateCommit")
    added = {f["absolutePath"]: f["fileMode"] for f in raw["filesAdded"]}
    # keepEmptyFolders: the delete emptied app/, the move emptied scripts/
    assert added == {
        "app/.gitkeep": "NORMAL",
        "scripts/.gitkeep": "NORMAL",
        "bin/start.sh": "EXECUTABLE",
        "link": "SYMLINK",
    }
    assert {f["absolutePath"] for f in raw["filesDeleted"]} == {"app/main.py", "scripts/start.sh"}
    assert raw["filesUpdated"] == [
        {
            "absolutePath": "README.md",
            "blobId": raw["filesUpdated"][0]["blobId"],
            "fileMode": "EXECUTABLE",
        }
    ]

    root = cc.get_folder(repositoryName="demo", folderPath="/", commitSpecifier=made["commitId"])
    cc.raw.check("GetFolder")
    assert [f["relativePath"] for f in root["files"]] == ["README.md"]
    assert [f["relativePath"] for f in root["symbolicLinks"]] == ["link"]
    assert [f["relativePath"] for f in root["subFolders"]] == ["app", "bin", "scripts"]
    assert root["treeId"] == made["treeId"]


def test_get_file_and_get_folder_resolve_commit_specifiers(cc) -> None:
    cc.create_repository(repositoryName="empty")
    with pytest.raises(ClientError) as empty:
        cc.get_file(repositoryName="empty", filePath="README.md")
    assert _code(empty) == "CommitDoesNotExistException"

    first = _first_commit(cc)["commitId"]
    for spec in (None, "HEAD", "main", "refs/heads/main", first):
        kwargs = {"commitSpecifier": spec} if spec else {}
        got = cc.get_file(repositoryName="demo", filePath="/scripts/start.sh", **kwargs)
        assert got["fileContent"] == b"#!/bin/sh\necho start\n"
        assert got["fileMode"] == "EXECUTABLE" and got["fileSize"] == 21
        assert got["commitId"] == first
    cc.raw.check("GetFile")

    sub = cc.get_folder(repositoryName="demo", folderPath="scripts")
    assert [f["absolutePath"] for f in sub["files"]] == ["scripts/start.sh"]
    assert sub["subFolders"] == [] and sub["subModules"] == []

    for call, kwargs, code in (
        (cc.get_file, {"filePath": "nope.txt"}, "FileDoesNotExistException"),
        (
            cc.get_file,
            {"filePath": "README.md", "commitSpecifier": "dev"},
            "CommitDoesNotExistException",
        ),
        (cc.get_folder, {"folderPath": "/nope"}, "FolderDoesNotExistException"),
        (cc.get_branch, {"branchName": "dev"}, "BranchDoesNotExistException"),
    ):
        with pytest.raises(ClientError) as err:
            call(repositoryName="demo", **kwargs)
        assert _code(err) == code, kwargs


def test_create_branch_then_commit_on_it(cc) -> None:
    first = _first_commit(cc)["commitId"]
    cc.create_branch(repositoryName="demo", branchName="feature/x", commitId=first)
    cc.raw.check("CreateBranch")
    for kwargs, code in (
        ({"branchName": "feature/x", "commitId": first}, "BranchNameExistsException"),
        ({"branchName": "y", "commitId": "f" * 40}, "CommitDoesNotExistException"),
        ({"branchName": "y", "commitId": "zz"}, "InvalidCommitIdException"),
    ):
        with pytest.raises(ClientError) as err:
            cc.create_branch(repositoryName="demo", **kwargs)
        assert _code(err) == code

    made = cc.create_commit(
        repositoryName="demo",
        branchName="feature/x",
        parentCommitId=first,
        putFiles=[_put("feature.txt", b"f")],
    )
    assert cc.get_branch(repositoryName="demo", branchName="main")["branch"]["commitId"] == first
    assert sorted(cc.list_branches(repositoryName="demo")["branches"]) == ["feature/x", "main"]
    diff = cc.get_differences(
        repositoryName="demo", beforeCommitSpecifier="main", afterCommitSpecifier=made["commitId"]
    )
    cc.raw.check("GetDifferences")
    assert [(d["changeType"], d["afterBlob"]["path"]) for d in diff["differences"]] == [
        ("A", "feature.txt")
    ]


def test_get_differences_pages_and_filters(cc) -> None:
    first = _first_commit(cc)["commitId"]
    second = cc.create_commit(
        repositoryName="demo",
        branchName="main",
        parentCommitId=first,
        putFiles=[_put("README.md", b"changed\n")],
        deleteFiles=[{"filePath": "app/main.py"}],
    )["commitId"]
    everything = cc.get_differences(repositoryName="demo", afterCommitSpecifier=second)
    assert {d["changeType"] for d in everything["differences"]} == {"A"}
    changes = []
    token: dict[str, str] = {}
    while True:
        page = cc.get_differences(
            repositoryName="demo",
            beforeCommitSpecifier=first,
            afterCommitSpecifier=second,
            MaxResults=1,
            **token,
        )
        cc.raw.check("GetDifferences")
        changes += [
            (d["changeType"], (d.get("afterBlob") or d["beforeBlob"])["path"])
            for d in page["differences"]
        ]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert changes == [("M", "README.md"), ("D", "app/main.py")]
    scoped = cc.get_differences(
        repositoryName="demo",
        beforeCommitSpecifier=first,
        afterCommitSpecifier=second,
        beforePath="app",
    )
    assert [d["changeType"] for d in scoped["differences"]] == ["D"]
    with pytest.raises(ClientError) as missing:
        cc.get_differences(repositoryName="demo", afterCommitSpecifier=second, afterPath="nope")
    assert _code(missing) == "PathDoesNotExistException"


def test_list_repositories_sorts_and_pages(cc, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cc.list_repositories()["repositories"] == []
    cc.raw.check("ListRepositories")
    for name in ("charlie", "alpha", "bravo"):
        cc.create_repository(repositoryName=name)
    monkeypatch.setattr(ext, "REPOSITORY_PAGE", 2)  # the server runs in this process
    first = cc.list_repositories()
    cc.raw.check("ListRepositories")
    assert [r["repositoryName"] for r in first["repositories"]] == ["alpha", "bravo"]
    pages = cc.get_paginator("list_repositories").paginate(
        sortBy="repositoryName", order="descending"
    )
    names = [r["repositoryName"] for p in pages for r in p["repositories"]]
    assert names == ["charlie", "bravo", "alpha"]
    with pytest.raises(ClientError) as bad:
        cc.list_repositories(nextToken="garbage")
    assert _code(bad) == "InvalidContinuationTokenException"


def test_deleting_a_repository_drops_its_content(cc) -> None:
    _first_commit(cc)
    cc.delete_repository(repositoryName="demo")
    cc.create_repository(repositoryName="demo")
    assert cc.list_branches(repositoryName="demo")["branches"] == []


def test_concurrent_commits_on_one_parent_let_exactly_one_win(cc) -> None:
    first = _first_commit(cc)["commitId"]
    outcomes: list[str] = []
    lock = threading.Lock()

    def push(i: int) -> None:
        try:
            cc.create_commit(
                repositoryName="demo",
                branchName="main",
                parentCommitId=first,
                putFiles=[_put(f"n{i}.txt", str(i).encode())],
            )
            result = "ok"
        except ClientError as exc:
            result = exc.response["Error"]["Code"]
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert outcomes.count("ParentCommitIdOutdatedException") == 5


def test_install_is_idempotent(cc) -> None:
    ext.install()
    ext.install()
    _first_commit(cc)
    assert cc.list_branches(repositoryName="demo")["branches"] == ["main"]
