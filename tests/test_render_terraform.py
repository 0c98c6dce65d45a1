"""The rendered Terraform: golden files, determinism, answers -> variables, module contract,
`terraform fmt`, `init` + `validate` per variant (offline mirror), checkov.

Regenerate the golden files after an intended template change:

    CDWIZARD_UPDATE_GOLDEN=1 python -m pytest -q tests/test_render_terraform.py -k golden

then review `git diff tests/golden/`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.conftest import REPO
from tests.render_terraform_support import (
    VARIANTS,
    answers_for,
    console_value,
    hcl_text,
    init_for_console,
    init_offline,
    render_root,
    root_values,
    validate,
    write_tree,
)
from wizard.core.answers import question_map, questions, to_flat
from wizard.core.answers.rules import AMI_ALIASES
from wizard.core.render import render
from wizard.core.render.tfvars import (
    ENVIRONMENT_VARIABLES,
    LOAD_BALANCER_VARIABLES,
    NOT_TERRAFORM,
    NOTIFICATION_VARIABLES,
    VARIABLES,
    root_variables,
    variables_for,
)

GOLDEN = REPO / "tests" / "golden" / "terraform"
MODULES = REPO / "terraform" / "modules"
ROOT_TEMPLATES = REPO / "templates" / "terraform"
MODULE_NAMES = (
    "application",
    "artifacts",
    "codedeploy",
    "connection",
    "deployment_group",
    "events",
    "iam",
    "instance",
    "loadbalancer",
    "notifications",
    "pipeline",
    "source_bucket",
)
ROOT_FILES = (
    ".gitignore",
    "backend.tf",
    "main.tf",
    "outputs.tf",
    "providers.tf",
    "terraform.tfvars.json",
    "variables.tf",
    "versions.tf",
)


def _root_only(tree: dict[str, Any]) -> dict[str, bytes]:
    return {rel: f.content for rel, f in tree.items() if not rel.startswith("modules/")}


def _blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """`{name: body}` of every `kind` block (variable/output/...) in a python-hcl2 document."""
    out: dict[str, dict[str, Any]] = {}
    for block in parsed.get(kind, []):
        for name, body in block.items():
            out[name.strip('"')] = body
    return out


def _parse_dir(folder: Path) -> dict[str, Any]:
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        for key, value in hcl2.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


# --- golden files and determinism -----------------------------------------------------------

GOLDEN_CASES = {
    name: VARIANTS[name]
    for name in (
        "default",
        "repo-s3-tags-ami",
        "github-new-connection",
        "s3-created-bucket",
        "environments",
    )
}


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_root_module(case: str) -> None:
    root = _root_only(render_root(GOLDEN_CASES[case]))
    assert sorted(root) == sorted(ROOT_FILES)
    folder = GOLDEN / case
    if os.environ.get("CDWIZARD_UPDATE_GOLDEN"):
        shutil.rmtree(folder, ignore_errors=True)
        for rel, content in root.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        pytest.skip(f"golden files of {case!r} rewritten; review `git diff tests/golden`")
    expected = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}
    expected = {k: v for k, v in expected.items() if (folder / k).is_file()}
    assert sorted(root) == sorted(expected), "file set differs from the golden files"
    for rel, content in root.items():
        assert content == expected[rel], (
            f"{rel} differs from tests/golden/terraform/{case}/{rel}; if intended, regenerate "
            "with CDWIZARD_UPDATE_GOLDEN=1 (see this module's docstring)"
        )


def test_render_is_deterministic() -> None:
    answers = answers_for(VARIANTS["repo-s3-tags-ami"])
    first, second = render(answers), render(answers)
    assert first == second
    assert list(first) == sorted(first)


def test_static_modules_are_copied_verbatim_and_without_lock_files() -> None:
    tree = render_root()
    copied = {
        rel.removeprefix("modules/"): f for rel, f in tree.items() if rel.startswith("modules/")
    }
    on_disk = {
        p.relative_to(MODULES).as_posix(): p for p in sorted(MODULES.rglob("*")) if p.is_file()
    }
    assert set(copied) == set(on_disk)
    for rel, path in on_disk.items():
        assert copied[rel].content == path.read_bytes(), rel
    assert {rel.split("/")[0] for rel in copied} == set(MODULE_NAMES)
    assert not list(REPO.glob("**/.terraform.lock.hcl")), "lock files must not be committed"


def test_real_rendering_carries_no_sandbox_settings() -> None:
    for overrides in VARIANTS.values():
        tree = render_root(overrides)
        assert not any(rel.endswith("_override.tf") for rel in tree)
        text = "\n".join(f.content.decode() for rel, f in tree.items() if rel.endswith(".tf"))
        for needle in ("endpoints", "skip_", "access_key", "secret_key", "127.0.0.1", "moto"):
            assert needle not in text, needle
        providers = hcl2.loads(tree["providers.tf"].content.decode())["provider"]
        assert len(providers) == 1 and set(providers[0]) == {'"aws"'}
        assert set(providers[0]['"aws"']) - {"__is_block__"} == {
            "region",
            "profile",
            "default_tags",
        }


# --- answers -> variables -------------------------------------------------------------------


def test_every_answer_reaches_terraform_or_is_accounted_for() -> None:
    keys = {q.key for q in questions()}
    mapped = (
        set(VARIABLES.values())
        | set(LOAD_BALANCER_VARIABLES.values())
        | set(ENVIRONMENT_VARIABLES.values())
        | set(NOTIFICATION_VARIABLES.values())
    )
    assert not mapped & set(NOT_TERRAFORM)
    assert mapped | set(NOT_TERRAFORM) == keys, (
        "every answers key must map to a root variable (wizard/core/render/tfvars.py VARIABLES) "
        "or be listed in NOT_TERRAFORM with where it goes"
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_root_variables_match_tfvars_and_declarations(variant: str) -> None:
    """Declarations and values name the same variables, in VARIABLES' order (then the load
    balancer's): those whose question applies to the variant (a CodeCommit source has no bucket
    variable, a stack without a load balancer none of its variables, …)."""
    answers = answers_for(VARIANTS[variant])
    tree = render_root(VARIANTS[variant])
    declared = _blocks(hcl2.loads(tree["variables.tf"].content.decode()), "variable")
    tfvars = json.loads(tree["terraform.tfvars.json"].content)
    flat = to_flat(answers)
    candidates = variables_for(answers)
    expected = {n: k for n, k in candidates.items() if question_map()[k].applies(flat)}
    assert list(tfvars) == list(expected)
    assert set(declared) == set(expected)
    for name, body in declared.items():
        assert body.get("type"), f"root variable {name} has no type"
        assert expected[name] in hcl_text(body["description"]), f"{name}: name its answers key"


def test_tfvars_values_are_the_answers() -> None:
    answers = answers_for(VARIANTS["repo-s3-tags-ami"])
    values = root_variables(answers)
    assert values["tags"] == {"Owner": "platform team", "CostCenter": "cc-1234"}
    assert values["ami"] == "ami-0123456789abcdef0"
    assert values["create_repository"] is True
    assert values["aws_profile"] == "deploy"
    assert values["artifact_bucket"] is None
    assert values["group_tags"] == {"ManagedBy": "codedeploy"}
    assert values["deployment_group_name"] == "devops-python-service-dg"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {"backend": "local", "required_version": ">= 1.5"}),
        (
            {
                "terraform": {
                    "backend": "s3",
                    "state_bucket": "state.example-bucket",
                    "state_key": "team/app(prod)/terraform.tfstate",
                },
                "aws": {"region": "us-east-2", "profile": "ops@corp"},
            },
            {
                "backend": "s3",
                "required_version": ">= 1.10",
                "bucket": "state.example-bucket",
                "key": "team/app(prod)/terraform.tfstate",
                "region": "us-east-2",
                "profile": "ops@corp",
            },
        ),
    ],
)
def test_backend_block(overrides: dict[str, Any], expected: dict[str, str]) -> None:
    tree = render_root(overrides)
    backend = hcl2.loads(tree["backend.tf"].content.decode())["terraform"][0]["backend"][0]
    versions = hcl2.loads(tree["versions.tf"].content.decode())["terraform"][0]
    assert hcl_text(versions["required_version"]) == expected["required_version"]
    (kind, body), *rest = [(k, v) for k, v in backend.items() if k != "__is_block__"]
    assert not rest and kind == f'"{expected["backend"]}"'
    if expected["backend"] == "s3":
        for key in ("bucket", "key", "region", "profile"):
            assert hcl_text(body[key]) == expected[key]
        assert body["use_lockfile"] is True and body["encrypt"] is True


# --- the static modules' contract -----------------------------------------------------------


@pytest.mark.parametrize("module", MODULE_NAMES)
def test_module_variables_and_outputs_are_typed_and_described(module: str) -> None:
    folder = MODULES / module
    assert {p.name for p in folder.glob("*.tf")} >= {
        "main.tf",
        "variables.tf",
        "outputs.tf",
        "versions.tf",
    }
    parsed = _parse_dir(folder)
    variables, outputs = _blocks(parsed, "variable"), _blocks(parsed, "output")
    assert variables and outputs
    for name, body in variables.items():
        assert body.get("type"), f"{module}.{name}: no type"
        assert len(hcl_text(body.get("description", '""'))) > 10, f"{module}.{name}: no description"
    for name, body in outputs.items():
        assert len(hcl_text(body.get("description", '""'))) > 10, f"{module}.{name}: no description"
    provider = parsed["terraform"][0]["required_providers"][0]["aws"]
    assert hcl_text(provider["version"]) == ">= 5.72, < 7.0"


def test_no_arguments_removed_or_deprecated_in_provider_6() -> None:
    text = "\n".join(p.read_text() for p in MODULES.rglob("*.tf"))
    for pattern in (
        r"\binstance_id\s*=",  # aws_ssm_association: removed in 6.0
        r"\bcpu_core_count\b",  # aws_instance: removed in 6.0
        r"\bmanaged_policy_arns\b",  # aws_iam_role: deprecated
        r"\binline_policy\b",
        r"\bis_enabled\b",  # aws_cloudwatch_event_rule: deprecated, use state
        r"data\s+\"aws_region\"",  # .name deprecated in 6.x, .region missing in 5.x
    ):
        assert not re.search(pattern, text, re.MULTILINE), pattern
    for module in MODULE_NAMES:  # the 6.x-only per-resource `region` argument
        for block in _parse_dir(MODULES / module).get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    assert "region" not in body, f"{module}: {rtype}.{name} sets region"


def test_ami_aliases_match_the_answers_rules() -> None:
    parsed = _parse_dir(MODULES / "instance")
    locals_ = {k: v for block in parsed["locals"] for k, v in block.items()}
    keys = {k.strip('"') for k in locals_["ami_parameters"]} - {"__is_block__"}
    assert keys == set(AMI_ALIASES)


def test_artifact_lifecycle_expires_current_and_superseded_artifacts() -> None:
    """Each run writes new keys: a rule for superseded versions alone would never free space."""

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {k.strip('"'): plain(v) for k, v in node.items() if not k.startswith("__")}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node.strip('"') if isinstance(node, str) else node

    parsed = plain(_parse_dir(MODULES / "artifacts"))
    lifecycle = next(
        named["this"]
        for block in parsed["resource"]
        for rtype, named in block.items()
        if rtype == "aws_s3_bucket_lifecycle_configuration"
    )
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    # `filter {}` warns on provider 5.86-5.9x; an empty prefix selects the same objects
    assert rule["filter"] == [{"prefix": ""}]
    assert rule["expiration"] == [{"days": "${var.current_version_expiration_days}"}]
    assert rule["noncurrent_version_expiration"] == [
        {"noncurrent_days": "${var.noncurrent_version_expiration_days}"}
    ]
    main = (ROOT_TEMPLATES / "main.tf.j2").read_text()
    assert "current_version_expiration_days = var.artifact_expiration_days" in main


def test_user_data_script_is_valid_bash(tmp_path: Path) -> None:
    template = (MODULES / "instance" / "user_data.sh.tftpl").read_text()
    # templatefile() substitutes ${name}; the script uses no other template syntax.
    assert set(re.findall(r"(?<!\$)\$\{(\w+)\}", template)) == {"region", "dns_suffix"}
    assert "%{" not in template
    script = template.replace("${region}", "eu-west-1").replace("${dns_suffix}", "amazonaws.com")
    path = tmp_path / "user_data.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)
    if shutil.which("shellcheck"):
        proc = subprocess.run(
            ["shellcheck", "-s", "bash", str(path)], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout
    assert "https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/install" in script


# --- terraform itself -----------------------------------------------------------------------


@pytest.mark.terraform
def test_fmt_check_static_modules(terraform_bin: str) -> None:
    proc = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", str(MODULES)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.terraform
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_fmt_check_rendered_root(variant: str, terraform_bin: str, tmp_path: Path) -> None:
    write_tree(render_root(VARIANTS[variant]), tmp_path)
    proc = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.terraform
@pytest.mark.mirror
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_init_and_validate(
    variant: str, terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    write_tree(render_root(VARIANTS[variant]), tmp_path)
    init_offline(terraform_bin, tmp_path, tf_env)
    result = validate(terraform_bin, tmp_path, tf_env)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=2)


@pytest.mark.terraform
@pytest.mark.mirror
def test_terraform_reads_the_answers(
    terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    """Terraform's own view of the variables and derived locals equals the answers."""
    overrides = VARIANTS["repo-s3-tags-ami"]
    write_tree(render_root(overrides), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    seen = console_value(
        terraform_bin,
        tmp_path,
        tf_env,
        root_values(overrides),
    )
    assert seen["vars"] == root_variables(answers_for(overrides))
    assert seen["tags"] == {
        "cdwizard:project": "devops-python-service",
        "Owner": "platform team",
        "CostCenter": "cc-1234",
    }


@pytest.mark.terraform
@pytest.mark.mirror
def test_user_data_renders_through_templatefile(
    terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    write_tree(render_root(), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    script = console_value(
        terraform_bin,
        tmp_path,
        tf_env,
        'templatefile("modules/instance/user_data.sh.tftpl", '
        '{region = "cn-north-1", dns_suffix = "amazonaws.com.cn"})',
    )
    assert (
        "installer_url='https://aws-codedeploy-cn-north-1.s3.cn-north-1.amazonaws.com.cn/latest/install'"
        in script
    )
    path = tmp_path / "user_data.sh"
    path.write_text(script)
    subprocess.run(["bash", "-n", str(path)], check=True)


@pytest.mark.terraform
@pytest.mark.mirror
@pytest.mark.parametrize(
    "variant",
    [
        "default",
        "ssm-poll-no-instance",
        "load-balancer",
        "github-new-connection",
        "s3-created-bucket",
        "environments",
    ],
)
def test_the_pipeline_is_created_after_what_it_deploys_to(
    variant: str, terraform_bin: str, tf_env: dict[str, str], tmp_path: Path
) -> None:
    """A pipeline starts its first run when it is created: `terraform graph` must order it after
    the instances, the SSM association that installs their agent and, behind a load balancer,
    what traffic control needs (registrations, listeners, the rule to reach the instances)."""
    write_tree(render_root(VARIANTS[variant]), tmp_path)
    init_for_console(terraform_bin, tmp_path, tf_env)
    proc = subprocess.run(
        [terraform_bin, "graph"], cwd=tmp_path, env=tf_env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    edges = set(re.findall(r'"([^"]+)" -> "([^"]+)"', proc.stdout))
    # everything the pipeline waits for (the graph leaves out edges implied by others)
    after: set[str] = set()
    todo = ["module.pipeline.aws_codepipeline.this"]
    while todo:
        node = todo.pop()
        for source, target in edges:
            if source == node and target not in after:
                after.add(target)
                todo.append(target)
    assert "module.instance.aws_instance.this" in after
    assert "module.instance.aws_ssm_association.codedeploy_agent" in after
    if variant == "load-balancer":  # traffic control needs the registrations and listeners
        lb = "module.load_balancer"
        assert {
            f"{lb}.aws_lb_target_group_attachment.instances",
            f"{lb}.aws_lb_listener.http",
            f"{lb}.aws_lb_listener.https",
            f"{lb}.aws_vpc_security_group_ingress_rule.instances_from_alb",
        } <= after


# --- checkov ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant",
    [
        "default",
        "repo-s3-tags-ami",
        "github-new-connection",
        "s3-created-bucket",
        "s3-existing-bucket-poll",
        "load-balancer",
        "existing-target-group",
        "environments",
        "environments-ssm-existing-topic",
    ],
)
def test_checkov_has_no_unjustified_failures(variant: str, tmp_path: Path) -> None:
    checkov = os.environ.get("CDWIZARD_CHECKOV")
    if not checkov:
        pytest.skip(
            "CDWIZARD_CHECKOV is not set (checkov lives in its own venv; `.ci/run` sets it)"
        )
    write_tree(render_root(VARIANTS[variant]), tmp_path / "terraform")
    proc = subprocess.run(
        [
            checkov,
            "-d",
            str(tmp_path / "terraform"),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"].get("failed_checks", [])]
    assert not failed, "\n".join(f"{c['check_id']} {c['resource']}" for c in failed)
    summary = reports[0]["summary"]
    assert summary["passed"] > 100 and summary["parsing_errors"] == 0
    # every skip is an inline `#checkov:skip=ID:justification` inside the resource
    for path in (tmp_path / "terraform").rglob("*.tf"):
        for match in re.finditer(r"#checkov:skip=([A-Z0-9_]+)(:?)(.*)", path.read_text()):
            assert match.group(2) == ":" and len(match.group(3).strip()) > 20, match.group(0)
