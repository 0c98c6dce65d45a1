"""The deployment-config explainer: the documented examples, edge cases, and a brute-force check
against a round-by-round simulation of the minimum-healthy-hosts rule."""

from __future__ import annotations

import itertools

import pytest

from wizard.core.deployment_config import (
    PREDEFINED,
    MinimumHealthyHosts,
    explain_all_configs,
    explain_config,
    explain_rule,
)


def test_the_documented_nine_instance_examples() -> None:
    one = explain_config("CodeDeployDefault.OneAtATime", 9)
    assert (one.at_once, one.minimum_healthy, one.may_fail, one.stops_after) == (1, 8, 1, 1)
    half = explain_config("CodeDeployDefault.HalfAtATime", 9)  # up to 4 at a time, 5 must succeed
    assert (half.at_once, half.minimum_healthy, half.may_fail, half.rounds) == (4, 5, 4, 3)
    every = explain_config("CodeDeployDefault.AllAtOnce", 9)  # succeeds if any one succeeds
    assert (every.at_once, every.may_fail, every.stops_after) == (9, 8, None)
    # the API reference's custom examples: HOST_COUNT 6 -> 3 at a time, FLEET_PERCENT 40 -> 5
    six = explain_rule(MinimumHealthyHosts("HOST_COUNT", 6), 9)
    assert (six.at_once, six.minimum_healthy) == (3, 6)
    forty = explain_rule(MinimumHealthyHosts("FLEET_PERCENT", 40), 9)
    assert (forty.at_once, forty.minimum_healthy) == (5, 4)


def test_no_instances_fails_every_config() -> None:
    for e in explain_all_configs(0):
        assert not e.deployable and e.at_once == 0
        assert "NO_INSTANCES" in e.headline


def test_a_single_instance() -> None:
    one, half, every = explain_all_configs(1)
    for e in (one, every):
        assert e.deployable and e.at_once == 1 and e.may_fail == 0 and e.in_service == 0
        assert "must succeed" in e.headline
    assert not half.deployable
    assert "HEALTH_CONSTRAINTS_INVALID" in half.headline
    assert "Use OneAtATime" in " ".join(half.lines)


def test_two_instances_half_at_a_time_is_one_at_a_time() -> None:
    one, half, _ = explain_all_configs(2)
    for e in (one, half):
        assert (e.at_once, e.may_fail, e.stops_after, e.in_service) == (1, 1, 1, 1)
        assert "the first failure stops it, unless it is on the last instance" in e.headline
        assert any("still reports Succeeded" in w for w in e.warnings)


@pytest.mark.parametrize(("n", "at_once", "must"), [(3, 1, 2), (5, 2, 3), (7, 3, 4), (11, 5, 6)])
def test_half_at_a_time_rounds_down_the_batch_and_up_the_minimum(
    n: int, at_once: int, must: int
) -> None:
    e = explain_config("HalfAtATime", n)
    assert e.at_once == at_once and e.minimum_healthy == must
    assert f"Must succeed: {must} of {n}" in e.lines[1]


def test_all_at_once_warns_about_downtime_and_hidden_failures() -> None:
    e = explain_config("AllAtOnce", 3)
    assert "none stays in service" in e.headline
    assert "it fails only if every instance fails" in e.headline
    assert any("service is down on every instance" in w for w in e.warnings)
    assert any("Succeeded even if 2 of 3 instances failed" in w for w in e.warnings)


def test_plain_words_read_well() -> None:
    assert explain_config("OneAtATime", 3).headline == (
        "3 instances, OneAtATime: 1 instance updated at a time (3 rounds), 2 stay in service; "
        "the first failure stops it, unless it is on the last instance"
    )
    assert explain_config("HalfAtATime", 9).headline == (
        "9 instances, HalfAtATime: 4 instances updated at a time (3 rounds), 5 stay in service; "
        "the fourth failure stops it while instances still wait; at most 4 may fail"
    )
    assert explain_config("OneAtATime", 2).lines[0] == (
        "Updated at once: up to 1 instance; 1 instance keeps serving the old revision meanwhile."
    )


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown deployment config"):
        explain_config("CodeDeployDefault.Canary10Percent5Minutes", 3)
    with pytest.raises(ValueError, match="negative"):
        explain_config("OneAtATime", -1)
    assert not explain_rule(MinimumHealthyHosts("HOST_COUNT", 3), 3).deployable


def _simulate(n: int, minimum: int, failing: frozenset[int]) -> tuple[bool, bool]:
    """Round by round: update as many waiting instances as the healthy minimum allows; a failed
    instance stays unhealthy. Returns (succeeded, stopped early)."""
    waiting = list(range(n))
    failed = 0
    while waiting:
        slots = n - minimum - failed
        if slots <= 0:
            return False, True
        batch, waiting = waiting[:slots], waiting[slots:]
        failed += sum(1 for i in batch if i in failing)
    return n - failed >= max(minimum, 1), False


@pytest.mark.parametrize("config", list(PREDEFINED))
@pytest.mark.parametrize("n", range(1, 8))
def test_numbers_agree_with_a_brute_force_simulation(config: str, n: int) -> None:
    e = explain_config(config, n)
    if not e.deployable:
        assert _simulate(n, e.minimum_healthy, frozenset()) == (False, True)
        return
    outcomes = {
        failing: _simulate(n, e.minimum_healthy, failing)
        for size in range(n + 1)
        for failing in map(frozenset, itertools.combinations(range(n), size))
    }
    assert max(len(f) for f, (ok, _) in outcomes.items() if ok) == e.may_fail
    assert min(n - len(f) for f, (ok, _) in outcomes.items() if ok) == e.must_succeed
    # fewer failures than `stops_after` never stop it; that many can
    early = [len(f) for f, (_, stopped) in outcomes.items() if stopped]
    if e.stops_after is None:
        assert early == []
    else:
        assert min(early) == e.stops_after
    assert e.at_once == n - e.minimum_healthy
