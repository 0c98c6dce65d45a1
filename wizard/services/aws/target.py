"""Where a command's AWS calls go, decided in one place for every command (monitor, ship,
doctor, the wizard's discovery and monitor).

`target_for(region, profile)` (and `target_from_answers`, which takes both from the answers)
builds the `AwsTarget` of a real account, unless:

- a sandbox is given: an `AwsTarget`, an object with a `target` `AwsTarget` (the sandbox
  launcher's `Sandbox`), or one with an `endpoint_url`;
- an endpoint is set in the environment: `CDWIZARD_AWS_ENDPOINT_URL`, else the AWS SDKs' own
  `AWS_ENDPOINT_URL` (what LocalStack-style setups export). Every call then goes to that
  endpoint (an emulator such as a moto server or LocalStack), with the credentials of the default
  chain (e.g. `AWS_ACCESS_KEY_ID`), and it is treated as an emulator (APIs it lacks degrade the
  views instead of failing). A real AWS account never needs either variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wizard.services.aws.session import AwsTarget

if TYPE_CHECKING:
    from wizard.core.answers import Answers

ENDPOINT_ENV = "CDWIZARD_AWS_ENDPOINT_URL"
#: The variable the AWS SDKs and CLI read themselves; cdwizard's own one wins over it.
STANDARD_ENDPOINT_ENV = "AWS_ENDPOINT_URL"


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The emulator endpoint the environment names, if any (see the module docstring)."""
    env = os.environ if environ is None else environ
    for name in (ENDPOINT_ENV, STANDARD_ENDPOINT_ENV):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def target_for(region: str, profile: str | None = None, sandbox: Any = None) -> AwsTarget:
    """The `AwsTarget` for `region`/`profile` (see the module docstring for the overrides)."""
    if isinstance(sandbox, AwsTarget):
        return sandbox
    if sandbox is not None:
        made = getattr(sandbox, "target", None)
        if isinstance(made, AwsTarget):
            return made
        return AwsTarget(region=region, endpoint_url=sandbox.endpoint_url)
    endpoint = endpoint_from_env()
    if endpoint:
        return AwsTarget(region=region, endpoint_url=endpoint)
    return AwsTarget(region=region, profile=profile)


def target_from_answers(answers: Answers, sandbox: Any = None) -> AwsTarget:
    """`target_for` the answers' region and profile."""
    return target_for(answers.aws.region, answers.aws.profile, sandbox)
