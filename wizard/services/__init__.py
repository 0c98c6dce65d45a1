"""Services that talk to the outside world (terraform, AWS, the local agent, the sandbox).

They never import textual: they emit typed events (`wizard.core.events`) that the TUI, plain and
JSON output all consume.
"""
