"""Image failures that come from where the image lands: platform, layer store, disk, rate limits.

Catalogue section 1: ARCH_MISMATCH, ECR_LAYER_S3_UNREACHABLE, HOST_DISK_FULL and
IMAGE_PULL_RATE_LIMITED.
"""

from __future__ import annotations

import re

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.findings import Evidence, Finding, make_finding

from .paths import describe_route, endpoint_suffix
from .signals import (
    DESCRIBE_TASK_DEFINITION,
    find_signal,
    impact_severity,
    is_fargate,
    plural,
    service_subnets,
    short_of_capacity,
)

ARCH = ("descriptor matching platform", "no matching manifest for", "exec format error")
S3_LAYERS = ("httpreaderseeker", "pull command failed: panic: runtime error")
DISK = ("no space left on device", "thin pool has")
RATE = ("toomanyrequests", "pull rate limit", "too many requests")
GRAVITON = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*\.", re.IGNORECASE)  # m6g., c7gn., t4g., r8gd.
PLATFORMS = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}


def arch_mismatch(snapshot: ServiceSnapshot) -> list[Finding]:
    """ARCH_MISMATCH: the image has no variant for the task's CPU architecture."""
    signal = find_signal(snapshot, ARCH, logs=True)
    wanted = _wanted_platform(snapshot)
    lacking = [m for m in snapshot.access.manifests if m.platforms and wanted not in m.platforms]
    if not signal and not (lacking and short_of_capacity(snapshot)):
        return []
    facts = [
        Evidence("ecr:BatchGetImage", m.image, f"manifest platforms {', '.join(m.platforms)}")
        for m in lacking
    ]
    definition = snapshot.current_task_definition
    return [
        make_finding(
            "ARCH_MISMATCH",
            summary=(
                f"The tasks need {wanted} but "
                + (
                    f"{', '.join(m.image for m in lacking)} offers only "
                    f"{', '.join(sorted({p for m in lacking for p in m.platforms}))}"
                    if lacking
                    else f"{plural(len(signal.tasks), 'task')} hit an exec format or platform error"
                )
            ),
            evidence=[*signal.evidence(snapshot), *facts, *_arch_evidence(definition)],
            remediation=(
                f"Rebuild the image for {wanted} (docker buildx --platform "
                "linux/amd64,linux/arm64), or, if the image is arm64-only, set "
                "runtimePlatform.cpuArchitecture=ARM64 in a new revision and run on Graviton."
            ),
            severity=impact_severity(snapshot),
            confidence=0.95 if signal and lacking else 0.85,
            affected_tasks=len(signal.tasks),
        )
    ]


def _wanted_platform(snapshot: ServiceSnapshot) -> str:
    """The platform the tasks run on: runtimePlatform, else the EC2 instance type, else amd64."""
    definition = snapshot.current_task_definition
    if definition and definition.cpu_architecture:
        return PLATFORMS.get(definition.cpu_architecture.upper(), "linux/amd64")
    types = [i.instance_type for i in snapshot.capacity.container_instances if i.instance_type]
    if not is_fargate(snapshot) and types and all(GRAVITON.match(t) for t in types):
        return "linux/arm64"
    return "linux/amd64"


def _arch_evidence(definition: TaskDefinition | None) -> list[Evidence]:
    """The task definition's runtimePlatform, when collected."""
    if definition is None:
        return []
    arch = definition.cpu_architecture or "not set (X86_64)"
    return [
        Evidence(
            DESCRIBE_TASK_DEFINITION, definition.arn, f"runtimePlatform.cpuArchitecture {arch}"
        )
    ]


def ecr_layer_s3_unreachable(snapshot: ServiceSnapshot) -> list[Finding]:
    """ECR_LAYER_S3_UNREACHABLE: the manifest came through but the layers (S3) did not."""
    signal = find_signal(snapshot, S3_LAYERS)
    if not signal:
        return []
    facts = _s3_path_evidence(snapshot)
    return [
        make_finding(
            "ECR_LAYER_S3_UNREACHABLE",
            summary=(
                f"{plural(len(signal.tasks), 'task')} fetched the image manifest but could not "
                "download its layers from S3" + (f"; {facts[0].detail}" if facts else "")
            ),
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                f"Add an S3 gateway endpoint (com.amazonaws.{snapshot.region}.s3) associated with "
                f"route table {', '.join(_task_tables(snapshot)) or 'of the task subnets'}, or a "
                "NAT route, and allow egress TCP 443 to the S3 prefix list in the task security "
                "groups and network ACLs."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(signal.tasks),
        )
    ]


def _task_tables(snapshot: ServiceSnapshot) -> list[str]:
    """Ids of the route tables the task subnets use."""
    tables = (snapshot.network.route_table_for(s) for s in service_subnets(snapshot))
    return list(dict.fromkeys(t.id for t in tables if t))


def _s3_path_evidence(snapshot: ServiceSnapshot) -> list[Evidence]:
    """For each task subnet: its route and whether an S3 gateway endpoint serves its table."""
    network = snapshot.network
    s3 = [e for e in network.vpc_endpoints if endpoint_suffix(e.service_name) == "s3"]
    facts = []
    for subnet_id in service_subnets(snapshot):
        table = network.route_table_for(subnet_id)
        if table is None:
            continue
        served = any(table.id in e.route_table_ids for e in s3)
        endpoint = "an S3 gateway endpoint" if served else "no S3 gateway endpoint"
        detail = f"subnet {subnet_id}: {describe_route(table)}; {endpoint} on this table"
        facts.append(Evidence("ec2:DescribeVpcEndpoints", table.id, detail))
    return facts


def host_disk_full(snapshot: ServiceSnapshot) -> list[Finding]:
    """HOST_DISK_FULL: no space for image layers on the host or in Fargate ephemeral storage."""
    signal = find_signal(snapshot, DISK)
    if not signal:
        return []
    fargate = is_fargate(snapshot)
    return [
        make_finding(
            "HOST_DISK_FULL",
            summary=(
                f"{plural(len(signal.tasks), 'task')} ran out of disk while pulling or creating "
                + (
                    "containers (Fargate ephemeral storage)"
                    if fargate
                    else "containers on the instance"
                )
            ),
            evidence=signal.evidence(snapshot),
            remediation=(
                "Raise ephemeralStorage.sizeInGiB (up to 200) in a new revision or shrink the image"
                if fargate
                else "Prune unused images and containers on the instances, cap json-file logs "
                "(max-size), lower ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, or enlarge the "
                "Docker volume / replace the instances."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(signal.tasks),
        )
    ]


def image_pull_rate_limited(snapshot: ServiceSnapshot) -> list[Finding]:
    """IMAGE_PULL_RATE_LIMITED: a public registry throttles the pulls."""
    signal = find_signal(snapshot, RATE)
    if not signal:
        return []
    images = sorted(
        {
            c.image
            for h in signal.tasks
            for c in h.task.containers
            if c.name == h.container and c.image
        }
    )
    return [
        make_finding(
            "IMAGE_PULL_RATE_LIMITED",
            summary=(
                f"{plural(len(signal.tasks), 'task')} hit the registry's pull rate limit"
                + (f" for {', '.join(images)}" if images else "")
            ),
            evidence=signal.evidence(snapshot),
            remediation=(
                "Authenticate the pulls with repositoryCredentials, or serve the image from ECR "
                f"(a pull-through cache or a mirror of {', '.join(images) or 'the image'})."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(signal.tasks),
        )
    ]
