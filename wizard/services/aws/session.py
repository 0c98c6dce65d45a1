"""One place that builds boto3 sessions and clients.

Retries are botocore's (`standard`, or `adaptive` for pollers): no hand-written retry loops.
`AwsTarget` says where to talk to: a real account (profile/region) or the sandbox emulator
(an endpoint URL plus throw-away credentials that exist only in this process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    import boto3

RetryMode = Literal["standard", "adaptive", "legacy"]


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go."""

    region: str
    profile: str | None = None
    #: set only for the sandbox emulator (or a test's moto server)
    endpoint_url: str | None = None
    #: sandbox-only fake credentials; never set for real AWS (the default chain is used)
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)

    @property
    def is_emulator(self) -> bool:
        return self.endpoint_url is not None


class AwsClients:
    """A session plus cached clients for one `AwsTarget`. Clients are thread-safe; the session
    is only touched under a lock (boto3 sessions are not thread-safe)."""

    def __init__(
        self,
        target: AwsTarget,
        *,
        retry_mode: RetryMode = "standard",
        max_attempts: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.target = target
        self._retry = {"mode": retry_mode, "max_attempts": max_attempts}
        self._timeouts = (connect_timeout, read_timeout)
        self._lock = threading.Lock()
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}

    @property
    def session(self) -> boto3.session.Session:

        with self._lock:
            if self._session is None:
                kwargs: dict[str, Any] = {"region_name": self.target.region}
                if self.target.profile and not self.target.is_emulator:
                    kwargs["profile_name"] = self.target.profile
                if self.target.access_key_id:
                    kwargs["aws_access_key_id"] = self.target.access_key_id
                    kwargs["aws_secret_access_key"] = self.target.secret_access_key
                self._session = boto3.session.Session(**kwargs)
            return self._session

    def client(self, service: str) -> Any:
        """A cached boto3 client for `service` (e.g. "codepipeline")."""

        with self._lock:
            cached = self._clients.get(service)
        if cached is not None:
            return cached
        config = Config(
            retries=dict(self._retry),
            connect_timeout=self._timeouts[0],
            read_timeout=self._timeouts[1],
            user_agent_extra="cdwizard",
        )
        made = self.session.client(service, endpoint_url=self.target.endpoint_url, config=config)
        with self._lock:
            return self._clients.setdefault(service, made)
