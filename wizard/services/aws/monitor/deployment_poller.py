"""CodeDeploy: one deployment, its targets and their lifecycle events, at the lowest call cost.

Per poll: `get_deployment` (1 call), then `batch_get_deployment_targets` in chunks of ≤25 for
*unfinished* targets only, and only those that can have changed:

- when the overview counts moved (or on the first poll, or when the deployment just finished):
  every unfinished target (a target's status change always moves the counts);
- otherwise: only targets known to be in progress (their lifecycle events advance without the
  counts moving);
- nothing when no target is in progress and the counts did not move.

So a poll costs at most 1 + ⌈unfinished/25⌉ calls, finished targets cost nothing, and a finished
deployment is never polled again. `list_deployment_targets` runs once (and again only if the
number of targets grows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from wizard.core.events.lifecycle import DeploymentStatus, Diagnostics, LifecycleStatus
from wizard.core.timeline import (
    DeploymentSummary,
    DeploymentView,
    InstanceView,
    LifecycleCell,
    Overview,
    RevisionRef,
)
from wizard.services.aws.monitor.calls import ApiCaller
from wizard.services.aws.monitor.errors import Problem, classify

#: `batch_get_deployment_targets` and `batch_get_deployments` accept at most this many ids.
BATCH_LIMIT = 25


def utc(value: datetime | None) -> datetime | None:
    """botocore returns tz-aware datetimes in local time; keep everything in UTC."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def chunks(items: list[str], size: int = BATCH_LIMIT) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def revision_from(data: Mapping[str, Any] | None) -> RevisionRef | None:
    """`RevisionLocation` -> `RevisionRef` (None when absent or empty)."""
    if not data or not data.get("revisionType"):
        return None
    s3 = data.get("s3Location") or {}
    gh = data.get("gitHubLocation") or {}
    content = (data.get("string") or data.get("appSpecContent") or {}).get("content")
    return RevisionRef(
        revision_type=data["revisionType"],
        bucket=s3.get("bucket"),
        key=s3.get("key"),
        bundle_type=s3.get("bundleType"),
        version=s3.get("version"),
        etag=s3.get("eTag"),
        repository=gh.get("repository"),
        commit_id=gh.get("commitId"),
        content=content,
    )


def _lifecycle_status(value: str | None) -> LifecycleStatus:
    try:
        return LifecycleStatus(value or "Unknown")
    except ValueError:
        return LifecycleStatus.UNKNOWN


def instance_from(target: Mapping[str, Any]) -> InstanceView | None:
    """A `DeploymentTarget` (EC2/on-premises instance target) -> `InstanceView`."""
    inst = target.get("instanceTarget")
    if not inst:
        return None
    cells = []
    for ev in inst.get("lifecycleEvents", []):
        diag = ev.get("diagnostics")
        cells.append(
            LifecycleCell(
                name=ev["lifecycleEventName"],
                status=_lifecycle_status(ev.get("status")),
                started_at=utc(ev.get("startTime")),
                ended_at=utc(ev.get("endTime")),
                diagnostics=Diagnostics(
                    error_code=diag.get("errorCode", ""),
                    script_name=diag.get("scriptName", ""),
                    message=diag.get("message", ""),
                    log_tail=diag.get("logTail", ""),
                )
                if diag
                else None,
            )
        )
    return InstanceView(
        target_id=inst["targetId"],
        status=inst.get("status", "Unknown"),
        updated_at=utc(inst.get("lastUpdatedAt")),
        events=tuple(cells),
    )


def target_groups_of(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The target groups a deployment with traffic control deregisters instances from (none
    when the group deploys WITHOUT_TRAFFIC_CONTROL)."""
    style = info.get("deploymentStyle") or {}
    if style.get("deploymentOption") != "WITH_TRAFFIC_CONTROL":
        return ()
    groups = (info.get("loadBalancerInfo") or {}).get("targetGroupInfoList") or []
    return tuple(str(g["name"]) for g in groups if g.get("name"))


def _status(value: str) -> DeploymentStatus:
    try:
        return DeploymentStatus(value)
    except ValueError:
        return DeploymentStatus.IN_PROGRESS


class DeploymentPoller:
    """Follows one deployment. `poll()` returns a fresh `DeploymentView` reusing unchanged rows."""

    def __init__(self, client: Any, deployment_id: str, *, emulator: bool = False) -> None:
        self.api = ApiCaller(client)
        self.deployment_id = deployment_id
        self.emulator = emulator
        self.view: DeploymentView | None = None
        self.targets_supported = True
        self.notes: list[str] = []
        self._target_ids: list[str] | None = None
        self._instances: dict[str, InstanceView] = {}
        self._last_overview: Overview | None = None
        self._swept_final = False
        #: `_instances` changed since the last view was built (survives a poll cut short)
        self._dirty = False

    @property
    def done(self) -> bool:
        """Final, and the final state of every target has been read: never poll again."""
        return self.view is not None and self.view.final and self._swept_final

    def poll(self) -> DeploymentView:
        if self.done and self.view is not None:
            return self.view
        info = self.api.call("get_deployment", deploymentId=self.deployment_id)["deploymentInfo"]
        status = _status(info.get("status", "Created"))
        overview = Overview.from_dict(info.get("deploymentOverview"))
        if self.targets_supported and status not in (
            DeploymentStatus.CREATED,
            DeploymentStatus.QUEUED,
        ):
            try:
                self._poll_targets(overview, final=status.final)
            except Exception as exc:
                found = classify(exc, operation=self.api.last_operation, emulator=self.emulator)
                if found.problem is not Problem.UNSUPPORTED:
                    raise
                self.targets_supported = False
                self.notes.append(f"{found.message}: per-instance lifecycle events are not shown")
        if status.final:
            self._swept_final = True
        self._last_overview = overview
        view = self._view(info, status, overview)
        self.view = view
        return view

    def _poll_targets(self, overview: Overview, *, final: bool) -> None:
        if self._target_ids is None or overview.total > len(self._target_ids):
            self._target_ids = self._list_targets()
        unfinished = [t for t in self._target_ids if not self._is_final(t)]
        moved = self._last_overview is None or overview != self._last_overview
        if moved or final or any(t not in self._instances for t in unfinished):
            wanted = unfinished
        else:
            wanted = [t for t in unfinished if self._instances[t].status == "InProgress"]
        for ids in chunks(wanted):
            response = self.api.call(
                "batch_get_deployment_targets", deploymentId=self.deployment_id, targetIds=ids
            )
            for target in response.get("deploymentTargets", []):
                fresh = instance_from(target)
                if fresh is None:
                    continue
                old = self._instances.get(fresh.target_id)
                if old != fresh:
                    self._instances[fresh.target_id] = fresh
                    self._dirty = True

    def _is_final(self, target_id: str) -> bool:
        inst = self._instances.get(target_id)
        return inst is not None and inst.final

    def _list_targets(self) -> list[str]:
        ids: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"deploymentId": self.deployment_id}
            if token:
                kwargs["nextToken"] = token
            page = self.api.call("list_deployment_targets", **kwargs)
            ids += page.get("targetIds", [])
            token = page.get("nextToken")
            if not token:
                return sorted(set(ids))

    def _view(
        self,
        info: Mapping[str, Any],
        status: DeploymentStatus,
        overview: Overview,
    ) -> DeploymentView:
        prior = self.view
        if prior is not None and not self._dirty:
            instances = prior.instances
        else:
            instances = tuple(self._instances[t] for t in sorted(self._instances))
            self._dirty = False
        error = info.get("errorInformation") or {}
        rollback = info.get("rollbackInfo") or {}
        return DeploymentView(
            deployment_id=self.deployment_id,
            application=info.get("applicationName", ""),
            group=info.get("deploymentGroupName", ""),
            status=status,
            overview=overview,
            error_code=error.get("code") or None,
            error_message=error.get("message") or None,
            creator=info.get("creator"),
            config_name=info.get("deploymentConfigName"),
            created_at=utc(info.get("createTime")),
            started_at=utc(info.get("startTime")),
            completed_at=utc(info.get("completeTime")),
            revision=revision_from(info.get("revision")),
            previous_revision=revision_from(info.get("previousRevision")),
            ignore_application_stop_failures=bool(info.get("ignoreApplicationStopFailures")),
            rollback_deployment_id=rollback.get("rollbackDeploymentId") or None,
            rollback_message=rollback.get("rollbackMessage") or None,
            instances=instances,
            targets_available=self.targets_supported,
            target_groups=target_groups_of(info),
        )


def recent_deployments(
    client: Any, application: str, group: str, *, limit: int = 10
) -> tuple[DeploymentSummary, ...]:
    """The group's latest deployments, newest first (2 calls: list, then one batch of ≤25)."""
    ids = client.list_deployments(applicationName=application, deploymentGroupName=group).get(
        "deployments", []
    )
    if not ids:
        return ()
    infos = client.batch_get_deployments(deploymentIds=ids[:BATCH_LIMIT]).get("deploymentsInfo", [])
    rows = [
        DeploymentSummary(
            deployment_id=i["deploymentId"],
            status=_status(i.get("status", "Created")),
            created_at=utc(i.get("createTime")),
            completed_at=utc(i.get("completeTime")),
            creator=i.get("creator"),
        )
        for i in infos
    ]
    epoch = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda r: r.created_at or epoch, reverse=True)
    return tuple(rows[:limit])
