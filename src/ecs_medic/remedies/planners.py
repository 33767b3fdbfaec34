"""Turn findings into remediation plans: one planner per fixable code, pure like analyzers.

A planner returns an Action when the fix is automatable from what the snapshot proves
(A1/A2), or a recommendation sentence when a person must act (A3, or nothing to go on).
"""

from __future__ import annotations

import dataclasses
import re

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.findings import Finding
from ecs_medic.remedies import fargate
from ecs_medic.remedies.actions import (
    Planner,
    Proposal,
    make_action,
    revise_and_deploy,
    revision_diff,
    update_service,
)
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import Action, FieldChange, RemediationPlan
from ecs_medic.remedies.plan_access import (
    plan_image_pull_auth,
    plan_kms_decrypt_denied,
    plan_log_delivery_denied,
    plan_log_group_missing,
    plan_role_trust,
    plan_secrets_fetch_denied,
    plan_service_linked_role,
    plan_task_role_denied,
)
from ecs_medic.remedies.plan_capacity import (
    plan_agent_restart,
    plan_capacity_provider,
    plan_insufficient_capacity,
    plan_no_instances,
)
from ecs_medic.remedies.plan_lb import plan_listener, plan_port_mismatch, plan_tg_health_path
from ecs_medic.remedies.plan_lookup import LookupPlanner, plan_secret_ref, plan_subnets
from ecs_medic.remedies.plan_network import (
    plan_public_ip,
    plan_sg_blocks_alb,
    plan_task_egress_blocked,
    plan_vpc_endpoint,
)
from ecs_medic.remedies.plan_placement import plan_dynamic_host_ports, plan_placement
from ecs_medic.remedies.plan_refused import (
    plan_refused_platform,
    plan_refused_revision,
    plan_refused_target_group,
)
from ecs_medic.remedies.plan_registry import plan_registry_creds
from ecs_medic.remedies.plan_revisions import (
    plan_arch_mismatch,
    plan_container_health,
    plan_entrypoint,
    plan_ephemeral_storage,
    plan_sigterm,
)
from ecs_medic.remedies.plan_scaling import (
    plan_raise_max_capacity,
    plan_resume_scaling,
    plan_unprotect_tasks,
)
from ecs_medic.remedies.plan_zones import plan_fargate_zones, plan_lb_zones

_STOPPED_ALL = re.compile(r"has stopped (\d+) running tasks?")


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
    return make_action(
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
    return make_action(
        finding.code, f"Roll back to {target.rsplit('/', 1)[-1]}, the last revision that completed",
        "A1", (update_service(snapshot, taskDefinition=target),),
        rollback=(update_service(snapshot, taskDefinition=current),),
        diff=config_diff("service", {"taskDefinition": current}, {"taskDefinition": target}),
        expected_effect="the service runs the last good revision again",
    )  # fmt: skip


def plan_deployment_stuck(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Roll back to the last COMPLETED revision, else turn the circuit breaker on (A1)."""
    back = plan_rollback_to_good(finding, snapshot)
    config = snapshot.service.deployment_config
    if back is not None or config.circuit_breaker_enabled:
        return back
    before = _deployment_configuration(config.minimum_healthy_percent, config.maximum_percent)
    after = {**before, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    return make_action(
        finding.code, "Turn on the deployment circuit breaker with rollback", "A1",
        (update_service(snapshot, deploymentConfiguration=after),),
        rollback=(update_service(snapshot, deploymentConfiguration=before),),
        diff=config_diff("service.deploymentConfiguration", before, after),
        expected_effect="the stuck rollout ends: it fails and ECS rolls back to what ran before",
        risk="a deployment that keeps failing is rolled back instead of retried for ever",
    )  # fmt: skip


def _deployment_configuration(minimum: int | None, maximum: int | None) -> dict[str, object]:
    return {
        "minimumHealthyPercent": 100 if minimum is None else minimum,
        "maximumPercent": 200 if maximum is None else maximum,
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    }


def plan_grace_period(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Give booting tasks time before ELB health checks count (at least 60 s, 2x startup)."""
    now = snapshot.service.health_check_grace_period_s or 0
    startup = _startup_s(snapshot)
    wanted = max(60, 2 * startup, now * 2)
    return make_action(
        finding.code, f"Raise healthCheckGracePeriodSeconds from {now} to {wanted}", "A1",
        (update_service(snapshot, healthCheckGracePeriodSeconds=wanted, forceNewDeployment=True),),
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
    return make_action(
        finding.code, "Set minimumHealthyPercent 100 and maximumPercent 200", "A1",
        (update_service(snapshot, deploymentConfiguration=after),),
        rollback=(update_service(snapshot, deploymentConfiguration=before),),
        diff=config_diff("service.deploymentConfiguration", before, after),
        expected_effect="the rollout can start new tasks before stopping old ones",
    )  # fmt: skip


def plan_force_deploy(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Redeploy so tasks resolve the tag's current digest."""
    return make_action(
        finding.code, "Force a new deployment to pick up the image's current digest", "A1",
        (update_service(snapshot, forceNewDeployment=True),), rollback=(),
        diff="service: new deployment of the same revision (no configuration change)",
        expected_effect="running tasks report the digest the tag points at now",
    )  # fmt: skip


def plan_desired_count(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Restore the count the service ran before it was scaled to zero (A1)."""
    count = _last_known_count(snapshot)
    if count is None:
        return None
    return make_action(
        finding.code, f"Restore desiredCount from 0 to {count}", "A1",
        (update_service(snapshot, desiredCount=count),),
        rollback=(update_service(snapshot, desiredCount=0),),
        diff=config_diff("service", {"desiredCount": 0}, {"desiredCount": count}),
        expected_effect=f"{count} tasks run again",
        risk="the service serves traffic again; check no maintenance window still needs it at 0",
    )  # fmt: skip


def _last_known_count(snapshot: ServiceSnapshot) -> int | None:
    """The autoscaling minimum, else the tasks the newest scale-in event stopped."""
    scaling = snapshot.capacity.autoscaling
    if scaling and scaling.target and scaling.target.min_capacity > 0:
        return scaling.target.min_capacity
    for event in snapshot.service.events:  # newest first
        match = _STOPPED_ALL.search(event.message)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None


# --- the plan ---------------------------------------------------------------------------------

PLANNERS: dict[str, Planner] = {
    "OOM_KILLED": plan_oom,
    "HEALTH_CHECK_GRACE_TOO_SHORT": plan_grace_period,
    "DEPLOYMENT_CONFIG_BLOCKS": plan_deployment_config,
    "STALE_IMAGE_NOT_REDEPLOYED": plan_force_deploy,
    "DEPLOYMENT_STUCK": plan_deployment_stuck,
    "DESIRED_COUNT_ZERO": plan_desired_count,
    "LOG_GROUP_MISSING": plan_log_group_missing,
    "LOG_DELIVERY_DENIED": plan_log_delivery_denied,
    "SECRETS_FETCH_DENIED": plan_secrets_fetch_denied,
    "TASK_ROLE_PERMISSION_DENIED": plan_task_role_denied,
    "ROLE_TRUST_INVALID": plan_role_trust,
    "SERVICE_LINKED_ROLE_MISSING": plan_service_linked_role,
    "SG_BLOCKS_ALB": plan_sg_blocks_alb,
    "TASK_EGRESS_BLOCKED": plan_task_egress_blocked,
    "NO_PUBLIC_IP_IN_PUBLIC_SUBNET": plan_public_ip,
    "VPC_ENDPOINT_MISCONFIG": plan_vpc_endpoint,
    "PORT_MISMATCH_TG": plan_port_mismatch,
    "TG_HEALTHCHECK_FAILING": plan_tg_health_path,
    "ARCH_MISMATCH": plan_arch_mismatch,
    "HOST_DISK_FULL": plan_ephemeral_storage,
    "HEALTHCHECK_FAILING_CONTAINER": plan_container_health,
    "ENTRYPOINT_CMD_ERROR": plan_entrypoint,
    "SIGTERM_NOT_HANDLED": plan_sigterm,
    "IMAGE_PULL_NOT_FOUND": plan_rollback_to_good,
    "ESSENTIAL_CONTAINER_EXIT": plan_rollback_to_good,
    "RUNTIME_CRASH_SIGNAL": plan_rollback_to_good,
    "CIRCUIT_BREAKER_ROLLBACK": plan_rollback_to_good,
    "AGENT_DISCONNECTED": plan_agent_restart,
    "HOST_PORT_CONFLICT": plan_dynamic_host_ports,
    "EXEC_ROLE_MISSING": plan_refused_revision,
    "INVALID_TASK_SIZE": plan_refused_revision,
    "PLATFORM_VERSION": plan_refused_platform,
    "AUTOSCALING_MAXED": plan_raise_max_capacity,
    "AUTOSCALING_SUSPENDED_OR_FAILING": plan_resume_scaling,
    "TASK_PROTECTION_BLOCKS_SCALE_IN": plan_unprotect_tasks,
}

LOOKUP_PLANNERS: dict[str, LookupPlanner] = {
    "SUBNET_IP_EXHAUSTED": plan_subnets,
    "UNSUPPORTED_AZ_SUBNET": plan_subnets,
    "SECRET_NOT_FOUND": plan_secret_ref,
    "KMS_DECRYPT_DENIED": plan_kms_decrypt_denied,
    "IMAGE_PULL_AUTH": plan_image_pull_auth,
    "TG_MISSING_OR_UNATTACHED": plan_listener,
    "PRIVATE_REGISTRY_CREDS": plan_registry_creds,
    "NO_CONTAINER_INSTANCES": plan_no_instances,
    "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER": plan_insufficient_capacity,
    "CAPACITY_PROVIDER_MISCONFIG": plan_capacity_provider,
    "PLACEMENT_CONSTRAINT_UNSATISFIABLE": plan_placement,
    "FARGATE_CAPACITY_UNAVAILABLE": plan_fargate_zones,
    "LB_AZ_NOT_ENABLED": plan_lb_zones,
    "TG_TARGET_TYPE_MISMATCH": plan_refused_target_group,
}


def planned_codes() -> frozenset[str]:
    """The failure codes some planner knows how to fix."""
    return frozenset(PLANNERS) | frozenset(LOOKUP_PLANNERS)


def propose(finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups) -> Proposal | None:
    """The planner's proposal for one finding, or None when no planner knows the code."""
    if finding.code in LOOKUP_PLANNERS:
        return LOOKUP_PLANNERS[finding.code](finding, snapshot, lookups)
    planner = PLANNERS.get(finding.code)
    return planner(finding, snapshot) if planner else None


def build_plan(
    findings: list[Finding], snapshot: ServiceSnapshot, lookups: Lookups | None = None
) -> RemediationPlan:
    """Plan the root causes (findings that no other finding explains), in rank order."""
    actions: list[Action] = []
    recommendations: list[str] = []
    for finding in findings:
        if finding.caused_by or finding.auto_level == "A0":
            continue
        proposal = propose(finding, snapshot, lookups or Lookups())
        if isinstance(proposal, Action):
            actions.append(dataclasses.replace(proposal, id=f"a{len(actions) + 1}"))
        else:
            recommendations.append(proposal or f"{finding.code}: {finding.remediation}")
    return RemediationPlan(actions=tuple(actions), recommendations=tuple(recommendations))
