"""Notice a push the moment it happens: CodeCommit CreateCommit and CreateBranch (the content
extension's handlers) are wrapped to advance the simulation first (what was due ran against the
branch as it was) and to look for moved branches right after.

The scheduler also looks on every call it serves (`pipeline.notice_pushes`), so a push is never
missed if these wrappers are replaced (e.g. the CodeCommit extension installed again); it is
then noticed, and its execution starts, at the next call instead of at the push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wizard.services.sandbox.extensions._delivery import clock, pipeline
from wizard.services.sandbox.extensions._delivery.api import MARK
from wizard.services.sandbox.extensions._delivery.world import LOCK, enabled, world_of

BRANCH_HANDLERS = ("create_commit", "create_branch")


def _wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def handler(self: Any) -> Any:
        if not enabled():
            return original(self)
        with LOCK:
            world = world_of(self)
            now = clock.now()
            pipeline.advance(world, now)
            out = original(self)
            pipeline.notice_pushes(world, now)
        return out

    setattr(handler, MARK, True)
    handler._cdwizard_original = original  # type: ignore[attr-defined]  # a function attribute
    return handler


def install() -> None:
    from moto.codecommit.responses import CodeCommitResponse

    for name in BRANCH_HANDLERS:
        current = getattr(CodeCommitResponse, name, None)
        if current is None or getattr(current, MARK, False):
            continue
        setattr(CodeCommitResponse, name, _wrap(current))
