"""The default VPC as AWS makes it: with an internet gateway and a route to it.

moto 5.2.5 creates each region's default VPC with its default subnets (which map public IPs on
launch) but without the internet gateway and the `0.0.0.0/0` route AWS gives every default VPC,
so `cdwizard doctor`'s network check would find no way out of it. This wraps the EC2 backend's
`create_default_vpc` (which moto calls when it creates a region's backend, and the API's
CreateDefaultVpc) to add both: an attached internet gateway and the main route table's default
route to it. Backend-level, so it also holds after `/moto-api/reset`.
"""

from __future__ import annotations

from typing import Any

#: Marks the wrapper this module installed (install is idempotent).
_MARK = "_cdwizard_default_vpc"


def connect_to_internet(backend: Any, vpc: Any) -> None:
    """Attach a new internet gateway to `vpc` and route `0.0.0.0/0` of its main table to it."""
    igw = backend.create_internet_gateway()
    backend.attach_internet_gateway(igw.id, vpc.id)
    for table in backend.describe_route_tables(filters={"vpc-id": [vpc.id]}):
        if table.main_association_id is not None:
            backend.create_route(table.id, "0.0.0.0/0", gateway_id=igw.id)


def install() -> None:
    """Wrap `EC2Backend.create_default_vpc` (idempotent)."""
    from moto.ec2.models import EC2Backend

    current = EC2Backend.create_default_vpc
    if getattr(current, _MARK, False):
        return

    def create_default_vpc(self: Any) -> Any:
        vpc = current(self)
        connect_to_internet(self, vpc)
        return vpc

    setattr(create_default_vpc, _MARK, True)
    # a deliberate monkeypatch of moto's backend method (same signature)
    EC2Backend.create_default_vpc = create_default_vpc  # type: ignore[method-assign]
