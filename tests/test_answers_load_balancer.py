"""The `load_balancer` answers: list answers (subnets, client ranges), the rules that need no
AWS call (ARN shapes, ports, regions, reachability) and their messages, the derived defaults."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml

from wizard.core.answers import (
    AnswersError,
    default_answers,
    from_text,
    json_schema,
    question_map,
    template_text,
    to_text,
    validate_mapping,
)

TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/0123456789abcdef"
CERT_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def problems(load_balancer: dict[str, Any], **other: Any) -> list[str]:
    try:
        validate_mapping({"version": 1, "load_balancer": load_balancer, **other})
    except AnswersError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_default_is_no_load_balancer() -> None:
    lb = default_answers().load_balancer
    assert lb.mode == "none"
    assert lb.subnet_ids == [] and lb.allowed_cidrs == ["0.0.0.0/0"]
    assert (lb.target_port, lb.health_check_path) == (8000, "/health")
    assert lb.name == "devops-python-service"


def test_defaults_follow_the_payload_and_the_project() -> None:
    answers = validate_mapping(
        {
            "version": 1,
            "project": "internal-shop",
            "payload": {"port": 9090, "health_path": "/ready"},
            "load_balancer": {"mode": "create"},
        }
    )
    lb = answers.load_balancer
    assert (lb.target_port, lb.health_check_path) == (9090, "/ready")
    assert lb.name == "lb-internal-shop"  # AWS reserves the 'internal-' prefix


def test_a_bad_payload_answer_is_reported_once_at_its_own_key() -> None:
    found = problems({"mode": "create"}, project="Bad_Name", payload={"port": 70000})
    assert [p.split(":")[0] for p in found] == ["project", "payload.port"]


def test_lists_from_yaml_and_from_a_form() -> None:
    text = """
version: 1
load_balancer:
  mode: create
  subnet_ids:
    - subnet-0123456789abcdef0
    - subnet-0fedcba9876543210
  allowed_cidrs: [203.0.113.0/24, "2001:db8::/32"]
"""
    lb = validate_mapping(yaml.safe_load(text)).load_balancer
    assert lb.subnet_ids == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    question = question_map()["load_balancer.allowed_cidrs"]
    parsed, problem = from_text(question, " 10.0.0.0/8,  192.168.0.0/16 ,")
    assert problem is None and parsed == ["10.0.0.0/8", "192.168.0.0/16"]
    assert to_text(question, parsed) == "10.0.0.0/8, 192.168.0.0/16"
    _, problem = from_text(question, "10.0.0.1/8")
    assert problem is not None and "host bits set (the block is 10.0.0.0/8)" in problem.message


def test_template_and_schema_carry_the_lists() -> None:
    assert "  subnet_ids: []\n" in template_text()
    assert "  allowed_cidrs: [0.0.0.0/0]\n" in template_text()
    schema = json_schema()
    props = schema["properties"]["load_balancer"]["properties"]
    assert props["subnet_ids"]["type"] == "array"
    assert props["subnet_ids"]["items"]["pattern"].startswith("^(?:subnet-")
    validator = jsonschema.Draft202012Validator(schema)
    good = {"version": 1, "load_balancer": {"subnet_ids": ["subnet-0123abcd", "subnet-4567abcd"]}}
    assert not list(validator.iter_errors(good))
    for bad in (
        {"subnet_ids": "subnet-0123abcd"},
        {"subnet_ids": ["subnet-0123abcd"]},
        {"subnet_ids": ["vpc-0123abcd", "subnet-4567abcd"]},
        {"allowed_cidrs": []},
        {"mode": "sometimes"},
    ):
        assert list(validator.iter_errors({"version": 1, "load_balancer": bad})), bad


@pytest.mark.parametrize(
    ("load_balancer", "other", "expected"),
    [
        (
            {"mode": "existing"},
            {},
            "load_balancer.target_group_arn: mode 'existing' deploys behind your target group, "
            "and none is given",
        ),
        (
            {"target_group_arn": TG_ARN},
            {},
            "load_balancer.target_group_arn: is only used with load_balancer.mode 'existing'",
        ),
        (
            {"mode": "existing", "target_group_arn": "arn:aws:elasticloadbalancing:x"},
            {},
            "load_balancer.target_group_arn: is not a target group ARN",
        ),
        (
            {"mode": "existing", "target_group_arn": TG_ARN.replace("eu-west-1", "us-east-1")},
            {},
            "the target group is in us-east-1, the stack in eu-west-1",
        ),
        (
            {"mode": "create", "certificate_arn": "arn:aws:iam::123456789012:cert/x"},
            {},
            "load_balancer.certificate_arn: is not an ACM certificate ARN",
        ),
        (
            {"mode": "create", "certificate_arn": CERT_ARN.replace("eu-west-1", "us-east-1")},
            {},
            "the certificate is in us-east-1, the stack in eu-west-1",
        ),
        (
            {"mode": "create", "http_port": None},
            {},
            "load_balancer.http_port: the load balancer would have no listener",
        ),
        (
            {"mode": "create", "certificate_arn": CERT_ARN, "http_port": 443},
            {},
            "load_balancer.http_port: the HTTP and HTTPS listeners cannot share port 443",
        ),
        (
            {"mode": "create", "subnet_ids": ["subnet-0123abcd"]},
            {},
            "load_balancer.subnet_ids: lists one subnet; a load balancer needs two or more",
        ),
        (
            {"mode": "create", "subnet_ids": ["subnet-0123abcd", "subnet-0123abcd"]},
            {},
            "load_balancer.subnet_ids: lists subnet-0123abcd more than once",
        ),
        (
            {"mode": "create", "allowed_cidrs": ["everyone"]},
            {},
            "load_balancer.allowed_cidrs: entry 1 ('everyone') is not a CIDR block",
        ),
        (
            {"mode": "existing", "target_group_arn": TG_ARN, "certificate_arn": CERT_ARN},
            {},
            "load_balancer.mode: certificate_arn only apply to a load balancer cdwizard creates",
        ),
        (
            {"mode": "create", "name": "internal-web"},
            {},
            "load_balancer.name: must not start with 'internal-'",
        ),
        (
            {"mode": "create"},
            {"payload": {"bind_address": "127.0.0.1"}},
            "load_balancer.target_port: the service listens on 127.0.0.1 only",
        ),
        (
            {"mode": "create", "url": "shop.example.com"},
            {},
            "load_balancer.url: is not an http(s) URL of a host name",
        ),
    ],
)
def test_rules_name_the_key_and_the_fix(
    load_balancer: dict[str, Any], other: dict[str, Any], expected: str
) -> None:
    found = problems(load_balancer, **other)
    assert len(found) == 1, found
    assert expected in found[0]
    assert " — " in found[0]  # every problem carries its fix


def test_valid_shapes() -> None:
    assert not problems({"mode": "existing", "target_group_arn": TG_ARN})
    assert not problems(
        {
            "mode": "create",
            "scheme": "internal",
            "certificate_arn": CERT_ARN,
            "http_port": None,
            "subnet_ids": ["subnet-0123abcd", "subnet-4567abcd"],
            "allowed_cidrs": ["10.0.0.0/8", "2001:db8::/32"],
            "url": "https://shop.example.com:8443/",
        }
    )
    # a local proxy on another port may forward to a service bound to 127.0.0.1
    assert not problems(
        {"mode": "create", "target_port": 8080}, payload={"bind_address": "127.0.0.1"}
    )
