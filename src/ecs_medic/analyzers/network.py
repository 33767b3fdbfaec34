"""Networking failures (catalogue section 2).

Image-pull, secret and log timeouts look the same whatever broke the path, so the egress
analyzer reads the network view of each task subnet to say which of NO_EGRESS_FOR_IMAGE_PULL,
NO_PUBLIC_IP_IN_PUBLIC_SUBNET, VPC_ENDPOINT_MISCONFIG and TASK_EGRESS_BLOCKED it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.aws.snapshot_network import RouteTable, SecurityGroup, Subnet, VpcEndpoint
from ecs_medic.findings import Evidence, Finding, make_finding

from .paths import (
    HTTPS,
    PUBLIC_PROBE,
    default_route,
    describe_route,
    egress_rules_allow,
    endpoint_suffix,
    ingress_admits,
    nacl_blocks_https,
    probe_address,
    route_target,
    vpc_cidr,
)
from .signals import (
    DESCRIBE_SERVICES,
    Signal,
    find_signal,
    impact_severity,
    is_fargate,
    plural,
    service_subnets,
    task_security_groups,
)

CONNECTIVITY = (
    "connection issue between the task and amazon ecr",
    "request canceled while waiting for",
    "context canceled",
    "signal: killed",
    "i/o timeout",
    "context deadline exceeded",
    "client.timeout exceeded",
    "no such host",
    "connect: connection timed out",
)
NOT_CONNECTIVITY = ("httpreaderseeker", "panic: runtime error", "efs", "mount.nfs")
ROUTES = "ec2:DescribeRouteTables"
ENDPOINTS = "ec2:DescribeVpcEndpoints"
GROUPS = "ec2:DescribeSecurityGroups"
ECR_HOST = ".dkr.ecr."


@dataclass(frozen=True, slots=True)
class Verdict:
    """One defect on a subnet's path out, with the facts that show it and the fix."""

    code: str
    subnet: str
    facts: tuple[Evidence, ...]
    fix: str


def egress_path(snapshot: ServiceSnapshot) -> list[Finding]:
    """NO_EGRESS_FOR_IMAGE_PULL and kin: connection timeouts explained by the subnet's path."""
    signal = find_signal(snapshot, CONNECTIVITY, NOT_CONNECTIVITY)
    if not signal:
        return []
    subnets = _signal_subnets(snapshot, signal)
    verdicts = (
        [v for s in subnets for v in path_defects(snapshot, s)] if is_fargate(snapshot) else []
    )
    if not verdicts:
        return [_unexplained(snapshot, signal)]
    codes = dict.fromkeys(v.code for v in verdicts)
    return [_finding(snapshot, signal, [v for v in verdicts if v.code == c]) for c in codes]


def _signal_subnets(snapshot: ServiceSnapshot, signal: Signal) -> tuple[str, ...]:
    """The subnets of the tasks that timed out, else every subnet of the service."""
    own = tuple(dict.fromkeys(h.task.subnet_id for h in signal.tasks if h.task.subnet_id))
    return own or service_subnets(snapshot)


def path_defects(snapshot: ServiceSnapshot, subnet_id: str) -> list[Verdict]:
    """Every defect on the way from this subnet to ECR, S3, CloudWatch Logs and secrets."""
    network = snapshot.network
    table = network.route_table_for(subnet_id)
    if table is None:
        return []
    subnet = network.subnet(subnet_id)
    route_fact = Evidence(ROUTES, table.id, f"subnet {subnet_id}: {describe_route(table)}")
    route = _route_verdict(snapshot, subnet_id, table, route_fact)
    private = default_route(table) is None
    address = probe_address(_cidr(snapshot, subnet, table)) if private else PUBLIC_PROBE
    found = [v for v in (route, _blocked(snapshot, subnet_id, address)) if v]
    if private and not any(v.code == "NO_EGRESS_FOR_IMAGE_PULL" for v in found):
        found += _endpoint_verdicts(snapshot, subnet, table, route_fact)
    return found


def _cidr(snapshot: ServiceSnapshot, subnet: Subnet | None, table: RouteTable) -> str | None:
    """The subnet's CIDR, else its VPC's."""
    if subnet and subnet.cidr:
        return subnet.cidr
    return vpc_cidr(snapshot.network, table.vpc_id)


def _route_verdict(
    snapshot: ServiceSnapshot, subnet_id: str, table: RouteTable, fact: Evidence
) -> Verdict | None:
    """NO_EGRESS (blackhole or dead NAT) or NO_PUBLIC_IP (IGW without a public IP)."""
    route = default_route(table)
    if route is None:
        return None
    target = route_target(route)
    if route.state == "blackhole":
        return Verdict("NO_EGRESS_FOR_IMAGE_PULL", subnet_id, (fact,), _nat_fix(subnet_id, table))
    nat = next((n for n in snapshot.network.nat_gateways if n.id == route.nat_gateway_id), None)
    if nat and nat.state != "available":
        nat_fact = Evidence(
            "ec2:DescribeNatGateways", nat.id, f"NAT gateway {nat.id} is {nat.state}"
        )
        return Verdict(
            "NO_EGRESS_FOR_IMAGE_PULL", subnet_id, (fact, nat_fact), _nat_fix(subnet_id, table)
        )
    if target.startswith("igw-") and _public_ip(snapshot) != "ENABLED":
        return _no_public_ip(snapshot, subnet_id, target, fact)
    return None


def _public_ip(snapshot: ServiceSnapshot) -> str | None:
    """The service's assignPublicIp setting."""
    network = snapshot.service.network
    return network.assign_public_ip if network else None


def _no_public_ip(snapshot: ServiceSnapshot, subnet_id: str, igw: str, fact: Evidence) -> Verdict:
    """A public subnet whose tasks get no public IP, so the IGW cannot carry their traffic."""
    setting = Evidence(
        DESCRIBE_SERVICES,
        snapshot.service.arn,
        f"networkConfiguration.awsvpcConfiguration.assignPublicIp {_public_ip(snapshot)}",
    )
    groups = ", ".join(task_security_groups(snapshot)) or "the task SG"
    fix = (
        f"Update the service with assignPublicIp=ENABLED (subnet {subnet_id} routes 0.0.0.0/0 "
        f"to {igw}) and keep the ingress of {groups} restricted; or move the tasks to private "
        "subnets whose route table points at a NAT gateway."
    )
    return Verdict("NO_PUBLIC_IP_IN_PUBLIC_SUBNET", subnet_id, (fact, setting), fix)


def _nat_fix(subnet_id: str, table: RouteTable) -> str:
    """What to do when a subnet has no usable way out."""
    return (
        f"Give subnet {subnet_id} a way out: in route table {table.id} add 0.0.0.0/0 to an "
        "available NAT gateway in a public subnet, or create VPC endpoints (interface ecr.api, "
        "ecr.dkr, logs, and secretsmanager/ssm when secrets are used, with Private DNS and a "
        "security group admitting 443 from the tasks; S3 gateway endpoint on this route table)."
    )


def _blocked(snapshot: ServiceSnapshot, subnet_id: str, address: str) -> Verdict | None:
    """TASK_EGRESS_BLOCKED: the task SGs have no 443 egress, or the NACL drops HTTPS."""
    groups = _groups(snapshot, task_security_groups(snapshot))
    facts: list[Evidence] = []
    if groups and not egress_rules_allow(groups, HTTPS):
        ids = ", ".join(g.id for g in groups)
        facts.append(Evidence(GROUPS, ids, f"no egress rule of {ids} allows TCP 443"))
    acl_problem = nacl_blocks_https(snapshot.network, subnet_id, address)
    if acl_problem:
        acl = snapshot.network.network_acl_for(subnet_id)
        facts.append(Evidence("ec2:DescribeNetworkAcls", acl.id if acl else subnet_id, acl_problem))
    if not facts:
        return None
    fix = (
        f"Allow TCP 443 out of {', '.join(g.id for g in groups) or 'the task security groups'} "
        "(to the VPC endpoint security groups or prefix lists, or 0.0.0.0/0 behind NAT), and let "
        f"the network ACL of {subnet_id} pass outbound 443 and inbound 1024-65535."
    )
    return Verdict("TASK_EGRESS_BLOCKED", subnet_id, tuple(facts), fix)


def _groups(snapshot: ServiceSnapshot, ids: Sequence[str]) -> list[SecurityGroup]:
    """The security groups with these ids; empty unless every one was collected."""
    found = [snapshot.network.security_group(i) for i in ids]
    return [g for g in found if g] if ids and all(found) else []


def needed_endpoints(definition: TaskDefinition | None) -> tuple[str, ...]:
    """Endpoint suffixes a private task needs: ECR and S3 for ECR images, logs, secrets."""
    if definition is None:
        return ("ecr.api", "ecr.dkr", "s3")
    needed: list[str] = []
    for c in definition.containers:
        if ECR_HOST in c.image:
            needed += ["ecr.api", "ecr.dkr", "s3"]
        if c.log_config and c.log_config.driver == "awslogs":
            needed.append("logs")
        if c.repository_credentials:
            needed.append("secretsmanager")
        needed += [
            "ssm" if ":secretsmanager:" not in s.value_from else "secretsmanager" for s in c.secrets
        ]
    return tuple(dict.fromkeys(needed))


def _endpoint_verdicts(
    snapshot: ServiceSnapshot, subnet: Subnet | None, table: RouteTable, route_fact: Evidence
) -> list[Verdict]:
    """For a subnet without a default route: no endpoints at all, or endpoints that cannot work."""
    subnet_id = subnet.id if subnet else table.subnet_ids[0] if table.subnet_ids else "?"
    definition = snapshot.current_task_definition
    needed = needed_endpoints(definition)
    public = definition is not None and any(ECR_HOST not in c.image for c in definition.containers)
    endpoints = {endpoint_suffix(e.service_name): e for e in _vpc_endpoints(snapshot, table.vpc_id)}
    usable = [s for s in needed if s in endpoints]
    if not usable or (public and not endpoints):
        fact = Evidence(
            ENDPOINTS, table.vpc_id, f"no VPC endpoint for {', '.join(needed)} in {table.vpc_id}"
        )
        return [
            Verdict(
                "NO_EGRESS_FOR_IMAGE_PULL",
                subnet_id,
                (route_fact, fact),
                _nat_fix(subnet_id, table),
            )
        ]
    problems = _endpoint_problems(snapshot, subnet, table, needed, endpoints)
    if not problems:
        return []
    facts = tuple(f for f, _ in problems)
    fix = "; ".join(dict.fromkeys(fix for _, fix in problems))
    return [Verdict("VPC_ENDPOINT_MISCONFIG", subnet_id, (route_fact, *facts), fix)]


def _vpc_endpoints(snapshot: ServiceSnapshot, vpc_id: str) -> list[VpcEndpoint]:
    """Endpoints of this VPC (or of an unknown VPC)."""
    return [e for e in snapshot.network.vpc_endpoints if e.vpc_id in (None, vpc_id)]


def _endpoint_problems(
    snapshot: ServiceSnapshot,
    subnet: Subnet | None,
    table: RouteTable,
    needed: Sequence[str],
    endpoints: dict[str, VpcEndpoint],
) -> list[tuple[Evidence, str]]:
    """Each reason the existing endpoints cannot serve the tasks, with its fix."""
    problems: list[tuple[Evidence, str]] = []
    for suffix in needed:
        endpoint = endpoints.get(suffix)
        if endpoint is None:
            detail = f"no {suffix} endpoint in {table.vpc_id}"
            problems.append(
                (Evidence(ENDPOINTS, table.vpc_id, detail), f"create the {suffix} endpoint")
            )
        else:
            problems += _one_endpoint(snapshot, subnet, table, endpoint)
    problems += _vpc_dns(snapshot, table.vpc_id, endpoints)
    return problems


def _one_endpoint(
    snapshot: ServiceSnapshot, subnet: Subnet | None, table: RouteTable, endpoint: VpcEndpoint
) -> list[tuple[Evidence, str]]:
    """What is wrong with one endpoint: state, Private DNS, route table, security group."""
    problems: list[tuple[Evidence, str]] = []
    name = f"{endpoint.id} ({endpoint.service_name})"

    def add(detail: str, fix: str) -> None:
        problems.append((Evidence(ENDPOINTS, endpoint.id, f"{name}: {detail}"), fix))

    if endpoint.state and endpoint.state.lower() != "available":
        add(f"state {endpoint.state}", f"recreate endpoint {endpoint.id}")
    if endpoint.endpoint_type.lower() == "gateway":
        if endpoint.route_table_ids and table.id not in endpoint.route_table_ids:
            add(
                f"not associated with route table {table.id}",
                f"associate gateway endpoint {endpoint.id} with route table {table.id}",
            )
        return problems
    if endpoint.private_dns_enabled is False:
        add("PrivateDnsEnabled false", f"turn on Private DNS for {endpoint.id}")
    groups = _groups(snapshot, endpoint.security_group_ids)
    cidrs = [subnet.cidr] if subnet and subnet.cidr else []
    if groups and not ingress_admits(groups, HTTPS, task_security_groups(snapshot), cidrs):
        add(
            f"security groups {', '.join(endpoint.security_group_ids)} admit no TCP 443 "
            "from the tasks",
            f"allow TCP 443 into {', '.join(endpoint.security_group_ids)} from "
            f"{', '.join(task_security_groups(snapshot)) or 'the task subnets'}",
        )
    return problems


def _vpc_dns(
    snapshot: ServiceSnapshot, vpc_id: str, endpoints: dict[str, VpcEndpoint]
) -> list[tuple[Evidence, str]]:
    """Private DNS of interface endpoints needs enableDnsSupport and enableDnsHostnames."""
    vpc = next((v for v in snapshot.network.vpcs if v.id == vpc_id), None)
    interface = any(e.endpoint_type.lower() == "interface" for e in endpoints.values())
    if vpc is None or not interface:
        return []
    off = [
        n
        for n, on in (
            ("enableDnsSupport", vpc.dns_support),
            ("enableDnsHostnames", vpc.dns_hostnames),
        )
        if on is False
    ]
    if not off:
        return []
    fact = Evidence("ec2:DescribeVpcAttribute", vpc_id, f"{' and '.join(off)} false on {vpc_id}")
    return [(fact, f"set {' and '.join(off)} to true on {vpc_id}")]


def _finding(snapshot: ServiceSnapshot, signal: Signal, verdicts: list[Verdict]) -> Finding:
    """One finding per code, with the timeouts and the path facts of every affected subnet."""
    code = verdicts[0].code
    subnets = [v.subnet for v in verdicts]
    facts = list(dict.fromkeys(f for v in verdicts for f in v.facts))
    tasks = [h for h in signal.tasks if not h.task.subnet_id or h.task.subnet_id in subnets]
    return make_finding(
        code,
        summary=(
            f"{plural(len(tasks), 'task')} timed out reaching AWS endpoints from "
            f"{', '.join(subnets)}: {facts[0].detail}"
        ),
        evidence=[*signal.evidence(snapshot), *facts],
        remediation=" ".join(dict.fromkeys(v.fix for v in verdicts)),
        severity=impact_severity(snapshot),
        confidence=0.9,
        affected_tasks=len(tasks),
    )


def _unexplained(snapshot: ServiceSnapshot, signal: Signal) -> Finding:
    """The timeouts with no defect visible in the network view (EC2, or the view is missing)."""
    where = (
        "the container instances' network (the instance pulls images on EC2)"
        if not is_fargate(snapshot)
        else "the network view, which shows no defect or was not collected"
    )
    return make_finding(
        "NO_EGRESS_FOR_IMAGE_PULL",
        summary=(
            f"{plural(len(signal.tasks), 'task')} timed out reaching ECR or other AWS endpoints; "
            f"check {where}"
        ),
        evidence=signal.evidence(snapshot),
        remediation=(
            "Check that the task subnets (or the instances, on EC2) route 0.0.0.0/0 to a NAT "
            "gateway or have VPC endpoints for ecr.api, ecr.dkr, s3 and logs, and that security "
            "groups and network ACLs pass TCP 443; the AWSSupport-TroubleshootECSTaskFailedToStart "
            "runbook checks the same path."
        ),
        severity=impact_severity(snapshot),
        confidence=0.5,
        affected_tasks=len(signal.tasks),
    )


ENDPOINT_POLICY = ("vpc endpoint policy",)
ACTION = re.compile(r"allows the ([a-z0-9-]+):(\w+) action", re.IGNORECASE)


def endpoint_policy_denied(snapshot: ServiceSnapshot) -> list[Finding]:
    """VPC_ENDPOINT_MISCONFIG: an endpoint policy refuses what the task needs."""
    signal = find_signal(snapshot, ENDPOINT_POLICY)
    if not signal:
        return []
    actions = sorted(
        {f"{m.group(1)}:{m.group(2)}" for t in signal.texts() if (m := ACTION.search(t))}
    )
    services = {a.split(":", 1)[0].lower() for a in actions}
    endpoints = [
        e for e in snapshot.network.vpc_endpoints if endpoint_suffix(e.service_name) in services
    ]
    facts = [
        Evidence(
            ENDPOINTS, e.id, f"{e.id} ({e.service_name}) policy: {e.policy_document or 'default'}"
        )
        for e in endpoints
    ]
    ids = (
        ", ".join(e.id for e in endpoints)
        or f"the {', '.join(sorted(services)) or 'service'} endpoint"
    )
    return [
        make_finding(
            "VPC_ENDPOINT_MISCONFIG",
            summary=(
                f"{plural(len(signal.tasks), 'task')} were refused by a VPC endpoint policy"
                + (f" for {', '.join(actions)}" if actions else "")
            ),
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                f"Edit the policy of {ids} to allow {', '.join(actions) or 'the action'} for the "
                "execution role on the referenced resources (or restore the default full-access "
                "policy)."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(signal.tasks),
        )
    ]
