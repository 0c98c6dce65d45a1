"""Subcommands. Each module has `configure(parser, name)` and `run(args) -> int`, and imports
only the standard library at top level (heavy imports happen inside `run`)."""
