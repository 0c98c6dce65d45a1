"""What every screen shares: the draft, the injected services, the workspace (pure: no textual)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.app import persist
from wizard.app.draft import Draft
from wizard.app.ports import AccountDiscovery, Runner, WizardServices


@dataclass
class WizardContext:
    draft: Draft
    services: WizardServices
    out: Path
    #: problems found in the `--answers FILE` / the saved draft, shown once on start
    notes: list[str] = field(default_factory=list)
    #: what discovery found that later steps use (e.g. "instances" -> FleetSummary)
    facts: dict[str, Any] = field(default_factory=dict)
    #: the plan/apply run of the answers being reviewed (made by Review, used by Apply)
    runner: Runner | None = None
    #: events the runner emitted and no screen has shown yet (appended from any thread)
    events: deque[Any] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _accounts: dict[tuple[str | None, str], AccountDiscovery] = field(
        default_factory=dict, repr=False
    )

    @property
    def answers_path(self) -> Path:
        return persist.answers_path(self.out)

    def save(self) -> Path:
        """Write the draft now (atomic; partial drafts are fine)."""
        return persist.save(self.out, self.draft)

    def emit(self, event: Any) -> None:
        """The runner's `emit`: queue the event; the visible screen drains it on a timer."""
        self.events.append(event)

    def drain(self) -> list[Any]:
        out: list[Any] = []
        while self.events:
            out.append(self.events.popleft())
        return out

    def account_key(self) -> tuple[str | None, str]:
        values = self.draft.resolved()
        return values["aws.profile"], values["aws.region"]

    def account(self, key: tuple[str | None, str] | None = None) -> AccountDiscovery | None:
        """Discovery for the chosen profile and region (connected once, from any thread)."""
        discovery = self.services.discovery
        if discovery is None:
            return None
        profile, region = key or self.account_key()
        with self._lock:
            found = self._accounts.get((profile, region))
        if found is not None:
            return found
        made = discovery.connect(profile, region)
        with self._lock:
            return self._accounts.setdefault((profile, region), made)
