"""Load balancer reachability and wiring: SGs, ports, grace, target type, AZs, health checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import (
    ALB_SG,
    NOW,
    TG_ARN,
    container,
    elb_task,
    event,
    failed_deployment,
    failing,
    log,
    mismatch_target,
    network_view,
    rule,
    service,
    snapshot,
    target,
    target_group,
    task,
    task_definition,
    task_sg,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.lb_wiring import (
    healthcheck_failing_container,
    lb_az_not_enabled,
    tg_missing_or_unattached,
    tg_target_type_mismatch,
)
from ecs_medic.analyzers.targets import target_reachability
from ecs_medic.aws.snapshot import Gap, HealthCheck, ServiceEvent, Task
from ecs_medic.findings import Severity

TIMED_OUT = (
    "(service ledger-api) (task 0123abcd) (port 9000) is unhealthy in (target-group {}) due to "
    "(reason Request timed out)."
)


def timing_out(**kwargs: object) -> object:
    """Every target times out and two tasks were replaced for failing ELB checks."""
    targets = tuple(
        target(f"10.20.1.{n}", "unhealthy", "Target.Timeout", "Request timed out") for n in (11, 12)
    )
    fields: dict[str, object] = {
        "target_health": targets,
        "stopped_tasks": (elb_task(1), elb_task(2)),
        "service": service(running=1, events=(event(TIMED_OUT.format(TG_ARN)),)),
    }
    fields.update(kwargs)
    return snapshot(**fields)


def test_sg_without_ingress_from_the_alb_is_sg_blocks_alb():
    """The task SG admits 8080 only: the ALB cannot reach 9000."""
    groups = (task_sg(ingress=(rule(8080, groups=(ALB_SG,)),)),)
    snap = timing_out(network=network_view(security_groups=groups))
    [finding] = target_reachability(snap)
    assert "SG_BLOCKS_ALB" == finding.code
    assert (
        f"Authorize ingress on sg-0ledgertask: TCP 9000 from security group {ALB_SG} (never "
        "0.0.0.0/0)." == (finding.remediation)
    )
    assert Severity.HIGH == finding.severity


def test_sg_blocks_alb_ranks_above_the_symptoms_it_explains():
    """With ELB stops and a failed breaker, SG_BLOCKS_ALB is the root cause."""
    groups = (task_sg(ingress=()),)
    snap = timing_out(network=network_view(security_groups=groups))
    snap = replace(
        snap, service=replace(snap.service, running_count=0, deployments=(failed_deployment(),))
    )
    findings = analyze(snap).findings
    assert "SG_BLOCKS_ALB" == findings[0].code
    assert {"SG_BLOCKS_ALB"} == {f.caused_by for f in findings[1:]}


def test_sg_admitting_the_alb_is_not_blamed():
    """SGs and ports fine: not SG_BLOCKS_ALB, but a low-confidence 'app not listening' finding."""
    [finding] = target_reachability(timing_out())
    assert ("PORT_MISMATCH_TG", 0.5) == (finding.code, finding.confidence)
    assert "the app may not listen on 0.0.0.0:9000" in finding.summary


def test_timeouts_without_security_groups_fall_back_to_sg_blocks_alb():
    """No SGs collected: the timeouts are still reported, with low confidence."""
    [finding] = target_reachability(timing_out(network=network_view(security_groups=())))
    assert ("SG_BLOCKS_ALB", 0.5) == (finding.code, finding.confidence)


def test_health_check_on_another_port_is_port_mismatch():
    """The check probes 8081 while the container serves 9000."""
    snap = timing_out(target_groups=(target_group(health_check_port="8081"),))
    [finding] = target_reachability(snap)
    assert "PORT_MISMATCH_TG" == finding.code
    assert "HealthCheckPort 8081, but the container serves app:9000" in finding.summary


def test_traffic_port_health_check_is_no_mismatch():
    """health_check_port traffic-port always matches: no port comparison is quoted."""
    details = [e.detail for f in target_reachability(timing_out()) for e in f.evidence]
    assert [] == [d for d in details if "HealthCheckPort" in d]


def test_tasks_killed_seconds_after_start_with_zero_grace_are_grace_too_short():
    """ELB stops 40 s after start with grace 0 and a booting app: raise the grace period."""

    def booted(n: int) -> object:
        started = NOW - timedelta(minutes=n, seconds=40)
        return replace(elb_task(n), started_at=started, stopping_at=NOW - timedelta(minutes=n))

    stopped = (booted(1), booted(2))
    snap = timing_out(
        stopped_tasks=stopped, log_events=(log(stopped[0], "Loading Spring context..."),)
    )
    [finding] = target_reachability(snap)
    assert "HEALTH_CHECK_GRACE_TOO_SHORT" == finding.code
    assert "2 tasks failed ELB health checks 40-40 s after starting" in finding.summary
    assert 0.85 == finding.confidence


def test_long_grace_is_not_too_short():
    """A 300 s grace period rules the grace code out."""
    snap = timing_out()
    snap = replace(snap, service=replace(snap.service, health_check_grace_period_s=300))
    assert "HEALTH_CHECK_GRACE_TOO_SHORT" not in [f.code for f in target_reachability(snap)]


def test_status_code_mismatch_is_left_to_tg_healthcheck_failing():
    """404s are the app's answer: none of the reachability codes fire."""
    snap = snapshot(target_health=(mismatch_target("10.20.1.11"),), stopped_tasks=(elb_task(1),))
    assert [] == target_reachability(snap)
    assert "TG_HEALTHCHECK_FAILING" == analyze(failing(snap, 1)).findings[0].code


def test_instance_target_group_with_awsvpc_is_target_type_mismatch():
    """TargetType instance cannot register awsvpc tasks."""
    snap = snapshot(target_groups=(target_group(target_type="instance"),))
    [finding] = tg_target_type_mismatch(snap)
    assert (
        "Target group ledger-tg (instance) cannot take tasks in awsvpc network mode"
        == finding.summary
    )


def test_ip_target_group_with_awsvpc_is_fine():
    """The default ip target group is compatible."""
    assert [] == tg_target_type_mismatch(snapshot())


def test_unattached_target_group_with_not_in_use_targets():
    """No load balancer and NotInUse targets: TG_MISSING_OR_UNATTACHED."""
    unused = tuple(
        target(f"10.20.1.{n}", "unused", "Target.NotInUse", "not in use") for n in (11, 12)
    )
    snap = snapshot(target_groups=(target_group(load_balancer_arns=()),), target_health=unused)
    [finding] = tg_missing_or_unattached(snap)
    assert "Add a listener or rule forwarding to ledger-tg." == finding.remediation


def test_deleted_target_group_is_missing():
    """DescribeTargetGroups says TargetGroupNotFound for the service's group."""
    gap = Gap("elbv2:DescribeTargetGroups", "TargetGroupNotFound", resource=TG_ARN)
    snap = failing(snapshot(target_groups=(), target_health=(), gaps=(gap,)))
    [finding] = tg_missing_or_unattached(snap)
    assert finding.summary.startswith("The service's target group does not exist")


def test_group_without_lb_arns_but_healthy_targets_is_not_flagged():
    """An unfilled LoadBalancerArns alone (healthy targets) is no evidence."""
    assert [] == tg_missing_or_unattached(
        snapshot(target_groups=(target_group(load_balancer_arns=()),))
    )


def test_task_in_an_az_the_lb_does_not_serve():
    """Tasks in eu-west-1b behind an ALB enabled only in eu-west-1a."""
    view = network_view()
    alb = replace(view.load_balancers[0], availability_zones=("eu-west-1a",))
    unused = (
        target(
            "10.20.2.11",
            "unused",
            "Target.NotInUse",
            "Target is in an Availability Zone that is not enabled",
        ),
    )
    snap = snapshot(network=replace(view, load_balancers=(alb,)), target_health=unused)
    [finding] = lb_az_not_enabled(snap)
    assert (
        "Tasks run in eu-west-1b, which the load balancer does not serve (eu-west-1a)"
        == finding.summary
    )


def test_all_task_azs_served_is_fine():
    """The default ALB serves both AZs."""
    assert [] == lb_az_not_enabled(snapshot())


def test_container_health_check_failures_quote_the_command():
    """'Task failed container health checks' with the task definition's healthCheck."""
    definition = task_definition()
    app = definition.container("app")
    assert app is not None
    check = HealthCheck(
        ("CMD-SHELL", "curl -f http://localhost:9000/health || exit 1"), 30, 5, 3, 0
    )
    definition = replace(
        definition, containers=(definition.containers[0], replace(app, health_check=check))
    )
    stopped = task(
        1,
        stop_code="ServiceSchedulerInitiated",
        stopped_reason="Task failed container health checks",
        containers=(
            container("envoy", 143),
            replace(container("app", 143), health_status="UNHEALTHY"),
        ),
    )
    [finding] = healthcheck_failing_container(
        failing(snapshot(task_definitions=(definition,), stopped_tasks=(stopped,)))
    )
    assert "CMD-SHELL curl -f http://localhost:9000/health || exit 1" in finding.remediation
    assert [] == target_reachability(
        failing(snapshot(task_definitions=(definition,), stopped_tasks=(stopped,)))
    )


def test_unserved_subnet_without_tasks_there_is_only_a_low_note():
    """No task ever ran in the unserved AZ (placement failed): a latent, low finding."""
    view = network_view()
    alb = replace(view.load_balancers[0], availability_zones=("eu-west-1a",))
    snap = failing(snapshot(network=replace(view, load_balancers=(alb,)), running_tasks=()))
    [finding] = lb_az_not_enabled(snap)
    assert (Severity.LOW, 0.6) == (finding.severity, finding.confidence)


def test_cidr_rule_that_misses_the_load_balancer_subnets_is_sg_blocks_alb():
    """Ingress on 9000 from another network's CIDR does not admit the ALB's subnets."""
    groups = (task_sg(ingress=(rule(9000, cidrs=("10.99.0.0/16",)),)),)
    [finding] = target_reachability(timing_out(network=network_view(security_groups=groups)))
    assert "SG_BLOCKS_ALB" == finding.code


def test_cidr_rule_covering_the_vpc_admits_the_load_balancer():
    """Ingress on 9000 from the VPC CIDR admits the ALB: not SG_BLOCKS_ALB."""
    groups = (task_sg(ingress=(rule(9000, cidrs=("10.20.0.0/16",)),)),)
    codes = [
        f.code
        for f in target_reachability(timing_out(network=network_view(security_groups=groups)))
    ]
    assert "SG_BLOCKS_ALB" not in codes


# --- a target group no load balancer uses: Target.NotInUse, not a reachability fault ------

NOT_ATTACHED = "Target group is not configured to receive traffic from the load balancer"
ZONE_OFF = "Target is in an Availability Zone that is not enabled for the load balancer"


def unused_event(t: Task, description: str) -> ServiceEvent:
    """ECS's unhealthy-target event for task t, quoting ELB's description of NotInUse."""
    return event(
        f"(service ledger-api) (task {t.id}) (port 9000) is unhealthy in (target-group "
        f"{TG_ARN}) due to (reason {description}).",
    )


def listener_deleted(**kwargs: object) -> object:
    """The ALB's listener is gone: LoadBalancerArns is empty, replacement targets still initial.

    Tasks live for about a minute with grace 0, as in a too-short grace period, and the
    circuit breaker failed the rollout.
    """
    stopped = tuple(
        replace(elb_task(n), started_at=NOW - timedelta(minutes=n, seconds=47)) for n in (1, 2, 3)
    )
    fields: dict[str, object] = {
        "target_groups": (target_group(load_balancer_arns=()),),
        "target_health": tuple(
            target(f"10.20.1.{n}", "initial", "Elb.InitialHealthChecking") for n in (21, 22)
        ),
        "stopped_tasks": stopped,
        "service": service(
            running=0,
            deployments=(failed_deployment(),),
            events=tuple(unused_event(t, NOT_ATTACHED) for t in stopped),
        ),
    }
    fields.update(kwargs)
    return snapshot(**fields)


def test_listener_gone_is_the_root_not_grace_or_the_health_check():
    """NotInUse events and an empty LoadBalancerArns: the wiring, not the app's boot or path."""
    findings = analyze(listener_deleted()).findings
    assert [
        ("TG_MISSING_OR_UNATTACHED", None),
        ("CIRCUIT_BREAKER_ROLLBACK", "TG_MISSING_OR_UNATTACHED"),
    ] == [(f.code, f.caused_by) for f in findings]
    assert (
        "The service's target group is not attached to any load balancer; 3 tasks stopped by "
        "ELB health"
    ) == findings[0].summary


def test_empty_load_balancer_arns_counts_while_no_target_is_healthy():
    """Without any event, the group's empty LoadBalancerArns with failing tasks is enough."""
    snap = listener_deleted(service=service(running=1))
    [finding] = tg_missing_or_unattached(snap)
    assert (Severity.HIGH, 0.8) == (finding.severity, finding.confidence)
    assert (
        f"{TG_ARN}",
        "ledger-tg: LoadBalancerArns [], no listener forwards to it",
    ) == (finding.evidence[-1].resource, finding.evidence[-1].detail)


def test_unattached_group_of_a_running_service_is_a_latent_note():
    """Every task runs and nothing failed yet: low severity, not a false alarm."""
    snap = listener_deleted(stopped_tasks=(), service=service())
    [finding] = tg_missing_or_unattached(snap)
    assert Severity.LOW == finding.severity


def test_zone_not_enabled_is_not_an_unattached_group():
    """NotInUse for an AZ the ALB does not serve leaves the attached group alone."""
    stopped = (elb_task(1),)
    snap = snapshot(
        stopped_tasks=stopped,
        service=service(running=2, events=(unused_event(stopped[0], ZONE_OFF),)),
    )
    assert [] == tg_missing_or_unattached(snap)
    assert [] == target_reachability(snap)
