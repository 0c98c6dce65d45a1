"""`cdwizard rehearse` against the real CodeDeploy agent on inputs nobody here wrote (issue 16).

The appspec texts of the agent's own unit tests, and its Linux sample bundles as folder, tar, tgz
and zip, read from the unpacked agent at run time (`CDWIZARD_AGENT_DIR`, see
`tests/agent_local.py`); skipped with the reason when it is absent (CI has no Ruby).
"""

from __future__ import annotations

import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests import agent_local
from tests.test_rehearse_support import rehearse
from wizard.services.rehearse.appspec import AppSpecError, parse_appspec
from wizard.services.rehearse.rehearsal import RehearsalResult


@pytest.fixture(scope="module")
def agent_tree() -> Path:
    if reason := agent_local.skip_reason():
        pytest.skip(reason)
    where = agent_local.agent_dir()
    assert where is not None
    return where


def ours(text: str) -> dict[str, object]:
    try:
        parse_appspec(text)
    except AppSpecError as exc:
        return {"message": exc.message}
    return {"valid": True}


def test_the_agents_appspec_fixtures_get_the_agents_verdicts(agent_tree: Path) -> None:
    """Valid where the agent's parser accepts; the agent's exact message where it rejects with
    its validation error; a refusal (in our words) where it crashes with a Ruby error."""
    fixtures = agent_local.appspec_fixtures(agent_tree)
    assert len(fixtures) >= 60, "the agent's appspec tests moved; update the harness"
    theirs = agent_local.check_appspecs([f.text for f in fixtures])
    rejected = 0
    for fixture, verdict in zip(fixtures, theirs, strict=True):
        where = f"{agent_local.APPSPEC_TESTS}:{fixture.line} ({fixture.context})"
        mine = ours(fixture.text)
        if verdict.get("valid"):
            assert mine == {"valid": True}, where
        elif verdict["error"] == "AppSpecValidationException":
            rejected += 1
            assert mine == {"message": verdict["message"]}, where
        else:
            assert "message" in mine, f"{where}: the agent fails with {verdict}"
    assert rejected >= 35  # 39 at agent v1.8.1


# --- the agent's sample bundles ---------------------------------------------------------------

KINDS = ("directory", "tar", "tgz", "zip")


def pack(bundle: Path, kind: str, out: Path) -> Path:
    """The sample as that kind of bundle; the tgz keeps a leading folder (stripped by both)."""
    if kind == "directory":
        return bundle
    entries = sorted(bundle.rglob("*"))
    if kind == "zip":
        path = out / f"{bundle.name}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for entry in entries:
                zf.write(entry, str(entry.relative_to(bundle)))
        return path
    path = out / f"{bundle.name}.{kind}"
    with tarfile.open(path, "w:gz" if kind == "tgz" else "w") as tar:
        for entry in sorted(bundle.iterdir()):
            arcname = f"{bundle.name}/{entry.name}" if kind == "tgz" else entry.name
            tar.add(entry, arcname=arcname)
    return path


_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} |\[[\d :.-]+\] \[d-[A-Z0-9]+-local\])")


def log_lines(path: Path) -> list[str]:
    """A scripts.log or the combined log without its time stamps and deployment ids."""
    if not path.exists():
        return []
    return [_STAMP.sub("", line) for line in path.read_text().splitlines() if line[:1] != "#"]


def proof(base: Path) -> list[str]:
    """The samples' scripts append their event name to `<root>/../executed_proof_file`."""
    path = base / "executed_proof_file"
    return path.read_text().splitlines() if path.exists() else []


def agent_outcome(run: agent_local.AgentRun) -> tuple[bool, str | None]:
    return run.outcome == "succeeded", run.message


def rehearsal_outcome(result: RehearsalResult) -> tuple[bool, str | None]:
    return result.succeeded, result.diagnostics.message if result.diagnostics else None


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_the_agents_sample_bundles_run_the_same(
    agent_tree: Path, kind: str, tmp_path: Path
) -> None:
    """Two deployments of each sample into one group (the second runs ApplicationStop & co. from
    the first revision); the custom-event sample without and with --events. codedeploy-local
    runs the traffic hooks, so the rehearsal gets --traffic."""
    for sample in agent_local.sample_bundles(agent_tree):
        custom = "custom_event" in sample.name
        plans: list[tuple[str, list[str] | None]] = (
            [("plain", None), ("custom", ["ApplicationStop", "CustomEvent"])]
            if custom
            else [("first", None), ("second", None)]
        )
        base = tmp_path / sample.name
        agent = agent_local.LocalAgent(base / "agent")
        bundle = pack(sample, kind, base)
        for label, events in plans:
            run = agent.deploy(bundle, bundle_type=kind, events=events, group_id="g")
            result, _, rehearsal = rehearse(
                bundle,
                base / "mine" / "root",
                bundle_type=kind,
                events=events,
                traffic=True,
                group_id="g",
            )
            where = f"{sample.name} {kind} {label}"
            assert rehearsal_outcome(result) == agent_outcome(run), where
            assert proof(base / "mine") == proof(base / "agent"), where
            assert run.deployment_dir is not None
            assert log_lines(rehearsal.scripts_log) == log_lines(
                run.deployment_dir / "logs" / "scripts.log"
            ), where
        assert log_lines(base / "mine/root/deployment-logs/codedeploy-agent-deployments.log") == (
            log_lines(agent.root / "deployment-logs" / "codedeploy-agent-deployments.log")
        )
        shutil.rmtree(base)
