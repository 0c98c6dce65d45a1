"""EventBridge rules that target a pipeline start it, as on AWS.

moto already carries S3's EventBridge notifications (PutObject on a bucket with them on sends an
"Object Created" event to the default bus) and matches every rule's pattern, but delivers to a
few target types only. This wraps `Rule.send_to_targets`: after moto's own delivery, a matching
ENABLED rule starts each CodePipeline target (trigger CloudWatchEvent, detail the rule's ARN).
That is how the S3 source's object-created trigger runs in the sandbox: S3 event -> the
terraform-created rule and its pattern -> the pipeline.
"""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import clock, pipeline
from wizard.services.sandbox.extensions._delivery.api import MARK
from wizard.services.sandbox.extensions._delivery.world import LOCK, World, enabled


def _pipeline_targets(rule: Any) -> list[tuple[World, str]]:
    out = []
    for target in rule.targets:
        parts = str(target.get("Arn", "")).split(":")
        if len(parts) >= 6 and parts[2] == "codepipeline":
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
        current(self, original_event, transform_input)
        if enabled():
            deliver(self, original_event)

    setattr(send_to_targets, MARK, True)
    # a deliberate monkeypatch of moto's rule delivery (same signature)
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
