"""What the first real deployment depends on that no answer can change: AWS's own behaviour,
worded once for the Review step, `doctor`, the monitor and the answers help.

- CodePipeline disables polling (`PipelineMetadata.pollingDisabledAt`) on a pipeline that has not
  run for 30 days: pushes no longer start it, and AWS's fix is event-based change detection.
- The CodeDeploy agent installs within minutes of an instance's first boot (or of its SSM
  registration); a deployment that reaches the instance first waits for it, up to an hour, and
  fails if the agent never answers.
- Artifacts expire (`pipeline.artifact_expiration_days`): an older revision cannot be redeployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wizard.core.events.base import format_duration, plural

if TYPE_CHECKING:
    from wizard.core.answers import Answers

#: CodePipeline disables polling on a pipeline inactive for longer than this.
POLLING_IDLE_DAYS = 30
#: How long CodeDeploy waits for an instance's agent to take a lifecycle event.
AGENT_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class Caveat:
    title: str
    text: str


def polling_stops(pipeline: str) -> str:
    return (
        f"CodePipeline stops polling {pipeline} after {POLLING_IDLE_DAYS} days without a run "
        "(pollingDisabledAt): from then on pushes do not start it"
    )


def polling_disabled(pipeline: str, at: datetime) -> tuple[str, str]:
    """(what happened, what to do) for a pipeline whose polling AWS disabled at `at`."""
    return (
        f"pipeline {pipeline} stopped polling for source changes on "
        f"{at:%Y-%m-%d %H:%M} UTC ({POLLING_IDLE_DAYS} days without a run): pushes no longer "
        "start it",
        "switch source.change_detection to eventbridge and apply (AWS's fix: an EventBridge rule "
        "starts it on every push); until then a release change runs it (`r` in cdwizard "
        f"monitor, or `aws codepipeline start-pipeline-execution --name {pipeline}`)",
    )


def polling_due(pipeline: str, last_run: datetime, now: datetime) -> tuple[str, bool]:
    """(when polling stops, whether that is within a week) for a polling pipeline."""
    stops = last_run + timedelta(days=POLLING_IDLE_DAYS)
    left = (stops - now).total_seconds()
    when = f"on {stops:%Y-%m-%d}" if left > 0 else "any moment"
    text = (
        f"{pipeline} last ran {format_duration(max((now - last_run).total_seconds(), 0))} ago; "
        f"polling stops {when} unless it runs again"
    )
    return text, left < 7 * 86400


def agent_not_running(instance_id: str, since: datetime | None, now: datetime) -> str:
    """`agent not yet running on i-… (installing since 2 min)`."""
    if since is None:
        return f"agent not yet running on {instance_id}"
    waited = max((now - since).total_seconds(), 0)
    return f"agent not yet running on {instance_id} (installing since {_minutes(waited)})"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)} s"
    return f"{int(seconds // 60)} min"


AGENT_RACE_FIX = (
    "wait until the agent runs (`cdwizard doctor` shows it), then start the pipeline again with "
    "a release change (`r` in cdwizard monitor, or `aws codepipeline start-pipeline-execution`)"
)


def agent_race(instance_ids: list[str]) -> str:
    """The explanation of a deployment that failed because the agent never answered."""
    shown = ", ".join(instance_ids[:3]) + (" …" if len(instance_ids) > 3 else "")
    return (
        f"the CodeDeploy agent never took the deployment on {shown}: the run started before "
        "the agent was running there (its first-boot install failed, or took longer than "
        "CodeDeploy's hour of waiting)"
    )


def review_caveats(answers: Answers) -> tuple[Caveat, ...]:
    """What to know before the first deployment with these answers (the Review step)."""
    t, out = answers.targets, []
    if answers.source.change_detection == "poll":
        out.append(
            Caveat(
                "Polling",
                polling_stops(answers.pipeline.name) + "; a release change still runs it. "
                "EventBridge change detection has no such limit.",
            )
        )
    if t.create_instance and t.agent_install in ("user_data", "ssm"):
        how = "at first boot" if t.agent_install == "user_data" else "once SSM registers them"
        out.append(
            Caveat(
                "First run",
                f"The CodeDeploy agent installs {how}, a few minutes after the instances start. "
                "The pipeline starts its first run as soon as it exists; CodeDeploy holds that "
                "deployment until each agent runs (up to an hour), and the monitor shows "
                "'agent not yet running on i-… (installing since N min)' meanwhile.",
            )
        )
    if not t.create_instance and not t.extend_role:
        out.append(
            Caveat(
                "Existing instances",
                "Their roles must be able to read the artifact bucket: `cdwizard doctor` checks "
                "it, and targets.extend_role lets cdwizard grant it.",
            )
        )
    days = answers.pipeline.artifact_expiration_days
    out.append(
        Caveat(
            "Artifacts",
            f"Each run's artifact is kept {plural(days, 'day')}; an older revision can no longer "
            "be redeployed or rolled back to (pipeline.artifact_expiration_days).",
        )
    )
    return tuple(out)
