"""Planners for EC2 capacity: Auto Scaling groups, managed scaling, the agent, task size.

They scale the cluster's Auto Scaling group, turn on a capacity provider's managed scaling,
restart a disconnected ECS agent, or right-size a task no instance of the fleet can hold.

Every number comes from the live account: the task definition's reservation, what the
container instances register (or, with none registered, what EC2 says the group's instance
type offers), the group's sizes and zones, the service's desired and running counts.
"""

from __future__ import annotations

import math

from ecs_medic.analyzers.placement import task_needs
from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.aws.snapshot_capacity import CapacityProvider, ContainerInstance
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, make_action, revision_action
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.lookups_capacity import ScalingGroup
from ecs_medic.remedies.plan import Action, ApiCall, FieldChange

# ECS registers less memory than an instance has: the OS and the agent keep some (about 6 %
# on an m5.large). With no instance registered yet, plans count on 90 % of it.
REGISTERED_SHARE = 0.9
MEMORY_STEP = 128  # a right-sized task's memory is a multiple of this (MiB)
CPU_STEP = 128  # and its CPU units
RESTART_AGENT = "sudo systemctl restart ecs"
Room = tuple[int | None, int | None]  # CPU units, MiB


# --- scaling the cluster's Auto Scaling group -------------------------------------------------


def plan_no_instances(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Scale the group that launches the cluster's instances from 0 to what the service needs."""
    group = _only_group(snapshot, lookups)
    if isinstance(group, str) or group is None:
        return group
    if group.desired > 0:
        return (
            f"NO_CONTAINER_INSTANCES: Auto Scaling group {group.name} wants {group.desired} "
            f"instances, yet none registered with {snapshot.cluster_name}: check their instance "
            "profile (AmazonEC2ContainerServiceforEC2Role), their route to the ECS endpoint and "
            "/var/log/ecs/ecs-agent.log (AWSSupport-TroubleshootECSContainerInstance)."
        )
    per = tasks_per_instance(_need(snapshot), _group_room(snapshot, group, lookups))
    if not per:
        return None
    tasks = snapshot.service.desired_count
    by_size = math.ceil(tasks / per)
    count = max(group.min_size, by_size, min(tasks, len(group.zones)), 1)
    why = (
        f"{tasks} tasks fit on {by_size} {group.instance_type or 'instance'}(s); one per zone of "
        f"the group ({', '.join(group.zones) or '?'}) up to the task count"
    )
    return scale_group(finding.code, snapshot, group, count, why)


def plan_insufficient_capacity(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Add instances when an empty one holds a task; else shrink the task to fit the fleet."""
    td = snapshot.current_task_definition
    active = [i for i in snapshot.capacity.container_instances if i.status == "ACTIVE"]
    if td is None or not active:
        return None
    need, room = _need(snapshot), largest_room(active)
    per = tasks_per_instance(need, room)
    if not per:
        return right_size(finding, snapshot, td, room, len(active))
    group = _only_group(snapshot, lookups)
    if isinstance(group, str) or group is None:
        return group
    missing = snapshot.service.desired_count - snapshot.service.running_count
    if missing <= 0:
        return None
    more = math.ceil(missing / per)
    why = f"{missing} waiting task(s), {per} per empty {group.instance_type or 'instance'}"
    return scale_group(finding.code, snapshot, group, group.desired + more, why)


def scale_group(
    code: str, snapshot: ServiceSnapshot, group: ScalingGroup, desired: int, why: str
) -> Action:
    """UpdateAutoScalingGroup to `desired` (MaxSize raised to it when lower); rollback restores."""
    before = {"DesiredCapacity": group.desired, "MaxSize": group.max_size}
    after = {"DesiredCapacity": desired, "MaxSize": max(group.max_size, desired)}
    added = desired - group.desired
    return make_action(
        code, f"Scale Auto Scaling group {group.name} from {group.desired} to {desired} "
        f"instances ({why})", "A2",
        (_update_group(group.name, after),), rollback=(_update_group(group.name, before),),
        diff=config_diff(f"autoscaling group {group.name}", before, after),
        expected_effect=f"{added} more instance(s) boot and register with "
        f"{snapshot.cluster_name} within minutes; the waiting tasks are placed",
        risk=f"{added} more {group.instance_type or 'EC2'} instance(s) are billed; the rollback "
        "scales back in, which stops the tasks on the instances it terminates",
    )  # fmt: skip


def _update_group(name: str, sizes: dict[str, int]) -> ApiCall:
    return ApiCall("autoscaling", "UpdateAutoScalingGroup", {"AutoScalingGroupName": name, **sizes})


def _only_group(snapshot: ServiceSnapshot, lookups: Lookups) -> ScalingGroup | str | None:
    """The one group behind the cluster; a recommendation when several are, None when none."""
    groups = lookups.scaling_groups
    if len(groups) > 1:
        names = ", ".join(g.name for g in groups)
        return (
            f"Scale out one of the Auto Scaling groups that launch {snapshot.cluster_name}'s "
            f"instances ({names}): ecs-medic does not choose between them."
        )
    return groups[0] if groups else None


# --- capacity arithmetic ----------------------------------------------------------------------


def _need(snapshot: ServiceSnapshot) -> Room:
    td = snapshot.current_task_definition
    return task_needs(td) if td else (None, None)


def largest_room(instances: list[ContainerInstance]) -> Room:
    """The CPU units and MiB the largest instance registers (what an empty one offers)."""
    cpus = [i.registered_cpu for i in instances if i.registered_cpu is not None]
    memories = [i.registered_memory for i in instances if i.registered_memory is not None]
    return max(cpus, default=None), max(memories, default=None)


def _group_room(snapshot: ServiceSnapshot, group: ScalingGroup, lookups: Lookups) -> Room:
    """What one instance of the group registers: as its instances show, else from EC2's specs."""
    same = [
        i for i in snapshot.capacity.container_instances if i.instance_type == group.instance_type
    ]
    if same:
        return largest_room(same)
    spec = lookups.instance_type(group.instance_type)
    if spec is None:
        return None, None
    return spec.vcpus * 1024, int(spec.memory_mib * REGISTERED_SHARE)


def tasks_per_instance(need: Room, room: Room) -> int:
    """How many tasks an empty instance takes (0: not one; unknown sizes do not limit)."""
    counts = [have // want for want, have in zip(need, room, strict=True) if want and have]
    unknown = any(want and have is None for want, have in zip(need, room, strict=True))
    return 0 if unknown else min(counts, default=0)


# --- right-sizing a task that no instance can hold --------------------------------------------


def right_size(
    finding: Finding, snapshot: ServiceSnapshot, td: TaskDefinition, room: Room, instances: int
) -> Proposal | None:
    """Register the task with the CPU or memory the fleet's instances can give each task."""
    share = math.ceil(snapshot.service.desired_count / instances)
    changes: list[FieldChange] = []
    for name, step, want, have in (
        ("cpu", CPU_STEP, task_needs(td)[0], room[0]),
        ("memory", MEMORY_STEP, task_needs(td)[1], room[1]),
    ):
        if want is None or have is None or want <= have // share:
            continue
        fitted = (have // share) // step * step
        if getattr(td, name) is None or fitted < want / 2:
            return None  # container-level sizes, or a cut too deep to guess: a person decides
        changes += _sized(td, name, fitted)
    if not changes:
        return None
    sizes = ", ".join(f"{c.field} {c.before} -> {c.after}" for c in changes if not c.container)
    return revision_action(
        finding, snapshot, tuple(changes),
        title=f"Register {td.family} with {sizes} (what its instances register per task) and "
        "deploy it",
        expected_effect="each task fits on one of the cluster's instances and is placed",
        risk="the task gets less than it reserved: an application that needs more is throttled "
        "or OOM-killed, verification then fails and the revision is rolled back; the other way "
        "is a larger instance type in the launch template (A3)",
    )  # fmt: skip


def _sized(td: TaskDefinition, name: str, fitted: int) -> list[FieldChange]:
    """The task-level size, and container limits above it, lowered to `fitted`."""
    changes = [FieldChange(name, getattr(td, name), str(fitted))]
    for container in td.containers:
        limit = getattr(container, name)
        if limit is not None and limit > fitted:
            changes.append(FieldChange(name, limit, fitted, container.name))
    return changes


# --- capacity providers -----------------------------------------------------------------------


def plan_capacity_provider(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Turn on managed scaling of a provider that has it off, else raise its group's MaxSize."""
    for provider in _service_providers(snapshot):
        group = next((g for g in lookups.scaling_groups if _backs(provider, g)), None)
        if provider.managed_scaling == "DISABLED":
            return _enable_managed_scaling(finding, snapshot, provider, group, lookups)
        if group is not None and group.desired >= group.max_size:
            more = _instances_for_waiting(snapshot, group, lookups)
            why = f"at MaxSize {group.max_size} with tasks waiting"
            return _raise_max(finding.code, group, group.max_size + more, why)
    return None


def _service_providers(snapshot: ServiceSnapshot) -> list[CapacityProvider]:
    cluster = snapshot.capacity.cluster
    names = snapshot.service.capacity_provider_strategy or (
        cluster.default_strategy if cluster else ()
    )
    return [p for p in snapshot.capacity.capacity_providers if p.name in names and p.asg_arn]


def _backs(provider: CapacityProvider, group: ScalingGroup) -> bool:
    return (provider.asg_arn or "").endswith(f"autoScalingGroupName/{group.name}")


def _instances_for_waiting(snapshot: ServiceSnapshot, group: ScalingGroup, lookups: Lookups) -> int:
    """Instances the waiting tasks need (one per task when the instance size is unknown)."""
    waiting = max(1, snapshot.service.desired_count - snapshot.service.running_count)
    per = tasks_per_instance(_need(snapshot), _group_room(snapshot, group, lookups))
    return math.ceil(waiting / per) if per else waiting


def _enable_managed_scaling(
    finding: Finding,
    snapshot: ServiceSnapshot,
    provider: CapacityProvider,
    group: ScalingGroup | None,
    lookups: Lookups,
) -> Proposal | None:
    """UpdateCapacityProvider: managed scaling ENABLED at the provider's target capacity."""
    target = provider.target_capacity or 100
    before = {"status": "DISABLED", "targetCapacity": target}
    after = {"status": "ENABLED", "targetCapacity": target}
    steps = [_update_provider(provider.name, after)]
    rollback = [_update_provider(provider.name, before)]
    diffs = [config_diff(f"capacity provider {provider.name}.managedScaling", before, after)]
    if group is not None and group.max_size == 0:
        raised = _instances_for_waiting(snapshot, group, lookups)
        steps.append(_update_group(group.name, {"MaxSize": raised}))
        rollback.insert(0, _update_group(group.name, {"DesiredCapacity": 0, "MaxSize": 0}))
        diffs.append(
            config_diff(f"autoscaling group {group.name}", {"MaxSize": 0}, {"MaxSize": raised})
        )
    return make_action(
        finding.code, f"Turn on managed scaling of capacity provider {provider.name} "
        f"(target capacity {target} %)", "A2", tuple(steps), rollback=tuple(rollback),
        diff="\n".join(diffs),
        expected_effect="ECS scales the provider's Auto Scaling group out while tasks wait; "
        "the new instances register and the tasks are placed",
        risk="ECS now sizes the group (up to its MaxSize), which is billed; manual changes to "
        "its desired capacity are overridden",
    )  # fmt: skip


def _update_provider(name: str, scaling: dict[str, object]) -> ApiCall:
    params = {"name": name, "autoScalingGroupProvider": {"managedScaling": scaling}}
    return ApiCall("ecs", "UpdateCapacityProvider", params)


def _raise_max(code: str, group: ScalingGroup, maximum: int, why: str) -> Action:
    before = {"MaxSize": group.max_size}
    after = {"MaxSize": maximum}
    restore = {"DesiredCapacity": min(group.desired, group.max_size), "MaxSize": group.max_size}
    return make_action(
        code, f"Raise MaxSize of Auto Scaling group {group.name} from {group.max_size} to "
        f"{maximum} ({why})", "A2",
        (_update_group(group.name, after),), rollback=(_update_group(group.name, restore),),
        diff=config_diff(f"autoscaling group {group.name}", before, after),
        expected_effect="managed scaling adds instances for the waiting tasks",
        risk=f"up to {maximum - group.max_size} more instance(s) can be launched and billed",
    )  # fmt: skip


# --- the ECS agent ----------------------------------------------------------------------------


def plan_agent_restart(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Restart the ECS agent through SSM Run Command on the instances where it is disconnected."""
    down = [
        i for i in snapshot.capacity.container_instances
        if i.status == "ACTIVE" and not i.agent_connected and i.ec2_instance_id
    ]  # fmt: skip
    if not down:
        return None
    ids = [str(i.ec2_instance_id) for i in down]
    params = {
        "InstanceIds": ids, "DocumentName": "AWS-RunShellScript",
        "Parameters": {"commands": [RESTART_AGENT]},
        "Comment": "ecs-medic: restart the disconnected ECS agent",
    }  # fmt: skip
    before = {i: {"agentConnected": False} for i in ids}
    after = {i: {"agentConnected": True} for i in ids}
    return make_action(
        finding.code, f"Restart the ECS agent on {', '.join(ids)} ({RESTART_AGENT} through SSM "
        "Run Command)", "A2", (ApiCall("ssm", "SendCommand", params),), rollback=(),
        diff=config_diff("container instances", before, after),
        expected_effect="the agent reconnects within a minute and the instance takes tasks again",
        risk="containers keep running while the agent restarts; needs the SSM agent and an "
        "instance role with SSM permissions. If it does not reconnect, drain and replace the "
        "instance; nothing is undone by a rollback",
    )  # fmt: skip
