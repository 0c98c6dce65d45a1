"""Install order, messages and what a rehearsal leaves behind (issue 16, divergences 3-5, 7).

Each rule is checked on its own; with the real agent available (`tests/agent_local.py`) the same
bundle also goes through codedeploy-local and the results must be identical (paths aside).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import agent_local
from tests.conftest import REPO
from tests.test_rehearse_support import rehearse, write_bundle
from wizard.core.output import CollectingSink
from wizard.services.rehearse import Rehearsal, RehearsalOptions

#: created in this order, which is neither sorted nor reverse-sorted
NAMES = ("m.txt", "c.txt", "x.txt", "a.txt", "q.txt", "k.txt")
CONFLICTS = ("c.txt", "a.txt", "q.txt")
GROUP = "default-local-deployment-group"


def ordered_bundle(base: Path, dest: Path, behavior: str | None = None) -> Path:
    appspec = f"version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: {dest}\n"
    if behavior:
        appspec += f"file_exists_behavior: {behavior}\n"
    return write_bundle(base, appspec, {f"app/{n}": (n, 0o644) for n in NAMES})


def occupy(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in CONFLICTS:
        (dest / name).write_text("already here")


def test_the_first_disallow_conflict_is_the_first_in_directory_order(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    occupy(dest)
    result, _, _ = rehearse(ordered_bundle(tmp_path / "b", dest), tmp_path / "root")
    archive_order = os.listdir(result.deployment_dir / "deployment-archive" / "app")
    first = next(n for n in archive_order if n in CONFLICTS)
    assert result.diagnostics is not None
    assert result.diagnostics.message == (
        "The deployment failed because a specified file already exists at this location: "
        f"{dest / first}"
    )


def test_instructions_and_cleanup_follow_directory_order(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result, _, rehearsal = rehearse(ordered_bundle(tmp_path / "b", dest), tmp_path / "root")
    assert result.succeeded
    order = os.listdir(result.deployment_dir / "deployment-archive" / "app")
    assert order != sorted(order)  # else this test could not tell the two apart
    cleanup = rehearsal.layout.cleanup_file(GROUP).read_text().splitlines()
    assert cleanup == [str(dest)] + [str(dest / n) for n in order]
    install = json.loads(rehearsal.layout.install_file(GROUP).read_text())["instructions"]
    assert [i.get("destination", i.get("directory")) for i in install] == cleanup


def test_a_missing_source_file_has_rubys_message(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        "version: 0.0\nos: linux\nfiles:\n"
        f"  - source: target/hello.war\n    destination: {tmp_path / 'dest'}\n",
    )
    result, _, _ = rehearse(bundle, tmp_path / "root")
    assert result.failed_event == "Install" and result.diagnostics is not None
    archive = result.deployment_dir / "deployment-archive"
    assert result.diagnostics.message == (
        f"No such file or directory @ rb_sysopen - {archive}/target/hello.war"
    )


def tree(root: Path, *ids: str) -> list[str]:
    """Every path under `root`, deployment ids replaced by `<id>` (rehearsal and agent differ)."""
    out = []
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        for deployment_id in ids:
            rel = rel.replace(deployment_id, "<id>")
        out.append(rel + ("/" if path.is_dir() and not path.is_symlink() else ""))
    return sorted(out)


def test_a_rehearsal_leaves_only_the_agents_layout(tmp_path: Path) -> None:
    """No lock file; no logs/ folder when no script ran (the agent makes it for the first one)."""
    root = tmp_path / "root"
    quiet = write_bundle(tmp_path / "quiet", "version: 0.0\nos: linux\n")
    first, _, _ = rehearse(quiet, root)
    assert first.succeeded
    assert tree(root, first.deployment_id) == [
        f"{GROUP}/",
        f"{GROUP}/<id>/",
        f"{GROUP}/<id>/deployment-archive/",
        f"{GROUP}/<id>/deployment-archive/appspec.yml",
        "deployment-instructions/",
        f"deployment-instructions/{GROUP}-cleanup",
        f"deployment-instructions/{GROUP}-install.json",
        f"deployment-instructions/{GROUP}_last_successful_install",
        f"deployment-instructions/{GROUP}_most_recent_install",
    ]
    hooked = write_bundle(
        tmp_path / "hooked",
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n",
        {"a.sh": "#!/bin/sh\necho hi\n"},
    )
    second, _, _ = rehearse(hooked, root)
    assert second.succeeded
    assert {f"{GROUP}/<id>/logs/", f"{GROUP}/<id>/logs/scripts.log"} <= set(
        tree(root, second.deployment_id)
    )
    assert "deployment-logs/codedeploy-agent-deployments.log" in tree(root)
    assert not (root / first.deployment_id).exists()
    assert not list(root.glob(".*")) and not list(root.glob("*/.*"))


def test_a_rehearsal_cancelled_before_it_starts_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    rehearsal = Rehearsal(
        RehearsalOptions(
            bundle=write_bundle(tmp_path / "b", "version: 0.0\nos: linux\n"), root=root
        )
    )
    rehearsal.cancel()
    result = rehearsal.run(CollectingSink())
    assert result.status.value == "Stopped"
    assert not root.exists()


def test_traffic_hooks_are_skipped_unless_asked_for(tmp_path: Path) -> None:
    """An in-place deployment group without a load balancer runs no traffic hooks."""
    events = ("BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")
    hooks = "".join(f"  {e}:\n    - location: t.sh\n" for e in events)
    bundle = write_bundle(
        tmp_path / "b", f"version: 0.0\nos: linux\nhooks:\n{hooks}", {"t.sh": "#!/bin/sh\n"}
    )

    def ran(*flags: str) -> list[str]:
        root = ["--root", str(tmp_path / "root"), "--file-exists-behavior", "OVERWRITE"]
        proc = subprocess.run(
            [sys.executable, "-m", "wizard", "rehearse", str(bundle), "--json", *flags, *root],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        return [
            x["event"]
            for x in lines
            if x["type"] == "lifecycle.event" and x["status"] == "Succeeded"
        ]

    assert not set(events) & set(ran())
    assert not set(events) & set(ran("--no-traffic"))
    assert {"BeforeAllowTraffic", "AfterAllowTraffic"} <= set(ran("--traffic"))
    # answers with a load balancer make them the default; --no-traffic still skips them
    answers = tmp_path / "answers.yml"
    answers.write_text("version: 1\nload_balancer: {mode: create}\n")
    assert {"BeforeAllowTraffic", "AfterAllowTraffic"} <= set(ran("--answers", str(answers)))
    assert not set(events) & set(ran("--answers", str(answers), "--no-traffic"))


# --- the same bundles through the real agent ------------------------------------------------


@pytest.fixture
def agent(tmp_path: Path) -> agent_local.LocalAgent:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    return agent_local.LocalAgent(tmp_path / "agent")


def normalise(text: str, *pairs: tuple[Path | str, str]) -> str:
    for old, new in pairs:
        text = text.replace(str(old), new)
    return re.sub(r"d-[A-Z0-9]{9}-local", "<id>", text)


def test_install_order_matches_the_real_agent(
    agent: agent_local.LocalAgent, tmp_path: Path
) -> None:
    adest, rdest = tmp_path / "adest", tmp_path / "rdest"
    occupy(adest)
    occupy(rdest)
    run = agent.deploy(ordered_bundle(tmp_path / "ab", adest))
    result, _, _ = rehearse(ordered_bundle(tmp_path / "rb", rdest), tmp_path / "root")
    assert result.diagnostics is not None
    assert normalise(result.diagnostics.message, (rdest, "DEST")) == normalise(
        run.message or "", (adest, "DEST")
    )
    # and with OVERWRITE: the same instructions and cleanup list, in the same order
    run = agent.deploy(ordered_bundle(tmp_path / "ab2", adest, "OVERWRITE"), group_id="ow")
    result, _, rehearsal = rehearse(
        ordered_bundle(tmp_path / "rb2", rdest, "OVERWRITE"), tmp_path / "root", group_id="ow"
    )
    assert run.outcome == "succeeded" and result.succeeded
    for name in ("ow-cleanup", "ow-install.json"):
        ours = (rehearsal.layout.instructions_dir / name).read_text()
        theirs = (agent.root / "deployment-instructions" / name).read_text()
        assert normalise(ours, (rdest, "DEST"), (tmp_path / "root", "ROOT")) == normalise(
            theirs, (adest, "DEST"), (agent.root, "ROOT")
        )


def test_the_missing_file_message_matches_the_real_agent(
    agent: agent_local.LocalAgent, tmp_path: Path
) -> None:
    appspec = "version: 0.0\nos: linux\nfiles:\n  - source: target/hello.war\n    destination: /x\n"
    run = agent.deploy(write_bundle(tmp_path / "ab", appspec))
    result, _, _ = rehearse(write_bundle(tmp_path / "rb", appspec), tmp_path / "root")
    assert result.diagnostics is not None
    assert normalise(result.diagnostics.message, (tmp_path / "root", "ROOT")) == normalise(
        run.message or "", (agent.root, "ROOT")
    )


def test_the_deployment_root_matches_the_real_agent(
    agent: agent_local.LocalAgent, tmp_path: Path
) -> None:
    """The same three deployments (no scripts, a script, a failing Install) leave the same files."""
    bundles = {
        "quiet": ("version: 0.0\nos: linux\n", {}),
        "hooked": (
            "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n",
            {"a.sh": "#!/bin/sh\necho hi\n"},
        ),
        "broken": (
            "version: 0.0\nos: linux\nfiles:\n  - source: nope\n    destination: {dest}\n",
            {},
        ),
    }
    root = tmp_path / "root"
    ids = []
    for name, (appspec, files) in bundles.items():
        run = agent.deploy(
            write_bundle(tmp_path / f"a-{name}", appspec.format(dest=tmp_path / "a-dest"), files)
        )
        assert run.deployment_dir is not None
        result, _, _ = rehearse(
            write_bundle(tmp_path / f"r-{name}", appspec.format(dest=tmp_path / "r-dest"), files),
            root,
        )
        assert result.succeeded == (run.outcome == "succeeded"), (name, run)
        ids += [run.deployment_dir.name, result.deployment_id]
    assert tree(root, *ids) == tree(agent.root, *ids)
