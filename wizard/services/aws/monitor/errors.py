"""Sort AWS failures into what the monitor does about them.

botocore already retried (retry mode `standard`/`adaptive`); what reaches us is either
- throttling that outlasted the retries -> poll less often,
- the network (or a 5xx) -> show a banner, keep polling, recover,
- an API the endpoint does not implement (emulators only) -> degrade that view and say so,
- everything else (credentials, permissions, not found) -> stop with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from wizard.services.aws.errors import (
    ACCESS_DENIED_CODES,
    BAD_CREDENTIAL_CODES,
    EXPIRED_CODES,
    THROTTLE_CODES,
)

#: Read APIs an emulator may lack; their absence degrades a view instead of stopping.
OPTIONAL_OPERATIONS = frozenset(
    {
        "GetPipelineState",
        "ListActionExecutions",
        "ListDeploymentTargets",
        "BatchGetDeploymentTargets",
    }
)


class Problem(Enum):
    THROTTLED = "throttled"
    CONNECTION = "connection"
    UNSUPPORTED = "unsupported"
    FATAL = "fatal"


@dataclass(frozen=True)
class Classified:
    problem: Problem
    operation: str
    message: str
    hint: str | None = None

    @property
    def text(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def classify(exc: BaseException, *, operation: str = "", emulator: bool = False) -> Classified:
    """How to react to `exc`, raised by a botocore call to `operation` (its API name)."""
    from botocore import exceptions as bex

    if isinstance(exc, bex.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        op = exc.operation_name or operation
        if code in THROTTLE_CODES or status == 429:
            return Classified(Problem.THROTTLED, op, message)
        if status >= 500:
            if emulator and op in OPTIONAL_OPERATIONS:
                return Classified(Problem.UNSUPPORTED, op, f"the endpoint does not implement {op}")
            return Classified(Problem.CONNECTION, op, f"AWS answered {status} {code}".strip())
        if code in BAD_CREDENTIAL_CODES or code in EXPIRED_CODES:
            return Classified(
                Problem.FATAL,
                op,
                f"{op}: the AWS credentials are invalid or expired ({code})",
                "refresh them, e.g. `aws sso login`, and run the command again",
            )
        if code in ACCESS_DENIED_CODES:
            return Classified(
                Problem.FATAL,
                op,
                f"{op}: access denied — {message}",
                "the identity needs read access to CodePipeline and CodeDeploy",
            )
        return Classified(Problem.FATAL, op, f"{op}: {code}: {message}")
    if isinstance(exc, (bex.ConnectionError, bex.HTTPClientError)):
        return Classified(Problem.CONNECTION, operation, str(exc))
    if isinstance(exc, (bex.NoCredentialsError, bex.PartialCredentialsError)):
        return Classified(
            Problem.FATAL,
            operation,
            "no AWS credentials found",
            "configure a profile (`aws configure` / `aws sso login`) or pass --profile",
        )
    if isinstance(exc, (bex.TokenRetrievalError, bex.CredentialRetrievalError)):
        return Classified(
            Problem.FATAL,
            operation,
            f"could not get AWS credentials: {exc}",
            "your SSO session may have expired: `aws sso login`",
        )
    if isinstance(exc, bex.NoRegionError):
        return Classified(Problem.FATAL, operation, "no AWS region", "pass --region")
    return Classified(Problem.FATAL, operation, f"{type(exc).__name__}: {exc}")
