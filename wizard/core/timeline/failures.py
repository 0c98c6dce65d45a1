"""Translate opaque failures into what happened and what to do.

- `HEALTH_CONSTRAINTS` -> "2 of 3 instances failed at AfterInstall (exit 2)".
- An ApplicationStop failure -> the script that ran is the *previous* revision's (the agent runs
  ApplicationStop from the last successfully installed revision), so fixing it in the new commit
  cannot help; the remedy is to redeploy with `ignoreApplicationStopFailures`.
- A source action failing because the branch is missing -> "branch 'x' does not exist", and the
  remedy is to push the payload (`cdwizard ship`); for GitHub, GitLab and Bitbucket too, where
  CodePipeline words it "[GitHub] No Branch [x] found for FullRepositoryName [owner/repo]".
- A connection source that cannot use its connection ("Unable to use Connection … The provided
  role does not have sufficient permissions."): the connection's looked-up status says why --
  PENDING (never authorised), ERROR (authorisation revoked) -- or, when it is AVAILABLE, that the
  pipeline role lacks UseConnection.

Remedies are worded for wherever the report is shown (plain lines, the monitor screen with its
action keys); a rehearsal's say what to do locally.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from wizard.core.caveats import AGENT_RACE_FIX, agent_race
from wizard.core.connections import ConnectionRef, authorise_step, console_url
from wizard.core.events.base import plural
from wizard.core.events.lifecycle import DeploymentStatus, Diagnostics
from wizard.core.timeline.views import (
    ActionView,
    DeploymentView,
    InstanceView,
    LifecycleCell,
    PipelineView,
    Snapshot,
    exit_detail,
)

#: Suggested action keys (see `wizard.core.timeline.offers`).
REDEPLOY_IGNORE_STOP = "redeploy_ignore_stop"
FETCH_LOG = "fetch_log"
SHIP = "ship"
RETRY_FAILED = "retry_failed"
RELEASE = "release"

#: What CodeDeploy says on an instance whose agent never took a lifecycle event.
_AGENT_SILENT = re.compile(
    r"agent was not able to receive the lifecycle event|make sure the agent is running",
    re.IGNORECASE,
)

_BRANCH_MISSING = (
    re.compile(r"no branch named (?P<branch>\S+?) was found", re.IGNORECASE),
    re.compile(r"branch (?P<branch>\S+?) does not exist", re.IGNORECASE),
    re.compile(r"no branch \[(?P<branch>[^\]]+)\] found", re.IGNORECASE),
)
_REPOSITORY = re.compile(r"repository (?P<repo>[\w.-]+)", re.IGNORECASE)
_FULL_REPOSITORY = re.compile(r"FullRepositoryName \[(?P<repo>[^\]]+)\]")
_UNUSABLE_CONNECTION = re.compile(r"Unable to use Connection", re.IGNORECASE)
CONNECTION_PROVIDER = "CodeStarSourceConnection"

#: Deployment `errorInformation.code`s worth a plain sentence when no instance detail explains them.
_DEPLOYMENT_CODES: dict[str, tuple[str, str | None]] = {
    "NO_INSTANCES": (
        "no instance matched the deployment group",
        "check that instances carrying the group's tag are running (cdwizard doctor)",
    ),
    "IAM_ROLE_MISSING": ("the CodeDeploy service role is missing", "re-run `cdwizard apply`"),
    "IAM_ROLE_PERMISSIONS": (
        "the CodeDeploy service role lacks permissions",
        "re-run `cdwizard apply` to restore the role's policy",
    ),
    "REVISION_MISSING": ("the revision bundle was not found", "push the payload again"),
    "TIMEOUT": ("the deployment timed out", None),
    "MANUAL_STOP": ("the deployment was stopped by hand", None),
    "DEPLOYMENT_GROUP_MISSING": ("the deployment group no longer exists", None),
    "APPLICATION_MISSING": ("the application no longer exists", None),
}


@dataclass(frozen=True)
class FailureReport:
    """What the failure panel shows: a headline, the why, the remedy, the first failing cell."""

    subject: Literal["pipeline", "deployment"]
    subject_id: str
    headline: str
    explanation: str | None = None
    remedy: str | None = None
    action: str | None = None
    instance_id: str | None = None
    event: str | None = None
    diagnostics: Diagnostics | None = None


def instances_headline(deployment: DeploymentView) -> str | None:
    """`2 of 3 instances failed at AfterInstall (exit 2)`; None when no instance failed."""
    failed = deployment.failed_instances
    total = deployment.total_instances
    if not failed:
        if deployment.overview.failed:
            return f"{deployment.overview.failed} of {plural(total, 'instance')} failed"
        return None
    cells = [deployment.failing_cell(inst) for inst in failed]
    return f"{len(failed)} of {plural(total, 'instance')} failed{_where(cells)}"


def _where(cells: Iterable[LifecycleCell | None]) -> str:
    """` at AfterInstall (exit 2)`, or `: 2 at AfterInstall (exit 2), 1 at …` when they differ."""
    groups: Counter[tuple[str, str]] = Counter()
    for cell in cells:
        assert cell is not None
        groups[(cell.name, exit_detail(cell.diagnostics))] += 1
    if len(groups) == 1:
        (event, detail), _ = next(iter(groups.items()))
        return f" at {event} ({detail})"
    return ": " + ", ".join(
        f"{n} at {event} ({detail})" for (event, detail), n in groups.most_common()
    )


def ignored_failures_note(deployment: DeploymentView) -> str | None:
    """Informational, not a failure: the previous revision's stop script failed and the
    deployment went on because it ignores ApplicationStop failures. None when nothing was."""
    ignored = deployment.ignored_failures
    if not ignored:
        return None
    instances = {inst.target_id for inst, _ in ignored}
    total = deployment.total_instances
    previous = (
        f" ({deployment.previous_revision.describe()})" if deployment.previous_revision else ""
    )
    what = "stop script" if all(c.name == "ApplicationStop" for _, c in ignored) else "script"
    note = (
        f"The {what} of the previous revision{previous} failed on {len(instances)} of "
        f"{plural(total, 'instance')}{_where(c for _, c in ignored)} and was ignored "
        "(ignoreApplicationStopFailures)"
    )
    if deployment.status is DeploymentStatus.SUCCEEDED:
        note += "; later deployments run this revision's script"
    return note


def _first_failure(deployment: DeploymentView) -> InstanceView | None:
    failed = deployment.failed_instances
    return failed[0] if failed else None


def _agent_silent(deployment: DeploymentView) -> list[str]:
    """Instances whose agent never took the deployment (CodeDeploy's AGENT_ISSUE)."""
    found = [
        i.target_id
        for i in deployment.failed_instances
        if (cell := deployment.failing_cell(i)) is not None
        and cell.diagnostics is not None
        and _AGENT_SILENT.search(cell.diagnostics.message or "")
    ]
    if found or deployment.error_code != "AGENT_ISSUE":
        return found
    return [i.target_id for i in deployment.instances if not i.final or i.status == "Failed"]


def explain_deployment(deployment: DeploymentView) -> FailureReport | None:
    """A report for a failed or stopped deployment, or one with failing instances; else None."""
    first = _first_failure(deployment)
    failing = deployment.status in (DeploymentStatus.FAILED, DeploymentStatus.STOPPED)
    if first is None and not failing:
        return None
    silent = _agent_silent(deployment)
    if silent or deployment.error_code == "AGENT_ISSUE":
        cell = deployment.failing_cell(first) if first else None
        where = f" on {plural(len(silent), 'instance')}" if silent else ""
        return FailureReport(
            subject="deployment",
            subject_id=deployment.deployment_id,
            headline=f"the CodeDeploy agent did not answer{where}",
            explanation=agent_race(silent or ["the instances"]),
            remedy=AGENT_RACE_FIX,
            action=RELEASE,
            instance_id=silent[0] if silent else None,
            event=cell.name if cell else None,
            diagnostics=cell.diagnostics if cell else None,
        )
    cell = deployment.failing_cell(first) if first else None
    headline = instances_headline(deployment)
    base = FailureReport(
        subject="deployment",
        subject_id=deployment.deployment_id,
        headline=headline or "",
        instance_id=first.target_id if first else None,
        event=cell.name if cell else None,
        diagnostics=cell.diagnostics if cell else None,
    )
    if cell is not None and cell.runs_previous_revision:  # (ignored failures never get here)
        previous = (
            f" ({deployment.previous_revision.describe()})" if deployment.previous_revision else ""
        )
        explanation = (
            f"{cell.name} runs the script of the revision last installed successfully on the "
            f"instance{previous}, not the one being deployed: fixing the script in this "
            "revision cannot help."
        )
        if deployment.is_rehearsal:  # a rehearsal cannot ignore it: start from a clean history
            return replace(
                base,
                explanation=explanation,
                remedy="rehearse with another --group-id (or a fresh --root): rehearsals of one "
                f"group run the {cell.name} script of the last successful one",
            )
        return replace(
            base,
            explanation=explanation,
            remedy=(
                "redeploy this revision with ignoreApplicationStopFailures (skips the old "
                f"{cell.name} script once; later deployments run the new one)"
            ),
            action=REDEPLOY_IGNORE_STOP,
        )
    if cell is not None and cell.name == "AllowTraffic":
        return _never_healthy(deployment, base)
    if cell is not None:
        script = cell.diagnostics.script_name if cell.diagnostics else ""
        why = (
            f"CodeDeploy stopped the deployment ({deployment.error_code}): too many instances "
            f"failed for {deployment.config_name or 'its deployment configuration'}."
            if deployment.error_code == "HEALTH_CONSTRAINTS"
            else None
        )
        again = "rehearse again" if deployment.is_rehearsal else "push the fix"
        return replace(
            base,
            explanation=why,
            remedy="read the log tail (or fetch the full scripts.log), "
            f"fix {script or 'the hook'} and {again}",
            action=FETCH_LOG,
        )
    code = deployment.error_code or ""
    plain, remedy = _DEPLOYMENT_CODES.get(code, (deployment.error_message or "", None))
    if deployment.status is DeploymentStatus.STOPPED and not plain:
        plain = "the deployment was stopped"
    return replace(
        base, headline=headline or plain, explanation=deployment.error_message, remedy=remedy
    )


#: What to do when targets never pass the load balancer's health checks, by `TargetHealth.Reason`.
_UNHEALTHY_REMEDIES: dict[str, str] = {
    "Target.Timeout": "let the load balancer reach the service: the instances' security group "
    "must allow the target port from the load balancer's security group, and the service must "
    "listen on 0.0.0.0 (payload.bind_address)",
    "Target.FailedHealthChecks": "let the load balancer reach the service: the instances' "
    "security group must allow the target port from the load balancer's security group, and "
    "the service must listen on 0.0.0.0 (payload.bind_address)",
    "Target.ResponseCodeMismatch": "make the health check path answer 200 "
    "(load_balancer.health_check_path must be a path the service serves), then redeploy",
    "Target.NotInUse": "attach the target group to a listener of its load balancer (or to a "
    "load balancer in the instances' Availability Zones), then redeploy",
    "Target.InvalidState": "start the stopped instances, then redeploy",
    "Target.NotRegistered": "check the target group in the console: the instance was not "
    "registered with it",
}


def _never_healthy(deployment: DeploymentView, base: FailureReport) -> FailureReport:
    """AllowTraffic failed: the targets never passed the load balancer's health checks. The
    agent reports nothing for it; the target group's last reason says why."""
    cells = [deployment.failing_cell(inst) for inst in deployment.failed_instances]
    failed = [cell for cell in cells if cell is not None and cell.name == "AllowTraffic"]
    traffic = deployment.traffic
    group = traffic.target_group if traffic else ", ".join(deployment.target_groups) or "its"
    total = deployment.total_instances
    headline = (
        f"{len(failed)} of {plural(total, 'instance')} never became healthy in target group "
        f"{group} (AllowTraffic failed)"
    )
    problem = None
    if traffic is not None and base.instance_id is not None:
        problem = traffic.last_problem(base.instance_id) or traffic.target(base.instance_id)
    check = f" ({traffic.health_check}, expecting 200)" if traffic is not None else ""
    explanation = (
        "AllowTraffic registers the instance with the target group again and waits until it "
        f"passes the load balancer's health checks{check}; it never did."
    )
    if problem is not None and problem.problem:
        explanation += f" Last health check of {problem.target_id}: {problem.problem}."
    remedy = _UNHEALTHY_REMEDIES.get(
        problem.reason if problem is not None and problem.reason else "",
        "look at the target group's health checks in the console (Targets tab): the reason "
        "each target is unhealthy is shown there",
    )
    return replace(base, headline=headline, explanation=explanation, remedy=remedy)


def branch_missing(message: str | None) -> str | None:
    """The branch a 'branch does not exist' source failure names, or None."""
    for pattern in _BRANCH_MISSING:
        found = pattern.search(message or "")
        if found:
            return found.group("branch").strip("'\".,")
    return None


def explain_pipeline(pipeline: PipelineView) -> FailureReport | None:
    """A report for a failed action of the followed execution (None if nothing failed)."""
    action = pipeline.failed_action
    followed = pipeline.followed
    if action is None:
        if followed is not None and followed.status == "Failed":
            return FailureReport(
                subject="pipeline",
                subject_id=followed.execution_id,
                headline=followed.status_summary or "the pipeline execution failed",
            )
        return None
    subject_id = followed.execution_id if followed else pipeline.followed_id or ""
    unusable = _connection_report(action, pipeline, subject_id)
    if unusable is not None:
        return unusable
    if action.is_approval:
        by = f" by {action.updated_by}" if action.updated_by else ""
        said = f': "{action.summary}"' if action.summary else ""
        return FailureReport(
            subject="pipeline",
            subject_id=subject_id,
            headline=f"stage {action.stage} was rejected{by}{said}",
            explanation="A manual approval was rejected: the stages after it do not run.",
            remedy="address the reviewer's comment, then push again or release the change",
            action=RELEASE,
        )
    branch = branch_missing(action.error_message)
    if branch is not None:
        repo = action.config("RepositoryName") or action.config("FullRepositoryId")
        if repo is None:
            message = action.error_message or ""
            found = _FULL_REPOSITORY.search(message) or _REPOSITORY.search(message)
            repo = found.group("repo").rstrip(".") if found else None
        where = f" in repository '{repo}'" if repo else ""
        how = (
            "pushes it with your own git"
            if action.provider == CONNECTION_PROVIDER
            else "creates the branch through the CodeCommit API, no git credentials needed"
        )
        return FailureReport(
            subject="pipeline",
            subject_id=subject_id,
            headline=f"branch '{branch}' does not exist{where}",
            explanation=(
                f"The source stage reads branch '{branch}'{where}, and that branch does not "
                "exist yet: a new repository has no branches until its first commit."
            ),
            remedy=f"push the payload to it (`cdwizard ship` {how})",
            action=SHIP,
        )
    return FailureReport(
        subject="pipeline",
        subject_id=subject_id,
        headline=(
            f"stage {action.stage} action {action.name} failed: "
            f"{action.error_message or action.error_code or 'no details'}"
        ),
        remedy="fix the cause, then retry the failed actions",
        action=RETRY_FAILED,
    )


def _connection_report(
    action: ActionView, pipeline: PipelineView, subject_id: str
) -> FailureReport | None:
    """Why a connection source could not use its connection, from the connection's status."""
    if action.provider != CONNECTION_PROVIDER:
        return None
    status = action.connection_status
    said = action.error_message or ""
    if status not in ("PENDING", "ERROR") and not _UNUSABLE_CONNECTION.search(said):
        return None
    arn = action.config("ConnectionArn") or ""
    ref = ConnectionRef.parse(arn)
    name = f"connection {action.connection_name or arn}"
    quoted = f'CodePipeline says "{said.rstrip(".")}." ' if said else ""
    report = FailureReport(subject="pipeline", subject_id=subject_id, headline="")
    if status == "PENDING":
        return replace(
            report,
            headline=f"{name} is PENDING: nobody has authorised it yet",
            explanation=f"{quoted}The role is not what is wrong: a connection created through "
            "the API or terraform stays PENDING until a person authorises it once in the "
            "console, and until then the source cannot read the repository and pushes start "
            "no run.",
            remedy=authorise_step(arn, sandbox=pipeline.emulator)
            + ", then retry the failed actions",
            action=RETRY_FAILED,
        )
    if status == "ERROR":
        again = (
            "authorise it again with `cdwizard connection authorize --sandbox`"
            if pipeline.emulator
            else f"open {console_url(arn) or 'the connection in the console'} and update it "
            "(reinstall or re-authorise the provider's app)"
        )
        return replace(
            report,
            headline=f"{name} is in ERROR: its authorisation was revoked",
            explanation=f"{quoted}The connection was AVAILABLE once; its access to the "
            "provider was then taken away (the app uninstalled, the authorising account "
            "removed), and AWS cannot use it until it is AVAILABLE again.",
            remedy=f"{again}, then retry the failed actions",
            action=RETRY_FAILED,
        )
    use = ref.use_action if ref else "codestar-connections:UseConnection"
    if status == "AVAILABLE":
        return replace(
            report,
            headline=f"the pipeline role may not use {name}",
            explanation=f"{quoted}The connection is AVAILABLE, so the pipeline's role lacks "
            f"{use} on it (IAM matches the action's service prefix to the ARN's).",
            remedy=f"give the role {use} on {arn or 'the connection'} (`cdwizard apply` "
            "restores the policy it wrote), then retry the failed actions",
            action=RETRY_FAILED,
        )
    return replace(
        report,
        headline=f"the source cannot use {name}",
        explanation=f"{quoted}Either the connection is not AVAILABLE (PENDING until it is "
        "authorised once in the console, ERROR once that is revoked), or the pipeline role lacks "
        f"{use} on it.",
        remedy="`cdwizard connection` says which and what to do; then retry the failed actions",
        action=RETRY_FAILED,
    )


def explain(snapshot: Snapshot) -> FailureReport | None:
    """The failure worth showing first: the deployment's (most specific), else the pipeline's."""
    if snapshot.deployment is not None:
        report = explain_deployment(snapshot.deployment)
        if report is not None:
            return report
    if snapshot.pipeline is not None:
        return explain_pipeline(snapshot.pipeline)
    return None
