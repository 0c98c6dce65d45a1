"""The Answers model: one declaration drives validation, template, schema and form parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from wizard.core.answers import (
    AnswersError,
    check_value,
    default_answers,
    from_text,
    json_schema,
    load_answers,
    question_map,
    questions,
    save_answers,
    template_text,
    to_flat,
    to_text,
    validate_mapping,
)

ISSUE_SHAPE = """
version: 1
project: devops-python-service
aws: {region: eu-west-1, profile: null}
source:
  provider: codecommit
  repository: devops-python-service
  branch: master
  create_repository: false
  change_detection: eventbridge
targets:
  tag_key: Name
  tag_value: devops-python-service
  create_instance: true
  instance_type: t3.micro
  instance_count: 1
  ami: ubuntu-22.04
  subnet_id: null
  agent_install: user_data
  ssm_managed: true
deployment:
  application: devops-python-service
  group: devops-python-service-dg
  config: CodeDeployDefault.OneAtATime
  rollback_on_failure: true
  group_tags: {ManagedBy: codedeploy}
  service_role: CodeDeployServiceRole
  instance_profile: CodeDeployDemo-EC2-Instance-Profile
pipeline: {name: devops-python-service, artifact_bucket: null}
payload:
  destination: /home/snake/_target
  user: snake
  port: 8000
  health_path: /health
  hook_timeout: 300
  file_exists_behavior: OVERWRITE
terraform: {backend: local, state_bucket: null, binary: null}
"""


def problems_of(data: object) -> list[str]:
    with pytest.raises(AnswersError) as info:
        validate_mapping(data)
    return [str(p) for p in info.value.problems]


def test_the_documented_shape_loads_and_equals_the_defaults() -> None:
    answers = validate_mapping(yaml.safe_load(ISSUE_SHAPE))
    assert answers == default_answers()
    assert answers.deployment.group_tags == {"ManagedBy": "codedeploy"}


def test_template_is_commented_and_loads_to_the_defaults() -> None:
    text = template_text()
    assert text.count("#") > len(questions())
    assert validate_mapping(yaml.safe_load(text)) == default_answers()


def test_derived_defaults_follow_the_project() -> None:
    answers = validate_mapping({"version": 1, "project": "shop-api"})
    assert answers.deployment.group == "shop-api-dg"
    assert answers.source.repository == "shop-api"
    assert answers.pipeline.name == "shop-api"
    assert answers.targets.tag_value == "shop-api"
    assert answers.terraform.state_key == "cdwizard/shop-api/terraform.tfstate"


def test_every_problem_is_reported_at_once_with_path_value_and_fix() -> None:
    found = problems_of(
        {
            "version": 1,
            "project": "Bad_Name",
            "regoin": "eu-west-1",
            "targets": {"tag_value": "x" * 300, "tag_kye": "Name", "instance_count": "3"},
            "payload": {"port": 70000, "destination": "relative/dir", "user": "Snake"},
            "pipeline": {"name": "has space", "artifact_bucket": "Bad_Bucket"},
            "deployment": {"config": "codedeploydefault.allatonce", "service_role": "x" * 65},
        }
    )
    text = "\n".join(found)
    assert "regoin: is not a known key — did you mean 'aws.region'?" in text
    assert "targets.tag_kye: is not a known key — did you mean 'targets.tag_key'?" in text
    assert "targets.tag_value: must be 1–256 characters long, not 300" in text
    assert (
        "targets.instance_count: must be a number, not text (got '3') — write it unquoted: 3"
        in text
    )
    assert "payload.port: must be between 1 and 65535" in text
    assert "payload.destination: must be an absolute path" in text
    assert "payload.user: is not a valid Linux user name" in text
    assert "pipeline.name: may only hold letters, digits and . @ _ -" in text
    assert "pipeline.artifact_bucket:" in text
    assert "did you mean 'CodeDeployDefault.AllAtOnce'?" in text
    assert "deployment.service_role: must be 1–64 characters long, not 65" in text
    assert "project: may only hold lowercase letters" in text
    assert len(found) == 12


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"targets": {"create_instance": False}},
            "targets.agent_install: 'user_data' only installs",
        ),
        (
            {"targets": {"agent_install": "ssm", "ssm_managed": False}},
            "targets.agent_install: 'ssm'",
        ),
        ({"terraform": {"backend": "s3"}}, "terraform.state_bucket: the s3 backend needs a bucket"),
        ({"payload": {"port": 80}}, "payload.port: port 80 is privileged"),
        (
            {"deployment": {"service_role": "Same", "instance_profile": "Same"}},
            "deployment.instance_profile: the service role and the instance role must be different",
        ),
        ({"tag_key": "Name"}, "tag_key: is not a known key — did you mean 'targets.tag_key'?"),
        ({"aws": "eu-west-1"}, "aws: must be a section"),
        ({"version": 2}, "version: must be 1"),
        ({"targets": {"tag_key": "aws:name"}}, "must not start with 'aws:'"),
        ({"source": {"branch": "feature..x"}}, "source.branch: is not a valid git branch name"),
        ({"source": {"repository": "repo.git"}}, "must not end with '.git'"),
        ({"pipeline": {"artifact_bucket": "192.168.1.1"}}, "must not look like an IP address"),
        ({"targets": {"ami": "debian"}}, "targets.ami: is neither a known alias nor an AMI id"),
        ({"payload": {"health_path": "health"}}, "payload.health_path: must be a URL path"),
        ({"payload": {"hook_timeout": 0}}, "payload.hook_timeout: must be between 1 and 3600"),
        ({"targets": {"create_instance": "yes"}}, "targets.create_instance: must be true or false"),
        ({"deployment": {"group_tags": {"aws:x": "1"}}}, "tag key 'aws:x' must not start"),
        ({"aws": {"region": "Ireland"}}, "aws.region: is not an AWS region code"),
        ({"project": "ab"}, "project: must be 3–32 characters long, not 2"),
        ({"payload": {"destination": "/home/snake/../etc"}}, "must not contain '.' or '..'"),
        ({"payload": {"destination": "/usr/sbin"}}, "payload.destination: must not be a system"),
        ({"terraform": {"state_region": "Frankfurt"}}, "terraform.state_region: is not an AWS"),
        (
            {
                "tags": {f"T{i}": "x" for i in range(30)},
                "deployment": {"group_tags": {f"G{i}": "y" for i in range(25)}},
            },
            "deployment.group_tags: the deployment group would carry 56 tags",
        ),
    ],
)
def test_rules(data: dict, expected: str) -> None:
    found = problems_of({"version": 1, **data})
    assert any(expected in p for p in found), found


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("version: 1\nproject: [unclosed\n")
    with pytest.raises(AnswersError) as info:
        load_answers(path)
    assert "line" in str(info.value) and str(path) in str(info.value)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="cdwizard answers template"):
        load_answers(tmp_path / "nope.yml")


def test_save_is_atomic_and_round_trips(tmp_path: Path) -> None:
    answers = validate_mapping({"version": 1, "project": "round-trip", "tags": {"Team": "a b"}})
    path = tmp_path / "sub" / "answers.yml"
    save_answers(path, answers)
    assert load_answers(path) == answers
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert path.stat().st_mode & 0o777 == 0o600


def test_schema_is_valid_and_agrees_with_the_validator() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(ISSUE_SHAPE)))
    assert list(validator.iter_errors({"version": 1, "pipeline": {"name": "has space"}}))
    assert list(validator.iter_errors({"version": 1, "nope": 1}))
    assert list(validator.iter_errors({"version": 1, "payload": {"port": 0}}))
    for q in questions():
        node = schema
        for part in q.key.split("."):
            node = node["properties"][part]
        assert node["description"].startswith(q.help)


def test_every_question_is_declared_with_help_label_and_step() -> None:
    for q in questions():
        assert q.help and q.label, q.key
        assert q.step or q.key == "version", q.key


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("payload.port", "8080", 8080),
        ("targets.create_instance", "no", False),
        ("aws.profile", "", None),
        (
            "deployment.group_tags",
            "ManagedBy=codedeploy, Team=web",
            {"ManagedBy": "codedeploy", "Team": "web"},
        ),
    ],
)
def test_form_text_round_trip(key: str, text: str, value: object) -> None:
    q = question_map()[key]
    parsed, problem = from_text(q, text)
    assert problem is None and parsed == value
    assert from_text(q, to_text(q, parsed))[0] == value


def test_form_text_reports_the_same_rules_as_the_file() -> None:
    _parsed, problem = from_text(question_map()["payload.port"], "99999")
    assert problem is not None and "between 1 and 65535" in problem.message


def test_cli_template_schema_check(tmp_path: Path) -> None:
    def cdwizard(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wizard", *argv], capture_output=True, text=True, check=False
        )

    template = cdwizard("answers", "template")
    assert template.returncode == 0
    path = tmp_path / "answers.yml"
    path.write_text(template.stdout)
    assert cdwizard("answers", "check", str(path)).returncode == 0
    schema = cdwizard("answers", "schema")
    assert json.loads(schema.stdout)["title"] == "cdwizard answers"
    path.write_text(template.stdout.replace("port: 8000", "port: eighty"))
    bad = cdwizard("answers", "check", str(path))
    assert bad.returncode == 3
    assert "payload.port: must be a whole number" in bad.stderr


def test_flat_view_is_in_declaration_order() -> None:
    assert list(to_flat(default_answers())) == [q.key for q in questions()]


PREINSTALLED_ON_STOCK = """\
version: 1
targets:
  ami: ubuntu-22.04
  instance_count: 3
  agent_install: preinstalled
  ssm_managed: false
"""


def test_preinstalled_agent_on_a_stock_image_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(PREINSTALLED_ON_STOCK)
    check = subprocess.run(
        [sys.executable, "-m", "wizard", "answers", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 3, check.stdout + check.stderr
    assert "targets.agent_install: 'preinstalled' needs an image that already has" in check.stderr
    assert "the stock image 'ubuntu-22.04'" in check.stderr
    assert "set targets.agent_install to 'user_data'" in check.stderr
    assert "an AMI you built with the agent (ami-...)" in check.stderr


@pytest.mark.parametrize(
    "targets",
    [
        {"ami": "ami-0123456789abcdef0", "agent_install": "preinstalled"},  # an image you built
        {"ami": "amazon-linux-2023", "agent_install": "user_data"},
        {"ami": "ubuntu-24.04", "agent_install": "ssm"},
        # existing instances: the image question does not apply
        {"create_instance": False, "agent_install": "preinstalled"},
    ],
)
def test_preinstalled_is_accepted_where_the_agent_can_be_there(targets: dict) -> None:
    validate_mapping({"version": 1, "targets": targets})


def test_every_instance_type_ec2_lists_is_accepted() -> None:
    """The instance type rule follows EC2's own list (botocore's model), metal-24xl sizes too."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    rejected = [
        t
        for t in model.shape_for("InstanceType").enum
        if check_value(question_map()["targets.instance_type"], t)
    ]
    assert rejected == []


@pytest.mark.parametrize("name", ["shop+api", "shop=v1", "shop,eu", "shop@corp", "a.b_c-d"])
def test_codedeploy_names_take_codedeploys_characters(name: str) -> None:
    found = validate_mapping({"version": 1, "deployment": {"application": name, "group": name}})
    assert found.deployment.application == found.deployment.group == name
