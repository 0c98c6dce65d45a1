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

from wizard.services.sandbox.extensions._delivery import pipeline
from wizard.services.sandbox.extensions._delivery.api import MARK, Handler, install_handlers
from wizard.services.sandbox.extensions._delivery.world import World

BRANCH_HANDLERS = ("create_commit", "create_branch")


def _then_notice(push: Callable[[Any], Any]) -> Handler:
    """The push itself, then a look for the branches it moved (`simulated` advances first)."""

    def handler(self: Any, world: World, now: float) -> Any:
        out = push(self)
        pipeline.notice_pushes(world, now)
        return out

    return handler


def install() -> None:
    from moto.codecommit.responses import CodeCommitResponse

    for name in BRANCH_HANDLERS:
        current = getattr(CodeCommitResponse, name, None)
        if current is None or getattr(current, MARK, False):
            continue
        install_handlers(CodeCommitResponse, {name: _then_notice(current)})
