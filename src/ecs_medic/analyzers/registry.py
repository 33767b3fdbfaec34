"""The one list of analyzers, and `analyze()`, which runs them all over a snapshot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.findings import Finding

from . import (
    access,
    deployment,
    drift,
    expected,
    image,
    image_host,
    lb_wiring,
    load_balancer,
    network,
    network_capacity,
    placement,
    quotas,
    runtime,
    secret_reads,
    targets,
)
from .ranking import rank

Analyzer = Callable[[ServiceSnapshot], list[Finding]]

ANALYZERS: tuple[Analyzer, ...] = (
    # 1. image and registry
    image.image_pull_not_found,
    image.image_pull_auth,
    image.private_registry_creds,
    image_host.image_pull_rate_limited,
    image_host.arch_mismatch,
    image_host.ecr_layer_s3_unreachable,
    image_host.host_disk_full,
    # 2. networking
    network.egress_path,
    network.endpoint_policy_denied,
    network_capacity.subnet_ip_exhausted,
    network_capacity.eni_limit,
    network_capacity.unsupported_az_subnet,
    network_capacity.efs_mount_failed,
    # 3. IAM, secrets and logging
    access.exec_role_missing,
    access.role_trust_invalid,
    secret_reads.secrets_fetch_denied,
    secret_reads.secret_not_found,
    secret_reads.kms_decrypt_denied,
    access.log_group_missing,
    access.log_delivery_denied,
    access.task_role_permission_denied,
    access.service_linked_role_missing,
    access.service_iam_policy_changed,
    # 4. load balancer and health checks
    load_balancer.tg_healthcheck_failing,
    targets.target_reachability,
    lb_wiring.tg_target_type_mismatch,
    lb_wiring.tg_missing_or_unattached,
    lb_wiring.lb_az_not_enabled,
    lb_wiring.healthcheck_failing_container,
    # 5. resources and placement
    placement.insufficient_cpu_memory,
    placement.no_container_instances,
    placement.agent_disconnected,
    placement.host_port_conflict,
    placement.placement_constraint_unsatisfiable,
    placement.capacity_provider_misconfig,
    placement.fargate_capacity_unavailable,
    placement.invalid_task_size,
    placement.platform_version,
    # 6. deployment
    deployment.circuit_breaker_rollback,
    deployment.deployment_stuck,
    deployment.deployment_config_blocks,
    deployment.task_protection_blocks_scale_in,
    deployment.desired_count_zero,
    deployment.stale_image_not_redeployed,
    deployment.lb_config_change_rejected,
    # 7. runtime
    runtime.oom_killed,
    runtime.essential_container_exit,
    runtime.entrypoint_cmd_error,
    runtime.runtime_crash_signal,
    runtime.sigterm_not_handled,
    # 8. quotas and scaling
    quotas.throttling,
    quotas.account_quota_fargate,
    quotas.provisioning_limit,
    quotas.autoscaling_maxed,
    quotas.autoscaling_suspended_or_failing,
    # 9. expected stops (Spot, maintenance) only while capacity is short
    expected.expected_stops,
    *(drift.spec_drift, drift.stack_job_failed),  # Planton Cloud: the spec is the expected state
)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Ranked findings (best root cause first) and the analyzers that failed."""

    findings: tuple[Finding, ...]
    errors: tuple[str, ...] = ()


def analyze(snapshot: ServiceSnapshot, analyzers: Sequence[Analyzer] = ANALYZERS) -> Analysis:
    """Run every analyzer; one that raises is recorded as an error and the others go on."""
    findings: list[Finding] = []
    errors: list[str] = []
    for analyzer in analyzers:
        try:
            findings.extend(analyzer(snapshot))
        except Exception as exc:  # noqa: BLE001 - the one boundary: a broken analyzer must not hide the rest
            errors.append(f"{_name(analyzer)}: {type(exc).__name__}: {exc}")
    return Analysis(findings=rank(findings), errors=tuple(errors))


def _name(analyzer: Analyzer) -> str:
    """Return the analyzer's function name, for error messages."""
    return getattr(analyzer, "__name__", repr(analyzer))
