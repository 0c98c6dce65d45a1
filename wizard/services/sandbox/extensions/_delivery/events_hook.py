"""EventBridge rules that target a pipeline start it, as on AWS.

moto already carries S3's EventBridge notifications (PutObject on a bucket with them on sends an
"Object Created" event to the default bus) and matches every rule's pattern, but delivers to a
few target types only (any other raises, which S3's notification code swallows, so one
CodePipeline target would stop the rule's other targets too). This wraps `Rule.send_to_targets`:
moto delivers to the targets it knows, then a matching ENABLED rule starts each CodePipeline
target (trigger CloudWatchEvent, detail the rule's ARN).
That is how the S3 source's object-created trigger runs in the sandbox: S3 event -> the
terraform-created rule and its pattern -> the pipeline.
"""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import clock, pipeline
from wizard.services.sandbox.extensions._delivery.api import MARK
from wizard.services.sandbox.extensions._delivery.world import LOCK, World, enabled


def _is_pipeline(target: dict[str, Any]) -> bool:
    parts = str(target.get("Arn", "")).split(":")
    return len(parts) >= 6 and parts[2] == "codepipeline"


def _pipeline_targets(rule: Any) -> list[tuple[World, str]]:
    out = []
    for target in rule.targets:
        if _is_pipeline(target):
            parts = str(target["Arn"]).split(":")
            out.append((World(parts[4], parts[3]), parts[5]))
    return out


def deliver(rule: Any, event: dict[str, Any]) -> None:
    """Start the pipelines `rule` targets when `event` matches it."""
    if str(getattr(rule, "state", "ENABLED")) != "ENABLED":
        return
    targets = _pipeline_targets(rule)
    if not targets or not rule.event_pattern.matches_event(event):
        return
    with LOCK:
        now = clock.now()
        for world, name in targets:
            found = world.codepipeline.pipelines.get(name)
            if found is None:
                continue
            pipeline.advance(world, now)
            pipeline.remember_heads(world, found)
            pipeline.start_execution(world, found, "CloudWatchEvent", str(rule.arn), now)


def install() -> None:
    from moto.events.models import Rule

    current = Rule.__dict__["send_to_targets"]
    if getattr(current, MARK, False):
        return

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        with LOCK:  # the targets moto sees are swapped for the call
            everything = self.targets
            self.targets = [t for t in everything if not _is_pipeline(t)]
            try:
                current(self, original_event, transform_input)
            finally:
                self.targets = everything
        if enabled():
            deliver(self, original_event)

    setattr(send_to_targets, MARK, True)
    # a deliberate monkeypatch of moto's rule delivery (same signature)
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
