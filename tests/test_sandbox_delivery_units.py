"""The sandbox delivery engine's pure parts: pacing a fleet under a deployment config, the shell
syntax check, the simulated agent's decisions, bundles and the clock's pace."""

from __future__ import annotations

import pickle

import pytest

from wizard.services.sandbox.extensions._delivery import agent, bundle, clock, fleet
from wizard.services.sandbox.extensions._delivery.model import Bundle

APPSPEC = (
    b"version: 0.0\nos: linux\nhooks:\n"
    b"  ApplicationStop:\n    - location: scripts/stop.sh\n"
    b"  AfterInstall:\n    - location: scripts/after.sh\n      runas: app\n"
)
GOOD = b"#!/bin/bash\necho fine\n"
BROKEN = b"#!/bin/bash\nif true; then\n  echo open\n"


def test_one_at_a_time_runs_instances_in_turn_and_stops_at_the_first_failure() -> None:
    plan = fleet.pace_fleet("CodeDeployDefault.OneAtATime", [10, 10, 10], [True, False, True], 0)
    assert plan.starts == (0, 10, None)
    assert (plan.status, plan.error_code, plan.end) == ("Failed", "HEALTH_CONSTRAINTS", 20)


def test_one_at_a_time_still_succeeds_when_only_the_last_instance_fails() -> None:
    plan = fleet.pace_fleet("CodeDeployDefault.OneAtATime", [5, 5, 5], [True, True, False], 100)
    assert plan.starts == (100, 105, 110)
    assert plan.status == "Succeeded"


def test_all_at_once_starts_everything_and_needs_one_success() -> None:
    plan = fleet.pace_fleet("CodeDeployDefault.AllAtOnce", [3, 7, 5], [False, False, True], 0)
    assert plan.starts == (0, 0, 0)
    assert (plan.status, plan.end) == ("Succeeded", 7)
    failed = fleet.pace_fleet("CodeDeployDefault.AllAtOnce", [3, 7], [False, False], 0)
    assert failed.status == "Failed"


def test_half_at_a_time_updates_half_the_fleet_per_round() -> None:
    plan = fleet.pace_fleet("CodeDeployDefault.HalfAtATime", [4, 4, 4, 4], [True] * 4, 0)
    assert plan.starts == (0, 0, 4, 4)
    assert (plan.status, plan.end) == ("Succeeded", 8)
    # one failure in the first round leaves one slot: the rest go one at a time
    plan = fleet.pace_fleet(
        "CodeDeployDefault.HalfAtATime", [4, 6, 4, 4], [False, True, True, True], 0
    )
    assert plan.starts == (0, 0, 6, 10)
    assert plan.status == "Succeeded"


def test_impossible_rules_and_empty_fleets_fail_at_once() -> None:
    single = fleet.pace_fleet("CodeDeployDefault.HalfAtATime", [4], [True], 50)
    assert (single.status, single.error_code, single.starts) == (
        "Failed",
        "HEALTH_CONSTRAINTS_INVALID",
        (None,),
    )
    empty = fleet.pace_fleet("CodeDeployDefault.OneAtATime", [], [], 50)
    assert (empty.error_code, empty.end) == ("NO_INSTANCES", 50)


class _Group:
    def __init__(self, tag_set: object = None, filters: object = None) -> None:
        self.ec2_tag_set = tag_set
        self.ec2_tag_filters = filters


def test_tag_sets_need_every_group_tag_filters_any() -> None:
    tag_set = {
        "ec2TagSetList": [
            [{"Key": "App", "Value": "demo", "Type": "KEY_AND_VALUE"}],
            [{"Key": "Env", "Type": "KEY_ONLY"}, {"Value": "blue", "Type": "VALUE_ONLY"}],
        ]
    }
    group = _Group(tag_set=tag_set)
    assert fleet.selects(group, {"App": "demo", "Env": "prod"})
    assert fleet.selects(group, {"App": "demo", "Colour": "blue"})
    assert not fleet.selects(group, {"App": "demo"})
    legacy = _Group(
        filters=[
            {"Key": "App", "Value": "x", "Type": "KEY_AND_VALUE"},
            {"Key": "Y", "Type": "KEY_ONLY"},
        ]
    )
    assert fleet.selects(legacy, {"Y": ""}) and not fleet.selects(legacy, {"App": "demo"})
    assert not fleet.selects(_Group(), {"App": "demo"})


@pytest.mark.parametrize(
    ("first_line", "shell"),
    [
        (b"#!/bin/bash", "bash"),
        (b"#!/usr/bin/env bash", "bash"),
        (b"#!/bin/sh", "sh"),
        (b"echo no shebang", "sh"),
        (b"#!/usr/bin/env python3", None),
    ],
)
def test_the_shell_that_checks_a_script(first_line: bytes, shell: str | None) -> None:
    assert agent.shell_for(first_line + b"\necho\n") == shell


def test_syntax_errors_name_the_script_where_the_agent_runs_it() -> None:
    status, text = agent.syntax_check(BROKEN, "/opt/x/deployment-archive/s.sh")
    assert status == 2
    assert text == "/opt/x/deployment-archive/s.sh: line 4: syntax error: unexpected end of file\n"
    assert agent.syntax_check(GOOD, "/x") == (0, "")
    assert agent.syntax_check(b"#!/usr/bin/env python3\nif (:\n", "/x") == (0, "")


def _instance(
    files: dict[str, bytes], previous: agent.Previous | None = None, *, ignore: bool = False
) -> agent.InstanceResult:
    return agent.simulate_instance(
        agent.InstanceInput(
            deployment_id="d-NEW000001",
            group_id="g-1",
            instance_id="i-1",
            events=(
                "ApplicationStop",
                "DownloadBundle",
                "BeforeInstall",
                "Install",
                "AfterInstall",
            ),
            files=files,
            problem=None,
            previous=previous,
            ignore_stop_failures=ignore,
        )
    )


def test_the_first_deployment_skips_application_stop_and_later_ones_run_the_old_script() -> None:
    broken_stop = {"appspec.yml": APPSPEC, "scripts/stop.sh": BROKEN, "scripts/after.sh": GOOD}
    first = _instance(broken_stop)
    assert first.status == "Succeeded"
    assert first.events[0].log == []  # nothing ran: no scripts.log entry either
    previous = agent.Previous("d-OLD000001", Bundle(files=broken_stop))
    fixed = {"appspec.yml": APPSPEC, "scripts/stop.sh": GOOD, "scripts/after.sh": GOOD}
    second = _instance(fixed, previous)
    stop = second.events[0]
    assert (second.status, stop.status, stop.error_code) == ("Failed", "Failed", "ScriptFailed")
    assert "/g-1/d-OLD000001/deployment-archive/scripts/stop.sh: line 4" in stop.log_tail
    assert [e.status for e in second.events[1:]] == ["Skipped"] * 4
    ignored = _instance(fixed, previous, ignore=True)
    assert ignored.status == "Succeeded"
    assert [e.status for e in ignored.events] == ["Failed"] + ["Succeeded"] * 4


def test_scripts_log_entries_follow_the_agents_format() -> None:
    result = _instance({"appspec.yml": APPSPEC, "scripts/stop.sh": GOOD, "scripts/after.sh": GOOD})
    after = result.events[4]
    messages = [m for _, m in after.log]
    assert messages[:2] == ["LifecycleEvent - AfterInstall\n", "Script - scripts/after.sh\n"]
    assert all(m.startswith("[stdout]") for m in messages[2:])
    assert after.log_tail == ""  # a succeeded event reports no log tail, as the agent


def test_bundles_round_trip_and_strip_a_leading_folder() -> None:
    zipped = bundle.code_zip({"appspec.yml": ("NORMAL", b"x"), "s/a.sh": ("EXECUTABLE", b"y")})
    assert zipped == bundle.code_zip(
        {"s/a.sh": ("EXECUTABLE", b"y"), "appspec.yml": ("NORMAL", b"x")}
    )
    assert bundle.read_bundle(zipped, "zip") == {"appspec.yml": b"x", "s/a.sh": b"y"}
    nested = bundle.code_zip({"app/appspec.yml": ("NORMAL", b"x"), "app/s/a.sh": ("NORMAL", b"y")})
    assert bundle.read_bundle(nested, "zip") == {"appspec.yml": b"x", "s/a.sh": b"y"}
    with pytest.raises(ValueError, match="not a valid zip"):
        bundle.read_bundle(b"not a zip", "zip")


def test_pace_scales_durations_and_ignores_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.PACE_ENV, "0.5")
    half = clock.duration(10, "a")
    monkeypatch.setenv(clock.PACE_ENV, "1")
    full = clock.duration(10, "a")
    assert half == pytest.approx(full / 2, abs=0.002)
    assert 8 <= full <= 12
    for nonsense in ("fast", "-1", "inf", "nan"):
        monkeypatch.setenv(clock.PACE_ENV, nonsense)
        assert clock.pace() == 1.0


def test_runs_are_plain_data() -> None:
    result = _instance({"appspec.yml": APPSPEC, "scripts/stop.sh": GOOD, "scripts/after.sh": GOOD})
    assert pickle.loads(pickle.dumps(result.events)) == result.events
