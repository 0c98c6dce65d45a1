"""Pushes start pipelines: CodeCommit CreateCommit and CreateBranch (the content extension's
handlers) are wrapped so that, after the branch moves, the pipelines watching it react: at once
(trigger CloudWatchEvent) when their source has `PollForSourceChanges` false — the EventBridge
rule case — else when polling notices (trigger PollForSourceChanges, a few seconds later)."""

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
            pipeline.advance(world, now)  # what was due ran against the branch as it was
            out = original(self)
            pipeline.branch_updated(
                world,
                str(self._get_param("repositoryName")),
                str(self._get_param("branchName")),
                now,
            )
        return out

    setattr(handler, MARK, True)
    handler._cdwizard_original = original  # type: ignore[attr-defined]
    return handler


def install() -> None:
    from moto.codecommit.responses import CodeCommitResponse

    for name in BRANCH_HANDLERS:
        current = getattr(CodeCommitResponse, name, None)
        if current is None or getattr(current, MARK, False):
            continue
        setattr(CodeCommitResponse, name, _wrap(current))
