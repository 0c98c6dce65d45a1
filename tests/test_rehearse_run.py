"""Whole rehearsals of small synthetic bundles: order, revisions, env, layout, logs, Install."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.test_rehearse_support import (
    DEPLOYMENTS_LOG_LINE,
    LOGGER_HEADER,
    SCRIPTABLE,
    SCRIPTS_LOG_LINE,
    failed_event,
    outputs,
    recorder_bundle,
    rehearse,
    statuses,
    write_bundle,
)
from wizard.core.events.lifecycle import (
    DeploymentFinished,
    DeploymentStarted,
    DeploymentStatus,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.services.rehearse import Rehearsal, RehearsalError, RehearsalOptions

GROUP = "my-dg"


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file RECORDER hooks append to (found through the inherited environment)."""
    path = tmp_path / "record.txt"
    monkeypatch.setenv("REHEARSE_TEST_RECORD", str(path))
    return path


def read_records(path: Path) -> list[dict[str, str]]:
    """RECORDER blocks -> one dict per hook run (`event`, `rev`, `cwd`, `argv0` + env vars)."""
    runs: list[dict[str, str]] = []
    for line in path.read_text().splitlines():
        if line.startswith("event="):
            runs.append(dict(part.split("=", 1) for part in line.split(" ")))
        else:
            key, value = line.split("=", 1)
            runs[-1][key] = value
    return runs


def test_first_deployment_order_skips_previous_revision_hooks(tmp_path: Path, record: Path) -> None:
    bundle = recorder_bundle(tmp_path / "b1", tmp_path / "dest", "bundle1")
    result, events, _ = rehearse(bundle, tmp_path / "root", group_id=GROUP, traffic=True)
    assert result.succeeded
    assert statuses(events) == [
        ("BeforeBlockTraffic", "Skipped"),
        ("AfterBlockTraffic", "Skipped"),
        ("ApplicationStop", "Skipped"),
        ("DownloadBundle", "Succeeded"),
        ("BeforeInstall", "Succeeded"),
        ("Install", "Succeeded"),
        ("AfterInstall", "Succeeded"),
        ("ApplicationStart", "Succeeded"),
        ("ValidateService", "Succeeded"),
        ("BeforeAllowTraffic", "Succeeded"),
        ("AfterAllowTraffic", "Succeeded"),
    ]
    ran = [r["event"] for r in read_records(record)]
    assert ran == [
        "BeforeInstall",
        "AfterInstall",
        "ApplicationStart",
        "ValidateService",
        "BeforeAllowTraffic",
        "AfterAllowTraffic",
    ]
    started = events[0]
    assert isinstance(started, DeploymentStarted) and started.origin == "rehearsal"
    assert started.group_id == GROUP and started.events[0] == "BeforeBlockTraffic"
    finished = events[-1]
    assert isinstance(finished, DeploymentFinished)
    assert finished.status is DeploymentStatus.SUCCEEDED
    skipped = next(e for e in events if isinstance(e, LifecycleEventChanged))
    assert skipped.diagnostics is not None and "first deployment" in skipped.diagnostics.message


def test_in_progress_then_final_with_timing(tmp_path: Path, record: Path) -> None:
    bundle = recorder_bundle(tmp_path / "b1", tmp_path / "dest", "one")
    _, events, _ = rehearse(bundle, tmp_path / "root")
    changes = [e for e in events if isinstance(e, LifecycleEventChanged)]
    install = [e for e in changes if e.event == "Install"]
    assert [e.status for e in install] == [LifecycleStatus.IN_PROGRESS, LifecycleStatus.SUCCEEDED]
    assert install[1].started_at == install[0].started_at and install[1].duration is not None
    # stdout and stderr are read independently: their relative order is not guaranteed
    assert sorted(outputs(events, "AfterInstall")) == [
        "[stderr]stderr from AfterInstall",
        "[stdout]stdout from AfterInstall",
    ]


def test_second_deployment_runs_stop_hooks_from_the_last_successful_revision(
    tmp_path: Path, record: Path
) -> None:
    root = tmp_path / "root"
    first, _, _ = rehearse(
        recorder_bundle(tmp_path / "b1", tmp_path / "dest", "bundle1"),
        root,
        group_id=GROUP,
        traffic=True,
    )
    record.unlink()
    second, events, _ = rehearse(
        recorder_bundle(tmp_path / "b2", tmp_path / "dest", "bundle2"),
        root,
        group_id=GROUP,
        traffic=True,
    )
    assert second.succeeded
    runs = read_records(record)
    previous = [
        r
        for r in runs
        if r["event"] in ("BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop")
    ]
    assert [r["event"] for r in previous] == [
        "BeforeBlockTraffic",
        "AfterBlockTraffic",
        "ApplicationStop",
    ]
    old_script = f"{first.deployment_dir}/deployment-archive/scripts/hook.sh"
    for run in previous:
        assert run["rev"] == "bundle1" and run["argv0"] == old_script
        assert run["DEPLOYMENT_ID"] == second.deployment_id  # the *new* id
    new = [r for r in runs if r not in previous]
    assert {r["rev"] for r in new} == {"bundle2"}
    stop = [
        e for e in events if isinstance(e, LifecycleEventChanged) and e.event == "ApplicationStop"
    ]
    assert {e.ran_revision for e in stop} == {first.deployment_id}
    # ...and their output went into the new deployment's scripts.log
    log = (second.deployment_dir / "logs" / "scripts.log").read_text()
    assert "LifecycleEvent - ApplicationStop" in log
    assert "ApplicationStop" not in (first.deployment_dir / "logs" / "scripts.log").read_text()


def test_last_successful_means_install_succeeded_even_if_validate_failed(
    tmp_path: Path, record: Path
) -> None:
    root = tmp_path / "root"
    bad = write_bundle(
        tmp_path / "bad",
        f"""
        version: 0.0
        os: linux
        files:
          - source: /
            destination: {tmp_path / "dest"}
        hooks:
          ApplicationStop:
            - location: stop.sh
          ValidateService:
            - location: fail.sh
        """,
        {"stop.sh": "#!/bin/sh\necho stop-from-bad\n", "fail.sh": "#!/bin/sh\nexit 1\n"},
    )
    a, _, _ = rehearse(bad, root)
    assert a.status is DeploymentStatus.FAILED and a.failed_event == "ValidateService"
    b, events, _ = rehearse(recorder_bundle(tmp_path / "b2", tmp_path / "dest", "good"), root)
    assert "[stdout]stop-from-bad" in outputs(events, "ApplicationStop")
    assert b.succeeded


def test_env_vars_inherited_environment_and_cwd(
    tmp_path: Path, record: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bundle = recorder_bundle(tmp_path / "b1", tmp_path / "dest", "one", events=("BeforeInstall",))
    result, _, _ = rehearse(
        bundle, tmp_path / "root", group_id="6859c2df", group_name="MyDGName", application="MyApp"
    )
    (run,) = read_records(record)
    assert {k: v for k, v in run.items() if k.isupper()} == {
        "APPLICATION_NAME": "MyApp",
        "DEPLOYMENT_GROUP_ID": "6859c2df",
        "DEPLOYMENT_GROUP_NAME": "MyDGName",
        "DEPLOYMENT_ID": result.deployment_id,
        "LIFECYCLE_EVENT": "BeforeInstall",
    }
    assert run["cwd"] == str(tmp_path)  # not changed, as by the agent
    assert run["argv0"] == f"{result.deployment_dir}/deployment-archive/scripts/hook.sh"
    assert result.deployment_id.startswith("d-") and result.deployment_id.endswith("-local")
    assert len(result.deployment_id) == len("d-UEDS493TT-local")


def test_codedeploy_local_defaults_for_names(tmp_path: Path, record: Path) -> None:
    bundle = recorder_bundle(tmp_path / "b1", tmp_path / "dest", "one", events=("BeforeInstall",))
    rehearse(bundle, tmp_path / "root")
    (run,) = read_records(record)
    assert run["APPLICATION_NAME"] == str(bundle)
    assert run["DEPLOYMENT_GROUP_NAME"] == "LocalFleet"
    assert run["DEPLOYMENT_GROUP_ID"] == "default-local-deployment-group"


def test_layout_instructions_and_both_log_formats(tmp_path: Path, record: Path) -> None:
    root = tmp_path / "root"
    dest = tmp_path / "dest"
    result, _, _ = rehearse(recorder_bundle(tmp_path / "b1", dest, "one"), root, group_id=GROUP)
    ddir = result.deployment_dir
    assert ddir == root / GROUP / result.deployment_id
    assert (ddir / "deployment-archive" / "appspec.yml").is_file()
    assert not (ddir / "bundle.tar").exists()  # a directory bundle has none
    instructions = root / "deployment-instructions"
    assert (instructions / f"{GROUP}_last_successful_install").read_text() == str(ddir)
    assert (instructions / f"{GROUP}_most_recent_install").read_text() == str(ddir)
    cleanup = (instructions / f"{GROUP}-cleanup").read_text().splitlines()
    assert cleanup[0] == str(dest) and str(dest / "scripts" / "hook.sh") in cleanup
    install = json.loads((instructions / f"{GROUP}-install.json").read_text())
    assert install["instructions"][0] == {"type": "mkdir", "directory": str(dest)}
    assert {
        "type": "copy",
        "source": f"{ddir}/deployment-archive/rev-one.txt",
        "destination": str(dest / "rev-one.txt"),
    } in install["instructions"]

    scripts_log = (ddir / "logs" / "scripts.log").read_text().splitlines()
    assert scripts_log, "scripts.log is empty"
    assert all(SCRIPTS_LOG_LINE.match(line) for line in scripts_log), scripts_log
    assert scripts_log[0].endswith(" LifecycleEvent - BeforeInstall")
    assert scripts_log[1].endswith(" Script - scripts/hook.sh")
    combined = (
        (root / "deployment-logs" / "codedeploy-agent-deployments.log").read_text().splitlines()
    )
    assert LOGGER_HEADER.match(combined[0]), combined[0]
    assert all(DEPLOYMENTS_LOG_LINE.match(line) for line in combined[1:]), combined
    assert f"[{result.deployment_id}][stdout]stdout from BeforeInstall" in "\n".join(combined)
    assert len(combined) - 1 == len(scripts_log)


def test_a_last_line_without_newline_runs_into_the_next_entry(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        """
        version: 0.0
        os: linux
        hooks:
          BeforeInstall:
            - location: nonl.sh
            - location: nonl.sh
        """,
        {"nonl.sh": "#!/bin/sh\nprintf 'no-trailing-newline'\n"},
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    log = (result.deployment_dir / "logs" / "scripts.log").read_text()
    assert re.search(
        r"\[stdout\]no-trailing-newline\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} Script - nonl\.sh\n", log
    ), log
    assert log.endswith("[stdout]no-trailing-newline")
    assert outputs(events, "BeforeInstall") == ["[stdout]no-trailing-newline"] * 2


# --- Install --------------------------------------------------------------------------------


def files_bundle(path: Path, dest: Path, files: dict[str, str], extra: str = "") -> Path:
    return write_bundle(
        path,
        f"version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: {dest}\n" + extra,
        {f"app/{k}": (v, 0o644) for k, v in files.items()},
    )


def test_install_removes_the_previous_revisions_files_first(tmp_path: Path) -> None:
    root, dest = tmp_path / "root", tmp_path / "dest" / "app"
    rehearse(files_bundle(tmp_path / "b1", dest, {"index.html": "v1", "sub/a.txt": "a"}), root)
    assert (dest / "sub" / "a.txt").read_text() == "a"
    (tmp_path / "dest" / "unrelated.txt").write_text("mine")
    result, _, _ = rehearse(files_bundle(tmp_path / "b2", dest, {"index.html": "v2"}), root)
    assert result.succeeded  # index.html was ours: no DISALLOW conflict
    assert (dest / "index.html").read_text() == "v2"
    assert not (dest / "sub").exists()  # removed with its file
    assert (tmp_path / "dest" / "unrelated.txt").read_text() == "mine"


def test_disallow_conflict_fails_after_the_old_files_are_gone(tmp_path: Path) -> None:
    root, dest = tmp_path / "root", tmp_path / "dest"
    first, _, _ = rehearse(
        files_bundle(tmp_path / "b1", dest, {"old.txt": "old"}), root, group_id=GROUP
    )
    (dest / "new.txt").write_text("someone else's")
    result, events, _ = rehearse(
        files_bundle(tmp_path / "b2", dest, {"new.txt": "new"}), root, group_id=GROUP
    )
    assert result.status is DeploymentStatus.FAILED and result.failed_event == "Install"
    failure = failed_event(events)
    assert failure.diagnostics is not None and failure.diagnostics.error_code == "UnknownError"
    assert failure.diagnostics.message == (
        "The deployment failed because a specified file already exists at this location: "
        f"{dest / 'new.txt'}"
    )
    assert not (dest / "old.txt").exists()  # cleanup ran before the check
    assert (dest / "new.txt").read_text() == "someone else's"
    instructions = root / "deployment-instructions"
    assert not (instructions / f"{GROUP}-cleanup").exists()
    assert (instructions / f"{GROUP}_last_successful_install").read_text() == str(
        first.deployment_dir
    )
    assert statuses(events)[-3:] == [
        ("AfterInstall", "Skipped"),
        ("ApplicationStart", "Skipped"),
        ("ValidateService", "Skipped"),
    ]


def test_overwrite_from_options_and_retain_from_appspec_wins(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a.txt").write_text("existing")
    result, _, _ = rehearse(
        files_bundle(tmp_path / "b1", dest, {"a.txt": "new"}),
        tmp_path / "root",
        file_exists_behavior="OVERWRITE",
    )
    assert result.succeeded and (dest / "a.txt").read_text() == "new"

    dest2 = tmp_path / "dest2"
    dest2.mkdir()
    (dest2 / "a.txt").write_text("existing")
    bundle = files_bundle(
        tmp_path / "b2", dest2, {"a.txt": "new", "b.txt": "b"}, "file_exists_behavior: RETAIN\n"
    )
    root2 = tmp_path / "root2"
    result, _, _ = rehearse(bundle, root2, file_exists_behavior="OVERWRITE")
    assert result.succeeded and (dest2 / "a.txt").read_text() == "existing"
    cleanup = (
        root2 / "deployment-instructions" / "default-local-deployment-group-cleanup"
    ).read_text()
    assert str(dest2 / "a.txt") not in cleanup  # a retained file is not ours to clean up
    assert str(dest2 / "b.txt") in cleanup


def test_permissions_touch_only_what_install_created(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    bundle = write_bundle(
        tmp_path / "b",
        f"""
        version: 0.0
        os: linux
        files:
          - source: app
            destination: {dest}/app
        permissions:
          - object: {dest}/app
            mode: 750
            type: [directory]
          - object: {dest}/app
            pattern: "*.txt"
            mode: 640
            type: [file]
        """,
        {"app/top.txt": ("t", 0o644), "app/run.sh": ("r", 0o755), "app/sub/a.txt": ("a", 0o644)},
    )
    result, _, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded
    mode = lambda p: (dest / p).stat().st_mode & 0o777  # noqa: E731
    assert mode("app") == 0o755  # the object itself is never matched
    assert mode("app/sub") == 0o750
    assert mode("app/top.txt") == 0o640
    assert mode("app/run.sh") == 0o755  # pattern *.txt
    assert mode("app/sub/a.txt") == 0o644  # a pattern matches one level only


def test_permissions_mode_trap_fails_before_install(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        f"""
        version: 0.0
        os: linux
        files:
          - source: /
            destination: {tmp_path / "dest"}
        permissions:
          - object: {tmp_path / "dest"}
            mode: 0750
        """,
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.failed_event == "BeforeInstall"  # where the agent first parses the new appspec
    failure = failed_event(events)
    assert failure.diagnostics is not None
    assert "permissions mode (488)" in failure.diagnostics.message
    assert any("fix: YAML reads `mode: 0750`" in getattr(e, "text", "") for e in events)
    assert not (tmp_path / "dest").exists()


@pytest.mark.parametrize(
    ("appspec", "message"),
    [
        ('version: "0.0"\nos: linux\n', "invalid version value (0.0)"),
        ("version: 0.0\nos: ubuntu\n", "unsupported operating system (ubuntu)"),
        (
            "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n"
            "    - location: a.sh\n      timeout: 0\n",
            "invalid timeout value",
        ),
        (
            "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 5\n",
            "script with no location value",
        ),
        (
            "version: 0.0\nos: linux\nfile_exists_behavior: FOO\n",
            "invalid file_exists_behavior value (FOO)",
        ),
    ],
)
def test_bad_appspecs_fail_the_deployment_at_before_install(
    tmp_path: Path, appspec: str, message: str
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "appspec.yml").write_text(appspec)
    result, events, _ = rehearse(tmp_path / "b", tmp_path / "root")
    assert result.status is DeploymentStatus.FAILED and result.failed_event == "BeforeInstall"
    diagnostics = failed_event(events).diagnostics
    assert diagnostics is not None and diagnostics.error_code == "UnknownError"
    assert message in diagnostics.message
    assert statuses(events)[:2] == [("ApplicationStop", "Skipped"), ("DownloadBundle", "Succeeded")]


def test_unknown_hook_names_fail_at_install(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b",
        "version: 0.0\nos: linux\nhooks:\n  Afterinstall:\n    - location: a.sh\n",
        {"a.sh": "#!/bin/sh\n"},
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.failed_event == "Install"
    assert failed_event(events).diagnostics.message == (
        'appspec.yml file contains unknown lifecycle events: ["Afterinstall"]'
    )
    assert any("Afterinstall -> AfterInstall" in getattr(e, "text", "") for e in events)


def test_pruning_keeps_max_revisions_and_never_the_last_successful(
    tmp_path: Path, record: Path
) -> None:
    root = tmp_path / "root"
    good, _, _ = rehearse(
        recorder_bundle(tmp_path / "g", tmp_path / "dest", "good"), root, max_revisions=2
    )
    broken = write_bundle(
        tmp_path / "bad",
        "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: no.sh\n",
    )
    failures = []
    for _ in range(3):
        failed, _, _ = rehearse(broken, root, max_revisions=2)
        assert failed.status is DeploymentStatus.FAILED
        failures.append(failed.deployment_dir)
    left = sorted(p.name for p in (root / "default-local-deployment-group").iterdir())
    assert left == sorted([good.deployment_id, failures[-1].name])


def test_failed_stop_script_from_the_last_successful_revision_blocks_with_a_hint(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    bundle = write_bundle(
        tmp_path / "b",
        "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: stop.sh\n",
        {"stop.sh": "#!/bin/sh\necho cannot stop >&2\nexit 3\n"},
    )
    first, _, _ = rehearse(bundle, root)
    assert first.succeeded  # skipped the first time
    second, events, _ = rehearse(bundle, root)
    assert second.failed_event == "ApplicationStop"
    diagnostics = failed_event(events).diagnostics
    assert diagnostics is not None and diagnostics.error_code == "ScriptFailed"
    assert diagnostics.message == "Script at specified location: stop.sh failed with exit code 3"
    assert any("last successful revision" in getattr(e, "text", "") for e in events)


# --- bundle types ---------------------------------------------------------------------------


def _archive_bundle(tmp_path: Path, kind: str, leading: bool) -> Path:
    src = recorder_bundle(
        tmp_path / "src" / "bundle1", tmp_path / "dest", kind, events=("BeforeInstall",)
    )
    top = src.parent if leading else src
    if kind == "zip":
        path = tmp_path / "bundle.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for file in sorted(top.rglob("*")):
                zf.write(file, file.relative_to(top))
        return path
    path = tmp_path / ("bundle.tgz" if kind == "tgz" else "bundle.tar")
    with tarfile.open(path, "w:gz" if kind == "tgz" else "w") as tar:
        for file in sorted(top.iterdir()):
            tar.add(file, file.name)
    return path


@pytest.mark.parametrize(
    ("kind", "leading"), [("tgz", True), ("tar", False), ("zip", True), ("zip", False)]
)
def test_archive_bundles_unpack_with_modes_and_strip_a_leading_dir(
    tmp_path: Path, record: Path, kind: str, leading: bool
) -> None:
    bundle = _archive_bundle(tmp_path, kind, leading)
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.succeeded, statuses(events)
    link = result.deployment_dir / "bundle.tar"
    assert link.is_symlink() and os.readlink(link) == str(bundle)
    archive = result.deployment_dir / "deployment-archive"
    assert (archive / "appspec.yml").is_file()
    assert (archive / "scripts" / "hook.sh").stat().st_mode & 0o111  # mode kept: no chmod warning
    assert not any("not executable" in getattr(e, "text", "") for e in events)
    stripped = any("Stripping leading directory" in getattr(e, "text", "") for e in events)
    assert stripped is leading


def test_bad_bundle_locations_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match="which does not exist"):
        Rehearsal(RehearsalOptions(bundle=tmp_path / "nope", root=tmp_path / "root"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RehearsalError, match="Expecting appspec file at location"):
        Rehearsal(RehearsalOptions(bundle=tmp_path / "empty", root=tmp_path / "root"))
    bundle = write_bundle(tmp_path / "b", "version: 0.0\nos: linux\n")
    with pytest.raises(RehearsalError, match="compressed local file but it is a directory"):
        Rehearsal(RehearsalOptions(bundle=bundle, root=tmp_path / "root", bundle_type="zip"))
    with pytest.raises(RehearsalError, match="inside the bundle"):
        Rehearsal(RehearsalOptions(bundle=bundle, root=bundle / "root"))
    with pytest.raises(RehearsalError, match="system folder"):
        Rehearsal(RehearsalOptions(bundle=bundle, root=Path("/usr")))
    with pytest.raises(RehearsalError, match="cannot be a folder name"):
        Rehearsal(RehearsalOptions(bundle=bundle, root=tmp_path / "root", group_id="../x"))


def test_system_destinations_are_refused_unless_allowed(tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "b", "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /usr\n"
    )
    result, events, _ = rehearse(bundle, tmp_path / "root")
    assert result.failed_event == "Install"
    assert (
        "refuses to install into the system folder /usr" in failed_event(events).diagnostics.message
    )


def test_the_rehearsal_and_the_answers_refuse_the_same_system_folders(tmp_path: Path) -> None:
    from wizard.core.answers import AnswersError, validate_mapping
    from wizard.core.system_paths import SYSTEM_DIRS
    from wizard.services.rehearse.layout import LayoutError, check_root

    for folder in sorted(SYSTEM_DIRS):
        with pytest.raises(LayoutError, match="system folder"):
            check_root(Path(folder))
        why = "payload.destination" if folder == "/" else "must not be a system directory"
        with pytest.raises(AnswersError, match=why):  # "/" is already too short
            validate_mapping({"version": 1, "payload": {"destination": folder}})
    check_root(tmp_path / "srv" / "app")  # below a system folder is fine


def test_the_default_root_is_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    bundle = write_bundle(tmp_path / "b", "version: 0.0\nos: linux\n")
    rehearsal = Rehearsal(RehearsalOptions(bundle=bundle))
    assert rehearsal.root == tmp_path / "home" / ".cdwizard" / "deployment-root"


def test_json_round_trip_of_every_event(tmp_path: Path, record: Path) -> None:
    result, events, _ = rehearse(
        recorder_bundle(tmp_path / "b", tmp_path / "dest", "x"), tmp_path / "root"
    )
    buffer = io.StringIO()
    for event in events:
        buffer.write(json.dumps(event.to_dict()) + "\n")
    kinds = {json.loads(line)["type"] for line in buffer.getvalue().splitlines()}
    assert {
        "deployment.started",
        "lifecycle.event",
        "lifecycle.output",
        "deployment.finished",
    } <= kinds
    assert shutil.which("sh")  # sanity: the recorder ran under a shell
    assert result.succeeded


def test_scriptable_constant_matches_the_agent() -> None:
    from wizard.core.events.lifecycle import SCRIPTABLE_EVENTS

    assert set(SCRIPTABLE) == SCRIPTABLE_EVENTS and len(SCRIPTABLE) == len(SCRIPTABLE_EVENTS)
