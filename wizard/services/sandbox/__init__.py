"""The embedded AWS sandbox: moto in server mode on 127.0.0.1, plus small shims and extensions
for what the real provider and cdwizard need that moto lacks.

Importing this package is cheap (moto loads only when a `Sandbox` starts). `render --sandbox`
calls `sandbox_render_context()`; the commands use `wizard.services.sandbox.launcher.Sandbox`.
"""

from __future__ import annotations

from typing import Any

#: The terraform variable that carries the emulator URL (`TF_VAR_<name>`); declared only in the
#: sandbox rendering, so real-AWS roots never mention it and the rendered files stay the same
#: whatever port the emulator gets.
ENDPOINT_VARIABLE = "cdwizard_sandbox_endpoint"

#: The sandbox-only terraform variable (root and artifacts module) that creates the artifact
#: bucket's lifecycle configuration; off unless `BUCKET_LIFECYCLE_ENV` is set, because the
#: provider waits at least 55 s after creating one (see templates/sandbox/modules/artifacts).
BUCKET_LIFECYCLE_VARIABLE = "cdwizard_sandbox_bucket_lifecycle"
BUCKET_LIFECYCLE_ENV = "CDWIZARD_SANDBOX_BUCKET_LIFECYCLE"

#: Provider `endpoints` keys sent to the emulator (names valid in hashicorp/aws 5.x and 6.x).
ENDPOINT_SERVICES: tuple[str, ...] = (
    "cloudwatch",
    "codecommit",
    "codepipeline",
    "codestarconnections",
    "codestarnotifications",
    "deploy",
    "ec2",
    "elbv2",
    "events",
    "iam",
    "kms",
    "logs",
    "resourcegroupstaggingapi",
    "s3",
    "sns",
    "ssm",
    "sts",
)


def bucket_lifecycle_wanted() -> bool:
    """Whether this sandbox run creates the bucket lifecycle configuration."""
    import os

    return os.environ.get(BUCKET_LIFECYCLE_ENV, "").strip().lower() in ("1", "true", "yes")


#: State file of the emulator inside a workspace.
STATE_FILE = ".cdwizard/sandbox-state.pkl.gz"
LOG_FILE = ".cdwizard/sandbox.log"


def sandbox_render_context() -> dict[str, Any]:
    """What `templates/sandbox/*.j2` need: no port, no credentials (those come from the env)."""
    return {
        "endpoint_variable": ENDPOINT_VARIABLE,
        "bucket_lifecycle_variable": BUCKET_LIFECYCLE_VARIABLE,
        "services": list(ENDPOINT_SERVICES),
        # fail fast on an emulator gap instead of the SDK's 25 retries with backoff
        "max_retries": 3,
    }


__all__ = [
    "BUCKET_LIFECYCLE_ENV",
    "BUCKET_LIFECYCLE_VARIABLE",
    "ENDPOINT_SERVICES",
    "ENDPOINT_VARIABLE",
    "LOG_FILE",
    "STATE_FILE",
    "bucket_lifecycle_wanted",
    "sandbox_render_context",
]
