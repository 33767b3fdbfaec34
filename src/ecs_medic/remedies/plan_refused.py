"""Planners for deployments AWS refused: the corrected call, what CI meant made valid (A2).

CI registered a revision or updated the service, AWS refused the call, and the service runs
on as before. CloudTrail keeps the refused request (requestParameters, cut at 2000
characters). Each planner takes the newest refused call its finding quotes, reads what CI
asked for, and proposes the valid form of it. A request cut short becomes a recommendation:
guessing its missing part could deploy something CI never asked for.
"""

from __future__ import annotations

import copy
from typing import Any

from ecs_medic.analyzers.placement import parse_size
from ecs_medic.aws.snapshot import ServiceLoadBalancer, ServiceSnapshot, TargetGroup, TaskDefinition
from ecs_medic.findings import Finding
from ecs_medic.remedies import fargate
from ecs_medic.remedies.actions import Proposal, make_action, revise_and_deploy, revision_diff
from ecs_medic.remedies.actions import update_service as service_update
from ecs_medic.remedies.diff import added, config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.lookups_refused import Forwarding, ip_group_name
from ecs_medic.remedies.plan import Action, ApiCall, FieldChange
from ecs_medic.remedies.refused import Request, cut_short, quoted_calls, request_of

LATEST = "LATEST"
NEW_GROUP = "$group.TargetGroups.0.TargetGroupArn"
# What a release changes, taken from the refused request (AWS's field names): see
# `release_changes` for why nothing else is.
TASK_FIELDS = ("cpu", "memory", "ephemeralStorage")
CONTAINER_FIELDS = {"image": "image", "cpu": "cpu", "memory": "memory",
                    "memoryReservation": "memory_reservation"}  # fmt: skip
_EFFECT = {
    "EXEC_ROLE_MISSING": "the release CI attempted runs, with the execution role the running "
    "revision uses",
    "INVALID_TASK_SIZE": "the release CI attempted runs, on the smallest Fargate size that "
    "holds the memory it asked for",
}


# --- registrations AWS refused: EXEC_ROLE_MISSING, INVALID_TASK_SIZE ---------------------------


def plan_refused_revision(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Register the revision AWS refused, made valid on the running revision, and deploy it."""
    calls = quoted_calls(finding, snapshot, "RegisterTaskDefinition")
    td = snapshot.current_task_definition
    if not calls or td is None:
        return None
    request = request_of(calls[0])
    if request is None:
        return f"{finding.code}: {cut_short(calls[0])}; {_by_hand(finding.code)}"
    if finding.code == "EXEC_ROLE_MISSING" and not td.execution_role_arn:
        return (
            f"EXEC_ROLE_MISSING: the running revision {td.family}:{td.revision} has no execution "
            "role to reuse either; create a role trusted by ecs-tasks.amazonaws.com with "
            "AmazonECSTaskExecutionRolePolicy and register the release with it."
        )
    changes = release_changes(td, request)
    if isinstance(changes, str):
        return f"{finding.code}: {changes}; {_by_hand(finding.code)}"
    if not changes:
        return (
            f"{finding.code}: the refused {td.family} revision asks for nothing the running "
            f"revision {td.revision} lacks; correct the pipeline's template, nothing to deploy."
        )
    return _revision_action(finding, snapshot, td, changes)


def _revision_action(
    finding: Finding,
    snapshot: ServiceSnapshot,
    td: TaskDefinition,
    changes: tuple[FieldChange, ...],
) -> Action:
    steps, rollback = revise_and_deploy(snapshot, td, changes)
    asked = ", ".join(f"{_key(c)} {str(c.after).rsplit('/', 1)[-1]}" for c in changes)
    return make_action(
        finding.code, f"Register the {td.family} revision CI asked for ({asked}) on the running "
        f"revision's settings and deploy it", "A2", steps, rollback=rollback,
        diff=revision_diff(td, changes),
        expected_effect=_EFFECT.get(finding.code, "the release CI attempted runs"),
        risk="only images and sizes are taken from CI's request; its other changes "
        "(environment, ports, roles) are not carried over",
    )  # fmt: skip


def release_changes(td: TaskDefinition, request: Request) -> tuple[FieldChange, ...] | str:
    """What a refused RegisterTaskDefinition changed of the running revision, made valid.

    Only what describes a release is taken from the request: each container's image, CPU and
    memory, and the task's CPU, memory and ephemeral storage. Everything else (environment,
    secrets, roles, log configuration, ports) stays as the running revision has it, read live
    when the fix is applied: CloudTrail's copy of the request may hold environment values and
    secrets, which a plan never holds; the execution role is often what AWS refused; and the
    copy may have lost fields AWS would have kept. A Fargate size AWS has no configuration
    for becomes the smallest valid one holding the CPU and memory asked.
    A str says why the request cannot be applied this way.
    """
    if str(request.get("family") or td.family) != td.family:
        return f"CI registered family {request.get('family')}, the service runs {td.family}"
    wanted = {
        str(c.get("name")): c
        for c in request.get("containerDefinitions") or ()
        if isinstance(c, dict)
    }
    running = {c.name: c for c in td.containers}
    if wanted and set(wanted) != set(running):
        return (
            f"CI's revision has containers {', '.join(sorted(wanted))} where the running one "
            f"has {', '.join(sorted(running))}"
        )
    changes = [
        FieldChange(key, getattr(running[name], attr), container[key], name)
        for name, container in wanted.items()
        for key, attr in CONTAINER_FIELDS.items()
        if key in container and not _same(container[key], getattr(running[name], attr))
    ]
    task = _task_changes(td, request)
    return task if isinstance(task, str) else (*changes, *task)


def _task_changes(td: TaskDefinition, request: Request) -> list[FieldChange] | str:
    """The task-level fields the request changes, with a Fargate size made valid."""
    now: dict[str, Any] = {"cpu": td.cpu, "memory": td.memory}
    asked = {k: request[k] for k in TASK_FIELDS if k in request}
    size = _fargate_size(td, asked.get("cpu", td.cpu), asked.get("memory", td.memory))
    if isinstance(size, str):
        return size
    asked.update({k: v for k, v in size.items() if v is not None})
    return [
        FieldChange(key, now.get(key), value)
        for key, value in asked.items()
        if not _same(value, now.get(key))
    ]


def _fargate_size(td: TaskDefinition, cpu: Any, memory: Any) -> dict[str, Any] | str:
    """The size asked, or for Fargate the smallest valid one holding it (a str: none does)."""
    units, mib = parse_size(str(cpu), 1024), parse_size(str(memory), 1024)
    if "FARGATE" not in td.requires_compatibilities or not units or not mib:
        return {"cpu": cpu, "memory": memory}
    if fargate.is_valid(units, mib):
        return {"cpu": cpu, "memory": memory}
    valid = fargate.smallest_at_least(units, mib)
    if valid is None:
        return f"no Fargate size has {units} CPU units and {mib} MiB"
    return {"cpu": str(valid[0]), "memory": str(valid[1])}


def _same(asked: Any, now: Any) -> bool:
    """Whether a requested value is what runs (0 and absent CPU are the same, "256" and 256)."""
    return str(asked or "") == str(now or "")


def _key(change: FieldChange) -> str:
    return change.field if change.container is None else f"{change.container}.{change.field}"


def _by_hand(code: str) -> str:
    fix = {
        "EXEC_ROLE_MISSING": "register it again with the running revision's executionRoleArn",
        "INVALID_TASK_SIZE": "register it again with a valid Fargate cpu/memory pair",
    }.get(code, "register it again, corrected")
    return f"{fix} and update the service to it."


# --- UpdateService AWS refused for the platform version: PLATFORM_VERSION -----------------------


def plan_refused_platform(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Make the UpdateService AWS refused again, on platformVersion LATEST."""
    calls = quoted_calls(finding, snapshot, "UpdateService")
    if not calls:
        return None
    request = request_of(calls[0])
    if request is None:
        return (
            f"PLATFORM_VERSION: {cut_short(calls[0])}; update the service to the revision CI "
            "deployed with platformVersion LATEST (or 1.4.0)."
        )
    service = snapshot.service
    before = {"taskDefinition": service.task_definition_arn,
              "platformVersion": service.platform_version or LATEST}  # fmt: skip
    after = {"taskDefinition": str(request.get("taskDefinition") or service.task_definition_arn),
             "platformVersion": LATEST}  # fmt: skip
    if after == before:
        return None
    return make_action(
        finding.code, f"Deploy {after['taskDefinition'].rsplit('/', 1)[-1]} on platform "
        f"version {LATEST} (now {before['platformVersion']})", "A2",
        (service_update(snapshot, "deploy", **after),),
        rollback=(service_update(snapshot, **before),),
        diff=config_diff("service", before, after),
        expected_effect="the revision CI deployed runs on a platform version that supports it",
        risk="LATEST follows AWS's newest Fargate platform; pin 1.4.0 if the service must not move",
    )  # fmt: skip


# --- UpdateService AWS refused for the target type: TG_TARGET_TYPE_MISMATCH --------------------


def plan_refused_target_group(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Redo CI's move to a new target group with an `ip` twin of the group AWS refused.

    Create the twin, point what forwards to the service's group at it, move the service to
    it; the rollback undoes each in reverse and deletes the twin.
    """
    calls = quoted_calls(finding, snapshot, "UpdateService")
    if not calls:
        return None
    request = request_of(calls[0])
    if request is None:
        return f"TG_TARGET_TYPE_MISMATCH: {cut_short(calls[0])}; {_group_by_hand()}"
    entries = [e for e in request.get("loadBalancers") or () if isinstance(e, dict)]
    facts = lookups.refused_groups
    asked = {str(e.get("targetGroupArn")) for e in entries}
    refused = [g for g in facts.refused if g.arn in asked and g.target_type == "instance"]
    if len(refused) != 1 or len(entries) != 1 or len(snapshot.service.load_balancers) != 1:
        return f"TG_TARGET_TYPE_MISMATCH: {_group_by_hand()}"
    group, name = refused[0], ip_group_name(refused[0].name)
    if name in facts.taken_names or not facts.forwarding:
        why = f"a target group named {name} exists" if facts.forwarding else (
            "no listener or rule forwards to the service's target group")  # fmt: skip
        return f"TG_TARGET_TYPE_MISMATCH: {why}; {_group_by_hand()}"
    return _move_action(finding, snapshot, (group, name), entries[0], facts.forwarding)


def _move_action(
    finding: Finding,
    snapshot: ServiceSnapshot,
    twin: tuple[TargetGroup, str],
    entry: dict[str, Any],
    forwarding: tuple[Forwarding, ...],
) -> Action:
    group, name = twin
    create = _create_params(group, name)
    old = _entry(snapshot.service.load_balancers[0])
    new = {**entry, "targetGroupArn": NEW_GROUP}
    steps = (
        ApiCall("elbv2", "CreateTargetGroup", create, "group"),
        *(_forward(f, _retarget(f.actions, old["targetGroupArn"], NEW_GROUP)) for f in forwarding),
        service_update(snapshot, "move", loadBalancers=[new], forceNewDeployment=True),
    )
    rollback = (
        service_update(snapshot, loadBalancers=[old], forceNewDeployment=True),
        *(_forward(f, list(f.actions)) for f in reversed(forwarding)),
        ApiCall("elbv2", "DeleteTargetGroup", {"TargetGroupArn": NEW_GROUP}),
    )
    moved = config_diff(
        "service and listeners",
        {"loadBalancers": [old], **{f.arn: old["targetGroupArn"] for f in forwarding}},
        {"loadBalancers": [new], **{f.arn: f"target group {name}" for f in forwarding}},
    )
    return make_action(
        finding.code, f"Create target group {name} (TargetType ip, as {group.name} otherwise), "
        "forward to it and move the service to it", "A2", steps, rollback=rollback,
        diff="\n".join((added(f"target group {name}", create), moved)),
        expected_effect="the service's tasks register by IP in the new group and turn healthy",
        risk="the listener forwards to the new group before the service's tasks are in it: "
        "requests may fail until the first one is healthy; the rollback deletes the group",
    )  # fmt: skip


def _create_params(group: TargetGroup, name: str) -> dict[str, Any]:
    """CreateTargetGroup parameters: the refused group's settings with TargetType ip."""
    params: dict[str, Any] = {
        "Name": name, "Protocol": group.protocol, "Port": group.port, "VpcId": group.vpc_id,
        "TargetType": "ip", "HealthCheckProtocol": group.health_check_protocol,
        "HealthCheckPort": group.health_check_port, "HealthCheckPath": group.health_check_path,
        "HealthCheckIntervalSeconds": group.interval_s,
        "HealthCheckTimeoutSeconds": group.timeout_s,
        "HealthyThresholdCount": group.healthy_threshold,
        "UnhealthyThresholdCount": group.unhealthy_threshold,
        "Matcher": {"HttpCode": group.matcher} if group.matcher else None,
    }  # fmt: skip
    return {k: v for k, v in params.items() if v is not None}


def _entry(lb: ServiceLoadBalancer) -> dict[str, Any]:
    """A service loadBalancers entry as UpdateService takes it."""
    return {
        "targetGroupArn": lb.target_group_arn,
        "containerName": lb.container_name,
        "containerPort": lb.container_port,
    }


def _forward(point: Forwarding, actions: list[dict[str, Any]]) -> ApiCall:
    """ModifyListener (default actions) or ModifyRule setting these actions."""
    if point.kind == "listener":
        return ApiCall(
            "elbv2", "ModifyListener", {"ListenerArn": point.arn, "DefaultActions": actions}
        )
    return ApiCall("elbv2", "ModifyRule", {"RuleArn": point.arn, "Actions": actions})


def _retarget(actions: tuple[dict[str, Any], ...], old: str, new: str) -> list[dict[str, Any]]:
    """The actions with every forward to `old` (plain or weighted) sent to `new` instead."""
    out = copy.deepcopy(list(actions))
    for action in out:
        if action.get("TargetGroupArn") == old:
            action["TargetGroupArn"] = new
        for weighted in (action.get("ForwardConfig") or {}).get("TargetGroups") or ():
            if weighted.get("TargetGroupArn") == old:
                weighted["TargetGroupArn"] = new
    return out


def _group_by_hand() -> str:
    return (
        "create a target group with TargetType ip and the refused group's port, protocol, VPC "
        "and health check, forward the listener to it, and update the service's loadBalancers "
        "to it."
    )
