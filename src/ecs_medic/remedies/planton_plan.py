"""Plans for Planton-managed services: fields the spec owns change in Planton, not in AWS.

Planton's AwsEcsService spec owns cpu, memory, image, port, replicas, the ALB health check,
the grace period, subnets, security groups and, when its autoscaling block is enabled, the
scalable target's min and max (reference/planton-mcp.md). A direct AWS
change to one of them is drift: Planton's next stack job undoes it. So an action that
changes only such fields (or such fields plus fields the spec does not own) becomes one
`planton:ApplyCloudResource` step with the new values, followed by the remaining direct
calls; its rollback applies the spec's old values. An action that changes an owned field in
a way the spec cannot express is refused (a recommendation) unless the user allows direct
changes (`fix --direct-on-planton`), in which case it stays direct, titled as drift.

Pure: no Planton or AWS call; the apply step reads the spec and applies it (planton_apply).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.plan import Action, ApiCall, RemediationPlan, ReviseTaskDefinition, Step

PLANTON = "planton"
APPLY = "ApplyCloudResource"
DRIFT = "[drift from Planton's spec] "
# UpdateService parameters the spec owns, and their spec paths
_SERVICE_FIELDS = {
    "desiredCount": "container.replicas",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}
# ModifyTargetGroup parameters the spec owns (alb.health_check)
_HEALTH_FIELDS = {
    "HealthCheckPath": "alb.health_check.path",
    "HealthCheckProtocol": "alb.health_check.protocol",
    "HealthCheckPort": "alb.health_check.port",
    "HealthCheckIntervalSeconds": "alb.health_check.interval",
    "HealthCheckTimeoutSeconds": "alb.health_check.timeout",
    "HealthyThresholdCount": "alb.health_check.healthy_threshold",
    "UnhealthyThresholdCount": "alb.health_check.unhealthy_threshold",
}
# RegisterScalableTarget parameters the spec owns (spec.autoscaling, when enabled)
_SCALING_FIELDS = {"MinCapacity": "autoscaling.min_tasks", "MaxCapacity": "autoscaling.max_tasks"}
_SCALING_KEYS = ("ServiceNamespace", "ResourceId", "ScalableDimension")
_IGNORED = frozenset({"cluster", "service", "TargetGroupArn", *_SCALING_KEYS})


@dataclasses.dataclass
class _Split:
    """One action's steps sorted: spec changes, direct calls, and owned changes it cannot map."""

    spec: dict[str, Any] = dataclasses.field(default_factory=dict)  # path -> new value
    direct: list[Step] = dataclasses.field(default_factory=list)
    unmappable: list[str] = dataclasses.field(default_factory=list)

    @property
    def owned(self) -> bool:
        """Whether the action touches anything the spec owns."""
        return bool(self.spec or self.unmappable)


def for_planton(
    plan: RemediationPlan, expected: ExpectedSpec | None, *, direct_allowed: bool = False
) -> RemediationPlan:
    """The plan for a Planton-managed service (unchanged when Planton does not manage it)."""
    if expected is None or not expected.resource_id:
        return plan
    actions: list[Action] = []
    refused: list[str] = []
    for action in plan.actions:
        converted = _convert(action, expected, direct_allowed=direct_allowed)
        if isinstance(converted, Action):
            actions.append(dataclasses.replace(converted, id=f"a{len(actions) + 1}"))
        else:
            refused.append(converted)
    return dataclasses.replace(
        plan, actions=tuple(actions), recommendations=(*plan.recommendations, *refused)
    )


def _convert(action: Action, expected: ExpectedSpec, *, direct_allowed: bool) -> Action | str:
    """The action as a spec change, as drift (allowed), or the reason it is refused."""
    split = _split(
        action.steps, alb=expected.target_group_arn, scaled=_autoscaled(expected),
        public_ip=_public_ip(action.rollback),
    )  # fmt: skip
    if not split.owned:
        return action
    if direct_allowed:
        return dataclasses.replace(action, title=DRIFT + action.title)
    if split.unmappable:
        return _refusal(action, expected, split.unmappable)
    return _spec_action(action, expected, split)


def _refusal(action: Action, expected: ExpectedSpec, what: list[str]) -> str:
    return (
        f"{action.code}: not applied: '{action.title}' changes {', '.join(what)}, which "
        f"Planton's spec of {expected.resource} owns but cannot express; make the change in "
        "Planton, or rerun with --direct-on-planton to change AWS directly (drift: Planton's "
        "next stack job undoes it)."
    )


def _spec_action(action: Action, expected: ExpectedSpec, split: _Split) -> Action:
    """One ApplyCloudResource with the new values, then the direct calls; rollback mirrors it."""
    before = {path: spec_value(expected, path) for path in split.spec}
    step = apply_call(expected, split.spec, "planton")
    undo = apply_call(expected, before, "")
    scaled = _autoscaled(expected)
    direct_rollback = _split(action.rollback, alb=expected.target_group_arn, scaled=scaled).direct
    diff = config_diff(f"Planton {expected.resource} spec", before, split.spec)
    direct_diff = action.diff if split.direct else ""
    return dataclasses.replace(
        action,
        title=f"{action.title}, as a change to Planton's spec of {expected.resource}",
        steps=(step, *split.direct),
        rollback=(undo, *(c for c in direct_rollback if isinstance(c, ApiCall))),
        diff="\n".join(d for d in (diff, direct_diff) if d),
        expected_effect=f"{action.expected_effect} (applied by Planton's stack job)",
    )


def apply_call(expected: ExpectedSpec, changes: dict[str, Any], step_id: str) -> ApiCall:
    """The step that applies `changes` (spec path -> value) to the resource through Planton."""
    params = {"resource_id": expected.resource_id, "resource": expected.resource}
    return ApiCall(PLANTON, APPLY, {**params, "changes": dict(changes)}, step_id)


def spec_value(expected: ExpectedSpec, path: str) -> Any:
    """What the spec holds now at `path` (None when it leaves the field out)."""
    image = (expected.image or "").rpartition(":")
    values = {
        "container.cpu": expected.cpu,
        "container.memory": expected.memory,
        "container.port": expected.port,
        "container.replicas": expected.desired_count,
        "container.image.repo": image[0] or expected.image,
        "container.image.tag": image[2] if image[0] else None,
        "health_check_grace_period_seconds": expected.grace_period_s,
        "alb.health_check.path": expected.health_check_path,
        "network.subnets": list(expected.subnets) or None,
        "network.security_groups": list(expected.security_groups) or None,
        "autoscaling.min_tasks": expected.min_tasks,
        "autoscaling.max_tasks": expected.max_tasks,
    }
    return values.get(path)


def _autoscaled(expected: ExpectedSpec) -> bool:
    """Whether the spec's autoscaling block owns the service's scalable target."""
    return expected.min_tasks is not None or expected.max_tasks is not None


# --- sorting steps ----------------------------------------------------------------------------


def _split(
    steps: tuple[Step, ...], *, alb: str | None, scaled: bool = False, public_ip: str | None = None
) -> _Split:
    """Sort steps into spec changes, direct calls and what the spec owns but cannot express.

    `alb` is the target group of the spec's ALB (its health check is owned); `scaled` says
    whether the spec's autoscaling block owns the scalable target's range; `public_ip` is
    the service's assignPublicIp now (a network update that keeps it changes no more).
    """
    split = _Split()
    for step in steps:
        if isinstance(step, ReviseTaskDefinition):
            _revision(step, split)
        elif (step.service, step.operation) == ("ecs", "UpdateService"):
            _service_update(step, split, public_ip)
        elif _is_spec_target_group(step, alb):
            _owned_params(step, split, _HEALTH_FIELDS)
        elif scaled and _is_service_scaling(step):  # SuspendedState is not in the spec
            _owned_params(step, split, _SCALING_FIELDS)
        else:
            split.direct.append(step)
    return split


def _revision(step: ReviseTaskDefinition, split: _Split) -> None:
    """Task size, image and port map to the spec; any other task definition field cannot."""
    task_level = {c.field for c in step.changes if c.container is None}
    for change in step.changes:
        field, after = change.field, change.after
        if field in ("cpu", "memory") and (change.container is None or field not in task_level):
            split.spec[f"container.{field}"] = int(after)
        elif field == "image" and isinstance(after, str):
            repo, _, tag = after.rpartition(":")
            split.spec.update({"container.image.repo": repo, "container.image.tag": tag})
        elif field == "portMappings" and _one_awsvpc_port(after):
            split.spec["container.port"] = int(after[0]["containerPort"])
        elif field != "memoryReservation":
            split.unmappable.append(f"the task definition's {field}")


def _one_awsvpc_port(mappings: Any) -> bool:
    """One mapping whose host port is the container port (or unset): the spec's port says it.

    A dynamic or other host port (bridge mode) is nothing the spec can express.
    """
    if not isinstance(mappings, list) or len(mappings) != 1:
        return False
    host = mappings[0].get("hostPort")
    return host is None or host == mappings[0].get("containerPort")


def _service_update(call: ApiCall, split: _Split, public_ip: str | None = None) -> None:
    """desiredCount, grace period and network map; the revision to run is the spec's to say."""
    rest: dict[str, Any] = {}
    for key, value in call.params.items():
        if key in _SERVICE_FIELDS:
            split.spec[_SERVICE_FIELDS[key]] = value
        elif key == "networkConfiguration":
            _network(value, split, public_ip)
        elif key == "taskDefinition":
            if not str(value).startswith("$"):  # "$revision...": the revision step's deploy
                split.unmappable.append("the task definition revision the service runs")
        elif key not in _IGNORED:
            rest[key] = value
    if rest:
        split.direct.append(dataclasses.replace(call, params={**_keys(call), **rest}))


def _network(value: Any, split: _Split, public_ip: str | None) -> None:
    vpc = (value or {}).get("awsvpcConfiguration") or {}
    if "subnets" in vpc:
        split.spec["network.subnets"] = list(vpc["subnets"])
    if "securityGroups" in vpc:
        split.spec["network.security_groups"] = list(vpc["securityGroups"])
    if "assignPublicIp" in vpc and vpc["assignPublicIp"] != public_ip:
        split.unmappable.append("assignPublicIp")


def _public_ip(rollback: tuple[ApiCall, ...]) -> str | None:
    """The assignPublicIp a rollback's network update restores: the service's value now."""
    for call in rollback:
        vpc = (call.params.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if call.operation == "UpdateService" and "assignPublicIp" in vpc:
            return str(vpc["assignPublicIp"])
    return None


def _is_spec_target_group(step: ApiCall, alb: str | None) -> bool:
    """A health check change on the target group the spec's ALB block made."""
    if (step.service, step.operation) != ("elbv2", "ModifyTargetGroup"):
        return False
    return alb is not None and step.params.get("TargetGroupArn") == alb


def _owned_params(call: ApiCall, split: _Split, fields: dict[str, str]) -> None:
    """Parameters in `fields` (parameter -> spec path) go to the spec; the rest stays direct."""
    rest = {k: v for k, v in call.params.items() if k not in fields}
    for key, path in fields.items():
        if key in call.params:
            split.spec[path] = call.params[key]
    if set(rest) - _IGNORED:
        split.direct.append(dataclasses.replace(call, params=rest))


def _is_service_scaling(step: ApiCall) -> bool:
    """A RegisterScalableTarget of an ECS service's desired count."""
    return (step.service, step.operation) == (
        "application-autoscaling",
        "RegisterScalableTarget",
    ) and step.params.get("ServiceNamespace") == "ecs"


def _keys(call: ApiCall) -> dict[str, Any]:
    return {k: v for k, v in call.params.items() if k in _IGNORED}
