"""Step 6: where and how the service runs, with the hook timeline it implies."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.core.events.lifecycle import IN_PLACE_EVENTS, SCRIPTABLE_EVENTS
from wizard.tui.screens.base import StepScreen, titled


class PayloadStep(StepScreen):
    STEP = "payload"

    def compose_aside(self) -> ComposeResult:
        yield titled("On each instance", Static("", id="payload-preview", markup=False))

    def ready(self) -> None:
        super().ready()
        self._preview()

    def on_field_edited(self, key: str, text: str) -> None:
        self._preview()

    def preview(self) -> str:
        v = self.draft.resolved()
        lines = [
            f"Installed into {v['payload.destination']}",
            f"Runs as {v['payload.user']} on port {v['payload.port']}",
            f"Checked at http://localhost:{v['payload.port']}{v['payload.health_path']}",
            "",
            "Lifecycle of a deployment:",
        ]
        for event in IN_PLACE_EVENTS:
            if event in SCRIPTABLE_EVENTS:
                lines.append(f"  {event:<17} script, ≤{v['payload.hook_timeout']}s")
            else:
                lines.append(f"  {event:<17} agent")
        return "\n".join(lines)

    def _preview(self) -> None:
        self.query_one("#payload-preview", Static).update(self.preview())
