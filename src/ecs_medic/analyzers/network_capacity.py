"""Network capacity and mounts (catalogue section 2): subnet IPs, ENIs, Fargate AZs, EFS."""

from __future__ import annotations

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_network import IdleInterface
from ecs_medic.findings import Evidence, Finding, make_finding

from .signals import (
    Signal,
    config_severity,
    find_signal,
    impact_severity,
    is_fargate,
    plural,
    service_subnets,
    task_security_groups,
)

IP_EXHAUSTED = (
    "insufficientfreeaddressesinsubnet",
    "create network interface",
    "timeout waiting for network interface provisioning",
)
ENI = ("resource:eni", "eni attachment", "unused device index")
AZ_INTERNAL = ("unable to place a task. reason: internal error",)
EFS = ("failed to invoke efs utils", "mount.nfs", "efs volume", "efs-utils")


def subnet_ip_exhausted(snapshot: ServiceSnapshot) -> list[Finding]:
    """SUBNET_IP_EXHAUSTED: ENI creation fails, or the task subnets have no free address."""
    signal = find_signal(snapshot, IP_EXHAUSTED)
    subnets = [s for i in service_subnets(snapshot) if (s := snapshot.network.subnet(i))]
    full = [s for s in subnets if s.available_ips is not None and s.available_ips <= 0]
    if not signal and not (subnets and len(full) == len(subnets)):
        return []
    idle = _idle_interfaces(snapshot, [s.id for s in subnets])
    facts = [
        Evidence(
            "ec2:DescribeSubnets",
            s.id,
            f"{s.id} ({s.availability_zone}, {s.cidr}): {s.available_ips} free IPs",
        )
        for s in subnets
    ]
    facts += [_idle_evidence(subnet, enis) for subnet, enis in idle.items()]
    leaked = [e.id for enis in idle.values() for e in enis]
    return [
        make_finding(
            "SUBNET_IP_EXHAUSTED",
            summary=(
                f"{len(full)} of {plural(len(subnets), 'task subnet')} have no free IP address"
                + (
                    f"; {plural(len(signal.tasks), 'task')} failed to get a network interface"
                    if signal.tasks
                    else ""
                )
                + (
                    f"; {plural(len(leaked), 'network interface')} in status available "
                    "hold addresses"
                    if leaked
                    else ""
                )
            ),
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                f"Add larger or additional subnets to the service's awsvpcConfiguration (now "
                f"{', '.join(s.id for s in subnets) or 'unknown'}) and delete leaked 'available' "
                "network interfaces in them"
                + (f" ({_listed(leaked)}) once their owner no longer needs them" if leaked else "")
                + "."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9 if signal and full else 0.75,
            affected_tasks=len(signal.tasks),
        )
    ]


def _idle_interfaces(
    snapshot: ServiceSnapshot, subnet_ids: list[str]
) -> dict[str, list[IdleInterface]]:
    """ENIs in status available, attached to nothing, per task subnet (leaked ones hold IPs)."""
    found = {
        subnet: [e for e in snapshot.network.idle_interfaces if e.subnet_id == subnet]
        for subnet in subnet_ids
    }
    return {subnet: enis for subnet, enis in found.items() if enis}


def _idle_evidence(subnet_id: str, enis: list[IdleInterface]) -> Evidence:
    """Quote DescribeNetworkInterfaces(status=available) for one subnet."""
    owners = sorted({e.description for e in enis if e.description})
    described = f" (descriptions: {_listed(owners)})" if owners else ""
    return Evidence(
        "ec2:DescribeNetworkInterfaces",
        subnet_id,
        f"{plural(len(enis), 'network interface')} in status available: "
        f"{_listed([e.id for e in enis])}{described}",
    )


def _listed(items: list[str], limit: int = 5) -> str:
    """'a, b, c' with at most `limit` items and how many more."""
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def eni_limit(snapshot: ServiceSnapshot) -> list[Finding]:
    """ENI_LIMIT: awsvpc tasks on EC2 ran out of ENI attachment points on the instances."""
    signal = find_signal(snapshot, ENI)
    if not signal:
        return []
    trunking = snapshot.capacity.awsvpc_trunking
    facts = (
        []
        if trunking is None
        else [
            Evidence(
                "ecs:ListAccountSettings",
                "awsvpcTrunking",
                f"awsvpcTrunking {'enabled' if trunking else 'disabled'}",
            )
        ]
    )
    return [
        make_finding(
            "ENI_LIMIT",
            summary=(
                "Tasks cannot get an ENI on the container instances "
                f"({len(snapshot.capacity.container_instances)} registered); awsvpcTrunking is "
                f"{'on' if trunking else 'off or unknown'}"
            ),
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                "Enable the awsvpcTrunking account setting and launch new instances of a type that "
                "supports trunking, or add more or larger instances to the cluster."
            ),
            severity=impact_severity(snapshot),
            confidence=0.85,
            affected_tasks=len(signal.tasks),
        )
    ]


def unsupported_az_subnet(snapshot: ServiceSnapshot) -> list[Finding]:
    """UNSUPPORTED_AZ_SUBNET: Fargate placement fails with 'Internal error' in a subnet's AZ."""
    signal = find_signal(snapshot, AZ_INTERNAL)
    if not signal or not is_fargate(snapshot):
        return []
    subnets = [s for i in service_subnets(snapshot) if (s := snapshot.network.subnet(i))]
    zones = ", ".join(f"{s.id} in {s.availability_zone}" for s in subnets) or "not collected"
    return [
        make_finding(
            "UNSUPPORTED_AZ_SUBNET",
            summary=f"Fargate could not place a task (Internal error); service subnets: {zones}",
            evidence=[
                *signal.evidence(snapshot),
                *(
                    Evidence("ec2:DescribeSubnets", s.id, f"{s.id} is in {s.availability_zone}")
                    for s in subnets
                ),
            ],
            remediation=(
                "Replace the subnet whose Availability Zone Fargate does not support (compare "
                f"{zones} with the Region's Fargate AZs) in the service's networkConfiguration."
            ),
            severity=impact_severity(snapshot),
            confidence=0.6,
        )
    ]


def efs_mount_failed(snapshot: ServiceSnapshot) -> list[Finding]:
    """EFS_MOUNT_FAILED: the task's EFS volume could not be mounted."""
    signal = find_signal(snapshot, EFS)
    if not signal:
        return []
    return [
        make_finding(
            "EFS_MOUNT_FAILED",
            summary=(
                f"{plural(len(signal.tasks), 'task')} failed to mount their EFS volume: "
                f"{_efs_cause(signal)}"
            ),
            evidence=signal.evidence(snapshot),
            remediation=_efs_fix(snapshot, signal),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(signal.tasks),
        )
    ]


def _efs_cause(signal: Signal) -> str:
    """Which of the three usual causes the mount error names."""
    text = " ".join(signal.texts()).lower()
    if "timed out" in text:
        return "the connection to the mount target timed out (NFS 2049 blocked)"
    if "access denied" in text:
        return "the file system or access point policy denied the mount"
    if "resolve" in text:
        return "the file system's DNS name did not resolve"
    return "see the quoted error"


def _efs_fix(snapshot: ServiceSnapshot, signal: Signal) -> str:
    """The fix for the cause the error names."""
    text = " ".join(signal.texts()).lower()
    groups = ", ".join(task_security_groups(snapshot)) or "the task security group"
    if "timed out" in text:
        return f"Allow TCP 2049 into the mount-target security group from {groups}."
    if "access denied" in text:
        return (
            "Grant the task role elasticfilesystem:ClientMount and ClientWrite in the file "
            "system or access point policy."
        )
    if "resolve" in text:
        return "Create a mount target in every AZ the service uses; enable VPC DNS hostnames."
    return (
        f"Check mount targets per AZ, TCP 2049 from {groups}, the EFS policy and VPC DNS hostnames."
    )
