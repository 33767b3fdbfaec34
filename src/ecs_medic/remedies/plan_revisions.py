"""Planners that register a corrected task definition revision and deploy it (A2)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ContainerDefinition, ServiceSnapshot
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, revision_action
from ecs_medic.remedies.plan import FieldChange

FARGATE_DEFAULT_DISK_GIB = 20
FARGATE_MAX_DISK_GIB = 200
_SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash")
_SHELL_SYNTAX = set("|&;<>()$`\\\"'*?[]#~=%")
_ARCH = {"linux/amd64": "X86_64", "linux/arm64": "ARM64"}


@dataclass(frozen=True, slots=True)
class _Fix:
    """How a revision planner words its action: what it registers, the effect, the risk."""

    title: str  # completes "Register <family> ... and deploy it"
    effect: str
    risk: str


def _revise(
    finding: Finding, snapshot: ServiceSnapshot, change: FieldChange, fix: _Fix
) -> Proposal | None:
    """The A2 action registering the current revision with one change and deploying it."""
    td = snapshot.current_task_definition
    if td is None:
        return None
    return revision_action(
        finding, snapshot, (change,), title=f"Register {td.family} {fix.title} and deploy it",
        expected_effect=fix.effect, risk=fix.risk,
    )  # fmt: skip


def _only(
    snapshot: ServiceSnapshot, wanted: Callable[[ContainerDefinition], bool]
) -> ContainerDefinition | None:
    """The one container of the current revision that `wanted` picks; None for none or several."""
    td = snapshot.current_task_definition
    picked = [c for c in td.containers if wanted(c)] if td else []
    return picked[0] if len(picked) == 1 else None


def plan_arch_mismatch(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Run on the one architecture the image's manifest offers (A2, manifest confirmed)."""
    td = snapshot.current_task_definition
    images = {c.image for c in td.containers} if td else set()
    offered = {p for m in snapshot.access.manifests if m.image in images for p in m.platforms}
    arches = {_ARCH[p] for p in offered if p in _ARCH}
    if td is None or len(arches) != 1 or "FARGATE" not in td.requires_compatibilities:
        return None
    arch = arches.pop()
    if arch == td.cpu_architecture:
        return None
    before = {"cpuArchitecture": td.cpu_architecture or "X86_64", "operatingSystemFamily": "LINUX"}
    after = {"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"}
    return _revise(finding, snapshot, FieldChange("runtimePlatform", before, after), _Fix(
        f"with runtimePlatform {arch}",
        f"tasks run on {arch}, the only platform the image's manifest lists",
        "Fargate ARM64 capacity and price differ; every image of the task must offer ARM64",
    ))  # fmt: skip


def plan_ephemeral_storage(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Double the Fargate ephemeral storage (20 GiB by default), up to the 200 GiB maximum."""
    td = snapshot.current_task_definition
    if td is None or "FARGATE" not in td.requires_compatibilities:
        return None
    size = min(FARGATE_MAX_DISK_GIB, 2 * FARGATE_DEFAULT_DISK_GIB)
    change = FieldChange("ephemeralStorage", None, {"sizeInGiB": size})
    return _revise(finding, snapshot, change, _Fix(
        f"with {size} GiB ephemeral storage", "image layers fit on the task's disk; tasks start",
        "storage above 20 GiB is billed per GiB",
    ))  # fmt: skip


def plan_container_health(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Remove a container health check that never passes, so ECS stops killing healthy tasks."""
    container = _only(snapshot, lambda c: c.health_check is not None and c.essential)
    check = container.health_check if container else None
    if container is None or check is None:
        return None
    change = FieldChange("healthCheck", {"command": list(check.command)}, None, container.name)
    return _revise(finding, snapshot, change, _Fix(
        f"without the failing healthCheck of {container.name}",
        "tasks are no longer stopped for failed container health checks",
        "the container loses its own health check; the process exit and load balancer "
        "health checks still stop broken tasks",
    ))  # fmt: skip


def plan_entrypoint(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Drop an entryPoint override that names no program in the image: run the image's own."""
    container = _only(snapshot, lambda c: bool(c.entry_point) and c.essential)
    if container is None:
        return None
    change = FieldChange("entryPoint", list(container.entry_point), None, container.name)
    return _revise(finding, snapshot, change, _Fix(
        f"without the entryPoint override of {container.name}",
        "the container runs the image's own ENTRYPOINT and starts",
        "the image's default entrypoint must be the intended process",
    ))  # fmt: skip


def plan_sigterm(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Run a `sh -c` wrapped command directly, or with an init process, so SIGTERM arrives."""
    container = _only(snapshot, lambda c: _shell_script(c) is not None)
    if container is None:
        return None
    script = _shell_script(container) or ""
    if _SHELL_SYNTAX.isdisjoint(script) and not container.entry_point:
        argv = shlex.split(script)
        change = FieldChange("command", list(container.command), argv, container.name)
        how = f"exec form {argv}"
    else:
        change = FieldChange("linuxParameters", None, {"initProcessEnabled": True}, container.name)
        how = "an init process"
    return _revise(finding, snapshot, change, _Fix(
        f"running {container.name} with {how}",
        "stopped tasks exit 143 or 0 on SIGTERM instead of being SIGKILLed",
        "the process must still start the same way without the shell",
    ))  # fmt: skip


def _shell_script(container: ContainerDefinition) -> str | None:
    argv = [*container.entry_point, *container.command]
    if len(argv) >= 3 and argv[0] in _SHELLS and argv[1] == "-c":
        return argv[2]
    return None
