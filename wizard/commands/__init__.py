"""Subcommands. Each module has `configure(parser, name)` and `run(args) -> int`, and imports
only the standard library at top level (heavy imports happen inside `run`)."""

#: The workspace folders used without `--out` (sandbox and real AWS kept apart).
DEFAULT_OUT = "cdwizard-out"
DEFAULT_SANDBOX_OUT = "cdwizard-sandbox"
