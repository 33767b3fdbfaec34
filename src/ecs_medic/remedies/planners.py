"""Turn findings into remediation plans: one planner per fixable code, pure like analyzers.

A planner returns an Action when the fix is automatable from what the snapshot proves
(A1/A2), or a recommendation sentence when a person must act (A3, or nothing to go on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.findings import Finding
from ecs_medic.remedies import fargate
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.plan import (
    Action,
    ApiCall,
    FieldChange,
    RemediationPlan,
    ReviseTaskDefinition,
    Step,
)

Proposal = Action | str
Planner = Callable[[Finding, ServiceSnapshot], Proposal | None]


def update_service(snapshot: ServiceSnapshot, step_id: str = "", **changes: object) -> ApiCall:
    """UpdateService on the snapshot's service with these API parameters."""
    params = {"cluster": snapshot.cluster_arn, "service": snapshot.service.name, **changes}
    return ApiCall("ecs", "UpdateService", params, step_id)


def _action(
    code: str,
    title: str,
    level: str,
    steps: tuple[Step, ...],
    *,
    rollback: tuple[ApiCall, ...],
    diff: str,
    expected_effect: str,
) -> Action:
    """An action without its id (the plan numbers them)."""
    return Action("", code, title, level, steps, rollback, diff, expected_effect)


# --- task definition revisions ----------------------------------------------------------------


def revise_and_deploy(
    snapshot: ServiceSnapshot, td: TaskDefinition, changes: tuple[FieldChange, ...]
) -> tuple[tuple[Step, ...], tuple[ApiCall, ...]]:
    """Steps that register a revision with `changes` and deploy it, and their rollback."""
    steps = (
        ReviseTaskDefinition(td.arn, changes),
        update_service(
            snapshot, "deploy", taskDefinition="$revision.taskDefinition.taskDefinitionArn"
        ),
    )
    return steps, (update_service(snapshot, taskDefinition=td.arn),)


def revision_diff(td: TaskDefinition, changes: tuple[FieldChange, ...]) -> str:
    """The diff of the changed fields, task level and per container."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for change in changes:
        key = change.field if change.container is None else f"{change.container}.{change.field}"
        before[key], after[key] = change.before, change.after
    return config_diff(f"{td.family}:{td.revision}", before, after)


def plan_oom(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Double the memory that ran out, as a valid Fargate size or a container hard limit."""
    td = snapshot.current_task_definition
    if td is None:
        return None
    changes = _memory_changes(td)
    if not changes:
        return "Raise the task memory: the current size is already the largest Fargate offers."
    steps, rollback = revise_and_deploy(snapshot, td, changes)
    sizes = ", ".join(f"{c.field} {c.before} -> {c.after}" for c in changes)
    return _action(
        finding.code, f"Register {td.family} with more memory ({sizes}) and deploy it", "A2",
        steps, rollback=rollback, diff=revision_diff(td, changes),
        expected_effect="tasks stop being OOM-killed; memory stays below the new limit",
    )  # fmt: skip


def _memory_changes(td: TaskDefinition) -> tuple[FieldChange, ...]:
    changes: list[FieldChange] = []
    for container in td.containers:
        if container.memory:
            changes.append(
                FieldChange("memory", container.memory, container.memory * 2, container.name)
            )
    if td.memory and "FARGATE" in td.requires_compatibilities:
        cpu, memory = int(td.cpu or 256), int(td.memory)
        need = max(memory * 2, sum(c.after for c in changes if isinstance(c.after, int)))
        size = fargate.smallest_at_least(cpu, need)
        if size is None:
            return ()
        if size[0] != cpu:
            changes.append(FieldChange("cpu", str(cpu), str(size[0])))
        changes.append(FieldChange("memory", str(memory), str(size[1])))
    elif td.memory:
        changes.append(FieldChange("memory", td.memory, str(int(td.memory) * 2)))
    return tuple(changes)


# --- service-level changes --------------------------------------------------------------------


def plan_rollback_to_good(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Go back to the newest revision whose deployment COMPLETED, when there is one."""
    current = snapshot.service.task_definition_arn
    good = [
        d for d in snapshot.service.deployments
        if d.rollout_state == "COMPLETED" and d.task_definition_arn != current
    ]  # fmt: skip
    if not good:
        return None
    target = good[0].task_definition_arn
    return _action(
        finding.code, f"Roll back to {target.rsplit('/', 1)[-1]}, the last revision that completed",
        "A1", (update_service(snapshot, taskDefinition=target),),
        rollback=(update_service(snapshot, taskDefinition=current),),
        diff=config_diff("service", {"taskDefinition": current}, {"taskDefinition": target}),
        expected_effect="the service runs the last good revision again",
    )  # fmt: skip


def plan_grace_period(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Give booting tasks time before ELB health checks count (at least 60 s, 2x startup)."""
    now = snapshot.service.health_check_grace_period_s or 0
    startup = _startup_s(snapshot)
    wanted = max(60, 2 * startup, now * 2)
    return _action(
        finding.code, f"Raise healthCheckGracePeriodSeconds from {now} to {wanted}", "A1",
        (update_service(snapshot, healthCheckGracePeriodSeconds=wanted),),
        rollback=(update_service(snapshot, healthCheckGracePeriodSeconds=now),),
        diff=config_diff("service", {"healthCheckGracePeriodSeconds": now},
                         {"healthCheckGracePeriodSeconds": wanted}),
        expected_effect="tasks are no longer stopped by ELB health checks while they boot",
    )  # fmt: skip


def _startup_s(snapshot: ServiceSnapshot) -> int:
    """The longest start-to-first-stop of tasks stopped by ELB health checks (0 if unknown)."""
    spans = [
        (t.stopped_at - t.started_at).total_seconds()
        for t in snapshot.stopped_tasks
        if t.started_at and t.stopped_at and "ELB health checks" in (t.stopped_reason or "")
    ]
    return int(max(spans, default=0))


def plan_deployment_config(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Give a rolling deployment room: minimum 100 %, maximum 200 %."""
    config = snapshot.service.deployment_config
    before = {"minimumHealthyPercent": config.minimum_healthy_percent,
              "maximumPercent": config.maximum_percent}  # fmt: skip
    after = {"minimumHealthyPercent": 100, "maximumPercent": 200}
    return _action(
        finding.code, "Set minimumHealthyPercent 100 and maximumPercent 200", "A1",
        (update_service(snapshot, deploymentConfiguration=after),),
        rollback=(update_service(snapshot, deploymentConfiguration=before),),
        diff=config_diff("service.deploymentConfiguration", before, after),
        expected_effect="the rollout can start new tasks before stopping old ones",
    )  # fmt: skip


def plan_force_deploy(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Redeploy so tasks resolve the tag's current digest."""
    return _action(
        finding.code, "Force a new deployment to pick up the image's current digest", "A1",
        (update_service(snapshot, forceNewDeployment=True),), rollback=(),
        diff="service: new deployment of the same revision (no configuration change)",
        expected_effect="running tasks report the digest the tag points at now",
    )  # fmt: skip


# --- the plan ---------------------------------------------------------------------------------

PLANNERS: dict[str, Planner] = {
    "OOM_KILLED": plan_oom,
    "HEALTH_CHECK_GRACE_TOO_SHORT": plan_grace_period,
    "DEPLOYMENT_CONFIG_BLOCKS": plan_deployment_config,
    "STALE_IMAGE_NOT_REDEPLOYED": plan_force_deploy,
    "IMAGE_PULL_NOT_FOUND": plan_rollback_to_good,
    "ESSENTIAL_CONTAINER_EXIT": plan_rollback_to_good,
    "RUNTIME_CRASH_SIGNAL": plan_rollback_to_good,
    "CIRCUIT_BREAKER_ROLLBACK": plan_rollback_to_good,
}


def build_plan(findings: list[Finding], snapshot: ServiceSnapshot) -> RemediationPlan:
    """Plan the root causes (findings that no other finding explains), in rank order."""
    actions: list[Action] = []
    recommendations: list[str] = []
    for finding in findings:
        if finding.caused_by or finding.auto_level == "A0":
            continue
        planner = PLANNERS.get(finding.code)
        proposal = planner(finding, snapshot) if planner else None
        if isinstance(proposal, Action):
            actions.append(dataclasses.replace(proposal, id=f"a{len(actions) + 1}"))
        else:
            recommendations.append(proposal or f"{finding.code}: {finding.remediation}")
    return RemediationPlan(actions=tuple(actions), recommendations=tuple(recommendations))
