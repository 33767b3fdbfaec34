"""Planton Cloud as the expected state: spec drift and failed stack jobs (docs/planton.md).

When Planton manages a service, its spec is what the service should be. A live value that
differs will be put back by the next stack job, so a fix made only in AWS does not last, and
a failed stack job means the spec never reached AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ContainerDefinition, ServiceSnapshot, TaskDefinition
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

DESCRIBE_SERVICES = "ecs:DescribeServices"
DESCRIBE_TASK_DEFINITION = "ecs:DescribeTaskDefinition"
DESCRIBE_TARGET_GROUPS = "elbv2:DescribeTargetGroups"
STACK_JOB = "planton:get_latest_stack_job"


@dataclass(frozen=True, slots=True)
class Difference:
    """One field whose live value differs from the spec."""

    field: str
    expected: object
    live: object
    source: str
    resource: str


def spec_drift(snapshot: ServiceSnapshot) -> list[Finding]:
    """PLANTON_SPEC_DRIFT: live cpu, memory, image, port, count, health check or network differ."""
    expected = snapshot.expected
    if expected is None:
        return []
    diffs = list(differences(snapshot, expected))
    if not diffs:
        return []
    fields = ", ".join(d.field for d in diffs)
    return [
        make_finding(
            "PLANTON_SPEC_DRIFT",
            summary=(
                f"{len(diffs)} setting(s) of service {snapshot.service.name} differ from the "
                f"Planton spec {expected.resource}: {fields}; the next stack job will set "
                "them back."
            ),
            evidence=[
                Evidence(
                    d.source, d.resource, f"{d.field}: Planton spec {d.expected}, live {d.live}"
                )
                for d in diffs
            ],
            remediation=(
                f"Decide which side is right: change the spec in Planton ({expected.resource}) "
                "with apply_cloud_resource, or re-run its stack job to restore the spec in AWS."
            ),
            severity=Severity.MEDIUM,
            confidence=0.95,
        )
    ]


def stack_job_failed(snapshot: ServiceSnapshot) -> list[Finding]:
    """PLANTON_STACK_JOB_FAILED: the latest IaC run for the service failed."""
    job = snapshot.expected.stack_job if snapshot.expected else None
    if job is None or not job.failed or snapshot.expected is None:
        return []
    first = job.errors[0] if job.errors else "no error message"
    return [
        make_finding(
            "PLANTON_STACK_JOB_FAILED",
            summary=(
                f"The latest Planton stack job {job.id} ({job.operation}) for "
                f"{snapshot.expected.resource} failed: {first}"
            ),
            evidence=[
                Evidence(STACK_JOB, job.id, f"status {job.status}, result {job.result}: {e}")
                for e in (job.errors or (first,))
            ],
            remediation=(
                "Read the stack job's error in Planton (get_error_resolution_recommendation), "
                "fix the spec or the cause, and run the stack job again; AWS still runs the "
                "spec of the last successful job."
            ),
            severity=Severity.MEDIUM,
            confidence=0.9,
        )
    ]


def differences(snapshot: ServiceSnapshot, expected: ExpectedSpec) -> Iterator[Difference]:
    """Every compared field whose live value differs from the spec."""
    yield from _service_differences(snapshot, expected)
    td = snapshot.current_task_definition
    if td is not None:
        yield from _task_differences(snapshot, td, expected)
    group = snapshot.target_groups[0] if snapshot.target_groups else None
    if (
        group
        and expected.health_check_path
        and group.health_check_path != expected.health_check_path
    ):
        yield Difference(
            "health check path",
            expected.health_check_path,
            group.health_check_path,
            DESCRIBE_TARGET_GROUPS,
            group.arn,
        )


def _service_differences(snapshot: ServiceSnapshot, expected: ExpectedSpec) -> Iterator[Difference]:
    service = snapshot.service
    pairs: list[tuple[str, object, object]] = [
        ("desired count", expected.desired_count, service.desired_count),
        (
            "health check grace period",
            expected.grace_period_s,
            service.health_check_grace_period_s or 0,
        ),
    ]
    if service.network is not None:
        pairs += [
            ("subnets", _set(expected.subnets), _set(service.network.subnets)),
            (
                "security groups",
                _set(expected.security_groups),
                _set(service.network.security_groups),
            ),
        ]
    for name, want, live in pairs:
        if want not in (None, "") and want != live:
            yield Difference(name, want, live, DESCRIBE_SERVICES, service.arn)


def _task_differences(
    snapshot: ServiceSnapshot, td: TaskDefinition, expected: ExpectedSpec
) -> Iterator[Difference]:
    container = _main_container(snapshot, td)
    port = (
        container.port_mappings[0].container_port if container and container.port_mappings else None
    )
    pairs: list[tuple[str, object, object]] = [
        ("cpu", expected.cpu, _int(td.cpu)),
        ("memory", expected.memory, _int(td.memory)),
        ("container port", expected.port, port),
    ]
    if (
        container is not None
        and expected.image
        and not _same_image(expected.image, container.image)
    ):
        pairs.append(("image", expected.image, container.image))
    for name, want, live in pairs:
        if want is not None and want != live:
            yield Difference(name, want, live, DESCRIBE_TASK_DEFINITION, td.arn)


def _main_container(snapshot: ServiceSnapshot, td: TaskDefinition) -> ContainerDefinition | None:
    """The container behind the load balancer, else the first essential one."""
    names = [lb.container_name for lb in snapshot.service.load_balancers]
    by_lb = [c for c in td.containers if c.name in names]
    essential = [c for c in td.containers if c.essential]
    return next(iter(by_lb or essential or list(td.containers)), None)


def _same_image(expected: str, live: str) -> bool:
    """Equal references; a live digest reference is compared by repository only."""
    if "@" in live:
        return live.split("@", 1)[0] == expected.rsplit(":", 1)[0]
    return live == expected


def _set(values: tuple[str, ...]) -> str:
    """A stable text for a set of ids (order does not matter to AWS)."""
    return ", ".join(sorted(set(values)))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
