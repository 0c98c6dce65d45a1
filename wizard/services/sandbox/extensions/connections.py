"""CodeConnections for the sandbox (moto has no such service), through the CodeStar Connections
API (`codestar-connections`, JSON 1.0) that boto3 and the terraform provider's
`aws_codestarconnections_connection` speak: Create/Get/List/DeleteConnection and
Tag/Untag/ListTagsForResource on connections.

Routing: moto picks a backend from the signing name of a request; `codestar-connections` is
routed to its CodePipeline app (one entry in moto's alias table, checked at start-up), whose
response class gets these handlers. CodePipeline's own Tag/Untag/ListTagsForResource keep
answering for pipelines: the request's `X-Amz-Target` tells the two apart. Connections are
kept on the CodePipeline backend of their account and region, so the saved state keeps them.

A new connection is PENDING, as on AWS, where a person authorises it once in the console
(installs the provider's app and picks the connection). The sandbox has no console: the
emulator-only operation `SandboxAuthorizeConnection` (`cdwizard connection authorize
--sandbox`) does that step and moves it to AVAILABLE; `SandboxRevokeConnection` moves it to
ERROR, as uninstalling the app does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

#: `X-Amz-Target` prefix of the CodeStar Connections API (botocore sends it with the
#: `com.amazonaws.codestar.connections.` namespace in front, the Go SDK without).
TARGET_PREFIX = "com.amazonaws.codestar.connections.CodeStar_connections_20191201"
TARGET_SERVICE = "CodeStar_connections_20191201"
#: The request signing name moto routes by.
SIGNING_NAME = "codestar-connections"
PROVIDER_TYPES = (
    "Bitbucket",
    "GitHub",
    "GitHubEnterpriseServer",
    "GitLab",
    "GitLabSelfManaged",
    "AzureDevOps",
    "GitHubEnterpriseCloudDataResidency",
)
STATUSES = ("PENDING", "AVAILABLE", "ERROR")
#: The emulator-only operations (no AWS API does these: the console does).
AUTHORIZE = "SandboxAuthorizeConnection"
REVOKE = "SandboxRevokeConnection"

_STORE = "cdwizard_connections"
_MARK = "_cdwizard_connections"


class ExtensionUnsupported(Exception):
    """This moto routes requests in a way the extension cannot hook."""


def error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def store(backend: Any) -> dict[str, dict[str, Any]]:
    """connection id -> connection, on a CodePipeline backend (account, region)."""
    found = getattr(backend, _STORE, None)
    if found is None:
        found = {}
        setattr(backend, _STORE, found)
    return found


def connection_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def find(backend: Any, arn: str) -> dict[str, Any] | None:
    """The connection an ARN names (either service prefix), in this account and region."""
    found = store(backend).get(connection_id(str(arn or "")))
    if found is None:
        return None
    parts = str(arn).split(":")
    if len(parts) < 6 or parts[3] != backend.region_name or parts[4] != backend.account_id:
        return None
    return found


def _not_found(arn: Any) -> Exception:
    return error("ResourceNotFoundException", f"Connection {arn} does not exist.")


def _described(c: dict[str, Any]) -> dict[str, Any]:
    out = {
        "ConnectionName": c["name"],
        "ConnectionArn": c["arn"],
        "ProviderType": c["provider_type"],
        "OwnerAccountId": c["owner"],
        "ConnectionStatus": c["status"],
    }
    if c.get("host_arn"):
        out["HostArn"] = c["host_arn"]
    return out


def _tags(items: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in items or []]


def _check_tags(tags: list[dict[str, str]]) -> None:
    if len(tags) > 200:
        raise error("LimitExceededException", "A resource can have at most 200 tags.")
    for tag in tags:
        if not 1 <= len(tag["Key"]) <= 128 or len(tag["Value"]) > 256:
            raise error(
                "ValidationException",
                "Tag keys must be 1-128 characters and values at most 256 characters.",
            )


# --- the API ------------------------------------------------------------------------------


def create_connection(self: Any) -> str:
    backend = self.codepipeline_backend
    name = self._get_param("ConnectionName")
    provider = self._get_param("ProviderType")
    host = self._get_param("HostArn")
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        raise error(
            "ValidationException",
            "1 validation error detected: Value at 'connectionName' failed to satisfy "
            "constraint: Member must have length between 1 and 32",
        )
    if host is None and provider not in PROVIDER_TYPES:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{provider}' at 'providerType' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(PROVIDER_TYPES)}]",
        )
    tags = _tags(self._get_param("Tags"))
    _check_tags(tags)
    ident = str(uuid.uuid4())
    where = f"{backend.region_name}:{backend.account_id}"
    arn = f"arn:{self.partition}:{SIGNING_NAME}:{where}:connection/{ident}"
    store(backend)[ident] = {
        "arn": arn,
        "name": name,
        "provider_type": provider or "GitHubEnterpriseServer",
        "owner": backend.account_id,
        "status": "PENDING",
        "host_arn": host,
        "tags": tags,
    }
    out: dict[str, Any] = {"ConnectionArn": arn}
    if tags:
        out["Tags"] = tags
    return json.dumps(out)


def get_connection(self: Any) -> str:
    arn = self._get_param("ConnectionArn")
    found = find(self.codepipeline_backend, arn)
    if found is None:
        raise _not_found(arn)
    return json.dumps({"Connection": _described(found)})


def list_connections(self: Any) -> str:
    from wizard.services.sandbox.extensions import _paging

    wanted = self._get_param("ProviderTypeFilter")
    host = self._get_param("HostArnFilter")
    size = int(self._get_param("MaxResults") or 100)
    if not 0 <= size <= 100:
        raise error(
            "ValidationException", "MaxResults must be between 0 and 100 (the API's limit)."
        )
    items = [
        c
        for c in store(self.codepipeline_backend).values()
        if (not wanted or c["provider_type"] == wanted) and (not host or c.get("host_arn") == host)
    ]
    items.sort(key=lambda c: (c["name"], c["arn"]))

    def invalid() -> Exception:
        return error("ValidationException", "The next token is not valid.")

    found, token = _paging.page(items, self._get_param("NextToken"), size or 100, invalid)
    out: dict[str, Any] = {"Connections": [_described(c) for c in found]}
    if token:
        out["NextToken"] = token
    return json.dumps(out)


def delete_connection(self: Any) -> str:
    backend = self.codepipeline_backend
    arn = self._get_param("ConnectionArn")
    if find(backend, arn) is None:
        raise _not_found(arn)
    store(backend).pop(connection_id(arn))
    return "{}"


def _set_status(self: Any, status: str) -> str:
    arn = self._get_param("ConnectionArn")
    found = find(self.codepipeline_backend, arn)
    if found is None:
        raise _not_found(arn)
    found["status"] = status
    return json.dumps({"Connection": _described(found)})


def sandbox_authorize_connection(self: Any) -> str:
    """What a person does in the console on AWS: PENDING (or ERROR) -> AVAILABLE."""
    return _set_status(self, "AVAILABLE")


def sandbox_revoke_connection(self: Any) -> str:
    """What uninstalling the provider's app does on AWS: -> ERROR."""
    return _set_status(self, "ERROR")


def _tagged(self: Any) -> dict[str, Any]:
    arn = self._get_param("ResourceArn")
    found = find(self.codepipeline_backend, arn)
    if found is None:
        raise _not_found(arn)
    return found


def _tag_resource(self: Any) -> str:
    found = _tagged(self)
    merged = {t["Key"]: t["Value"] for t in found["tags"]}
    merged.update({t["Key"]: t["Value"] for t in _tags(self._get_param("Tags"))})
    tags = [{"Key": k, "Value": v} for k, v in merged.items()]
    _check_tags(tags)
    found["tags"] = tags
    return "{}"


def _untag_resource(self: Any) -> str:
    found = _tagged(self)
    drop = set(self._get_param("TagKeys") or [])
    found["tags"] = [t for t in found["tags"] if t["Key"] not in drop]
    return "{}"


def _list_tags_for_resource(self: Any) -> str:
    return json.dumps({"Tags": _tagged(self)["tags"]})


# --- installing -----------------------------------------------------------------------------


def _for_connections(self: Any) -> bool:
    target = str(self.headers.get("X-Amz-Target") or self.headers.get("x-amz-target") or "")
    return target.rpartition(".")[0].rpartition(".")[2] == TARGET_SERVICE


def _shared(name: str, ours: Callable[[Any], str], original: Callable[[Any], Any]) -> Any:
    """A handler name both APIs use (the tagging calls): ours for connection requests."""

    def handler(self: Any) -> Any:
        return ours(self) if _for_connections(self) else original(self)

    handler.__name__ = name
    setattr(handler, _MARK, True)
    return handler


def _operation(self: Any) -> str:
    target = str(self.headers.get("X-Amz-Target") or self.headers.get("x-amz-target") or "")
    return target.rpartition(".")[2]


def _route_actions(cls: Any) -> None:
    """moto >= 5.2 names the action from the service model of the app (CodePipeline's, which has
    no connection operations, so the request would end as a bare 404) and parses parameters by
    it. For connection requests the action is the `X-Amz-Target` operation and the parameters are
    the JSON 1.0 body as sent; other requests keep moto's own path."""
    if getattr(cls.__dict__.get("_get_action"), _MARK, False):
        return
    own_action = cls._get_action
    own_parse = cls.parse_parameters

    def _get_action(self: Any) -> Any:
        return _operation(self) if _for_connections(self) else own_action(self)

    def parse_parameters(self: Any, request: Any) -> None:
        if not _for_connections(self):
            own_parse(self, request)
            return
        try:
            body = json.loads(request.data or b"{}")
        except ValueError:
            body = {}
        self.params = body if isinstance(body, dict) else {}

    for fn in (_get_action, parse_parameters):
        setattr(fn, _MARK, True)
        setattr(cls, fn.__name__, fn)


def check_routing() -> None:
    """The start-up check: moto routes by signing name through an alias table we extend."""
    from moto.moto_server import werkzeug_app

    aliases = getattr(werkzeug_app, "SIGNING_ALIASES", None)
    if not isinstance(aliases, dict):
        raise ExtensionUnsupported(
            "this moto routes requests without moto_server.werkzeug_app.SIGNING_ALIASES, so the "
            "sandbox cannot serve CodeConnections (the connection sources): use moto 5.1-5.2"
        )


def install() -> None:
    """Route `codestar-connections` requests to CodePipeline's app and add the handlers
    (idempotent)."""
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.moto_server import werkzeug_app

    check_routing()
    werkzeug_app.SIGNING_ALIASES[SIGNING_NAME] = "codepipeline"
    own = {
        "create_connection": create_connection,
        "get_connection": get_connection,
        "list_connections": list_connections,
        "delete_connection": delete_connection,
        "sandbox_authorize_connection": sandbox_authorize_connection,
        "sandbox_revoke_connection": sandbox_revoke_connection,
    }
    for name, fn in own.items():
        setattr(CodePipelineResponse, name, fn)
    _route_actions(CodePipelineResponse)
    shared = {
        "tag_resource": _tag_resource,
        "untag_resource": _untag_resource,
        "list_tags_for_resource": _list_tags_for_resource,
    }
    for name, fn in shared.items():
        current = CodePipelineResponse.__dict__.get(name)
        if current is not None and getattr(current, _MARK, False):
            continue
        original = current or getattr(CodePipelineResponse, name)
        setattr(CodePipelineResponse, name, _shared(name, fn, original))
