"""The emulator's HTTP boundary: a WSGI middleware around moto's server app.

Two jobs, both on the wire, where the format is AWS's and changes rarely (unlike moto's Python
internals, which change between patch releases):

- **Adapt answers** the terraform provider cannot read as moto sends them. Each adapter takes the
  parsed JSON body of one operation's successful answer and fixes it in place; it is idempotent,
  so an answer that is already right (a moto release that fixed the gap) passes unchanged.
- **Notice emulator failures.** A request that raises inside moto, or that moto answers with a
  5xx, is recorded as a `Fault` (service, operation, what went wrong) for the commands to show in
  one line; the traceback goes to the sandbox log, as before.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger("cdwizard.sandbox")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Adapter = Callable[[dict[str, Any]], None]


def epoch(value: Any) -> Any:
    """An ISO-8601 timestamp as epoch seconds (what the JSON 1.1 protocols send); else as is."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return value


def _epoch_keys(section: str, keys: tuple[str, ...]) -> Adapter:
    def adapt(body: dict[str, Any]) -> None:
        part = body.get(section)
        if isinstance(part, dict):
            for key in keys:
                if key in part:
                    part[key] = epoch(part[key])

    return adapt


def _drop_empty_load_balancer_info(body: dict[str, Any]) -> None:
    infos = [body.get("deploymentGroupInfo"), *(body.get("deploymentGroupsInfo") or [])]
    for info in infos:
        if isinstance(info, dict) and not info.get("loadBalancerInfo"):
            info.pop("loadBalancerInfo", None)


#: (X-Amz-Target prefix, operation) -> adapter of the JSON answer. Why each one:
ADAPTERS: dict[tuple[str, str], Adapter] = {
    # CodePipeline speaks JSON 1.1, where timestamps are epoch numbers; moto < 5.2.6 sends
    # metadata.created/updated as ISO strings and the Go SDK fails ("expected Timestamp to be a
    # JSON Number"), so terraform cannot read the pipeline back.
    ("CodePipeline_20150709", "GetPipeline"): _epoch_keys(
        "metadata", ("created", "updated", "pollingDisabledAt")
    ),
    # The same for CodeCommit's repository dates (still ISO strings in moto 5.2.6).
    ("CodeCommit_20150413", "CreateRepository"): _epoch_keys(
        "repositoryMetadata", ("creationDate", "lastModifiedDate")
    ),
    ("CodeCommit_20150413", "GetRepository"): _epoch_keys(
        "repositoryMetadata", ("creationDate", "lastModifiedDate")
    ),
    # moto always sends "loadBalancerInfo": {} (AWS omits it without a load balancer); the
    # provider reads one empty load_balancer_info block and plans to remove it on every run.
    ("CodeDeploy_20141006", "GetDeploymentGroup"): _drop_empty_load_balancer_info,
    ("CodeDeploy_20141006", "BatchGetDeploymentGroups"): _drop_empty_load_balancer_info,
}


@dataclass(frozen=True)
class Fault:
    """One emulator-side failure: which call, and what went wrong (first line only)."""

    service: str
    operation: str
    status: int
    error: str

    def describe(self) -> str:
        return f"{self.service} {self.operation} failed in the emulator ({self.error})"


class Faults:
    """Thread-safe record of emulator failures, drained by whoever reports them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._items.append(fault)

    def drain(self) -> list[Fault]:
        with self._lock:
            items, self._items = self._items, []
        return items


def operation_of(environ: dict[str, Any], body: bytes) -> tuple[str, str]:
    """(service, operation) of a request: the JSON protocols' X-Amz-Target, else the query
    protocols' Action, else the path (REST protocols such as S3)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if "." in target:
        prefix, _, operation = target.rpartition(".")
        return prefix.split("_")[0], operation
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", ""))
    if not query.get("Action") and body:
        query = parse_qs(body.decode("utf-8", "replace"))
    service = _service_from_auth(environ.get("HTTP_AUTHORIZATION", ""))
    if query.get("Action"):
        return service, query["Action"][0]
    return service, f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '/')}"


def _service_from_auth(auth: str) -> str:
    # SigV4: Credential=KEY/DATE/REGION/SERVICE/aws4_request
    marker = "Credential="
    if marker in auth:
        parts = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
        if len(parts) >= 4:
            return parts[3]
    return "aws"


class WireAdapter:
    """WSGI middleware: adapts the answers in `ADAPTERS` and records failures in `faults`."""

    def __init__(self, app: WsgiApp, faults: Faults, adapters: dict[Any, Adapter] | None = None):
        self.app = app
        self.faults = faults
        self.adapters = ADAPTERS if adapters is None else adapters

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = _read_body(environ)
        service, operation = operation_of(environ, body)
        adapter = self.adapters.get((_target_prefix(environ), operation))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            if adapter is None:
                return start_response(status, headers, exc_info)
            return lambda data: None  # buffered below; moto's app never uses write()

        try:
            chunks = self.app(environ, capture)
            if adapter is None:
                code = int(str(captured.get("status", "200")).split()[0])
                if code >= 500:
                    chunks = list(chunks)
                    self._record(service, operation, code, _first_line(b"".join(chunks)))
                return chunks
            raw = b"".join(chunks)
        except Exception as exc:
            self._record(service, operation, 500, f"{type(exc).__name__}: {exc}")
            log.error("emulator error in %s %s\n%s", service, operation, traceback.format_exc())
            raise
        status = str(captured.get("status", "200 OK"))
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        code = int(status.split(maxsplit=1)[0])
        if code < 300:
            raw = _adapt(raw, adapter)
        elif code >= 500:
            self._record(service, operation, code, _first_line(raw))
        headers.append(("Content-Length", str(len(raw))))
        start_response(status, headers)
        return [raw]

    def _record(self, service: str, operation: str, status: int, error: str) -> None:
        self.faults.add(Fault(service, operation, status, error[:200]))


def _adapt(raw: bytes, adapter: Adapter) -> bytes:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return raw
    if not isinstance(body, dict):
        return raw
    adapter(body)
    return json.dumps(body).encode()


def _target_prefix(environ: dict[str, Any]) -> str:
    return str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[0]


def _read_body(environ: dict[str, Any]) -> bytes:
    """A query-protocol request's form body, read once and put back for moto to read."""
    import io

    if environ.get("HTTP_X_AMZ_TARGET") or not str(environ.get("CONTENT_TYPE", "")).startswith(
        "application/x-www-form-urlencoded"
    ):
        return b""  # only the query protocols name the operation in the body
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _first_line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            return str(data.get("message") or data.get("Message") or data.get("__type") or text)
    except ValueError:
        pass
    if "<title>" in text:  # werkzeug's HTML error page
        return text.split("<title>", 1)[1].split("</title>", 1)[0]
    return text.splitlines()[0] if text else "no answer"
