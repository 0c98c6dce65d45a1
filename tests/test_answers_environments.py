"""Environments and notifications in the answers model: declared once (a list of records and a
section), validated entry by entry with `environments[i].field` paths, and carried through the
schema, the template, the reference and a save/load round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from wizard.core.answers import (
    AnswersError,
    json_schema,
    load_answers,
    question_map,
    save_answers,
    template_text,
    to_flat,
    to_text,
    validate_mapping,
)
from wizard.core.answers.docs import markdown_reference
from wizard.core.answers.model import (
    MAX_STAGES,
    EnvironmentAnswers,
    deployment_group_name,
    notifications_enabled,
    pipeline_stages,
)
from wizard.core.events.terraform import TfOutputs
from wizard.services.terraform.stream import parse_line

EXAMPLE = Path(__file__).parent / "data" / "answers" / "environments.yaml"


def _problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AnswersError) as info:
        validate_mapping({"version": 1, **data})
    return {p.path: f"{p.message} — {p.fix}" for p in info.value.problems}


def test_without_environments_the_answers_are_unchanged() -> None:
    answers = validate_mapping({"version": 1})
    assert answers.environments == []
    assert answers.notifications.emails == []
    assert not notifications_enabled(to_flat(answers))


def test_example_file_two_environments() -> None:
    answers = load_answers(EXAMPLE)
    staging, production = answers.environments
    assert isinstance(staging, EnvironmentAnswers)
    assert (staging.name, staging.tag_key, staging.tag_value) == (
        "staging",
        "Environment",
        "staging",
    )
    assert staging.approval is False
    assert staging.approval_message == "Approve deployment to staging?"
    assert staging.deployment_config == "CodeDeployDefault.OneAtATime"  # deployment.config
    assert staging.group_tags == {"ManagedBy": "codedeploy"}  # deployment.group_tags
    assert production.approval and production.approval_url == "https://staging.example.com"
    assert production.instance_count == 2
    assert production.deployment_config == "CodeDeployDefault.HalfAtATime"
    assert answers.notifications.events == ["failed", "succeeded", "approval", "deployment_failed"]
    assert notifications_enabled(to_flat(answers))
    assert pipeline_stages([vars(e) for e in answers.environments]) == [
        "Source",
        "Deploy-staging",
        "Approve-production",
        "Deploy-production",
    ]
    assert deployment_group_name(answers.project, "production") == "shop-production-dg"


def test_derived_defaults_follow_project_name_and_single_environment_answers() -> None:
    answers = validate_mapping(
        {
            "version": 1,
            "project": "shop",
            "targets": {"tag_key": "Stage", "create_instance": False, "agent_install": "ssm"},
            "deployment": {"rollback_on_failure": False},
            "environments": [{"name": "qa"}],
        }
    )
    [qa] = answers.environments
    assert qa.tag_key == "Stage" and qa.tag_value == "shop-qa"
    assert qa.create_instance is False and qa.rollback_on_failure is False


def test_round_trip_through_a_saved_file(tmp_path: Path) -> None:
    answers = load_answers(EXAMPLE)
    path = tmp_path / "answers.yaml"
    save_answers(path, answers)
    assert load_answers(path) == answers
    saved = yaml.safe_load(path.read_text())
    assert saved["environments"][1]["name"] == "production"


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        ({"name": "Prod"}, "environments[0].name", "lowercase"),
        ({"name": "a" * 21}, "environments[0].name", "1–20"),
        ({"tag_value": "x"}, "environments[0].name", "is required"),
        ({"name": "qa", "instance_count": 0}, "environments[0].instance_count", "between 1"),
        ({"name": "qa", "approval": "yes"}, "environments[0].approval", "true or false"),
        ({"name": "qa", "approval_message": "x" * 513}, "environments[0].approval_message", "512"),
        (
            {"name": "qa", "approval": True, "approval_url": "http://x.example.com"},
            "environments[0].approval_url",
            "https",
        ),
        ({"name": "qa", "aproval": True}, "environments[0].aproval", "environments[0].approval"),
        (
            {"name": "qa", "deployment_config": "AllAtOnce"},
            "environments[0].deployment_config",
            "CodeDeployDefault.AllAtOnce",
        ),
    ],
)
def test_entry_problems_name_the_field_and_the_fix(
    entry: dict[str, Any], path: str, words: str
) -> None:
    problems = _problems({"environments": [entry]})
    assert path in problems, problems
    assert words in problems[path]


def test_not_a_list_and_not_a_mapping() -> None:
    assert "list of entries" in _problems({"environments": "staging"})["environments"]
    assert "mapping of fields" in _problems({"environments": ["staging"]})["environments[0]"]


def test_empty_environments_key_means_none() -> None:
    assert validate_mapping({"version": 1, "environments": None}).environments == []


def test_cross_field_rules_per_entry() -> None:
    problems = _problems(
        {
            "environments": [
                {"name": "staging", "tag_value": "web"},
                {"name": "staging", "tag_value": "other"},
                {"name": "prod", "tag_value": "web", "approval_url": "https://x.example.com"},
            ]
        }
    )
    assert "environments[0]" in problems["environments[1].name"]
    assert "own name" in problems["environments[1].name"]
    assert "same instances as environments[0]" in problems["environments[2].tag_value"]
    assert "approval to true" in problems["environments[2].approval_url"]


def test_agent_install_rules_apply_to_every_environment() -> None:
    problems = _problems(
        {"environments": [{"name": "staging"}, {"name": "prod", "create_instance": False}]}
    )
    assert list(problems) == ["environments[1].create_instance"]
    assert "'user_data'" in problems["environments[1].create_instance"]
    assert "environments[1].create_instance to true" in problems["environments[1].create_instance"]


def test_group_tag_budget_per_environment() -> None:
    tags = {f"T{i}": "v" for i in range(40)}
    group_tags = {f"G{i}": "v" for i in range(10)}
    problems = _problems(
        {"tags": tags, "environments": [{"name": "a"}, {"name": "b", "group_tags": group_tags}]}
    )
    assert list(problems) == ["environments[1].group_tags"]
    assert "51 tags" in problems["environments[1].group_tags"]


def test_stage_quota() -> None:
    entries = [{"name": f"e{i}", "approval": True} for i in range(25)]
    problems = _problems({"environments": entries})
    assert f"CodePipeline allows {MAX_STAGES}" in problems["environments"]
    assert "51 stages" in problems["environments"]
    ok = validate_mapping({"version": 1, "environments": entries[:24]})
    assert len(pipeline_stages([vars(e) for e in ok.environments])) == 49


def test_environments_and_load_balancer_are_not_combined_yet() -> None:
    problems = _problems(
        {"environments": [{"name": "a"}], "load_balancer": {"mode": "create", "http_port": 80}}
    )
    assert "load_balancer.mode to 'none'" in problems["environments"]


@pytest.mark.parametrize(
    ("notifications", "path", "words"),
    [
        ({"emails": ["not-an-address"]}, "notifications.emails", "email"),
        ({"emails": ["a@example.com", "a@example.com"]}, "notifications.emails", "more than once"),
        ({"emails": ["a@example.com"], "events": []}, "notifications.events", "empty"),
        ({"emails": ["a@example.com"], "events": ["done"]}, "notifications.events", "one of"),
        ({"topic_arn": "arn:aws:sqs:eu-west-1:123456789012:q"}, "notifications.topic_arn", "SNS"),
        (
            {"topic_arn": "arn:aws:sns:us-east-1:123456789012:deploys"},
            "notifications.topic_arn",
            "eu-west-1",
        ),
        ({"email": ["a@example.com"]}, "notifications.email", "notifications.emails"),
    ],
)
def test_notification_problems(notifications: dict[str, Any], path: str, words: str) -> None:
    problems = _problems({"notifications": notifications})
    assert path in problems, problems
    assert words in problems[path]


def test_existing_topic_without_emails_enables_notifications() -> None:
    arn = "arn:aws:sns:eu-west-1:123456789012:deploys"
    answers = validate_mapping({"version": 1, "notifications": {"topic_arn": arn}})
    assert notifications_enabled(to_flat(answers))


def test_schema_accepts_the_example_and_rejects_bad_entries() -> None:
    schema = json_schema()
    document = yaml.safe_load(EXAMPLE.read_text())
    jsonschema.validate(document, schema)
    items = schema["properties"]["environments"]["items"]
    assert items["required"] == ["name"] and items["additionalProperties"] is False
    for bad in (
        {"environments": [{"tag_value": "x"}]},
        {"environments": [{"name": "Bad Name"}]},
        {"environments": [{"name": "qa", "extra": 1}]},
        {"notifications": {"events": ["nope"]}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"version": 1, **bad}, schema)


def test_template_and_reference_describe_every_entry_field() -> None:
    text = template_text()
    assert validate_mapping(yaml.safe_load(text)) == validate_mapping({"version": 1})
    reference = markdown_reference()
    for name in EnvironmentAnswers.__dataclass_fields__:
        assert f"#     {name}:" in text or f"#   - {name}:" in text
        assert f"`environments[].{name}`" in reference
    assert "`notifications.emails`" in reference


def test_form_text_of_the_list() -> None:
    answers = load_answers(EXAMPLE)
    question = question_map()["environments"]
    assert to_text(question, to_flat(answers)["environments"]) == "staging, production"


def test_terraform_outputs_event_carries_the_environments_list() -> None:
    """The `environments` output (a list of objects) travels through the outputs event, its
    NDJSON form and its one-line summary like any other output."""
    environments = [
        {
            "name": "staging",
            "deployment_group_name": "shop-staging-dg",
            "approval_stage": None,
            "deploy_stage": "Deploy-staging",
            "tag_key": "Environment",
            "tag_value": "staging",
        }
    ]
    line = json.dumps(
        {
            "@level": "info",
            "@message": "Outputs: 1",
            "@module": "terraform.ui",
            "@timestamp": "2026-12-06T20:00:00.000000Z",
            "type": "outputs",
            "outputs": {"environments": {"sensitive": False, "type": [], "value": environments}},
        }
    )
    event = parse_line(line)
    assert isinstance(event, TfOutputs)
    assert event.values() == {"environments": environments}
    assert (
        json.loads(json.dumps(event.to_dict()))["outputs"]["environments"]["value"] == environments
    )
    assert event.summary().startswith("outputs: environments = [{")
