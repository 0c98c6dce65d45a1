"""Discovery latency: the live tag count the wizard refreshes as the user types.

Against a local moto server holding 300 instances (100 tagged App=web), measures
`discovery.match_instances` (paginated DescribeInstances, escaping, dataclasses) against a bare
boto3 `describe_instances` with the same filters (the floor: one HTTP round trip and parsing), and
`fleet_readiness` (one SSM call) for the matched instances. Prints medians and the ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _median_ms(*funcs: Callable[[], object], runs: int = 15) -> list[float]:
    """Median wall time of each function; runs are interleaved so load drift hits all alike."""
    for func in funcs:
        func()  # warm: client creation, backend creation, connection
    samples: list[list[float]] = [[] for _ in funcs]
    for _ in range(runs):
        for i, func in enumerate(funcs):
            started = time.perf_counter()
            func()
            samples[i].append((time.perf_counter() - started) * 1000)
    return [statistics.median(s) for s in samples]


def main() -> None:
    from moto.server import ThreadedMotoServer

    from wizard.services.aws import discovery
    from wizard.services.aws.session import AwsClients, AwsTarget
    from wizard.services.sandbox.extensions import install_all

    install_all()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        target = AwsTarget(
            region="eu-west-1",
            endpoint_url=f"http://{host}:{port}",
            access_key_id="bench",
            secret_access_key="bench",
        )
        clients = AwsClients(target)
        ec2 = clients.client("ec2")
        for value, count in (("web", 100), ("api", 100), ("batch", 100)):
            ec2.run_instances(
                ImageId="ami-12c6146b",
                MinCount=count,
                MaxCount=count,
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": [{"Key": "App", "Value": value}]}
                ],
            )
        filters = [
            {"Name": "tag:App", "Values": ["web"]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
        matched = discovery.match_instances(clients, "App", "web")
        bare, match, ready = _median_ms(
            lambda: ec2.describe_instances(Filters=filters),
            lambda: discovery.match_instances(clients, "App", "web"),
            lambda: discovery.fleet_readiness(clients, matched.instances),
        )
        assert matched.count == 100
        print(f"   bare describe_instances (100 of 300 match): {bare:7.1f} ms")
        print(
            f"   match_instances live count:                 {match:7.1f} ms  "
            f"ratio {match / bare:.2f}x"
        )
        print(
            f"   fleet_readiness (SSM, {len(matched.instances)} instances):"
            f"          {ready:7.1f} ms"
        )
    finally:
        server.stop()
