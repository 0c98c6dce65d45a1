"""CodePipeline executions that run: a lazy, clock-driven scheduler (no threads).

An execution moves through milestones: enter a stage, start a runOrder group of actions, see the
group finish. `advance(world, now)` performs every milestone that is due by `now`, across all
pipelines (and CodeDeploy's rollbacks), in time order; every API call advances first, so what it
reads (and the CodeCommit branch a source action reads) is the state at that moment.

Stage locks, SUPERSEDED mode (V1, and V2's default; the one cdwizard's pipelines use): a stage
holds one execution at a time, and an execution that must wait to enter a stage replaces an older
one waiting there, which ends `Superseded`. Every pipeline runs this way: the QUEUED and PARALLEL
modes are not emulated.

Pushes: the scheduler compares the branches pipelines watch with the heads it saw last (the
CodeCommit extension's content model) right after CreateCommit/CreateBranch (`pushes`) and on
every call it serves, so a push starts the pipelines watching that branch whatever made it.

Actions: CodeCommit sources resolve the branch head (or StartPipelineExecution's sourceRevisions
override), zip the commit into the artifact bucket, and fail with CodePipeline's own message when
the branch does not exist; CodeDeploy actions create a deployment (`deploy.create`) from the input
artifact and end when it ends (each Deploy stage to its own DeploymentGroupName's instances);
manual approvals wait for PutApprovalResult (`approval`). Other providers are not emulated: they
succeed after a moment and say so in their summary.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from wizard.services.sandbox.extensions._delivery import approval, clock, deploy, sources
from wizard.services.sandbox.extensions._delivery.bundle import code_zip
from wizard.services.sandbox.extensions._delivery.model import (
    PIPELINE_ATTR,
    ActionRun,
    ExecutionRun,
    PipelineRuns,
    StageRun,
)
from wizard.services.sandbox.extensions._delivery.world import World
from wizard.services.sandbox.extensions._gitstore import stored

TRANSITION_SECONDS = 1.0
SOURCE_SECONDS = 2.0
OTHER_SECONDS = 2.0
FAIL_SECONDS = 1.0
#: CodePipeline notices a CodeDeploy deployment ended this long after it did.
NOTICE_SECONDS = 1.0
#: How long polling (PollForSourceChanges) takes to notice a push.
POLL_SECONDS = 10.0
#: CodePipeline disables polling on a pipeline without a run for this long (pollingDisabledAt).
POLLING_IDLE_SECONDS = 30 * 86400.0

NOT_EMULATED = "The cdwizard sandbox does not emulate {provider} actions: reported as succeeded."


def error(code: str, message: str) -> Exception:
    """A CodePipeline API error botocore parses into `ClientError` with this code."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def runs_of(pipeline: Any) -> PipelineRuns:
    found = getattr(pipeline, PIPELINE_ATTR, None)
    if found is None:
        found = PipelineRuns()
        setattr(pipeline, PIPELINE_ATTR, found)
    return found


def _stages(pipeline: Any) -> list[dict[str, Any]]:
    return list(pipeline.pipeline.get("stages") or [])


def _groups(stage: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The stage's actions by runOrder (groups run one after another)."""
    actions = stage.get("actions") or []
    orders = sorted({int(a.get("runOrder") or 1) for a in actions})
    return [[a for a in actions if int(a.get("runOrder") or 1) == o] for o in orders]


# --- starting executions ----------------------------------------------------------------------


def start_execution(
    world: World,
    pipeline: Any,
    trigger_type: str,
    trigger_detail: str | None,
    at: float,
    *,
    variables: list[dict[str, str]] | None = None,
    overrides: dict[str, str] | None = None,
) -> ExecutionRun:
    """A new execution starting at `at` (its first stage is entered right away if free)."""
    runs = runs_of(pipeline)
    execution = ExecutionRun(
        execution_id=str(uuid.uuid4()),
        pipeline_version=int(pipeline.pipeline.get("version") or 1),
        trigger_type=trigger_type,
        trigger_detail=trigger_detail,
        start=round(at, 3),
        variables=list(variables or []),
        overrides=dict(overrides or {}),
        next_kind="enter",
        next_at=round(at, 3),
    )
    runs.executions.append(execution)
    advance(world, at)
    return execution


def caller_arn(world: World) -> str:
    return f"arn:{world.partition}:iam::{world.account}:root"


def _rule_arn(world: World, pipeline: Any, repository: str, branch: str) -> str:
    """The EventBridge rule that targets the pipeline (or the name the console would give it)."""
    # the pipeline's ARN as AWS builds it (moto keeps it as `_arn` before 5.2.6, `arn` after)
    name = pipeline.pipeline["name"]
    arn = f"arn:{world.partition}:codepipeline:{world.region}:{world.account}:{name}"
    try:
        buses = world.events.event_buses.values()
    except Exception:
        buses = []
    for bus in buses:
        for rule in bus.rules.values():
            if rule.state == "ENABLED" and any(t.get("Arn") == arn for t in rule.targets):
                return str(rule.arn)
    rule_name = f"codepipeline-{repository}-{branch}-rule"[:64]
    return f"arn:{world.partition}:events:{world.region}:{world.account}:rule/{rule_name}"


def _watched(world: World, pipeline: Any) -> list[sources.Watch]:
    """What the source actions of the first stage watch (CodeCommit branches, connection
    branches, S3 objects)."""
    return sources.watches(world, pipeline, (_stages(pipeline)[:1] or [{}])[0].get("actions") or [])


def polls(world: World, pipeline: Any) -> bool:
    """Whether a source action of the pipeline polls (PollForSourceChanges true)."""
    return any(watch.polls for watch in _watched(world, pipeline))


def polling_disabled_at(world: World, pipeline: Any, now: float) -> float | None:
    """When CodePipeline disabled the pipeline's polling (None: it polls, or never did): the end
    of its first stretch of `POLLING_IDLE_SECONDS` without a run, counted from its first run (the
    one its creation starts, on the simulation's clock). Runs after that (a release change) do
    not turn polling back on."""
    if not polls(world, pipeline):
        return None
    starts = sorted(e.start for e in runs_of(pipeline).executions if e.start <= now)
    for last, start in zip(starts, [*starts[1:], now], strict=True):
        if start - last >= POLLING_IDLE_SECONDS:
            return last + POLLING_IDLE_SECONDS
    return None


def branch_head(world: World, repository: str, branch: str) -> str | None:
    """The branch's head commit in the CodeCommit content model (None: no such branch)."""
    store = stored(world.codecommit.repositories.get(repository))
    return store.branches.get(branch) if store is not None else None


def _head(world: World, watch: sources.Watch) -> str | None:
    if watch.kind == "codecommit":
        return branch_head(world, watch.params["repository"], watch.params["branch"])
    if watch.kind == "connection":
        return sources.connection_head(world, watch)
    return sources.s3_head(world, watch)


def remember_heads(world: World, pipeline: Any) -> None:
    """Note the heads the pipeline watches now (pushes are changes from these)."""
    runs = runs_of(pipeline)
    for watch in _watched(world, pipeline):
        runs.heads[watch.key] = _head(world, watch)


def notice_pushes(world: World, now: float) -> None:
    """Start (or schedule the poll of) the pipelines whose watched source moved since last seen:
    for CodeCommit, CloudWatchEvent at once when the source has PollForSourceChanges false (the
    EventBridge rule case); for a connection, the push trigger while the connection is
    AVAILABLE; an S3 object's new version starts it through S3's own EventBridge event
    (`events_hook`); else PollForSourceChanges when polling notices, a few seconds later."""
    for pipeline in _pipelines(world):
        runs = runs_of(pipeline)
        for watch in _watched(world, pipeline):
            head = _head(world, watch)
            seen = runs.heads.get(watch.key, head)
            runs.heads[watch.key] = head
            if head is None or head == seen:
                continue
            if watch.kind == "connection":
                if watch.trigger is not None and sources.connection_ready(world, watch):
                    start_execution(world, pipeline, watch.trigger, watch.detail, now)
                continue
            if not watch.polls:
                if watch.kind == "codecommit":
                    repository, branch = watch.params["repository"], watch.params["branch"]
                    detail = _rule_arn(world, pipeline, repository, branch)
                    start_execution(world, pipeline, "CloudWatchEvent", detail, now)
            elif runs.poll_due is None and polling_disabled_at(world, pipeline, now) is None:
                name = pipeline.pipeline["name"]
                runs.poll_due = round(now + clock.duration(POLL_SECONDS, name, str(now)), 3)


# --- the scheduler ----------------------------------------------------------------------------


def _pipelines(world: World) -> Iterator[Any]:
    yield from list(world.codepipeline.pipelines.values())


def advance(world: World, now: float) -> None:
    """Perform every milestone due by `now`, oldest first (pipelines and rollbacks)."""
    for _ in range(100_000):
        best: tuple[float, int, float, Any, ExecutionRun | None] | None = None
        for pipeline in _pipelines(world):
            runs = runs_of(pipeline)
            if runs.poll_due is not None:
                best = _earlier(best, (runs.poll_due, 0, 0.0, pipeline, None))
            for ex in runs.executions:
                if ex.next_kind in ("enter", "group", "group_done") and ex.next_at is not None:
                    best = _earlier(best, (ex.next_at, 1, ex.start, pipeline, ex))
        rollback = deploy.next_due(world)
        if rollback is not None and (best is None or rollback < best[0]) and rollback <= now:
            deploy.advance(world, rollback)
            continue
        if best is None or best[0] > now:
            notice_pushes(world, now)
            deploy.advance_traffic(world, now)
            return
        at, _, _, pipeline, due = best
        if due is None:
            runs_of(pipeline).poll_due = None
            start_execution(world, pipeline, "PollForSourceChanges", None, at)
        else:
            _step(world, pipeline, due, at)
    raise RuntimeError("the delivery simulation did not settle (a scheduling loop)")


def _earlier(
    best: tuple[float, int, float, Any, ExecutionRun | None] | None,
    candidate: tuple[float, int, float, Any, ExecutionRun | None],
) -> tuple[float, int, float, Any, ExecutionRun | None]:
    if best is None or candidate[:3] < best[:3]:
        return candidate
    return best


def _step(world: World, pipeline: Any, ex: ExecutionRun, at: float) -> None:
    kind = ex.next_kind
    if kind == "enter":
        _try_enter(pipeline, ex, ex.next_stage, at)
    elif kind == "group":
        _start_group(world, pipeline, ex, at)
    elif kind == "group_done":
        _group_done(pipeline, ex, at)


def _finish(ex: ExecutionRun, status: str, at: float) -> None:
    ex.status, ex.end, ex.next_kind, ex.next_at = status, round(at, 3), None, None


def _try_enter(pipeline: Any, ex: ExecutionRun, index: int, at: float) -> None:
    stages = _stages(pipeline)
    if index >= len(stages):
        _finish(ex, "Succeeded", at)
        return
    name = stages[index]["name"]
    runs = runs_of(pipeline)
    holder = runs.occupants.get(name)
    if holder is not None and holder != ex.execution_id:
        waiting = runs.waiting.setdefault(name, [])
        for older_id in waiting:
            older = runs.execution(older_id)
            if older is not None and not older.done:
                _finish(older, "Superseded", at)
        waiting.clear()
        waiting.append(ex.execution_id)
        ex.next_kind, ex.next_at, ex.next_stage = "wait", None, index
        return
    _enter(pipeline, ex, index, name, at)


def _enter(pipeline: Any, ex: ExecutionRun, index: int, name: str, at: float) -> None:
    runs_of(pipeline).occupants[name] = ex.execution_id
    ex.stages.append(StageRun(name=name, index=index, enter=round(at, 3)))
    ex.next_kind, ex.next_at, ex.next_stage = "group", round(at, 3), index


def _release(pipeline: Any, ex: ExecutionRun, name: str, at: float) -> None:
    runs = runs_of(pipeline)
    if runs.occupants.get(name) == ex.execution_id:
        del runs.occupants[name]
    waiting = runs.waiting.get(name) or []
    while waiting:
        nxt = runs.execution(waiting.pop(0))
        if nxt is not None and not nxt.done and nxt.next_kind == "wait":
            _enter(pipeline, nxt, nxt.next_stage, name, at)
            return


def _current_stage(ex: ExecutionRun) -> StageRun:
    return ex.stages[-1]


def _start_group(world: World, pipeline: Any, ex: ExecutionRun, at: float) -> None:
    stage = _current_stage(ex)
    declared = next((s for s in _stages(pipeline) if s["name"] == stage.name), None)
    groups = _groups(declared) if declared else []
    if stage.group >= len(groups):
        _group_done(pipeline, ex, at)
        return
    only = set(stage.retry_only) if stage.retry_only is not None else None
    stage.retry_only = None
    ends = []
    for action in groups[stage.group]:
        if only is not None and action["name"] not in only:
            continue
        run = _run_action(world, pipeline, ex, stage, action=action, at=at)
        stage.actions.append(run)
        ends.append(run.end)
    ex.next_kind, ex.next_at = "group_done", round(max(ends, default=at), 3)


def latest_attempts(stage: StageRun, names: set[str] | None = None) -> list[ActionRun]:
    """The newest attempt of each action of the stage (retries add attempts)."""
    newest: dict[str, ActionRun] = {}
    for run in stage.actions:
        if names is None or run.action in names:
            newest[run.action] = run
    return list(newest.values())


def _group_done(pipeline: Any, ex: ExecutionRun, at: float) -> None:
    stage = _current_stage(ex)
    declared = next((s for s in _stages(pipeline) if s["name"] == stage.name), None)
    groups = _groups(declared) if declared else []
    names = {a["name"] for a in groups[stage.group]} if stage.group < len(groups) else set()
    attempts = latest_attempts(stage, names)
    failed = any(a.status != "Succeeded" for a in attempts)
    if ex.stop is not None:
        _close_stage(pipeline, ex, stage, status="Stopped", at=at)
        _finish(ex, "Stopped", at)
        return
    if failed:
        _close_stage(pipeline, ex, stage, status="Failed", at=at)
        _finish(ex, "Failed", at)
        return
    if stage.group + 1 < len(groups):
        stage.group += 1
        ex.next_kind, ex.next_at = "group", round(at, 3)
        return
    _close_stage(pipeline, ex, stage, status="Succeeded", at=at)
    if stage.index + 1 >= len(_stages(pipeline)):
        _finish(ex, "Succeeded", at)
        return
    ex.next_kind = "enter"
    ex.next_stage = stage.index + 1
    ex.next_at = round(at + clock.duration(TRANSITION_SECONDS, ex.execution_id, stage.name), 3)


def _close_stage(
    pipeline: Any, ex: ExecutionRun, stage: StageRun, *, status: str, at: float
) -> None:
    stage.status, stage.end = status, round(at, 3)
    _release(pipeline, ex, stage.name, at)


# --- actions ----------------------------------------------------------------------------------


def _artifacts(ex: ExecutionRun) -> dict[str, dict[str, Any]]:
    """Output artifacts produced so far in the execution: name -> {bucket, key, revision}."""
    found: dict[str, dict[str, Any]] = {}
    for stage in ex.stages:
        for run in stage.actions:
            if run.status == "Succeeded":
                for artifact in run.output_artifacts:
                    found[artifact["name"]] = artifact
    return found


def _run_action(
    world: World,
    pipeline: Any,
    ex: ExecutionRun,
    stage: StageRun,
    *,
    action: dict[str, Any],
    at: float,
) -> ActionRun:
    run = ActionRun(
        action_execution_id=str(uuid.uuid4()),
        stage=stage.name,
        action=action["name"],
        declaration=action,
        start=round(at, 3),
        end=round(at, 3),
        status="Succeeded",
    )
    produced = _artifacts(ex)
    run.input_artifacts = [
        {"name": a["name"], "s3location": produced[a["name"]]["s3location"]}
        for a in action.get("inputArtifacts") or []
        if a.get("name") in produced
    ]
    provider = run.provider
    if provider == "CodeCommit":
        _source(world, pipeline, ex, run)
    elif provider in (sources.CONNECTION, "S3"):
        _other_source(world, pipeline, ex, run)
    elif provider == "CodeDeploy":
        _deploy(world, pipeline, ex, run)
    elif approval.is_manual_approval(action):
        approval.wait(run)
    else:
        run.end = round(at + clock.duration(OTHER_SECONDS, run.action_execution_id), 3)
        run.summary = NOT_EMULATED.format(provider=provider or "these")
    return run


def _fail(run: ActionRun, code: str, message: str) -> None:
    run.status = "Failed"
    run.error = (code, message)
    run.end = round(run.start + clock.duration(FAIL_SECONDS, run.action_execution_id), 3)


def _artifact_key(pipeline_name: str, artifact: str) -> str:
    alphabet = string.ascii_letters + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(7))
    return f"{pipeline_name[:20]}/{artifact[:10]}/{suffix}"


def _artifact_bucket(pipeline: Any, world: World) -> str | None:
    declared = pipeline.pipeline
    store = declared.get("artifactStore") or (declared.get("artifactStores") or {}).get(
        world.region
    )
    return (store or {}).get("location")


def _source(world: World, pipeline: Any, ex: ExecutionRun, run: ActionRun) -> None:
    config = run.declaration.get("configuration") or {}
    repository, branch = config.get("RepositoryName", ""), config.get("BranchName", "")
    repo = world.codecommit.repositories.get(repository)
    if repo is None:
        _fail(
            run,
            "ConfigurationError",
            f"The action failed because no repository named {repository} was found in AWS "
            "CodeCommit. Make sure you are using the correct repository name, and then try again.",
        )
        return
    store = stored(repo)
    commits = store.commits if store is not None else {}
    wanted = ex.overrides.get(run.action)
    commit_id = wanted or (store.branches.get(branch) if store is not None else None)
    if commit_id is None:
        _fail(
            run,
            "ConfigurationError",
            f"The action failed because no branch named {branch} was found in the selected AWS "
            f"CodeCommit repository {repository}. Make sure you are using the correct branch "
            "name, and then try again. Error: null",
        )
        return
    commit = commits.get(commit_id)
    if commit is None or store is None:  # a commit is only ever found in a store
        _fail(
            run,
            "ConfigurationError",
            f"The action failed because the commit {commit_id} was not found in the selected AWS "
            f"CodeCommit repository {repository}.",
        )
        return
    files = {path: (mode, store.blobs[blob]) for path, (mode, blob) in commit.files.items()}
    written_to = _store_source_artifact(world, pipeline, run, code_zip(files))
    if written_to is None:
        return
    artifact, bucket, key = written_to
    written = float(str(commit.author.get("date", "0")).split()[0] or 0)
    stamp = datetime.fromtimestamp(written, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    run.end = round(run.start + clock.duration(SOURCE_SECONDS, run.action_execution_id), 3)
    run.external_id = commit_id
    run.summary = commit.message
    run.revision = {"revisionId": commit_id, "revisionSummary": commit.message, "created": written}
    run.output_artifacts = [{"name": artifact, "s3location": {"bucket": bucket, "key": key}}]
    run.output_variables = {
        "AuthorDate": stamp,
        "BranchName": branch,
        "CommitId": commit_id,
        "CommitMessage": commit.message,
        "CommitterDate": stamp,
        "RepositoryName": repository,
    }


def _store_source_artifact(
    world: World, pipeline: Any, run: ActionRun, content: bytes
) -> tuple[str, str | None, str] | None:
    """Write a source action's output artifact to the artifact bucket: (artifact, bucket, key),
    or None after failing the action as CodePipeline does when it cannot write there."""
    bucket = _artifact_bucket(pipeline, world)
    outputs = run.declaration.get("outputArtifacts") or []
    artifact = outputs[0]["name"] if outputs else "SourceArtifact"
    key = _artifact_key(pipeline.pipeline["name"], artifact)
    try:
        world.s3.put_object(bucket or "", key, content)
    except Exception:
        _fail(
            run,
            "PermissionError",
            "The service role or action role doesn't have the permissions required to access "
            f"the Amazon S3 bucket named {bucket}. Update the IAM role permissions, and then try "
            "again.",
        )
        return None
    return artifact, bucket, key


def _other_source(world: World, pipeline: Any, ex: ExecutionRun, run: ActionRun) -> None:
    """A connection (GitHub, GitLab, Bitbucket) or S3 source: read the revision, store it."""
    config = run.declaration.get("configuration") or {}
    try:
        if run.provider == "S3":
            wanted = {k: v for k, v in ex.overrides.items() if k.startswith("S3_")}
            revision = sources.read_s3(world, config, wanted)
        else:
            revision = sources.read_connection(world, config, ex.overrides.get(run.action))
    except sources.SourceFailed as failed:
        _fail(run, failed.code, failed.message)
        return
    written_to = _store_source_artifact(world, pipeline, run, revision.content)
    if written_to is None:
        return
    artifact, bucket, key = written_to
    run.end = round(run.start + clock.duration(SOURCE_SECONDS, run.action_execution_id), 3)
    run.external_id = revision.revision_id
    run.summary = revision.external_summary
    run.revision = {
        "revisionId": revision.revision_id,
        "revisionSummary": revision.summary,
        "revisionUrl": revision.url,
        "created": revision.created,
    }
    run.output_artifacts = [{"name": artifact, "s3location": {"bucket": bucket, "key": key}}]
    run.output_variables = dict(revision.variables)


def _deploy(
    world: World,
    pipeline: Any,
    ex: ExecutionRun,
    run: ActionRun,
) -> None:
    config = run.declaration.get("configuration") or {}
    if not run.input_artifacts:
        _fail(run, "JobFailed", "The action has no input artifact to deploy.")
        return
    location = run.input_artifacts[0]["s3location"]
    try:
        key = world.s3.get_object(location["bucket"], location["key"])
    except Exception:
        key = None
    s3: dict[str, Any] = {"bucket": location["bucket"], "key": location["key"], "bundleType": "zip"}
    if key is not None:
        s3["eTag"] = str(key.etag).strip('"')
    try:
        made = deploy.create(
            world,
            application=config.get("ApplicationName", ""),
            group_name=config.get("DeploymentGroupName", ""),
            revision={"revisionType": "S3", "s3Location": s3},
            at=run.start,
            link=(pipeline.pipeline["name"], ex.execution_id, run.action_execution_id),
        )
    except Exception as exc:
        _fail(run, "JobFailed", getattr(exc, "message", None) or str(exc))
        return
    run.external_id = run.deployment_id = made.deployment_id
    deployment_ended(run, made)


def deployment_ended(run: ActionRun, made: deploy.DeploymentRun) -> None:
    """Set the deploy action's end and result from its deployment's."""
    run.end = round(made.end + clock.duration(NOTICE_SECONDS, run.action_execution_id), 3)
    if made.status == "Succeeded":
        run.status, run.error = "Succeeded", None
        run.summary = f"Deployment {made.deployment_id} succeeded"
    else:
        run.status = "Failed"
        run.error = ("JobFailed", made.error_message or f"Deployment {made.status.lower()}")
        run.summary = None


def find_action(
    world: World, link: tuple[str, str, str]
) -> tuple[Any, ExecutionRun, ActionRun] | None:
    name, execution_id, action_id = link
    pipeline = world.codepipeline.pipelines.get(name)
    if pipeline is None:
        return None
    ex = runs_of(pipeline).execution(execution_id)
    if ex is None:
        return None
    for stage in ex.stages:
        for run in stage.actions:
            if run.action_execution_id == action_id:
                return pipeline, ex, run
    return None


def deployment_changed(world: World, made: deploy.DeploymentRun) -> None:
    """A deployment's end moved (StopDeployment): move its deploy action's end with it."""
    if made.link is None:
        return
    found = find_action(world, made.link)
    if found is None:
        return
    _, ex, run = found
    if run.status == "Abandoned":
        return
    deployment_ended(run, made)
    stage = _current_stage(ex) if ex.stages else None
    if ex.next_kind == "group_done" and stage is not None and run in stage.actions:
        ends = [a.end for a in latest_attempts(stage)]
        ex.next_at = round(max(ends, default=run.end), 3)


def approval_decided(ex: ExecutionRun, run: ActionRun) -> None:
    """A waiting approval was decided: its execution's group ends when its last action does."""
    stage = _current_stage(ex) if ex.stages else None
    if ex.next_kind == "group_done" and stage is not None and run in stage.actions:
        ends = [a.end for a in latest_attempts(stage)]
        ex.next_at = round(max(ends, default=run.end), 3)


# --- stopping and retrying --------------------------------------------------------------------


def stop_execution(
    pipeline: Any, ex: ExecutionRun, at: float, *, abandon: bool, reason: str
) -> None:
    """StopPipelineExecution: finish the running actions (or abandon them), then Stopped."""
    if ex.done:
        raise error(
            "PipelineExecutionNotStoppableException",
            f"Unable to stop pipeline execution {ex.execution_id}: it is not in progress.",
        )
    if ex.stop is not None and not (abandon and not ex.stop["abandon"]):
        raise error(
            "DuplicatedStopRequestException",
            f"Pipeline execution {ex.execution_id} is already stopping.",
        )
    ex.stop = {"at": round(at, 3), "abandon": bool(abandon), "reason": reason}
    runs = runs_of(pipeline)
    if ex.next_kind == "wait":
        for waiting in runs.waiting.values():
            if ex.execution_id in waiting:
                waiting.remove(ex.execution_id)
        _finish(ex, "Stopped", at)
        return
    if ex.next_kind == "enter":
        _finish(ex, "Stopped", at)
        return
    if abandon:
        stage = _current_stage(ex)
        for run in stage.actions:
            if run.end > at:
                run.status, run.end, run.error = "Abandoned", round(at, 3), None
        _close_stage(pipeline, ex, stage, status="Stopped", at=at)
        _finish(ex, "Stopped", at)


def retry_stage(pipeline: Any, ex: ExecutionRun, stage_name: str, *, at: float) -> None:
    """RetryStageExecution (FAILED_ACTIONS) of a failed stage of the execution's latest run
    through it."""
    stage = ex.stage_run(stage_name)
    if stage is None or ex.status != "Failed" or stage.status != "Failed" or not ex.done:
        raise error(
            "StageNotRetryableException",
            f"Stage {stage_name} of execution {ex.execution_id} cannot be retried: only a "
            "failed stage of a failed execution can.",
        )
    runs = runs_of(pipeline)
    for other in runs.executions:
        later = other.stage_run(stage_name)
        if other is not ex and later is not None and later.enter > stage.enter:
            raise error(
                "NotLatestPipelineExecutionException",
                f"Execution {ex.execution_id} is not the latest execution of stage {stage_name}.",
            )
    holder = runs.occupants.get(stage_name)
    if holder is not None and holder != ex.execution_id:
        raise error(
            "StageNotRetryableException",
            f"Stage {stage_name} is running execution {holder}; retry when it finishes.",
        )
    stage.retry_only = [a.action for a in latest_attempts(stage) if a.status != "Succeeded"]
    stage.status, stage.end = None, None
    ex.status, ex.end, ex.stop = None, None, None
    ex.retries += 1
    runs.occupants[stage_name] = ex.execution_id
    ex.next_kind, ex.next_at, ex.next_stage = "group", round(at, 3), stage.index
