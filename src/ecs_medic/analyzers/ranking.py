"""Rank findings so the first one is the root cause, and link symptoms to their causes.

Some codes are symptoms: the circuit breaker fails a deployment *because* tasks fail. When a
finding that explains those failed tasks is present, the symptom gets `caused_by` and ranks
below it. Extend `EXPLAINED_BY` when a new symptom or cause is added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ecs_medic.findings import Finding

# Codes that make tasks fail to start or keep running, in the catalogue's order.
TASK_FAILURE_CAUSES = (
    # image
    "IMAGE_PULL_NOT_FOUND",
    "IMAGE_PULL_AUTH",
    "PRIVATE_REGISTRY_CREDS",
    "IMAGE_PULL_RATE_LIMITED",
    "ARCH_MISMATCH",
    "ECR_LAYER_S3_UNREACHABLE",
    "HOST_DISK_FULL",
    # networking
    "NO_EGRESS_FOR_IMAGE_PULL",
    "NO_PUBLIC_IP_IN_PUBLIC_SUBNET",
    "VPC_ENDPOINT_MISCONFIG",
    "TASK_EGRESS_BLOCKED",
    "SUBNET_IP_EXHAUSTED",
    "ENI_LIMIT",
    "EFS_MOUNT_FAILED",
    # iam, secrets, logging
    "EXEC_ROLE_MISSING",
    "ROLE_TRUST_INVALID",
    "SECRETS_FETCH_DENIED",
    "SECRET_NOT_FOUND",
    "KMS_DECRYPT_DENIED",
    "LOG_GROUP_MISSING",
    "LOG_DELIVERY_DENIED",
    "TASK_ROLE_PERMISSION_DENIED",
    "SERVICE_LINKED_ROLE_MISSING",
    "SERVICE_IAM_POLICY_CHANGED",
    # load balancer and health checks
    "TG_HEALTHCHECK_FAILING",
    "SG_BLOCKS_ALB",
    "PORT_MISMATCH_TG",
    "TG_MISSING_OR_UNATTACHED",
    "LB_AZ_NOT_ENABLED",
    "HEALTH_CHECK_GRACE_TOO_SHORT",
    "HEALTHCHECK_FAILING_CONTAINER",
    # resources
    "INVALID_TASK_SIZE",
    "PLATFORM_VERSION",
    # runtime
    "OOM_KILLED",
    "ESSENTIAL_CONTAINER_EXIT",
    "ENTRYPOINT_CMD_ERROR",
    "RUNTIME_CRASH_SIGNAL",
)

# Codes that keep tasks from being placed at all: a rollout waits on them.
PLACEMENT_CAUSES = (
    "UNSUPPORTED_AZ_SUBNET",
    "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER",
    "NO_CONTAINER_INSTANCES",
    "AGENT_DISCONNECTED",
    "HOST_PORT_CONFLICT",
    "PLACEMENT_CONSTRAINT_UNSATISFIABLE",
    "CAPACITY_PROVIDER_MISCONFIG",
    "FARGATE_CAPACITY_UNAVAILABLE",
    "DEPLOYMENT_CONFIG_BLOCKS",
    "TASK_PROTECTION_BLOCKS_SCALE_IN",
    "THROTTLING",
    "ACCOUNT_QUOTA_FARGATE",
    "PROVISIONING_LIMIT",
)

# Ways the load balancer cannot reach a healthy app, before the app's answer matters.
TARGET_REACH_CAUSES = (
    "SG_BLOCKS_ALB",
    "PORT_MISMATCH_TG",
    "HEALTH_CHECK_GRACE_TOO_SHORT",
    "LB_AZ_NOT_ENABLED",
    "TG_MISSING_OR_UNATTACHED",
    "TG_TARGET_TYPE_MISMATCH",
)

# The roles the execution needs: without them pulls, secrets and logs are denied.
EXECUTION_ROLE_CAUSES = ("EXEC_ROLE_MISSING", "ROLE_TRUST_INVALID")

# symptom -> the codes that explain it
EXPLAINED_BY: dict[str, tuple[str, ...]] = {
    "CIRCUIT_BREAKER_ROLLBACK": TASK_FAILURE_CAUSES,
    "DEPLOYMENT_STUCK": TASK_FAILURE_CAUSES + PLACEMENT_CAUSES,
    "TG_HEALTHCHECK_FAILING": TARGET_REACH_CAUSES,
    # no grace period helps a target the load balancer cannot reach or does not check at all
    "HEALTH_CHECK_GRACE_TOO_SHORT": tuple(
        c for c in TARGET_REACH_CAUSES if c != "HEALTH_CHECK_GRACE_TOO_SHORT"
    ),
    "ESSENTIAL_CONTAINER_EXIT": ("TASK_ROLE_PERMISSION_DENIED", "ARCH_MISMATCH"),
    "IMAGE_PULL_AUTH": EXECUTION_ROLE_CAUSES,
    "PRIVATE_REGISTRY_CREDS": EXECUTION_ROLE_CAUSES,
    "SECRETS_FETCH_DENIED": EXECUTION_ROLE_CAUSES,
    "LOG_DELIVERY_DENIED": EXECUTION_ROLE_CAUSES,
    "NO_CONTAINER_INSTANCES": ("CAPACITY_PROVIDER_MISCONFIG",),
    "AUTOSCALING_MAXED": ("INSUFFICIENT_CPU_MEMORY_ON_CLUSTER", "ACCOUNT_QUOTA_FARGATE"),
    "SIGTERM_NOT_HANDLED": ("OOM_KILLED",),
    # the rollout that would resolve the tag again failed or hangs: that is why tasks are stale
    "STALE_IMAGE_NOT_REDEPLOYED": ("CIRCUIT_BREAKER_ROLLBACK", "DEPLOYMENT_STUCK"),
}


def rank(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Link symptoms to causes, then order: severity, causes first, confidence, tasks hit."""
    linked = _link(list(findings))
    causes = {f.caused_by for f in linked if f.caused_by}
    return tuple(sorted(linked, key=lambda f: _key(f, causes)))


def _key(finding: Finding, causes: set[str]) -> tuple[int, int, float, int, str]:
    """Sort key; the role is 0 for a cause of others, 1 for a plain finding, 2 for a symptom."""
    role = 2 if finding.caused_by else (0 if finding.code in causes else 1)
    return (finding.severity.rank, role, -finding.confidence, -finding.affected_tasks, finding.code)


def _link(findings: list[Finding]) -> list[Finding]:
    """Set `caused_by` on explained symptoms; a cause is at least as severe as its symptoms."""
    linked = [_with_cause(f, findings) for f in findings]
    by_code = {f.code: f for f in linked}
    rooted = [_rooted(f, by_code) for f in linked]
    return [_escalated(f, rooted) for f in rooted]


def _rooted(finding: Finding, by_code: dict[str, Finding]) -> Finding:
    """Point `caused_by` at the chain's root: breaker -> app exit -> task role gives the role."""
    seen = {finding.code}
    cause = finding.caused_by
    while cause and cause not in seen and (parent := by_code.get(cause)) and parent.caused_by:
        seen.add(cause)
        cause = parent.caused_by
    return (
        finding
        if cause == finding.caused_by or cause in seen
        else replace(finding, caused_by=cause)
    )


def _with_cause(finding: Finding, findings: list[Finding]) -> Finding:
    """Return the symptom with `caused_by` set to its best explaining finding, if any."""
    explains = EXPLAINED_BY.get(finding.code, ())
    candidates = [f for f in findings if f.code in explains]
    if finding.caused_by or not candidates:
        return finding
    best = min(candidates, key=lambda f: _key(f, set()))
    return replace(finding, caused_by=best.code)


def _escalated(finding: Finding, findings: list[Finding]) -> Finding:
    """Raise a cause to the worst severity among the symptoms it explains."""
    symptoms = [f.severity for f in findings if f.caused_by == finding.code]
    worst = min(symptoms, key=lambda s: s.rank, default=finding.severity)
    return replace(finding, severity=worst) if worst.rank < finding.severity.rank else finding
