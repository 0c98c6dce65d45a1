"""Step 1: what cdwizard builds, where answers go, the project name."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.tui.screens.base import StepScreen, titled

BUILDS = (
    "a CodePipeline fed by a CodeCommit branch",
    "a CodeDeploy application and deployment group (in-place, EC2 tag)",
    "EC2 instances with the CodeDeploy agent, or your own",
    "the IAM roles, instance profile and artifact bucket",
    "the FastAPI service with its appspec and hook scripts",
)

KEYS = (
    ("Enter", "next field"),
    ("Ctrl+N", "next step"),
    ("Esc", "back"),
    ("F1 or ?", "help on a field"),
    ("Ctrl+Q", "quit (answers are kept)"),
)


class WelcomeStep(StepScreen):
    STEP = "welcome"

    def compose_intro(self) -> ComposeResult:
        if self.context.services.target_label == "sandbox":
            mode = (
                "You are in the sandbox: an AWS emulator runs on this machine, so you can try "
                "everything without an account. Nothing is created in AWS."
            )
        else:
            mode = "You are building in a real AWS account. Nothing is created before Review."
        yield Static(mode, classes="step-note", markup=False)

    def compose_aside(self) -> ComposeResult:
        built = "\n".join(f"• {line}" for line in BUILDS)
        yield titled("What you get", Static(built, markup=False))
        keys = "\n".join(f"{key:<9} {what}" for key, what in KEYS)
        yield titled("Keys", Static(keys, markup=False, classes="keys"))
        if self.context.notes:
            notes = "\n".join(f"• {note}" for note in self.context.notes)
            yield titled("About your answers", Static(notes, markup=False), warn=True)
