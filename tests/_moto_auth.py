"""Real IAM denials from the moto server: a user allowed only some actions, with auth switched on.

moto evaluates IAM policies once `/moto-api/reset-auth` sets the number of unauthenticated calls
to 0. `restricted_target` creates the user (while auth is still off), switches auth on, yields an
`AwsTarget` with the user's keys and switches auth off again.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from wizard.services.aws.session import AwsClients, AwsTarget


def _set_auth(endpoint: str, free_calls: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=free_calls.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request, timeout=10).close()


@contextmanager
def restricted_target(
    admin: AwsTarget, allowed: Sequence[str], *, user: str = "limited"
) -> Iterator[AwsTarget]:
    """An `AwsTarget` for an IAM user that may only call `allowed` (e.g. `"sts:*"`)."""
    assert admin.endpoint_url
    iam = AwsClients(admin).client("iam")
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(allowed), "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    _set_auth(admin.endpoint_url, "0")
    try:
        yield AwsTarget(
            region=admin.region,
            endpoint_url=admin.endpoint_url,
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
        )
    finally:
        _set_auth(admin.endpoint_url, "inf")


@contextmanager
def auth_enforced(endpoint: str) -> Iterator[None]:
    """Switch moto's signature and policy checks on (e.g. to reject made-up credentials)."""
    _set_auth(endpoint, "0")
    try:
        yield
    finally:
        _set_auth(endpoint, "inf")
