"""Helpers shared by the Terraform rendering and hostile-input tests (not a test module)."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wizard.core.answers import Answers, validate_mapping
from wizard.core.render import RenderedTree, render
from wizard.core.render.tfvars import root_variables

#: Answer variants exercised by init/validate (and the runner's sandbox apply).
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "ssm-poll-no-instance": {
        "targets": {"create_instance": False, "agent_install": "ssm"},
        "source": {"change_detection": "poll"},
    },
    "repo-s3-tags-ami": {
        "source": {"create_repository": True},
        "terraform": {"backend": "s3", "state_bucket": "my-tf-state-bucket"},
        "aws": {"profile": "deploy"},
        "tags": {"Owner": "platform team", "CostCenter": "cc-1234"},
        "targets": {"ami": "ami-0123456789abcdef0", "instance_type": "t4g.small"},
    },
    "github-new-connection": {
        "source": {"provider": "github", "repository_id": "my-org/my-service", "branch": "main"},
    },
    "gitlab-existing-connection-v1": {
        "source": {
            "provider": "gitlab",
            "repository_id": "my-group/sub/my-service",
            "connection_arn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/"
            "aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f",
        },
        "pipeline": {"type": "V1"},
    },
    "bitbucket-new-connection": {
        "source": {"provider": "bitbucket", "repository_id": "my-team/my-service"},
    },
    "s3-created-bucket": {"source": {"provider": "s3"}},
    "s3-existing-bucket-poll": {
        "source": {
            "provider": "s3",
            "bucket": "my-release-bucket",
            "create_bucket": False,
            "object_key": "releases/my-service.zip",
            "change_detection": "poll",
        },
    },
    "load-balancer": {
        "targets": {"instance_count": 3},
        "load_balancer": {
            "mode": "create",
            "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
            "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "access_logs_bucket": "shop-elb-logs",
            "allowed_cidrs": ["203.0.113.0/24", "2001:db8::/32"],
        },
    },
    # tests/data/answers/environments.yaml: staging, then production behind an approval, emails
    "environments": {
        "project": "shop",
        "targets": {"tag_key": "Environment"},
        "environments": [
            {"name": "staging", "tag_value": "staging"},
            {
                "name": "production",
                "tag_value": "production",
                "instance_count": 2,
                "deployment_config": "CodeDeployDefault.HalfAtATime",
                "group_tags": {"ManagedBy": "codedeploy", "Tier": "production"},
                "approval": True,
                "approval_message": "Staging looks good? Approve to deploy to production.",
                "approval_url": "https://staging.example.com",
            },
        ],
        "notifications": {"emails": ["ops@example.com"]},
    },
    "environments-ssm-existing-topic": {
        "targets": {"agent_install": "ssm"},
        "environments": [
            {"name": "qa", "create_instance": False},
            {"name": "prod", "approval": True},
        ],
        "notifications": {
            "topic_arn": "arn:aws:sns:eu-west-1:123456789012:deployments",
            "events": ["failed", "deployment_failed"],
        },
    },
    "existing-target-group": {
        "targets": {"create_instance": False, "agent_install": "ssm"},
        "load_balancer": {
            "mode": "existing",
            "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
            "targetgroup/shop/0123456789abcdef",
        },
    },
}


def root_values(overrides: Mapping[str, Any]) -> str:
    """A terraform expression for every root variable of these answers and the provider's
    default tags."""
    names = root_variables(answers_for(overrides))
    return (
        "{vars = {" + ", ".join(f"{name} = var.{name}" for name in names) + "}, "
        "tags = local.default_tags}"
    )


def answers_for(overrides: Mapping[str, Any]) -> Answers:
    return validate_mapping({"version": 1, **overrides})


def render_root(overrides: Mapping[str, Any] | None = None) -> RenderedTree:
    """The `terraform/` part of a render, keyed by path relative to `terraform/`."""
    tree = render(answers_for(overrides or {}))
    return {
        rel.removeprefix("terraform/"): f for rel, f in tree.items() if rel.startswith("terraform/")
    }


def write_tree(tree: RenderedTree, dest: Path) -> Path:
    for rel, rendered in tree.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.content)
    return dest


def hcl_text(parsed: str) -> str:
    """The string value of a python-hcl2 string token (quoted, HCL-escaped) as terraform sees it."""
    assert parsed.startswith('"') and parsed.endswith('"'), parsed
    text = parsed[1:-1]
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i] + "{")
            i += 3
            continue
        if text[i] == "\\":
            nxt = text[i + 1]
            if nxt == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}[nxt])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def terraform(
    terraform_bin: str, cwd: Path, env: Mapping[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform_bin, *args],
        cwd=cwd,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def init_offline(terraform_bin: str, cwd: Path, env: Mapping[str, str]) -> None:
    """`terraform init` against the provider mirror; the backend is not touched (no network)."""
    proc = terraform(terraform_bin, cwd, env, "init", "-backend=false", "-input=false", "-no-color")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def init_for_console(terraform_bin: str, cwd: Path, env: Mapping[str, str]) -> None:
    """`terraform init` with a local backend, which `terraform console` needs.

    A test-only `backend_override.tf` replaces an s3 backend (no network here); the rendered
    files stay as they are.
    """
    (cwd / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    proc = terraform(terraform_bin, cwd, env, "init", "-input=false", "-no-color")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def validate(terraform_bin: str, cwd: Path, env: Mapping[str, str]) -> dict[str, Any]:
    proc = terraform(terraform_bin, cwd, env, "validate", "-json", "-no-color")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def console_value(terraform_bin: str, cwd: Path, env: Mapping[str, str], expression: str) -> Any:
    """Evaluate `expression` with terraform itself and return it as a Python value.

    The value is JSON- then base64-encoded inside terraform, so the console's own HCL quoting of
    the printed result cannot blur what terraform really holds.
    """
    proc = terraform(
        terraform_bin,
        cwd,
        env,
        "console",
        stdin=f"base64encode(jsonencode({expression}))\n",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    printed = proc.stdout.strip().splitlines()[-1].strip('"')
    return json.loads(base64.b64decode(printed).decode("utf-8"))
