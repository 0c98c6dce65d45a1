"""`wizard.services.aws.target`: the one place that decides where AWS calls go."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from wizard.core.answers import validate_mapping
from wizard.services.aws.session import AwsTarget
from wizard.services.aws.target import (
    ENDPOINT_ENV,
    STANDARD_ENDPOINT_ENV,
    endpoint_from_env,
    target_for,
    target_from_answers,
)

ANSWERS = validate_mapping({"version": 1, "aws": {"region": "us-east-2", "profile": "dev"}})


@pytest.fixture(autouse=True)
def _no_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    monkeypatch.delenv(STANDARD_ENDPOINT_ENV, raising=False)


def test_real_aws_uses_the_answers_region_and_profile() -> None:
    target = target_from_answers(ANSWERS)
    assert target == AwsTarget(region="us-east-2", profile="dev")
    assert not target.is_emulator


def test_the_endpoint_override_points_at_an_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, "http://127.0.0.1:5000")
    target = target_from_answers(ANSWERS)
    assert target.endpoint_url == "http://127.0.0.1:5000" and target.region == "us-east-2"
    assert target.profile is None and target.access_key_id is None


def test_the_standard_variable_works_too_and_ours_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STANDARD_ENDPOINT_ENV, "http://127.0.0.1:4566")  # LocalStack-style
    assert target_for("eu-west-1", "dev") == AwsTarget(
        region="eu-west-1", endpoint_url="http://127.0.0.1:4566"
    )
    monkeypatch.setenv(ENDPOINT_ENV, "http://127.0.0.1:5000")
    assert endpoint_from_env() == "http://127.0.0.1:5000"
    assert endpoint_from_env({ENDPOINT_ENV: " ", STANDARD_ENDPOINT_ENV: ""}) is None


def test_a_sandbox_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, "http://127.0.0.1:5000")
    own = AwsTarget(region="eu-west-1", endpoint_url="http://127.0.0.1:6000")
    assert target_from_answers(ANSWERS, sandbox=own) is own
    assert target_from_answers(ANSWERS, sandbox=SimpleNamespace(target=own)) is own
    bare = target_from_answers(
        ANSWERS, sandbox=SimpleNamespace(endpoint_url="http://127.0.0.1:7000")
    )
    assert bare == AwsTarget(region="us-east-2", endpoint_url="http://127.0.0.1:7000")


@pytest.mark.parametrize("variable", [ENDPOINT_ENV, STANDARD_ENDPOINT_ENV])
def test_monitor_and_ship_honour_both_variables(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    from wizard.commands.monitor import aws_target

    args = argparse.Namespace(sandbox=False, region="eu-west-1", profile="dev")
    with aws_target(args, None) as target:
        assert target == AwsTarget(region="eu-west-1", profile="dev")
    monkeypatch.setenv(variable, "http://127.0.0.1:5000")
    with aws_target(args, None) as target:
        assert target.endpoint_url == "http://127.0.0.1:5000" and target.is_emulator
