"""Hostile answers on their way into Terraform: each is rejected by validation (naming the field)
or arrives inert — terraform reads back exactly the text that was typed.

User values reach Terraform through `terraform.tfvars.json` (read literally: no `${}`/`%{}`
interpretation) and, for the backend block only, through the `hcl` filter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.render_terraform_support import (
    answers_for,
    console_value,
    hcl_text,
    init_for_console,
    render_root,
    root_values,
    validate,
    write_tree,
)
from wizard.core.answers import AnswersError
from wizard.core.render.tfvars import root_variables

TEMPLATE_INJECTIONS = ["${aws_iam_role.x.arn}", "%{ if true }x%{ endif }", "$${x}"]
SHELL_INJECTIONS = ["$(touch /tmp/pwned)", "`id`", "a; rm -rf /"]
QUOTING = ['say "hi"', "back\\slash", "line\nbreak", "tab\there", "nul\x00byte"]


def _problems(overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        answers_for(overrides)
    return [p.path for p in caught.value.problems]


def _nest(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


# --- rejected with a field error ------------------------------------------------------------

REJECTED: list[tuple[str, Any]] = [
    *[("tags", {"Owner": v}) for v in [*TEMPLATE_INJECTIONS, *SHELL_INJECTIONS, *QUOTING]],
    ("tags", {"k${x}": "v"}),
    ("tags", {"aws:owner": "v"}),
    ("tags", {"Owner": "x" * 257}),
    *[("deployment.group_tags", {"ManagedBy": v}) for v in [*TEMPLATE_INJECTIONS, *QUOTING]],
    ("deployment.group_tags", {'"quoted"': "v"}),
    # the target tag takes any text EC2 takes; only what EC2 refuses or a one-line field cannot
    # hold is rejected (its hostile-but-valid values: tests/test_target_tag_values.py)
    *[("targets.tag_value", v) for v in ["line\nbreak", "tab\there", "nul\x00byte", "x" * 257]],
    *[("targets.tag_key", v) for v in ["aws:Name", "AWS:x", "k" * 129, "a\nb"]],
    *[("source.branch", v) for v in ["a b", "x\ny", "-x", "a..b", "x@{1}", "../x", "a\\b", "a:b"]],
    *[("source.repository", v) for v in ["repo.git", "a/b", "${x}", "..", "x" * 101]],
    *[("pipeline.name", v) for v in ["a b", "a/b", "${x}", "p" * 101]],
    *[("pipeline.artifact_bucket", v) for v in ["My_Bucket", "a..b", "${x}", "../x", "10.0.0.1"]],
    *[("terraform.state_key", v) for v in ["a\nb", "/lead", "trail/", "a//b", "ü" * 600]],
    *[("aws.profile", v) for v in [" lead", "trail ", "a\nb", "p" * 129]],
    *[("aws.region", v) for v in ["eu-west-1${x}", "Ireland", "eu-west-1\n"]],
    *[("targets.ami", v) for v in ["ami-${x}", "ubuntu", "ami-123"]],
    *[("targets.subnet_id", v) for v in ["subnet-${x}", "default"]],
    *[("targets.instance_type", v) for v in ["t3.micro${x}", "t3 micro"]],
    *[("deployment.service_role", v) for v in ["role name", "role${x}", "r" * 65]],
    *[("deployment.application", v) for v in ["app name", "app/${x}", "a(b)", "a" * 101]],
    *[("deployment.group", v) for v in ["group name", "g:1", 'g"1']],
]

#: (provider, key, value): rejected for sources other than CodeCommit, naming the field.
SOURCE_REJECTED: list[tuple[str, str, Any]] = [
    *[
        ("github", "source.repository_id", v)
        for v in ["${x}/y", "a/$(id)", "a/b c", "a", "a/b/c", "-a/b", "a--b/c/", "a/`id`.git"]
    ],
    *[("gitlab", "source.repository_id", v) for v in ["g/${x}", "g/p.git", "-g/p", "g/p;id"]],
    *[("bitbucket", "source.repository_id", v) for v in ["Team/r", "t/R", "t/$(id)", "t/r/x"]],
    ("github", "source.repository_id", "https://github.com/a/b.git"),
    *[("github", "source.connection_name", v) for v in ["x" * 33, "a\nb", "", "tab\there"]],
    *[
        ("github", "source.connection_arn", v)
        for v in ["${x}", "arn:aws:iam::123456789012:role/x", "arn:aws:codeconnections:x"]
    ],
    *[
        ("s3", "source.object_key", v)
        for v in ["/abs.zip", "a{b}.zip", "a%20.zip", "a\nb.zip", "a.tar", "k`id`.zip", "k|x.zip"]
    ],
    *[("s3", "source.bucket", v) for v in ["My_Bucket", "a..b", "${x}", "10.0.0.1"]],
]


@pytest.mark.parametrize(("key", "value"), REJECTED, ids=lambda v: repr(v)[:40])
def test_rejected_with_the_field_named(key: str, value: Any) -> None:
    assert key in _problems(_nest(key, value))


@pytest.mark.parametrize(("provider", "key", "value"), SOURCE_REJECTED, ids=lambda v: repr(v)[:40])
def test_source_answers_rejected_with_the_field_named(provider: str, key: str, value: Any) -> None:
    overrides = _nest(key, value)
    source = overrides.setdefault("source", {})
    source["provider"] = provider
    if provider != "s3" and key != "source.repository_id":
        source["repository_id"] = "my-org/my-service"
    assert key in _problems(overrides)


# --- accepted and inert ---------------------------------------------------------------------

BRANCHES = [
    "feat/${aws_iam_role.x.arn}",
    "fix/%{if_true}x%{endif}",
    "exp/$(touch_pwned)",
    "exp/`id`",
    "q/'single'\"double\"",
    "ünïcødé/日本語",
    "x" * 256,
]

HOSTILE_BUT_VALID: dict[str, Any] = {
    "tags": {
        "Owner": "Ünïcødé team @ HQ",
        "Path": "../../etc/passwd",
        "Mix": "a=b+c:d/e_f.g-h @ i",
        "Long": "v" * 256,
        "日本": "値 タグ",
        "Empty": "",
    },
    "targets": {"tag_key": "Deploy Group", "tag_value": "../blue @ green=1+1"},
    "deployment": {
        "group_tags": {"ManagedBy": "codedeploy", "Note": "spaces and @ signs ünïcødé"},
        "application": "shop+api=v1,eu@corp",
        "group": "shop+web=blue,eu@corp",
    },
    "source": {"branch": BRANCHES[0], "create_repository": True},
    "pipeline": {"name": "a.b@c_d-e", "artifact_bucket": "my.bucket-1.example"},
    "terraform": {
        "backend": "s3",
        "state_bucket": "st.ate",
        "state_key": 'a/b(1)!*\'.tfstate/ü ${x} %{y} "q" $(id)',
    },
    "aws": {"profile": 'dev (corp) ${x} "q"'},
}


def _tf_sources(tree: dict[str, Any]) -> dict[str, str]:
    return {rel: f.content.decode() for rel, f in tree.items() if rel.endswith(".tf")}


@pytest.mark.parametrize("branch", BRANCHES, ids=lambda b: b[:24])
def test_hostile_branch_is_accepted_and_only_travels_as_json(branch: str) -> None:
    tree = render_root({"source": {"branch": branch}})
    assert json.loads(tree["terraform.tfvars.json"].content)["branch"] == branch
    for rel, text in _tf_sources(tree).items():
        hcl2.loads(text)  # still parses
        assert branch not in text, f"{rel} embeds the branch as source text"


def test_hostile_but_valid_values_round_trip_through_tfvars_and_backend() -> None:
    answers = answers_for(HOSTILE_BUT_VALID)
    tree = render_root(HOSTILE_BUT_VALID)
    tfvars = json.loads(tree["terraform.tfvars.json"].content)
    assert tfvars == root_variables(answers)
    assert tfvars["tags"] == HOSTILE_BUT_VALID["tags"]
    assert tfvars["group_tags"] == HOSTILE_BUT_VALID["deployment"]["group_tags"]
    assert tfvars["tag_key"] == "Deploy Group"
    assert tfvars["tag_value"] == "../blue @ green=1+1"
    assert tfvars["branch"] == BRANCHES[0]

    backend = hcl2.loads(tree["backend.tf"].content.decode())["terraform"][0]["backend"][0]['"s3"']
    assert hcl_text(backend["key"]) == HOSTILE_BUT_VALID["terraform"]["state_key"]
    assert hcl_text(backend["profile"]) == HOSTILE_BUT_VALID["aws"]["profile"]
    assert hcl_text(backend["bucket"]) == "st.ate"

    sources = _tf_sources(tree)
    for text in sources.values():
        hcl2.loads(text)
    user_text = [*HOSTILE_BUT_VALID["tags"].values(), "../blue @ green=1+1", BRANCHES[0]]
    for value in filter(None, user_text):
        assert not any(value in text for text in sources.values()), value


@pytest.mark.terraform
@pytest.mark.mirror
def test_terraform_sees_exactly_the_hostile_values_and_validates(
    terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    write_tree(render_root(HOSTILE_BUT_VALID), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    seen = console_value(terraform_bin, tmp_path, tf_env, root_values(HOSTILE_BUT_VALID))
    assert seen["vars"] == root_variables(answers_for(HOSTILE_BUT_VALID))
    assert seen["tags"] == {
        "cdwizard:project": "devops-python-service",
        **HOSTILE_BUT_VALID["tags"],
    }
    result = validate(terraform_bin, tmp_path, tf_env)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)


#: Valid by each service's rules yet full of template, shell and quoting syntax: they must reach
#: terraform exactly, as JSON values, never as HCL source.
HOSTILE_SOURCES: dict[str, dict[str, Any]] = {
    "github": {
        "source": {
            "provider": "github",
            "repository_id": "a-b/c.d_e",
            "connection_name": "${aws_iam_role.x.arn}%{ if 1 }",
            "branch": BRANCHES[2],
        }
    },
    "s3": {
        "source": {
            "provider": "s3",
            "bucket": "my.bucket-1.example",
            "object_key": "$(touch /tmp/pwned)/$HOME/it's @ ünïcødé;&.zip",
        }
    },
}


@pytest.mark.parametrize("variant", sorted(HOSTILE_SOURCES))
def test_hostile_source_values_only_travel_as_json(variant: str) -> None:
    overrides = HOSTILE_SOURCES[variant]
    tree = render_root(overrides)
    tfvars = json.loads(tree["terraform.tfvars.json"].content)
    assert tfvars == root_variables(answers_for(overrides))
    values = [v for v in overrides["source"].values() if v != variant]
    for rel, text in _tf_sources(tree).items():
        hcl2.loads(text)
        for value in values:
            assert value not in text, f"{rel} embeds {value!r} as source text"


@pytest.mark.terraform
@pytest.mark.mirror
@pytest.mark.parametrize("variant", sorted(HOSTILE_SOURCES))
def test_terraform_sees_exactly_the_hostile_source_values(
    variant: str, terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    overrides = HOSTILE_SOURCES[variant]
    write_tree(render_root(overrides), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    seen = console_value(terraform_bin, tmp_path, tf_env, root_values(overrides))
    assert seen["vars"] == root_variables(answers_for(overrides))
    result = validate(terraform_bin, tmp_path, tf_env)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)


# --- environments and notifications ------------------------------------------------------------

HOSTILE_ENVIRONMENTS: dict[str, Any] = {
    "environments": [
        {
            "name": "qa",
            "tag_value": "${aws_iam_role.x.arn} %{ if 1 } $(id) `id`",
            "group_tags": {"Note": "ünïcødé @ HQ"},
            "approval": True,
            "approval_message": "Ship ${aws_iam_role.x.arn}? %{ if true }x%{ endif } $(touch "
            "/tmp/pwned) \"q\" 'single' \\ ünïcødé",
            "approval_url": "https://qa.example.com/review?a=b&c=d#e",
        }
    ],
    "notifications": {"emails": ["o'brien+ops@example.com"]},
}


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"approval_message": "line\nbreak"}, "environments[0].approval_message"),
        ({"approval_message": "nul\x00byte"}, "environments[0].approval_message"),
        (
            {"approval_url": "https://x.example.com/${x}", "approval": True},
            "environments[0].approval_url",
        ),
        ({"tag_value": "line\nbreak"}, "environments[0].tag_value"),
        ({"tag_key": "aws:x"}, "environments[0].tag_key"),
        ({"group_tags": {"k": "${x}"}}, "environments[0].group_tags"),
        ({"name": "qa${x}"}, "environments[0].name"),
    ],
)
def test_hostile_environment_values_rejected_with_the_field_named(
    entry: dict[str, Any], path: str
) -> None:
    assert path in _problems({"environments": [{"name": "qa", **entry}]})


def test_hostile_environment_values_only_travel_as_json() -> None:
    tree = render_root(HOSTILE_ENVIRONMENTS)
    tfvars = json.loads(tree["terraform.tfvars.json"].content)
    assert tfvars == root_variables(answers_for(HOSTILE_ENVIRONMENTS))
    (env,) = HOSTILE_ENVIRONMENTS["environments"]
    assert tfvars["environments"][0]["approval_message"] == env["approval_message"]
    assert tfvars["notification_emails"] == ["o'brien+ops@example.com"]
    for rel, text in _tf_sources(tree).items():
        hcl2.loads(text)
        for value in (env["tag_value"], env["approval_message"], env["approval_url"]):
            assert value not in text, f"{rel} embeds {value!r} as source text"


@pytest.mark.terraform
@pytest.mark.mirror
def test_terraform_sees_exactly_the_hostile_environment_values(
    terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    write_tree(render_root(HOSTILE_ENVIRONMENTS), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    seen = console_value(terraform_bin, tmp_path, tf_env, root_values(HOSTILE_ENVIRONMENTS))
    assert seen["vars"] == root_variables(answers_for(HOSTILE_ENVIRONMENTS))
    result = validate(terraform_bin, tmp_path, tf_env)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)
