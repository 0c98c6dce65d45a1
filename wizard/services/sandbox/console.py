"""What the AWS console does that no AWS API does, for the sandbox: authorise a PENDING
connection (on AWS: "Update pending connection" and the provider's app), or revoke one.

Sent to the running emulator as emulator-only CodeStar Connections operations over its HTTP
API (signed like any request, so the emulator routes it as one), never to AWS: the target must
be the sandbox.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from wizard.services.aws.session import AwsTarget
from wizard.services.sandbox.extensions.connections import (
    AUTHORIZE,
    REVOKE,
    SIGNING_NAME,
    TARGET_PREFIX,
)


class ConsoleError(Exception):
    """The emulator refused (e.g. no such connection); the message says why."""


def _call(target: AwsTarget, operation: str, arn: str) -> dict[str, Any]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if not target.is_emulator or not target.endpoint_url:
        raise ConsoleError("only the sandbox can authorise a connection without the console")
    body = json.dumps({"ConnectionArn": arn}).encode()
    request = AWSRequest(
        method="POST",
        url=target.endpoint_url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{TARGET_PREFIX}.{operation}",
        },
    )
    credentials = Credentials(target.access_key_id or "x", target.secret_access_key or "x")
    SigV4Auth(credentials, SIGNING_NAME, target.region).add_auth(request)
    prepared = urllib.request.Request(
        target.endpoint_url, data=body, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as answer:  # loopback only
            return dict(json.loads(answer.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        said = json.loads(exc.read() or b"{}")
        raise ConsoleError(str(said.get("message") or said.get("Message") or exc)) from None


def _status(answer: dict[str, Any]) -> str:
    connection = answer.get("Connection") or {}
    return str(connection.get("ConnectionStatus", ""))


def authorize_connection(target: AwsTarget, arn: str) -> str:
    """PENDING (or ERROR) -> AVAILABLE; returns the new status."""
    return _status(_call(target, AUTHORIZE, arn))


def revoke_connection(target: AwsTarget, arn: str) -> str:
    """-> ERROR, as uninstalling the provider's app leaves a connection on AWS."""
    return _status(_call(target, REVOKE, arn))
