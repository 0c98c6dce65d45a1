"""AWS calls per poll cycle of the live monitor, by fleet size and by how many targets finished.

(a) Deployment poller on Stubber-backed botocore clients (no network). Every API call is counted
    by a botocore event hook (`before-parameter-build`, which fires for every call, stubbed or
    not). The Stubber is queued with exactly the target ids the documented policy allows, so a
    poller asking for a finished target fails the run. Goal per cycle: ≤ 1 + ⌈unfinished/25⌉.
    Baseline, measured the same way in the same run: a naive poller that re-lists and re-reads
    every target each cycle.
    Pipeline poller: calls per cycle while an execution runs and when idle.
(b) Core part of applying an update: deriving events for 10 changed instances out of 1,000
    (`diff(old, new)`, unchanged rows skipped by identity) vs describing the whole grid
    (`diff(None, new)`). The widget side of (b) belongs to the TUI's benchmark.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.stub import Stubber

from wizard.core.events.lifecycle import IN_PLACE_EVENTS, DeploymentStatus, LifecycleStatus
from wizard.core.timeline import DeploymentView, InstanceView, LifecycleCell, Snapshot, diff
from wizard.services.aws.monitor.deployment_poller import DeploymentPoller
from wizard.services.aws.monitor.pipeline_poller import ExecutionSelector, PipelinePoller
from wizard.services.aws.session import AwsClients, AwsTarget

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEPLOYMENT = "d-BENCH0001"
LIST_PAGE = 100  # page size assumed for list_deployment_targets (AWS does not document it)


def _clients() -> AwsClients:
    # Stubbed clients never send a request; the endpoint only keeps botocore off real AWS.
    return AwsClients(
        AwsTarget(
            region="eu-west-1",
            endpoint_url="http://127.0.0.1:9",
            access_key_id="bench",
            secret_access_key="bench",
        )
    )


class Counter:
    """Counts API calls on a client with a botocore event hook."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-parameter-build.*.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def take(self) -> list[str]:
        out, self.calls = self.calls, []
        return out


class Fleet:
    """N instances: each Pending, InProgress (at DownloadBundle) or Succeeded."""

    def __init__(self, n: int) -> None:
        self.ids = [f"i-{k:05d}" for k in range(n)]
        self.status = dict.fromkeys(self.ids, "Pending")

    def overview(self) -> dict[str, int]:
        out = {"Pending": 0, "InProgress": 0, "Succeeded": 0}
        for s in self.status.values():
            out[s] += 1
        return out

    def target(self, target_id: str) -> dict[str, Any]:
        status = self.status[target_id]
        events = []
        for k, name in enumerate(IN_PLACE_EVENTS):
            done = status == "Succeeded" or (status == "InProgress" and k == 0)
            running = status == "InProgress" and k == 1
            ev: dict[str, Any] = {
                "lifecycleEventName": name,
                "status": "Succeeded" if done else ("InProgress" if running else "Pending"),
            }
            if done or running:
                ev["startTime"] = T0
            if done:
                ev["endTime"] = T0 + timedelta(seconds=2)
            events.append(ev)
        return {
            "deploymentTargetType": "InstanceTarget",
            "instanceTarget": {
                "deploymentId": DEPLOYMENT,
                "targetId": target_id,
                "status": status,
                "lifecycleEvents": events,
            },
        }


class Script:
    """Queues one cycle's responses, requesting exactly what the policy allows."""

    def __init__(self, stub: Stubber, fleet: Fleet) -> None:
        self.stub, self.fleet = stub, fleet
        self.listed = False
        self.known: dict[str, str] = {}
        self.last: dict[str, int] | None = None

    def cycle(self, status: str = "InProgress") -> int:
        """Queue the cycle; returns the number of unfinished targets it may read."""
        f = self.fleet
        overview = f.overview()
        self.stub.add_response(
            "get_deployment",
            {
                "deploymentInfo": {
                    "deploymentId": DEPLOYMENT,
                    "applicationName": "bench",
                    "deploymentGroupName": "bench-dg",
                    "status": status,
                    "deploymentOverview": overview,
                }
            },
            {"deploymentId": DEPLOYMENT},
        )
        if not self.listed:
            for start in range(0, len(f.ids), LIST_PAGE):
                page: dict[str, Any] = {"targetIds": f.ids[start : start + LIST_PAGE]}
                if start + LIST_PAGE < len(f.ids):
                    page["nextToken"] = f"page-{start + LIST_PAGE}"
                self.stub.add_response("list_deployment_targets", page)
            self.listed = True
        unfinished = [i for i in sorted(f.ids) if self.known.get(i) != "Succeeded"]
        final = status in ("Succeeded", "Failed", "Stopped")
        if self.last is None or overview != self.last or final:
            wanted = unfinished
        else:
            wanted = [i for i in unfinished if self.known.get(i) == "InProgress"]
        for start in range(0, len(wanted), 25):
            ids = wanted[start : start + 25]
            self.stub.add_response(
                "batch_get_deployment_targets",
                {"deploymentTargets": [f.target(i) for i in ids]},
                {"deploymentId": DEPLOYMENT, "targetIds": ids},
            )
            for i in ids:
                self.known[i] = f.status[i]
        self.last = overview
        return len(unfinished)


def _deployment_rows(n: int) -> list[tuple[str, int, int, int]]:
    """(situation, unfinished, measured calls, goal) for one fleet size."""
    clients = _clients()
    client = clients.client("codedeploy")
    counter = Counter(client)
    fleet = Fleet(n)
    rows: list[tuple[str, int, int, int]] = []
    with Stubber(client) as stub:
        script = Script(stub, fleet)
        poller = DeploymentPoller(client, DEPLOYMENT)

        def measure(label: str, status: str = "InProgress", listing: int = 0) -> None:
            unfinished = script.cycle(status)
            poller.poll()
            stub.assert_no_pending_responses()
            calls = len(counter.take())
            goal = 1 + listing + math.ceil(unfinished / 25)
            rows.append((label, unfinished, calls, goal))

        pages = math.ceil(n / LIST_PAGE)
        measure(f"first poll (+{pages} list page(s), once)", listing=pages)
        for fraction in (0.5, 0.9):
            done = int(n * fraction)
            for i in fleet.ids[:done]:
                fleet.status[i] = "Succeeded"
            measure(f"counts moved, {fraction:.0%} newly finished")
            fleet.status[fleet.ids[done]] = "InProgress"
            measure(f"counts moved, {fraction:.0%} finished")
            measure(f"counts still, {fraction:.0%} finished, 1 running")
            fleet.status[fleet.ids[done]] = "Succeeded"
            measure(f"counts moved, {fraction:.0%}+1 finished, 0 running")
            measure(f"counts still, {fraction:.0%}+1 finished, 0 running")
        for i in fleet.ids:
            fleet.status[i] = "Succeeded"
        measure("deployment Succeeded (last read)", "Succeeded")
        before = len(rows)
        poller.poll()  # finished deployment: must not call anything
        rows.append(("after it finished", 0, len(counter.take()), 0))
        assert len(rows) == before + 1
    return rows


def _naive_calls(n: int, cycles: int) -> int:
    """Baseline: each cycle get_deployment + list every target + read every target."""
    clients = _clients()
    client = clients.client("codedeploy")
    counter = Counter(client)
    fleet = Fleet(n)
    with Stubber(client) as stub:
        for _ in range(cycles):
            stub.add_response(
                "get_deployment",
                {"deploymentInfo": {"deploymentId": DEPLOYMENT, "status": "InProgress"}},
            )
            for start in range(0, n, LIST_PAGE):
                page: dict[str, Any] = {"targetIds": fleet.ids[start : start + LIST_PAGE]}
                if start + LIST_PAGE < n:
                    page["nextToken"] = f"p{start}"
                stub.add_response("list_deployment_targets", page)
            for start in range(0, n, 25):
                batch = fleet.ids[start : start + 25]
                stub.add_response(
                    "batch_get_deployment_targets",
                    {"deploymentTargets": [fleet.target(i) for i in batch]},
                )
        for _ in range(cycles):
            client.get_deployment(deploymentId=DEPLOYMENT)
            ids: list[str] = []
            token = None
            while True:
                kwargs: dict[str, Any] = {"deploymentId": DEPLOYMENT}
                if token:
                    kwargs["nextToken"] = token
                page = client.list_deployment_targets(**kwargs)
                ids += page["targetIds"]
                token = page.get("nextToken")
                if not token:
                    break
            for start in range(0, len(ids), 25):
                client.batch_get_deployment_targets(
                    deploymentId=DEPLOYMENT, targetIds=ids[start : start + 25]
                )
    return len(counter.take())


def _pipeline_calls() -> list[tuple[str, int]]:
    clients = _clients()
    client = clients.client("codepipeline")
    counter = Counter(client)
    execution = "e" * 36
    rows: list[tuple[str, int]] = []
    with Stubber(client) as stub:
        poller = PipelinePoller(client, "bench")
        stub.add_response(
            "get_pipeline",
            {
                "pipeline": {
                    "name": "bench",
                    "roleArn": "arn:aws:iam::123456789012:role/bench",
                    "version": 1,
                    "stages": [
                        {"name": n, "actions": [{"name": n, "actionTypeId": t}]}
                        for n, t in (
                            (
                                "Source",
                                {
                                    "category": "Source",
                                    "owner": "AWS",
                                    "provider": "CodeCommit",
                                    "version": "1",
                                },
                            ),
                            (
                                "Deploy",
                                {
                                    "category": "Deploy",
                                    "owner": "AWS",
                                    "provider": "CodeDeploy",
                                    "version": "1",
                                },
                            ),
                        )
                    ],
                }
            },
        )

        def cycle(status: str) -> None:
            stub.add_response(
                "list_pipeline_executions",
                {
                    "pipelineExecutionSummaries": [
                        {"pipelineExecutionId": execution, "status": status, "startTime": T0}
                    ]
                },
            )

        def detail() -> None:
            stub.add_response("get_pipeline_state", {"pipelineName": "bench", "stageStates": []})
            stub.add_response("list_action_executions", {"actionExecutionDetails": []})

        for label, status, with_detail in (
            ("first poll, execution running (+1 get_pipeline, once)", "InProgress", True),
            ("execution running", "InProgress", True),
            ("execution just finished (last read)", "Succeeded", True),
            ("idle: nothing running", "Succeeded", False),
        ):
            cycle(status)
            if with_detail:
                detail()
            poller.poll(ExecutionSelector())
            stub.assert_no_pending_responses()
            rows.append((label, len(counter.take())))
    return rows


def _grid(n: int) -> DeploymentView:
    cells = tuple(
        LifecycleCell(e, LifecycleStatus.SUCCEEDED if k < 2 else LifecycleStatus.PENDING)
        for k, e in enumerate(IN_PLACE_EVENTS)
    )
    return DeploymentView(
        deployment_id=DEPLOYMENT,
        application="bench",
        group="bench-dg",
        status=DeploymentStatus.IN_PROGRESS,
        instances=tuple(InstanceView(f"i-{k:05d}", "InProgress", events=cells) for k in range(n)),
    )


def _best(fn: Callable[[], object], repeat: int = 30) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print("(a) deployment poller: API calls per poll cycle (Stubber-backed, counted by hook)")
    for n in (10, 100, 1000):
        rows = _deployment_rows(n)
        steady = [r for r in rows[1:] if r[3]]
        ours = sum(r[2] for r in steady)
        naive = _naive_calls(n, len(steady))
        print(f"  {n} instances (unfinished = not finished when last read)")
        print(f"    {'situation':44} {'unfinished':>10} {'calls':>6} {'goal ≤':>7}")
        for label, unfinished, calls, goal in rows:
            mark = "" if calls <= goal or (goal == 0 and calls == 0) else "  ✗ over goal"
            print(f"    {label:44} {unfinished:>10} {calls:>6} {goal:>7}{mark}")
            assert calls <= goal or (goal == 0 and calls == 0), (n, label, calls, goal)
        print(
            f"    over {len(steady)} cycles after the first: {ours} calls vs naive re-read-all "
            f"{naive} calls → ratio {ours / naive:.3f}"
        )
    print("  pipeline poller: calls per cycle")
    for label, calls in _pipeline_calls():
        print(f"    {label:56} {calls:>3}")

    print("(b, core) deriving events for an update of a 1,000-instance grid")
    base = _grid(1000)
    changed = list(base.instances)
    for k in range(0, 1000, 100):
        inst = changed[k]
        cells = list(inst.events)
        cells[2] = replace(cells[2], status=LifecycleStatus.IN_PROGRESS, started_at=T0)
        changed[k] = replace(inst, events=tuple(cells))
    new = replace(base, instances=tuple(changed))
    old_snap = Snapshot(sequence=1, taken_at=T0, deployment=base)
    new_snap = Snapshot(sequence=2, taken_at=T0, deployment=new)
    assert len(diff(old_snap, new_snap)) == 10
    incremental = _best(lambda: diff(old_snap, new_snap))
    full = _best(lambda: diff(None, new_snap))
    print(f"    10 of 1,000 changed, diff(old, new): {incremental * 1e3:.2f} ms")
    print(f"    whole grid described, diff(None, new): {full * 1e3:.2f} ms")
    print(f"    ratio {incremental / full:.3f} (goal ≤ 0.1)")


if __name__ == "__main__":
    main()
