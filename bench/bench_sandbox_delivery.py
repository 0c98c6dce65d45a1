"""The sandbox delivery engine at fleet sizes 10, 100 and 1,000 (moto server in this process).

(a) CreateDeployment: the whole schedule (every instance's simulated agent, the pacing) is
    computed in that call. Baseline in the same run: the same call with the simulation switched
    off (plain moto stores the deployment and does nothing else).
(b) One monitor poll cycle on the running deployment: GetDeployment, ListDeploymentTargets and
    ⌈N/25⌉ BatchGetDeploymentTargets, each computing state from the schedule. Baseline: the same
    number of plain moto calls (GetApplication), i.e. the HTTP and moto overhead alone.
Time is simulated (a fake clock), so the runs never wait.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

SIZES = (10, 100, 1000)
REPEAT = 3


def _best(fn: Callable[[], Any], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    from moto.server import ThreadedMotoServer

    from tests.sandbox_delivery_support import FakeClock
    from wizard.services.aws.session import AwsClients, AwsTarget
    from wizard.services.sandbox.extensions import delivery, install_all

    logging.getLogger("werkzeug").disabled = True
    install_all()
    clock = FakeClock()
    delivery.use_clock(clock)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        for size in SIZES:
            clients = AwsClients(
                AwsTarget(
                    region="eu-west-1",
                    endpoint_url=f"http://{host}:{port}",
                    access_key_id="bench",
                    secret_access_key="bench",
                )
            )
            _measure(clients, clock, size)
            from moto.core.base_backend import BackendDict

            BackendDict.reset()
    finally:
        delivery.use_clock(None)
        delivery.set_enabled(True)
        server.stop()


def _measure(clients: Any, clock: Any, size: int) -> None:
    from tests.sandbox_delivery_support import Stack, payload
    from wizard.services.sandbox.extensions import delivery

    name = f"bench{size}"
    stack = Stack(
        clients,
        pipeline=name,
        repository=name,
        application=name,
        group=f"{name}-dg",
        bucket=f"{name}-artifacts",
    ).create(instances=0, config="CodeDeployDefault.AllAtOnce", rollback=False)
    for start in range(0, size, 250):
        stack.launch(min(250, size - start))
    clock.advance(5)
    stack.push(payload(), "bench")
    clock.advance(5)  # the pipeline's own deployment is running; deploy its revision again
    codedeploy = clients.client("codedeploy")
    [running] = codedeploy.list_deployments(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deployments"]
    revision = codedeploy.get_deployment(deploymentId=running)["deploymentInfo"]["revision"]

    def create() -> None:
        clock.advance(3600)  # the previous one has finished
        codedeploy.create_deployment(
            applicationName=stack.application, deploymentGroupName=stack.group, revision=revision
        )

    simulated = _best(create)
    delivery.set_enabled(False)
    plain = _best(create)
    delivery.set_enabled(True)
    clock.advance(3600)
    deployment = codedeploy.create_deployment(
        applicationName=stack.application, deploymentGroupName=stack.group, revision=revision
    )["deploymentId"]
    clock.advance(5)
    ids: list[str] = []
    token = None
    while True:
        page = codedeploy.list_deployment_targets(
            deploymentId=deployment, **({"nextToken": token} if token else {})
        )
        ids += page["targetIds"]
        token = page.get("nextToken")
        if not token:
            break
    batches = math.ceil(len(ids) / 25)

    def cycle() -> None:
        codedeploy.get_deployment(deploymentId=deployment)
        codedeploy.list_deployment_targets(deploymentId=deployment)
        for start in range(0, len(ids), 25):
            codedeploy.batch_get_deployment_targets(
                deploymentId=deployment, targetIds=ids[start : start + 25]
            )

    def baseline() -> None:
        for _ in range(2 + batches):
            codedeploy.get_application(applicationName=stack.application)

    poll = _best(cycle)
    bare = _best(baseline)
    per_call = statistics.mean([poll / (2 + batches)])
    print(
        f"   {size:>5} instances: CreateDeployment {simulated * 1000:7.1f} ms "
        f"(plain moto {plain * 1000:5.1f} ms, x{simulated / plain:5.1f}); "
        f"poll cycle of {2 + batches} calls {poll * 1000:7.1f} ms "
        f"(plain calls {bare * 1000:6.1f} ms, x{poll / bare:4.2f}; {per_call * 1000:.1f} ms/call)"
    )
