"""Plans for Planton-managed services: spec changes through Planton; direct changes are drift."""

from __future__ import annotations

from dataclasses import replace

from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.remedies.plan import (
    Action,
    ApiCall,
    FieldChange,
    RemediationPlan,
    ReviseTaskDefinition,
)
from ecs_medic.remedies.planton_apply import plain_spec, set_path
from ecs_medic.remedies.planton_plan import DRIFT, for_planton

EXPECTED = ExpectedSpec(resource="acme/prod/web", resource_id="ecssvc-1", cpu=256, memory=512)
TD = "arn:aws:ecs:us-east-1:1:task-definition/web:1"
KEYS = {"cluster": "prod", "service": "web"}


def action(steps, rollback=(), code="OOM_KILLED") -> Action:
    return Action("a1", code, "fix it", "A2", tuple(steps), tuple(rollback), "diff", "better")


def oom_action() -> Action:
    return action(
        [
            ReviseTaskDefinition(TD, (FieldChange("memory", "512", "1024"),)),
            ApiCall("ecs", "UpdateService", {**KEYS, "taskDefinition": "$revision.x"}, "deploy"),
        ],
        [ApiCall("ecs", "UpdateService", {**KEYS, "taskDefinition": TD})],
    )


def test_memory_fix_becomes_one_spec_change_with_a_spec_rollback():
    """The revision and its deploy become ApplyCloudResource(container.memory); rollback too."""
    (planned,) = for_planton(RemediationPlan((oom_action(),)), EXPECTED).actions
    (step,) = planned.steps
    (undo,) = planned.rollback
    assert ("planton:ApplyCloudResource", {"container.memory": 1024}) == (
        step.source,
        step.params["changes"],
    )
    assert ("ecssvc-1", {"container.memory": 512}) == (
        undo.params["resource_id"],
        undo.params["changes"],
    )
    assert '"container.memory": 1024' in planned.diff
    assert "acme/prod/web" in planned.title


def test_a_service_planton_does_not_manage_keeps_its_plan():
    """No expected spec (local context): the plan is unchanged."""
    plan = RemediationPlan((oom_action(),))
    assert plan == for_planton(plan, None)


def test_owned_change_the_spec_cannot_express_is_refused_without_the_flag():
    """Pinning an older revision is the spec's call: refused, with the way out in words."""
    pin = action([ApiCall("ecs", "UpdateService", {**KEYS, "taskDefinition": TD})], code="X")
    plan = for_planton(RemediationPlan((pin,)), EXPECTED)
    assert () == plan.actions
    (refusal,) = plan.recommendations
    assert "--direct-on-planton" in refusal
    assert "acme/prod/web" in refusal


def test_direct_on_planton_keeps_the_direct_change_marked_as_drift():
    """With the flag the AWS change stays as planned and its title says it is drift."""
    (planned,) = for_planton(
        RemediationPlan((oom_action(),)), EXPECTED, direct_allowed=True
    ).actions
    assert oom_action().steps == planned.steps
    assert planned.title.startswith(DRIFT)


def test_fields_the_spec_does_not_own_stay_direct_beside_the_spec_change():
    """Grace period goes to the spec; the deployment configuration stays an AWS call."""
    update = ApiCall(
        "ecs",
        "UpdateService",
        {**KEYS, "healthCheckGracePeriodSeconds": 120, "deploymentConfiguration": {"x": 1}},
    )
    (planned,) = for_planton(RemediationPlan((action([update]),)), EXPECTED).actions
    spec, direct = planned.steps
    assert {"health_check_grace_period_seconds": 120} == spec.params["changes"]
    assert {**KEYS, "deploymentConfiguration": {"x": 1}} == direct.params


def test_action_touching_nothing_owned_is_unchanged():
    """A forced redeploy is not Planton's business: same action, not drift."""
    redeploy = action([ApiCall("ecs", "UpdateService", {**KEYS, "forceNewDeployment": True})])
    assert (redeploy,) == for_planton(RemediationPlan((redeploy,)), EXPECTED).actions


def test_spec_sent_to_planton_has_plain_strings_and_exact_keys():
    """{"value": x} -> x, references -> their resolved value; env names are not touched."""
    stored = {
        "cluster_arn": {"value_from": {"kind": "AwsEcsCluster", "name": "main"}},
        "container": {"env": {"variables": {"LOG_LEVEL": "info"}}, "memory": 512},
        "network": {"subnets": [{"value": "subnet-1"}], "security_groups": [{"value": "sg-1"}]},
    }
    resolved = {"cluster_arn": "arn:aws:ecs:us-east-1:1:cluster/main"}
    spec = plain_spec(stored, resolved)
    set_path(spec, "container.memory", 1024)
    assert {
        "cluster_arn": "arn:aws:ecs:us-east-1:1:cluster/main",
        "container": {"env": {"variables": {"LOG_LEVEL": "info"}}, "memory": 1024},
        "network": {"subnets": ["subnet-1"], "security_groups": ["sg-1"]},
    } == spec


def test_health_check_path_is_owned_only_on_the_spec_albs_target_group():
    """The spec's ALB target group: a spec change; another target group: a direct call."""
    spec_tg, other_tg = "arn:tg/spec", "arn:tg/other"
    expected = replace(EXPECTED, target_group_arn=spec_tg, health_check_path="/")

    def change(arn):
        call = ApiCall(
            "elbv2", "ModifyTargetGroup", {"TargetGroupArn": arn, "HealthCheckPath": "/health"}
        )
        return for_planton(RemediationPlan((action([call]),)), expected).actions[0]

    assert {"alb.health_check.path": "/health"} == change(spec_tg).steps[0].params["changes"]
    assert ("elbv2:ModifyTargetGroup", "/") == (
        change(other_tg).steps[0].source,
        change(spec_tg).rollback[0].params["changes"]["alb.health_check.path"],
    )


SCALING_KEY = {
    "ServiceNamespace": "ecs",
    "ResourceId": "service/prod/web",
    "ScalableDimension": "ecs:service:DesiredCount",
}


def scaling_action(**params) -> Action:
    register = ApiCall(
        "application-autoscaling", "RegisterScalableTarget", {**SCALING_KEY, **params}
    )
    undo = ApiCall(
        "application-autoscaling", "RegisterScalableTarget", {**SCALING_KEY, "MaxCapacity": 2}
    )
    return action([register], [undo], code="AUTOSCALING_MAXED")


def test_a_scaling_range_the_spec_owns_becomes_a_spec_change():
    """Enabled autoscaling in the spec: MaxCapacity is autoscaling.max_tasks, rolled back there."""
    expected = replace(EXPECTED, min_tasks=1, max_tasks=2)
    (planned,) = for_planton(RemediationPlan((scaling_action(MaxCapacity=4),)), expected).actions
    (step,) = planned.steps
    (undo,) = planned.rollback
    assert ({"autoscaling.max_tasks": 4}, {"autoscaling.max_tasks": 2}) == (
        step.params["changes"],
        undo.params["changes"],
    )


def test_resuming_suspended_scaling_stays_direct_the_spec_has_no_such_field():
    """SuspendedState is not in the spec: a direct call, not drift."""
    expected = replace(EXPECTED, min_tasks=1, max_tasks=2)
    resumed = scaling_action(SuspendedState={"DynamicScalingOutSuspended": False})
    plan = RemediationPlan((resumed,))
    assert plan == for_planton(plan, expected)


def test_a_scalable_target_the_spec_does_not_scale_stays_direct():
    """Autoscaling set up outside Planton: the spec owns no range, so the change is direct."""
    plan = RemediationPlan((scaling_action(MaxCapacity=4),))
    assert plan == for_planton(plan, EXPECTED)
