"""The sandbox delivery engine (private; installed by `extensions.delivery`). See that module."""
