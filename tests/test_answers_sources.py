"""The source answers per provider: each provider's fields are checked by that service's
documented rules and name the fix; another provider's field is refused (it would be ignored);
the JSON Schema and the validator agree on what a connection source requires."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from wizard.core.answers import AnswersError, json_schema, validate_mapping


def problems(source: dict[str, Any], **extra: Any) -> dict[str, str]:
    """{path: 'message — fix'} of the answers with this source section (empty: valid)."""
    try:
        validate_mapping({"version": 1, "project": "shop", "source": source, **extra})
    except AnswersError as exc:
        return {p.path: f"{p.message} — {p.fix}" for p in exc.problems}
    return {}


@pytest.mark.parametrize(
    "source",
    [
        {"provider": "codecommit", "repository": "shop", "branch": "main"},
        {"provider": "github", "repository_id": "my-org/shop", "branch": "main"},
        {"provider": "gitlab", "repository_id": "group/sub/shop", "branch": "main"},
        {"provider": "bitbucket", "repository_id": "team/shop", "branch": "main"},
        {"provider": "s3", "bucket": "shop-source", "object_key": "app/payload.zip"},
        {"provider": "s3"},  # terraform creates <project>-source-<account>
    ],
)
def test_each_provider_accepts_its_fields(source: dict[str, Any]) -> None:
    assert problems(source) == {}


def test_connection_source_needs_the_repository_id() -> None:
    found = problems({"provider": "github"})
    assert list(found) == ["source.repository_id"]
    assert (
        "required when source.provider is github, gitlab or bitbucket"
        in found["source.repository_id"]
    )


@pytest.mark.parametrize(
    ("provider", "value", "said"),
    [
        ("github", "https://github.com/my-org/shop.git", "use 'my-org/shop'"),
        ("github", "my-org/team/shop", "exactly one slash"),
        ("github", "-org/shop", "not a GitHub user or organization name"),
        ("gitlab", "group/project.git", "not a GitLab group or project path"),
        ("bitbucket", "Team/Shop", "Bitbucket"),
        ("github", "shop", "OWNER/NAME"),
    ],
)
def test_repository_ids_follow_the_provider_rules(provider: str, value: str, said: str) -> None:
    found = problems({"provider": provider, "repository_id": value})
    assert said in found["source.repository_id"], found


def test_connection_arn_shape() -> None:
    good = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-aaaa-bbbb"
    legacy = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc"
    for arn in (good, legacy):
        assert problems({"provider": "github", "repository_id": "o/n", "connection_arn": arn}) == {}
    found = problems({"provider": "github", "repository_id": "o/n", "connection_arn": "conn-1"})
    assert "Developer Tools > Settings > Connections" in found["source.connection_arn"]
    found = problems({"provider": "github", "repository_id": "o/n", "connection_name": "x" * 33})
    assert "source.connection_name" in found


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ({"provider": "s3", "bucket": "Shop_Source"}, "S3 bucket naming rules"),
        ({"provider": "s3", "bucket": "ab"}, "3–63 characters"),
        ({"provider": "s3", "create_bucket": False}, "an existing source bucket needs its name"),
    ],
)
def test_s3_bucket_rules(source: dict[str, Any], said: str) -> None:
    assert said in problems(source)["source.bucket"]


def test_source_and_artifact_buckets_must_differ() -> None:
    found = problems(
        {"provider": "s3", "bucket": "shop-bucket"}, pipeline={"artifact_bucket": "shop-bucket"}
    )
    assert any("must be different buckets" in text for text in found.values()), found


def test_another_providers_field_is_refused_with_the_fix() -> None:
    found = problems({"provider": "codecommit", "bucket": "shop-source"})
    assert "only used when source.provider is s3 (here: codecommit)" in found["source.bucket"]
    assert "remove it, or set source.provider to one of: s3" in found["source.bucket"]
    found = problems({"provider": "s3", "repository_id": "my-org/shop"})
    assert "source.repository_id" in found


def test_schema_requires_what_the_validator_requires() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    missing = {"version": 1, "project": "shop", "source": {"provider": "gitlab"}}
    assert list(validator.iter_errors(missing)), "the schema must refuse it too"
    complete = {
        "version": 1,
        "project": "shop",
        "source": {"provider": "gitlab", "repository_id": "group/shop"},
    }
    assert not list(validator.iter_errors(complete))
