"""AWS access: one session/client factory, discovery and preflight, pollers, shipping."""
