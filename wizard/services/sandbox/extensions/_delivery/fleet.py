"""Which instances a deployment targets, and when each is updated under its deployment config.

Targets: the moto EC2 instances that are `running` when the deployment starts and match the
group's `ec2TagSet` (an instance must match a filter of every tag group) or `ec2TagFilters` (any
filter). Order: by instance id.

Pacing: CodeDeploy's minimum-healthy-hosts rule as `wizard.core.deployment_config` encodes it (the
same model the config explainer shows users): at most N − M instances are out of service at once; a
success frees its slot, a failure keeps it (the instance stays unhealthy); when no slot is left
while instances still wait and none is running, the deployment fails (HEALTH_CONSTRAINTS) and the
waiting instances are skipped; at the end it succeeds when at least max(M, 1) succeeded.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.core.deployment_config import DEFAULT_CONFIG, PREDEFINED, explain_rule, rule_for

NO_INSTANCES = (
    "The deployment failed because no instances were found for your deployment group. Check "
    "your deployment group settings to make sure the tags for your Amazon EC2 instances or Auto "
    "Scaling groups correctly identify the instances you want to deploy to, and then try again."
)
HEALTH_CONSTRAINTS = (
    "The overall deployment failed because too many individual instances failed deployment, too "
    "few healthy instances are available for deployment, or some instances in your deployment "
    "group are experiencing problems."
)


def health_constraints_invalid(config: str, instances: int, minimum: int) -> str:
    """Not AWS's verbatim text (unverified); says what the rule cannot satisfy."""
    return (
        f"The deployment failed because the deployment configuration {config} requires "
        f"{minimum} of the {instances} instance(s) in the deployment group to stay healthy, "
        "which leaves no instance that can be deployed to."
    )


def _tags(ec2_backend: Any, instance: Any) -> dict[str, str]:
    # moto's `get_tags()` scans every tag of the region (quadratic over a fleet); its tag
    # store is keyed by resource id
    store = getattr(ec2_backend, "tags", None)
    if isinstance(store, dict):
        return dict(store.get(instance.id, {}))
    return {t["key"]: t["value"] for t in instance.get_tags()}


def _matches(spec: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    key, value = spec.get("Key"), spec.get("Value")
    kind = spec.get("Type") or ("KEY_AND_VALUE" if key and value is not None else "KEY_ONLY")
    if kind == "KEY_ONLY":
        return key in tags
    if kind == "VALUE_ONLY":
        return value in tags.values()
    return key is not None and key in tags and tags[key] == value


def selects(group: Any, tags: Mapping[str, str]) -> bool:
    """Whether a deployment group's tag filters select an instance with `tags`."""
    tag_set = (group.ec2_tag_set or {}).get("ec2TagSetList") or []
    filters = group.ec2_tag_filters or []
    if tag_set:
        return all(any(_matches(f, tags) for f in sub) for sub in tag_set if sub)
    if filters:
        return any(_matches(f, tags) for f in filters)
    return False


def target_instances(ec2_backend: Any, group: Any) -> list[Any]:
    """Running instances the group selects, by instance id."""
    found = [
        i
        for i in ec2_backend.all_instances()
        if i.state == "running" and selects(group, _tags(ec2_backend, i))
    ]
    return sorted(found, key=lambda i: i.id)


@dataclass(frozen=True)
class Plan:
    """When each instance starts (None: skipped), when the deployment ends, and its result."""

    starts: tuple[float | None, ...]
    end: float
    status: str
    error_code: str | None = None
    error_message: str | None = None


def pace_fleet(
    config: str,
    durations: Sequence[float],
    succeeded: Sequence[bool],
    start: float,
    ready: Sequence[float] | None = None,
) -> Plan:
    """Schedule instances that take `durations` and end as `succeeded` from `start`. An instance
    whose agent runs only at `ready[i]` holds its slot from its turn and begins its events then
    (`begins(plan, ready)`)."""
    count = len(durations)
    rule = rule_for(config) or PREDEFINED[DEFAULT_CONFIG]
    explained = explain_rule(rule, count, name=config)
    if count == 0:
        return Plan((), start, "Failed", "NO_INSTANCES", NO_INSTANCES)
    if not explained.deployable:
        return Plan(
            (None,) * count,
            start,
            "Failed",
            "HEALTH_CONSTRAINTS_INVALID",
            health_constraints_invalid(config, count, explained.minimum_healthy),
        )
    free = explained.at_once
    must = explained.must_succeed
    starts: list[float | None] = [None] * count
    waiting = deque(range(count))
    running: list[tuple[float, int]] = []
    now = start
    ok = 0

    def launch(at: float) -> None:
        nonlocal free
        while free > 0 and waiting:
            index = waiting.popleft()
            starts[index] = at
            begin = max(at, ready[index]) if ready else at
            heapq.heappush(running, (begin + durations[index], index))
            free -= 1

    launch(now)
    while running:
        now, index = heapq.heappop(running)
        if succeeded[index]:
            ok += 1
            free += 1
        launch(now)
        if waiting and free == 0 and not running:
            break  # no slot left: the waiting instances are never updated
    if ok >= must:
        return Plan(tuple(starts), now, "Succeeded")
    return Plan(tuple(starts), now, "Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS)


def instance_ids(instances: Iterable[Any]) -> list[str]:
    return [i.id for i in instances]
