"""What every screen shares: the draft, the injected services, the workspace (pure: no textual)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.app import persist
from wizard.app.draft import Draft
from wizard.app.ports import AccountDiscovery, Runner, WizardServices
from wizard.core.events.base import Event


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
    #: where the runner's events go, from any thread (the App posts each one to the screen
    #: on view as a message); none before the App listens
    listener: Callable[[Event], None] | None = field(default=None, repr=False)
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

    def emit(self, event: Event) -> None:
        """The runner's `emit` (any thread): hand the event to the listener."""
        if self.listener is not None:
            self.listener(event)

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
