"""CodeConnections connections through the CodeStar Connections API (boto3
`codestar-connections`; it serves connections of either ARN prefix): look one up, list them to
pick from, and find the one an answers file uses (its ARN, or the connection terraform creates
under `source.connection_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.core.connections import PROVIDER_TYPES, console_url

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

SERVICE = "codestar-connections"


@dataclass(frozen=True)
class Connection:
    arn: str
    name: str
    provider_type: str
    status: str
    owner: str = ""

    @property
    def console_url(self) -> str | None:
        return console_url(self.arn)


def _from(item: dict[str, Any]) -> Connection:
    return Connection(
        arn=str(item.get("ConnectionArn", "")),
        name=str(item.get("ConnectionName", "")),
        provider_type=str(item.get("ProviderType", "")),
        status=str(item.get("ConnectionStatus", "")),
        owner=str(item.get("OwnerAccountId", "")),
    )


def get_connection(clients: AwsClients, arn: str) -> Connection | None:
    """The connection, or None when the ARN names none (in this account and region)."""
    client = clients.client(SERVICE)
    try:
        return _from(client.get_connection(ConnectionArn=arn)["Connection"])
    except client.exceptions.ResourceNotFoundException:
        return None


def list_connections(clients: AwsClients, provider: str | None = None) -> list[Connection]:
    """Every connection of the account and region (of one provider: github, gitlab, …)."""
    client = clients.client(SERVICE)
    kwargs: dict[str, Any] = {"MaxResults": 100}
    if provider:
        kwargs["ProviderTypeFilter"] = PROVIDER_TYPES.get(provider, provider)
    found: list[Connection] = []
    while True:
        page = client.list_connections(**kwargs)
        found += [_from(item) for item in page.get("Connections") or []]
        token = page.get("NextToken")
        if not token:
            return sorted(found, key=lambda c: (c.name, c.arn))
        kwargs["NextToken"] = token


def connection_of(clients: AwsClients, answers: Answers) -> Connection | None:
    """The connection the answers' source uses: `source.connection_arn`, else the one named
    `source.connection_name` of the provider (what terraform creates). None: not there (yet)."""
    source = answers.source
    if source.provider not in PROVIDER_TYPES:
        return None
    if source.connection_arn:
        return get_connection(clients, source.connection_arn)
    named = [
        c for c in list_connections(clients, source.provider) if c.name == source.connection_name
    ]
    return named[0] if named else None
