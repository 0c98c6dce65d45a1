"""Step 2: profile and region, with the caller identity looked up as you choose."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wizard.app.ports import Identity
from wizard.tui.screens.base import REFRESH, Aside, StepScreen, titled
from wizard.tui.widgets.lookup import LookupStatus


class AwsStep(StepScreen):
    STEP = "aws"
    BINDINGS: ClassVar = [REFRESH]

    _identity_timer: Timer | None = None

    def compose_aside(self) -> ComposeResult:
        yield titled("Credentials", LookupStatus("Not checked yet", id="status-identity"))
        yield Aside(
            "Profiles in your AWS config",
            LookupStatus("", id="status-profiles"),
            OptionList(id="profiles"),
        )
        yield titled("Regions", LookupStatus("", id="status-regions"))

    def start_lookups(self) -> None:
        if self.context.services.discovery is None:
            for what in ("identity", "profiles", "regions"):
                self.status(what).off("Discovery is not available; type the values.")
            self.query_one("#profiles").display = False
            return
        if self.context.services.target_label == "sandbox":
            self.status("profiles").off("The sandbox needs no profile.")
            self.query_one("#profiles").display = False
        else:
            self.status("profiles").asking("Reading ~/.aws/config…")
            self.lookup(
                "profiles",
                "profiles",
                lambda d: list(d.profiles()),
                label="your AWS profiles",
                scope="discovery",
            )
        self.status("regions").asking("Listing regions…")
        self.lookup(
            "regions", self.context.account_key(), lambda a: list(a.regions()), label="the regions"
        )
        self._check_identity()

    def _check_identity(self) -> None:
        self.status("identity").asking("Checking your credentials…")
        self.lookup(
            "identity", self.context.account_key(), lambda a: a.identity(), label="who you are"
        )

    def on_field_edited(self, key: str, text: str) -> None:
        if key in ("aws.profile", "aws.region") and self.context.services.discovery is not None:
            if self._identity_timer is not None:
                self._identity_timer.stop()
            self._identity_timer = self.set_timer(
                self.context.services.debounce_seconds, self._check_identity
            )

    def on_lookup_done(self, what: str, result: Any) -> None:
        if what == "identity":
            identity: Identity = result
            self.context.facts["identity"] = identity
            self.status("identity").ok(f"Account {identity.account}\n  {identity.arn}")
        elif what == "profiles":
            profiles = list(result)
            options = self.query_one("#profiles", OptionList)
            options.clear_options()
            options.add_options([Option(p, id=p) for p in profiles])
            options.display = bool(profiles)
            if profiles:
                self.status("profiles").ok(f"{len(profiles)} found; Enter picks one")
            else:
                self.status("profiles").ok("None: the default credential chain is used")
            self.field("aws.profile").set_suggestions(profiles)
        elif what == "regions":
            regions = sorted(result)
            self.status("regions").ok(f"{len(regions)} available; → completes as you type")
            self.field("aws.region").set_suggestions(regions)

    @on(OptionList.OptionSelected, "#profiles")
    def _profile_picked(self, event: OptionList.OptionSelected) -> None:
        field = self.field("aws.profile")
        field.set_text(str(event.option.id))
        field.focus_control()
