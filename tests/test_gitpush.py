"""Ship to a GitHub/GitLab/Bitbucket source with the user's own git, against a real bare
repository on disk (the same git a user runs; no network): a new branch, a commit on top that
leaves other files alone, an unchanged payload that pushes nothing, the exact commands a dry
run shows, credentials never shown, and which remote is used."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wizard.services.aws.ship import ShipError, ShipFile
from wizard.services.gitpush import plan_push, redact, resolve_remote

PAYLOAD = (
    ShipFile("appspec.yml", b"version: 0.0\nos: linux\n"),
    ShipFile("scripts/start.sh", b"#!/bin/sh\necho start\n", executable=True),
)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote" / "my-org" / "shop.git"
    bare.parent.mkdir(parents=True)
    git("init", "--bare", "--quiet", str(bare))
    return bare


def tree(bare: Path, branch: str = "main") -> dict[str, str]:
    """{path: mode} on the remote branch."""
    lines = git(f"--git-dir={bare}", "ls-tree", "-r", f"refs/heads/{branch}").splitlines()
    return {line.split("\t")[1]: line.split()[0] for line in lines}


def test_first_push_creates_the_branch(remote: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    planned = plan_push(str(remote), "main", PAYLOAD, workspace=ws, label="my-org/shop")
    assert planned.base is None
    shown = planned.details("cdwizard ship: shop payload")
    assert shown[0].startswith(f"git ls-remote --heads {remote} refs/heads/main")
    assert any("read-tree --empty" in line for line in shown)
    assert shown[-1].endswith(f"push --quiet {remote} COMMIT:refs/heads/main")
    assert "a new branch" in planned.describe()

    pushed = planned.execute(message="first", author=("Ada", "ada@example.com"))
    assert pushed.created_branch and not pushed.unchanged
    assert git(f"--git-dir={remote}", "rev-parse", "refs/heads/main") == pushed.commit_id
    assert tree(remote) == {"appspec.yml": "100644", "scripts/start.sh": "100755"}
    author = git(f"--git-dir={remote}", "log", "-1", "--format=%an <%ae> %s", "main")
    assert author == "Ada <ada@example.com> first"
    assert not (ws / ".cdwizard" / "ship-files").exists()  # the scratch files are gone


def test_later_pushes_build_on_the_branch_and_leave_other_files(
    remote: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = plan_push(
        str(remote), "main", (ShipFile("README.md", b"mine\n"),), workspace=ws, label="my-org/shop"
    ).execute(message="theirs")
    planned = plan_push(str(remote), "main", PAYLOAD, workspace=ws, label="my-org/shop")
    assert planned.base == first.commit_id
    assert f"on top of {first.commit_id[:7]}" in planned.describe()
    pushed = planned.execute(message="payload")
    assert not pushed.created_branch and not pushed.unchanged
    assert git(f"--git-dir={remote}", "rev-parse", "main^") == first.commit_id
    assert set(tree(remote)) == {"README.md", "appspec.yml", "scripts/start.sh"}

    again = plan_push(str(remote), "main", PAYLOAD, workspace=ws, label="my-org/shop")
    unchanged = again.execute(message="same")
    assert unchanged.unchanged and unchanged.commit_id == pushed.commit_id
    assert git(f"--git-dir={remote}", "rev-parse", "main") == pushed.commit_id


def test_credentials_in_a_url_are_never_shown() -> None:
    assert (
        redact("https://x-token:ghp_secret@github.com/o/n.git") == "https://***@github.com/o/n.git"
    )
    assert redact("https://ghp_secret@github.com/o/n.git") == "https://***@github.com/o/n.git"
    assert redact("git@github.com:o/n.git") == "git@github.com:o/n.git"


def test_the_remote_is_the_one_naming_the_repository(remote: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("init", "--quiet", str(clone))
    git("remote", "add", "upstream", "https://example.invalid/other/thing.git", cwd=clone)
    git("remote", "add", "origin", "git@github.com:My-Org/Shop.git", cwd=clone)
    assert resolve_remote(None, "my-org/shop", clone) == "git@github.com:My-Org/Shop.git"
    assert resolve_remote("upstream", "my-org/shop", clone).endswith("other/thing.git")
    assert resolve_remote(str(remote), "my-org/shop", clone) == str(remote)
    with pytest.raises(ShipError, match="not a remote of the git repository"):
        resolve_remote("nope", "my-org/shop", clone)
    with pytest.raises(ShipError, match="pass --remote URL"):
        resolve_remote(None, "my-org/elsewhere", clone)
