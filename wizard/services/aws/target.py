"""Where a command's AWS calls go, decided in one place.

`target_from_answers` builds the `AwsTarget` from the answers' region and profile, unless:

- a sandbox is given: an `AwsTarget`, an object with a `target` `AwsTarget` (the sandbox
  launcher's `Sandbox`), or one with an `endpoint_url`;
- `CDWIZARD_AWS_ENDPOINT_URL` is set: every call goes to that endpoint (an emulator such as a
  moto server) with the credentials of the default chain (e.g. `AWS_ACCESS_KEY_ID`). It exists
  for tests and for pointing cdwizard at an emulator you run yourself; a real AWS account never
  needs it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from wizard.services.aws.session import AwsTarget

if TYPE_CHECKING:
    from wizard.core.answers import Answers

ENDPOINT_ENV = "CDWIZARD_AWS_ENDPOINT_URL"


def target_from_answers(answers: Answers, sandbox: Any = None) -> AwsTarget:
    """The `AwsTarget` for `answers` (see the module docstring for the overrides)."""
    region = answers.aws.region
    if isinstance(sandbox, AwsTarget):
        return sandbox
    if sandbox is not None:
        made = getattr(sandbox, "target", None)
        if isinstance(made, AwsTarget):
            return made
        return AwsTarget(region=region, endpoint_url=sandbox.endpoint_url)
    endpoint = os.environ.get(ENDPOINT_ENV)
    if endpoint:
        return AwsTarget(region=region, endpoint_url=endpoint)
    return AwsTarget(region=region, profile=answers.aws.profile)
