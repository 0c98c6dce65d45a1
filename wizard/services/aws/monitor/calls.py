"""A thin wrapper that remembers which API a poller called last (for banners and errors)."""

from __future__ import annotations

from typing import Any


class ApiCaller:
    """Calls `client.<method>(**kwargs)` and records the API name, e.g. `GetDeployment`."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.last_operation = ""

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        self.last_operation = self.client.meta.method_to_api_mapping.get(method, method)
        return getattr(self.client, method)(**kwargs)
