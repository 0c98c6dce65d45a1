"""The deployment-config explainer: what OneAtATime, HalfAtATime and AllAtOnce mean for *this*
fleet, in plain words. Pure: a config name and an instance count in, an explanation out.

The model is CodeDeploy's documented minimum-healthy-hosts rule (CodeDeploy User Guide,
"Instance health" and "Working with deployment configurations"; API reference,
`MinimumHealthyHosts`):

- a config keeps at least M of the N instances healthy during an in-place deployment:
  HalfAtATime is FLEET_PERCENT 50 (M = ⌈N/2⌉, percentages round up to whole instances),
  AllAtOnce is HOST_COUNT 0, and OneAtATime is "MOST_CONCURRENCY 1": one instance at a time,
  all but one kept healthy (M = N − 1);
- so at most N − M instances are out of service at once: being updated, or failed (a failed
  instance stays unhealthy);
- every failure therefore takes one slot away; once N − M instances have failed while others
  still wait, nothing more can be updated and the deployment fails;
- the deployment succeeds when at least M instances (and at least one) succeed. Hence the
  documented OneAtATime rule: it fails as soon as any but the last instance fails, and still
  succeeds when only the last one fails; with a single instance, that instance must succeed;
- no instance at all fails the deployment (error NO_INSTANCES); a rule that leaves no room to
  update anything (e.g. HalfAtATime on one instance: ⌈1/2⌉ = 1 must stay healthy) cannot be
  satisfied (error HEALTH_CONSTRAINTS_INVALID).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from wizard.core.events.base import plural

RuleType = Literal["HOST_COUNT", "FLEET_PERCENT", "ONE_AT_A_TIME"]


@dataclass(frozen=True)
class MinimumHealthyHosts:
    """A deployment config's rule. `ONE_AT_A_TIME` is what GetDeploymentConfig reports as
    MOST_CONCURRENCY 1 for CodeDeployDefault.OneAtATime."""

    type: RuleType
    value: int = 0

    def minimum(self, instances: int) -> int:
        """Instances that must stay healthy (and, at the end, have succeeded) out of `instances`."""
        if self.type == "HOST_COUNT":
            return self.value
        if self.type == "FLEET_PERCENT":
            return math.ceil(instances * self.value / 100)
        return max(instances - 1, 0)


PREDEFINED: dict[str, MinimumHealthyHosts] = {
    "CodeDeployDefault.OneAtATime": MinimumHealthyHosts("ONE_AT_A_TIME", 1),
    "CodeDeployDefault.HalfAtATime": MinimumHealthyHosts("FLEET_PERCENT", 50),
    "CodeDeployDefault.AllAtOnce": MinimumHealthyHosts("HOST_COUNT", 0),
}

#: What CodeDeploy uses when neither the deployment nor its group names a config.
DEFAULT_CONFIG = "CodeDeployDefault.OneAtATime"


def rule_for(config: str) -> MinimumHealthyHosts | None:
    """The rule of a predefined config by its full API name; None for any other name."""
    return PREDEFINED.get(config)


@dataclass(frozen=True)
class DeploymentExplanation:
    """What a config does to N instances; numbers for widgets, sentences for people."""

    config: str
    instances: int
    #: instances that must stay healthy during, and succeed by the end of, the deployment
    minimum_healthy: int
    #: most instances updated at the same moment (= most out of service at once)
    at_once: int
    #: update rounds when nothing fails
    rounds: int
    #: most failed instances the deployment can end with and still succeed
    may_fail: int
    #: failures that stop it early while instances still wait; None when everything goes in one
    #: round (then only the end result counts)
    stops_after: int | None
    #: False when CodeDeploy would refuse to start (no instances, or no room to update any)
    deployable: bool
    headline: str
    lines: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def short_name(self) -> str:
        return self.config.removeprefix("CodeDeployDefault.")

    @property
    def must_succeed(self) -> int:
        """Instances that must succeed for the deployment to succeed (at least one)."""
        return self.instances - self.may_fail

    @property
    def in_service(self) -> int:
        """Instances that keep serving (the old revision) while a round is being updated."""
        return self.instances - self.at_once


def explain_config(config: str, instances: int) -> DeploymentExplanation:
    """Explain a predefined config (full name, or the short `OneAtATime`) for `instances`."""
    name = config if config.startswith("CodeDeployDefault.") else f"CodeDeployDefault.{config}"
    rule = rule_for(name)
    if rule is None:
        raise ValueError(
            f"unknown deployment config {config!r}; expected one of {list(PREDEFINED)}"
        )
    return explain_rule(rule, instances, name=name)


def explain_all_configs(instances: int) -> tuple[DeploymentExplanation, ...]:
    """The three predefined configs for `instances`, safest first."""
    return tuple(explain_config(name, instances) for name in PREDEFINED)


def explain_rule(
    rule: MinimumHealthyHosts, instances: int, *, name: str | None = None
) -> DeploymentExplanation:
    """Explain any minimum-healthy-hosts rule (custom configs too) for `instances`."""
    if instances < 0:
        raise ValueError("the number of instances cannot be negative")
    label = (name or f"{rule.type} {rule.value}").removeprefix("CodeDeployDefault.")
    fleet = f"{plural(instances, 'instance')}, {label}"
    if instances == 0:
        return DeploymentExplanation(
            config=name or label,
            instances=0,
            minimum_healthy=0,
            at_once=0,
            rounds=0,
            may_fail=0,
            stops_after=None,
            deployable=False,
            headline=f"{fleet}: no instance matches the tag, so every deployment fails "
            "(NO_INSTANCES)",
            lines=("Tag at least one running instance, or let cdwizard create instances.",),
            warnings=("no instance would receive the deployment",),
        )
    minimum = min(rule.minimum(instances), instances)
    room = instances - minimum
    if room <= 0:
        return DeploymentExplanation(
            config=name or label,
            instances=instances,
            minimum_healthy=minimum,
            at_once=0,
            rounds=0,
            may_fail=0,
            stops_after=None,
            deployable=False,
            headline=f"{fleet}: "
            + ("its only instance" if instances == 1 else f"all {instances} instances")
            + " must stay healthy, so none can be taken out of service to update it; "
            "CodeDeploy refuses to deploy (HEALTH_CONSTRAINTS_INVALID)",
            lines=(
                f"{label} keeps {minimum} of {plural(instances, 'instance')} healthy at all times.",
                "Use OneAtATime (or AllAtOnce) for this fleet, or add instances.",
            ),
            warnings=(f"{label} cannot deploy to {plural(instances, 'instance')}",),
        )
    must_succeed = max(minimum, 1)
    may_fail = instances - must_succeed
    at_once = room
    rounds = math.ceil(instances / at_once)
    stops_after = room if room < instances else None
    waiting = instances - at_once
    lines = [
        f"Updated at once: up to {plural(at_once, 'instance')}; "
        + (
            f"{plural(waiting, 'instance')} {_verb(waiting, 'keeps', 'keep')} serving the old "
            "revision meanwhile."
            if waiting
            else "nothing else serves while "
            + ("it is" if at_once == 1 else "they are")
            + " updated."
        ),
        f"Must succeed: {must_succeed} of {instances}; may fail: {may_fail}.",
    ]
    if stops_after is not None:
        lines.append(
            f"Stops early: at the {_ordinal(stops_after)} failure while instances still wait to "
            "be updated (a failed instance stays out of service and takes up a slot)."
        )
    else:
        lines.append("Everything goes in one round: only the end result counts.")
    return DeploymentExplanation(
        config=name or label,
        instances=instances,
        minimum_healthy=minimum,
        at_once=at_once,
        rounds=rounds,
        may_fail=may_fail,
        stops_after=stops_after,
        deployable=True,
        headline=_headline(
            fleet,
            instances=instances,
            at_once=at_once,
            rounds=rounds,
            may_fail=may_fail,
            stops_after=stops_after,
        ),
        lines=tuple(lines),
        warnings=_warnings(label, instances, at_once, may_fail, stops_after),
    )


def _ordinal(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    if n in words:
        return words[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _verb(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _headline(
    fleet: str, *, instances: int, at_once: int, rounds: int, may_fail: int, stops_after: int | None
) -> str:
    if instances == 1:
        return f"{fleet}: the one instance is updated (out of service meanwhile) and must succeed"
    if at_once == instances:
        pace = f"all {instances} updated at once, none stays in service"
    else:
        stay = instances - at_once
        pace = (
            f"{plural(at_once, 'instance')} updated at a time ({rounds} rounds), "
            f"{stay} {_verb(stay, 'stays', 'stay')} in service"
        )
    if stops_after is None:
        fails = (
            "it fails only if every instance fails"
            if may_fail == instances - 1
            else f"it succeeds with up to {may_fail} failed"
        )
    elif stops_after == 1 and at_once == 1:
        fails = "the first failure stops it, unless it is on the last instance"
    else:
        fails = (
            f"the {_ordinal(stops_after)} failure stops it while instances still wait; "
            f"at most {may_fail} may fail"
        )
    return f"{fleet}: {pace}; {fails}"


def _warnings(
    label: str, instances: int, at_once: int, may_fail: int, stops_after: int | None
) -> tuple[str, ...]:
    out: list[str] = []
    if at_once == instances:
        out.append(
            "the service is down on every instance while it is updated (no instance keeps serving)"
            if instances > 1
            else "with a single instance the service is down while it is updated"
        )
    if stops_after is None and may_fail > 0:
        out.append(
            f"{label} reports Succeeded even if {may_fail} of {instances} instances failed: "
            "check each instance, not only the deployment status"
        )
    elif stops_after is not None and may_fail == stops_after and at_once == 1:
        out.append(
            "if only the last instance fails the deployment still reports Succeeded "
            "(documented CodeDeploy behaviour)"
        )
    return tuple(out)
