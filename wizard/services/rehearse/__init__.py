"""`cdwizard rehearse`: run a payload's appspec hooks locally, exactly as the CodeDeploy agent does.

Modules: `appspec` (parsing and the agent's validation messages, with `acl` and `selinux` for
permissions' `acls` and `context`, `errors` for their shared error), `plan` (event order,
`--events`), `bundle` (directory/tar/tgz/zip into `deployment-archive/`), `files` (Ruby's two
copies: `cp_r` and `copy(preserve)`), `layout` (the deployment root, pointers, pruning, the
lock), `install` (cleanup, DISALLOW/OVERWRITE/RETAIN, permissions),
`process` (one script: process group, deadline, outputs left open), `hooks` (one event's
scripts, error codes), `logs` (`scripts.log`, the combined log, the 2 KB tail), `rehearsal` (the
whole deployment, emitting `wizard.core.events.lifecycle` events).
"""

from wizard.services.rehearse.appspec import AppSpec, AppSpecError, parse_appspec
from wizard.services.rehearse.layout import DEFAULT_GROUP_ID, DEFAULT_GROUP_NAME, default_root
from wizard.services.rehearse.plan import default_events, parse_events_arg, plan_events
from wizard.services.rehearse.rehearsal import (
    Rehearsal,
    RehearsalError,
    RehearsalOptions,
    RehearsalResult,
)

__all__ = [
    "DEFAULT_GROUP_ID",
    "DEFAULT_GROUP_NAME",
    "AppSpec",
    "AppSpecError",
    "Rehearsal",
    "RehearsalError",
    "RehearsalOptions",
    "RehearsalResult",
    "default_events",
    "default_root",
    "parse_appspec",
    "parse_events_arg",
    "plan_events",
]
