"""AWS failures as one typed error with a message a user can act on.

`guarded(permission)` wraps a boto3 call: botocore's exceptions come out as `DiscoveryError`
naming what went wrong (missing permission, bad or expired credentials, no network, a service
that is closed to this account) and what to do about it. Retries are botocore's, configured in
`session.AwsClients`; by the time an error reaches here it is final.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from botocore import exceptions as bx
from botocore.exceptions import BotoCoreError, ClientError

ErrorKind = Literal[
    "permission", "credentials", "network", "unavailable", "not_found", "throttled", "error"
]

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "403",
    }
)
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
#: Throttling: the codes botocore's standard retry mode treats so (less Route 53's
#: PriorRequestNotComplete and DynamoDB's TransactionInProgressException).
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    }
)

_NOT_AUTHORIZED = re.compile(r"not authorized to perform:?\s+([A-Za-z0-9-]+:[A-Za-z0-9*]+)")

#: What to say when CodeCommit refuses to create a repository for this account.
CODECOMMIT_CLOSED = (
    "CodeCommit refused to create a repository: AWS closed CodeCommit to new customers on "
    "25 July 2024, so an account (or organization) that never had a repository cannot create one"
)
CODECOMMIT_CLOSED_FIX = (
    "use a repository that already exists in this account (source.create_repository: false), "
    "ask AWS Support to enable CodeCommit for the account, or use another account that has "
    "CodeCommit repositories"
)


class DiscoveryError(Exception):
    """A failed AWS look-up, worded for the user.

    `message` says what failed, `fix` what to do; `permission` is the IAM action that was denied
    (when known) and `code` the AWS error code or botocore exception name. (Not a frozen
    dataclass: Python sets `__cause__`/`__traceback__` on exceptions it raises.)
    """

    def __init__(
        self,
        message: str,
        kind: ErrorKind = "error",
        fix: str | None = None,
        permission: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind: ErrorKind = kind
        self.fix = fix
        self.permission = permission
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message


def _client_error(
    exc: Exception, permission: str | None, fallback: str | None, profile: str | None
) -> DiscoveryError:
    error = getattr(exc, "response", {}).get("Error", {})
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ACCESS_DENIED_CODES or (status == 403 and code not in BAD_CREDENTIAL_CODES):
        found = _NOT_AUTHORIZED.search(message)
        action = found.group(1) if found else permission
        what = f"missing permission {action}" if action else "access denied"
        fix = f"ask for it or {fallback}" if fallback else "ask your AWS administrator for it"
        return DiscoveryError(what, "permission", fix, action, code or str(status))
    if code in BAD_CREDENTIAL_CODES:
        return DiscoveryError(
            f"AWS rejected the credentials ({code})",
            "credentials",
            _credentials_fix(profile),
            permission,
            code,
        )
    if code in EXPIRED_CODES:
        login = _sso_login(profile)
        return DiscoveryError(
            "the AWS credentials have expired",
            "credentials",
            f"refresh them (for SSO: `{login}`) and try again",
            permission,
            code,
        )
    if code in THROTTLE_CODES:
        return DiscoveryError(
            "AWS is throttling requests", "throttled", "wait a moment and try again", None, code
        )
    if code == "OptInRequired":
        return DiscoveryError(
            "this account is not subscribed to the service in this region",
            "unavailable",
            "enable the region (Account settings → AWS Regions) or pick another region",
            permission,
            code,
        )
    if code == "OperationNotAllowedException" and "CreateRepository" in (
        getattr(exc, "operation_name", "") or message
    ):
        return DiscoveryError(CODECOMMIT_CLOSED, "unavailable", CODECOMMIT_CLOSED_FIX, None, code)
    operation = getattr(exc, "operation_name", "the AWS call")
    return DiscoveryError(
        f"{operation} failed: {code}: {message}".rstrip(": "), "error", None, None, code
    )


def _sso_login(profile: str | None) -> str:
    """`aws sso login [--profile NAME]`, the name quoted for the shell when it needs it."""
    return f"aws sso login --profile {shlex.quote(profile)}" if profile else "aws sso login"


def _credentials_fix(profile: str | None) -> str:
    if profile:
        return (
            f"check profile '{profile}' in ~/.aws/config and ~/.aws/credentials, or log in "
            f"with `{_sso_login(profile)}`"
        )
    return (
        "configure credentials: `aws configure`, `aws sso login`, AWS_PROFILE, or the "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables"
    )


def translate(
    exc: Exception,
    *,
    permission: str | None = None,
    fallback: str | None = None,
    profile: str | None = None,
) -> DiscoveryError:
    """The `DiscoveryError` for a botocore/boto3 exception raised by a call needing `permission`.

    `fallback` completes "ask for it or …" for look-ups the user can do without (e.g. "type
    the name"); `profile` makes credential fixes name the profile in use.
    """

    if isinstance(exc, DiscoveryError):
        return exc
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, permission, fallback, profile)
    if isinstance(exc, bx.ProfileNotFound):
        return DiscoveryError(
            f"AWS profile '{profile or exc.kwargs.get('profile')}' is not configured",
            "credentials",
            "create it with `aws configure --profile NAME` (or `aws configure sso`), "
            "or pick another profile",
            None,
            "ProfileNotFound",
        )
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return DiscoveryError(
            "no AWS credentials were found",
            "credentials",
            _credentials_fix(profile),
            None,
            type(exc).__name__,
        )
    if isinstance(
        exc, (bx.TokenRetrievalError, bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError)
    ):
        login = _sso_login(profile)
        return DiscoveryError(
            "the AWS SSO session has expired or was never started",
            "credentials",
            f"run `{login}`",
            None,
            type(exc).__name__,
        )
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return DiscoveryError(
            f"cannot reach AWS: {exc}",
            "network",
            "check the network connection, proxy settings (HTTPS_PROXY) and the region name",
            None,
            type(exc).__name__,
        )
    if isinstance(exc, bx.BotoCoreError):
        return DiscoveryError(str(exc), "error", None, None, type(exc).__name__)
    raise exc


@contextmanager
def guarded(
    permission: str | None = None, *, fallback: str | None = None, profile: str | None = None
) -> Iterator[None]:
    """Run AWS calls; raise `DiscoveryError` instead of botocore's exceptions."""

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, permission=permission, fallback=fallback, profile=profile) from exc
