"""Planners that need a lookup beyond the snapshot: other subnets, existing secret names."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from ecs_medic.aws.snapshot import SecretRef, ServiceSnapshot
from ecs_medic.aws.snapshot_access import SecretCheck
from ecs_medic.aws.snapshot_network import LoadBalancer, Subnet
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, make_action, revision_action
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import ApiCall, FieldChange
from ecs_medic.remedies.plan_network import awsvpc

LookupPlanner = Callable[[Finding, ServiceSnapshot, Lookups], Proposal | None]
CLOSE_ENOUGH = 0.85  # difflib ratio: one or two characters apart in a typical secret name


# --- subnets ----------------------------------------------------------------------------------


def plan_subnets(finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups) -> Proposal | None:
    """Move the service off subnets that cannot take its tasks, onto existing equivalent ones.

    Equivalent: same VPC, the same way out (NAT, internet gateway or none), enough free
    addresses for a full surge, in a zone the load balancer serves; for an unsupported
    zone, only other zones.
    """
    network = snapshot.service.network
    if network is None or not lookups.vpc_subnets:
        return None
    current = [s for s in lookups.vpc_subnets if s.id in network.subnets]
    keep = [s for s in current if _usable(finding, snapshot, s, current)]
    served = served_zones(snapshot)
    spare = [
        s for s in lookups.vpc_subnets
        if s.id not in network.subnets and equivalent(snapshot, s, current)
        and _usable(finding, snapshot, s, current)
        and (served is None or s.availability_zone in served)
    ]  # fmt: skip
    chosen = [*keep, *spare]
    if not spare or {s.id for s in chosen} == set(network.subnets):
        return None
    before = awsvpc(network)
    after = awsvpc(network, subnets=[s.id for s in chosen])
    return make_action(
        finding.code, f"Run the tasks in subnets {', '.join(s.id for s in chosen)} and redeploy",
        "A2", (network_update(snapshot, after),),
        rollback=(network_update(snapshot, before),),
        diff=config_diff("service.networkConfiguration", before, after),
        expected_effect="new tasks get a network interface in a subnet that can place them",
        risk="the tasks move to other existing subnets with the same route out of the VPC",
    )  # fmt: skip


def service_balancers(snapshot: ServiceSnapshot) -> list[LoadBalancer]:
    """The load balancers in front of the service's target groups."""
    attached = {b.target_group_arn for b in snapshot.service.load_balancers}
    arns = {a for g in snapshot.target_groups if g.arn in attached for a in g.load_balancer_arns}
    return [lb for lb in snapshot.network.load_balancers if lb.arn in arns]


def served_zones(snapshot: ServiceSnapshot) -> set[str] | None:
    """Zones every load balancer of the service serves; None when the service has none.

    A service with target groups whose load balancers were not read serves no zone we know.
    """
    if not snapshot.service.load_balancers:
        return None
    balancers = service_balancers(snapshot)
    if not balancers:
        return set()
    return set.intersection(*(set(lb.availability_zones) for lb in balancers))


def network_update(snapshot: ServiceSnapshot, config: dict[str, object]) -> ApiCall:
    """UpdateService to this networkConfiguration, with a new deployment."""
    params = {
        "cluster": snapshot.cluster_arn, "service": snapshot.service.name,
        "networkConfiguration": config, "forceNewDeployment": True,
    }  # fmt: skip
    return ApiCall("ecs", "UpdateService", params)


def needed_ips(snapshot: ServiceSnapshot) -> int:
    """Addresses a full rolling surge takes: desired x maxPercent, at least 2."""
    service = snapshot.service
    surge = (service.deployment_config.maximum_percent or 200) / 100
    return max(2, int(service.desired_count * surge))


def _usable(
    finding: Finding, snapshot: ServiceSnapshot, subnet: Subnet, current: list[Subnet]
) -> bool:
    if finding.code == "UNSUPPORTED_AZ_SUBNET":
        return subnet.availability_zone not in {s.availability_zone for s in current}
    return has_room(snapshot, subnet)


def has_room(snapshot: ServiceSnapshot, subnet: Subnet) -> bool:
    """Whether the subnet has the free addresses a full rolling surge of the service takes."""
    return (subnet.available_ips or 0) >= needed_ips(snapshot)


def equivalent(snapshot: ServiceSnapshot, subnet: Subnet, current: list[Subnet]) -> bool:
    """Same VPC and the same kind of default route as the service's subnets."""
    kinds = {_way_out(snapshot, s) for s in current}
    return (
        bool(current)
        and subnet.vpc_id == current[0].vpc_id
        and kinds == {_way_out(snapshot, subnet)}
    )


def _way_out(snapshot: ServiceSnapshot, subnet: Subnet) -> str:
    tables = snapshot.network.route_tables
    table = next((t for t in tables if subnet.id in t.subnet_ids), None)
    table = table or next((t for t in tables if t.is_main and t.vpc_id == subnet.vpc_id), None)
    for route in table.routes if table else ():
        if route.destination_cidr == "0.0.0.0/0" and route.state != "blackhole":
            return "nat" if route.nat_gateway_id else (route.gateway_id or "other")[:3]
    return "none"


# --- secret references ------------------------------------------------------------------------


def plan_secret_ref(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Point a reference to a missing secret or parameter at the one existing close name."""
    td = snapshot.current_task_definition
    missing = [c for c in snapshot.access.secrets if c.exists is False]
    if td is None or not missing:
        return None
    fixes = {(c.container, c.name): _closest(c, lookups) for c in missing}
    if None in fixes.values():
        return None
    changes = []
    for container in td.containers:
        refs = container.secrets
        new = [_ref(r, fixes.get((container.name, r.name))) for r in refs]
        old = [_ref(r, None) for r in refs]
        if new != old:
            changes.append(FieldChange("secrets", old, new, container.name))
    renamed = ", ".join(f"{name} -> {to}" for (_, name), to in fixes.items())
    return revision_action(
        finding, snapshot, tuple(changes),
        title=f"Register {td.family} with corrected secret references ({renamed}) and deploy it",
        expected_effect="tasks read a secret that exists and start",
        risk="the similar name must hold the intended value; check it before approving",
    )  # fmt: skip


def _ref(ref: SecretRef, value_from: str | None) -> dict[str, str]:
    return {"name": ref.name, "valueFrom": value_from or ref.value_from}


def _closest(check: SecretCheck, lookups: Lookups) -> str | None:
    """The one existing secret ARN or parameter name close to the reference, else None."""
    if check.json_key:
        return None  # keep it simple: the key suffix would need carrying over
    if check.kind == "ssm":
        name = check.value_from.rsplit(":parameter", 1)[-1]
        found = _one_close(name, lookups.parameter_names, lambda n: n)
        if found and check.value_from.startswith("arn:"):
            return check.value_from.rsplit(":parameter", 1)[0] + ":parameter" + found
        return found
    wanted = secret_name(check.value_from)
    return _one_close(wanted, lookups.secret_arns, secret_name)


def _one_close(
    wanted: str, candidates: tuple[str, ...], name_of: Callable[[str], str]
) -> str | None:
    names = {name_of(c): c for c in candidates if name_of(c) != wanted}
    close = difflib.get_close_matches(wanted, list(names), n=2, cutoff=CLOSE_ENOUGH)
    return names[close[0]] if len(close) == 1 else None


def secret_name(value_from: str) -> str:
    """The secret name of an ARN (without the 6-character suffix AWS adds) or a plain name."""
    if not value_from.startswith("arn:"):
        return value_from
    name = value_from.split(":secret:", 1)[-1].split(":", 1)[0]
    stem, _, suffix = name.rpartition("-")
    return stem if stem and len(suffix) == 6 else name
