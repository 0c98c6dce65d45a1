"""CodeConnections connections in words (pure): what each status means, where the console page
of a connection is, and the one line the wizard, `doctor`, the apply report and the monitor say
about a connection that cannot be used yet.

A connection created through the API (terraform, the CLI) starts PENDING: a person must
authorise it once in the console ("Update pending connection": install or pick the provider's
app). AVAILABLE can be used. ERROR is what a revoked authorisation (the app uninstalled, the
account's access removed) leaves; AWS retries it, and it cannot be used until it is AVAILABLE
again.
"""

from __future__ import annotations

from dataclasses import dataclass

#: answers provider -> CodeConnections provider type
PROVIDER_TYPES: dict[str, str] = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket"}

_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


@dataclass(frozen=True)
class ConnectionRef:
    """A connection as `arn:PARTITION:SERVICE:REGION:ACCOUNT:connection/ID`."""

    arn: str
    partition: str
    service: str
    region: str
    account: str
    connection_id: str

    @classmethod
    def parse(cls, arn: str) -> ConnectionRef | None:
        parts = arn.split(":")
        if len(parts) != 6 or not parts[5].startswith("connection/"):
            return None
        return cls(arn, parts[1], parts[2], parts[3], parts[4], parts[5].split("/", 1)[1])

    @property
    def console_url(self) -> str:
        host = _CONSOLE_HOSTS.get(self.partition, "console.aws.amazon.com")
        return (
            f"https://{self.region}.{host}/codesuite/settings/{self.account}/{self.region}/"
            f"connections/{self.connection_id}?region={self.region}"
        )

    @property
    def use_action(self) -> str:
        """The IAM action a role needs to use it (the ARN's own service prefix)."""
        return f"{self.service}:UseConnection"


def console_url(arn: str) -> str | None:
    ref = ConnectionRef.parse(arn)
    return ref.console_url if ref else None


def authorise_step(arn: str, *, sandbox: bool) -> str:
    """How to make a PENDING connection AVAILABLE, here."""
    if sandbox:
        return (
            "authorise it with `cdwizard connection authorize --sandbox` (the sandbox's stand-in "
            "for the console step)"
        )
    url = console_url(arn) or "Developer Tools > Settings > Connections in the console"
    return (
        f"authorise it once in the console: open {url}, choose 'Update pending connection' and "
        "install or pick the provider's app"
    )


def status_line(name: str, provider: str, status: str, arn: str, *, sandbox: bool) -> str:
    """One line about a connection's status, with what to do when it is not AVAILABLE."""
    what = f"connection {name} ({provider})"
    if status == "AVAILABLE":
        return f"{what} is AVAILABLE"
    if status == "PENDING":
        return f"{what} is PENDING: {authorise_step(arn, sandbox=sandbox)}"
    if status == "ERROR":
        fix = (
            "authorise it again with `cdwizard connection authorize --sandbox`"
            if sandbox
            else f"open {console_url(arn) or 'it in the console'} and update it (reinstall or "
            "re-authorise the provider's app; AWS retries an ERROR connection but it cannot be "
            "used until it is AVAILABLE)"
        )
        return f"{what} is in ERROR (its authorisation was revoked or broke): {fix}"
    return f"{what} is {status}"


__all__ = [
    "PROVIDER_TYPES",
    "ConnectionRef",
    "authorise_step",
    "console_url",
    "status_line",
]
