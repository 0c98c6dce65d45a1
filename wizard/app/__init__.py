"""The application layer: what the wizard and the monitor do, without drawing anything.

Textual-free orchestration between the screens and the services: the wizard's draft and where it
is kept, its steps, the ports the TUI is given and the adapters that fit the services to them, and
the monitor's feeds. The TUI composes these; the commands build them.
"""
