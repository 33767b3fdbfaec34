"""Planners that register a corrected task definition revision and deploy it (A2)."""

from __future__ import annotations

import shlex

from ecs_medic.aws.snapshot import ContainerDefinition, ServiceSnapshot
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, revision_action
from ecs_medic.remedies.plan import FieldChange

FARGATE_DEFAULT_DISK_GIB = 20
FARGATE_MAX_DISK_GIB = 200
_SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash")
_SHELL_SYNTAX = set("|&;<>()$`\\\"'*?[]#~=%")
_ARCH = {"linux/amd64": "X86_64", "linux/arm64": "ARM64"}


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
    return revision_action(
        finding, snapshot, (FieldChange("runtimePlatform", before, after),),
        title=f"Register {td.family} with runtimePlatform {arch} and deploy it",
        expected_effect=f"tasks run on {arch}, the only platform the image's manifest lists",
        risk="Fargate ARM64 capacity and price differ; every image of the task must offer ARM64",
    )  # fmt: skip


def plan_ephemeral_storage(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Double the Fargate ephemeral storage (20 GiB by default), up to the 200 GiB maximum."""
    td = snapshot.current_task_definition
    if td is None or "FARGATE" not in td.requires_compatibilities:
        return None
    size = min(FARGATE_MAX_DISK_GIB, 2 * FARGATE_DEFAULT_DISK_GIB)
    change = FieldChange("ephemeralStorage", None, {"sizeInGiB": size})
    return revision_action(
        finding, snapshot, (change,),
        title=f"Register {td.family} with {size} GiB ephemeral storage and deploy it",
        expected_effect="image layers fit on the task's disk; tasks start",
        risk="storage above 20 GiB is billed per GiB",
    )  # fmt: skip


def plan_container_health(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Remove a container health check that never passes, so ECS stops killing healthy tasks."""
    td = snapshot.current_task_definition
    failing = [c for c in td.containers if c.health_check and c.essential] if td else []
    if td is None or len(failing) != 1:
        return None
    container = failing[0]
    check = container.health_check
    before = {"command": list(check.command)} if check else None
    change = FieldChange("healthCheck", before, None, container.name)
    return revision_action(
        finding, snapshot, (change,),
        title=f"Register {td.family} without the failing healthCheck of {container.name}",
        expected_effect="tasks are no longer stopped for failed container health checks",
        risk="the container loses its own health check; the process exit and load balancer "
        "health checks still stop broken tasks",
    )  # fmt: skip


def plan_entrypoint(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Drop an entryPoint override that names no program in the image: run the image's own."""
    td = snapshot.current_task_definition
    broken = [c for c in td.containers if c.entry_point and c.essential] if td else []
    if td is None or len(broken) != 1:
        return None
    container = broken[0]
    change = FieldChange("entryPoint", list(container.entry_point), None, container.name)
    return revision_action(
        finding, snapshot, (change,),
        title=f"Register {td.family} without the entryPoint override of {container.name}",
        expected_effect="the container runs the image's own ENTRYPOINT and starts",
        risk="the image's default entrypoint must be the intended process",
    )  # fmt: skip


def plan_sigterm(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Run a `sh -c` wrapped command directly, or with an init process, so SIGTERM arrives."""
    td = snapshot.current_task_definition
    wrapped = [c for c in td.containers if _shell_script(c) is not None] if td else []
    if td is None or len(wrapped) != 1:
        return None
    container = wrapped[0]
    script = _shell_script(container) or ""
    if _SHELL_SYNTAX.isdisjoint(script) and not container.entry_point:
        argv = shlex.split(script)
        change = FieldChange("command", list(container.command), argv, container.name)
        how = f"exec form {argv}"
    else:
        change = FieldChange("linuxParameters", None, {"initProcessEnabled": True}, container.name)
        how = "an init process"
    return revision_action(
        finding, snapshot, (change,),
        title=f"Register {td.family} running {container.name} with {how} and deploy it",
        expected_effect="stopped tasks exit 143 or 0 on SIGTERM instead of being SIGKILLed",
        risk="the process must still start the same way without the shell",
    )  # fmt: skip


def _shell_script(container: ContainerDefinition) -> str | None:
    argv = [*container.entry_point, *container.command]
    if len(argv) >= 3 and argv[0] in _SHELLS and argv[1] == "-c":
        return argv[2]
    return None
