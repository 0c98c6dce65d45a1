"""Can an instance reach CodeDeploy, S3 (and SSM) from its subnet? And is there a default VPC to
launch into when no subnet is given?

The CodeDeploy agent polls the CodeDeploy endpoints and downloads each revision from S3; the
first-boot install needs a package mirror, and the payload's AfterInstall runs pip. A subnet gets
there through one of:

- its route table's `0.0.0.0/0` route to an internet gateway, *and* a public IP on the instance
  (the subnet's MapPublicIpOnLaunch for instances cdwizard creates);
- that route to a NAT gateway (which must be available);
- VPC endpoints for `codedeploy`, `codedeploy-commands-secure` and `s3` (plus `ssm`,
  `ssmmessages`, `ec2messages` for SSM) — enough for the agent, not for apt or pip.

A route through a transit gateway, a peering connection or an appliance may well reach the
internet; that cannot be told from here, so it is reported as unknown. The subnet's route table is
its explicit association, else its VPC's main table. IPv6-only egress is not considered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from wizard.services.aws.errors import DiscoveryError, guarded

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

#: Endpoint service suffixes the agent needs without internet access, and those SSM needs.
AGENT_ENDPOINTS = ("codedeploy", "codedeploy-commands-secure", "s3")
SSM_ENDPOINTS = ("ssm", "ssmmessages", "ec2messages")
#: Route targets that may lead to the internet, as (route key, what it is).
_OTHER_TARGETS = (
    ("TransitGatewayId", "transit gateway"),
    ("VpcPeeringConnectionId", "peering connection"),
    ("NetworkInterfaceId", "network interface"),
    ("InstanceId", "instance"),
    ("CarrierGatewayId", "carrier gateway"),
    ("LocalGatewayId", "local gateway"),
    ("CoreNetworkArn", "core network"),
)

Reach = Literal["internet", "nat", "endpoints", "none", "unknown"]


@dataclass(frozen=True)
class DefaultVpc:
    """The region's default VPC (None: there is none) and its default subnets."""

    vpc_id: str | None
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    map_public_ip: bool


@dataclass(frozen=True)
class SubnetReach:
    """How (and whether) instances in one subnet reach AWS's endpoints and the internet."""

    subnet: Subnet
    reach: Reach
    route_table: str | None
    #: the default route's target (igw-…, nat-…, tgw-…), when there is one
    via: str | None
    #: whether the instances have a public IP (the subnet's setting, or the instance's own)
    public_ip: bool
    #: endpoint services the VPC has of those the agent (and SSM) would need
    endpoints: tuple[str, ...] = ()
    missing_endpoints: tuple[str, ...] = ()
    detail: str = ""
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.reach in ("internet", "nat")


def default_vpc(clients: AwsClients) -> DefaultVpc:
    """The default VPC of the region and its default subnets (one call each)."""
    ec2 = clients.client("ec2")
    profile = clients.target.profile
    with guarded("ec2:DescribeVpcs", profile=profile):
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        return DefaultVpc(None)
    vpc_id = vpcs[0]["VpcId"]
    with guarded("ec2:DescribeSubnets", profile=profile):
        found = ec2.describe_subnets(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "default-for-az", "Values": ["true"]},
            ]
        )["Subnets"]
    return DefaultVpc(vpc_id, tuple(sorted(s["SubnetId"] for s in found)))


def subnets(clients: AwsClients, subnet_ids: Iterable[str]) -> dict[str, Subnet]:
    """The subnets by id; a missing one raises `DiscoveryError` (kind not_found)."""
    wanted = sorted(set(subnet_ids))
    if not wanted:
        return {}
    try:
        with guarded("ec2:DescribeSubnets", profile=clients.target.profile):
            found = clients.client("ec2").describe_subnets(SubnetIds=wanted)["Subnets"]
    except DiscoveryError as exc:
        if exc.code == "InvalidSubnetID.NotFound":
            raise DiscoveryError(
                f"subnet {', '.join(wanted)} does not exist in {clients.target.region}",
                "not_found",
                "check targets.subnet_id and aws.region (`aws ec2 describe-subnets`)",
                None,
                exc.code,
            ) from exc
        raise
    return {
        s["SubnetId"]: Subnet(
            s["SubnetId"],
            s["VpcId"],
            s.get("AvailabilityZone", ""),
            bool(s.get("MapPublicIpOnLaunch")),
        )
        for s in found
    }


def _route_table(tables: list[Mapping[str, Any]], subnet_id: str) -> Mapping[str, Any] | None:
    for table in tables:
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            return table
    return next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)


def _default_route(table: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    for route in (table or {}).get("Routes", []):
        if route.get("DestinationCidrBlock") == "0.0.0.0/0":
            return route
    return None


@dataclass
class _Vpc:
    """One VPC's route tables, endpoints and NAT gateways (read once per check)."""

    tables: list[Mapping[str, Any]]
    endpoints: list[Mapping[str, Any]]
    nat_states: dict[str, str]


def _read_vpc(clients: AwsClients, vpc_id: str) -> _Vpc:
    ec2 = clients.client("ec2")
    profile = clients.target.profile
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    with guarded("ec2:DescribeRouteTables", profile=profile):
        tables = [
            t
            for page in ec2.get_paginator("describe_route_tables").paginate(Filters=by_vpc)
            for t in page["RouteTables"]
        ]
    with guarded("ec2:DescribeVpcEndpoints", profile=profile):
        endpoints = ec2.describe_vpc_endpoints(Filters=by_vpc)["VpcEndpoints"]
    with guarded("ec2:DescribeNatGateways", profile=profile):
        nats = ec2.describe_nat_gateways(Filter=by_vpc)["NatGateways"]
    return _Vpc(tables, endpoints, {n["NatGatewayId"]: n.get("State", "") for n in nats})


def _endpoint_services(vpc: _Vpc, table_id: str | None, region: str) -> tuple[str, ...]:
    """Which of the needed services have a usable endpoint for this subnet's route table."""
    found: set[str] = set()
    for endpoint in vpc.endpoints:
        if endpoint.get("State", "available").lower() != "available":
            continue
        name = str(endpoint.get("ServiceName", ""))
        suffix = name.split(f".{region}.", 1)[-1] if f".{region}." in name else ""
        if endpoint.get("VpcEndpointType") == "Gateway" and table_id not in (
            endpoint.get("RouteTableIds") or []
        ):
            continue
        if suffix:
            found.add(suffix)
    return tuple(s for s in (*AGENT_ENDPOINTS, *SSM_ENDPOINTS) if s in found)


def reach(
    clients: AwsClients,
    subnet: Subnet,
    *,
    public_ip: bool | None = None,
    needs_ssm: bool = False,
    vpc: _Vpc | None = None,
) -> SubnetReach:
    """How instances in `subnet` get out; `public_ip` None: the subnet's MapPublicIpOnLaunch."""
    region = clients.target.region
    info = vpc or _read_vpc(clients, subnet.vpc_id)
    table = _route_table(info.tables, subnet.subnet_id)
    table_id = table.get("RouteTableId") if table else None
    public = subnet.map_public_ip if public_ip is None else public_ip
    route = _default_route(table)
    endpoints = _endpoint_services(info, table_id, region)
    needed = AGENT_ENDPOINTS + (SSM_ENDPOINTS if needs_ssm else ())
    missing = tuple(s for s in needed if s not in endpoints)

    def result(reach: Reach, via: str | None, detail: str, fix: str | None = None) -> SubnetReach:
        return SubnetReach(
            subnet=subnet,
            reach=reach,
            route_table=table_id,
            via=via,
            public_ip=public,
            endpoints=endpoints,
            missing_endpoints=missing,
            detail=detail,
            fix=fix,
        )

    where = f"{subnet.subnet_id} ({table_id or 'no route table'})"
    if route is not None and route.get("State") == "blackhole":
        target = _target(route)
        return result(
            reach="none",
            via=target,
            detail=f"{where}: the route to the internet via {target} is a blackhole (its target "
            "was deleted)",
            fix=f"replace the 0.0.0.0/0 route of {table_id} with a working internet or NAT gateway",
        )
    gateway = str((route or {}).get("GatewayId") or "")
    if gateway.startswith("igw-"):
        if public:
            return result(
                reach="internet",
                via=gateway,
                detail=f"{where}: internet gateway {gateway}, with public IPs",
            )
        return result(
            reach="none",
            via=gateway,
            detail=f"{where}: routes to internet gateway {gateway}, but its instances get no "
            "public IP (MapPublicIpOnLaunch is false), so nothing gets out",
            fix=f"`aws ec2 modify-subnet-attribute --subnet-id {subnet.subnet_id} "
            "--map-public-ip-on-launch`, or use a private subnet whose 0.0.0.0/0 route goes to "
            "a NAT gateway",
        )
    nat = str((route or {}).get("NatGatewayId") or "")
    if nat:
        state = info.nat_states.get(nat, "unknown")
        if state == "available":
            return result(reach="nat", via=nat, detail=f"{where}: NAT gateway {nat}")
        return result(
            reach="none",
            via=nat,
            detail=f"{where}: routes to NAT gateway {nat}, which is {state}",
            fix=f"use an available NAT gateway in the 0.0.0.0/0 route of {table_id}",
        )
    other = _target(route) if route is not None else None
    if other:
        return result(
            reach="unknown",
            via=other,
            detail=f"{where}: 0.0.0.0/0 goes through {other}; cdwizard cannot tell whether "
            "that reaches the internet",
            fix="make sure it leads to the internet (or a proxy), or add VPC endpoints for "
            + ", ".join(needed),
        )
    if not missing:
        return result(
            reach="endpoints",
            via=None,
            detail=f"{where}: no route to the internet, but VPC endpoints for "
            + ", ".join(needed)
            + ": the agent can work; the first-boot install (apt/dnf) and pip need mirrors",
            fix="give the subnet a NAT gateway route, or point apt/dnf and pip at mirrors "
            "reachable from the VPC (PIP_INDEX_URL)",
        )
    return result(
        reach="none",
        via=None,
        detail=f"{where}: no route to the internet (no 0.0.0.0/0 route) and no VPC endpoint "
        f"for {', '.join(missing)}: the CodeDeploy agent cannot reach CodeDeploy or S3",
        fix=f"add a NAT gateway route (`aws ec2 create-route --route-table-id {table_id} "
        "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-…`), pick a public subnet "
        "(internet gateway and public IPs), or create the VPC endpoints "
        + ", ".join(f"com.amazonaws.{region}.{s}" for s in missing)
        + " (s3 as a gateway endpoint on this route table)",
    )


def _target(route: Mapping[str, Any]) -> str | None:
    for key, what in _OTHER_TARGETS:
        value = route.get(key)
        if value:
            return f"{what} {value}"
    gateway = route.get("GatewayId") or route.get("NatGatewayId")
    return str(gateway) if gateway else None


def reach_all(
    clients: AwsClients,
    wanted: Sequence[tuple[str, bool | None]],
    *,
    needs_ssm: bool = False,
) -> list[SubnetReach]:
    """`reach` for each (subnet id, public IP or None) in `wanted`, in order, reading each
    subnet and each VPC once."""
    found = subnets(clients, (subnet_id for subnet_id, _ in wanted))
    vpcs: dict[str, _Vpc] = {}
    out = []
    for subnet_id, public_ip in wanted:
        subnet = found[subnet_id]
        if subnet.vpc_id not in vpcs:
            vpcs[subnet.vpc_id] = _read_vpc(clients, subnet.vpc_id)
        out.append(
            reach(
                clients,
                subnet,
                public_ip=public_ip,
                needs_ssm=needs_ssm,
                vpc=vpcs[subnet.vpc_id],
            )
        )
    return out
