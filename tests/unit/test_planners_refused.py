"""Planners for deployments AWS refused: the corrected call is planned from CloudTrail's request.

The service is ledger-api (builders.py) running revision 7; CI's refused calls are quoted by
the analyzers' findings, and the planners redo them made valid, or recommend when the
request was cut short.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from builders import (
    ACCOUNT,
    CLUSTER_ARN,
    IMAGE,
    LB_ARN,
    NOW,
    REGION,
    TG_ARN,
    VPC,
    service,
    snapshot,
    target_group,
    task_definition,
    td_arn,
)
from fake_gateway import FakeGateway

from ecs_medic.analyzers import analyze
from ecs_medic.aws.collect.trail import MAX_REQUEST
from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.aws.mcp_transport import route_call
from ecs_medic.aws.mcp_write import ECS_SERVER_OPERATIONS
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_trail import ApiCall
from ecs_medic.findings import Finding
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.lookups import Lookups, look_up
from ecs_medic.remedies.lookups_refused import Forwarding, GroupFacts, ip_group_name
from ecs_medic.remedies.plan import Action, FieldChange, ReviseTaskDefinition, bind
from ecs_medic.remedies.plan import ApiCall as Call
from ecs_medic.remedies.plan_refused import (
    plan_refused_platform,
    plan_refused_revision,
    plan_refused_target_group,
)

CI = f"arn:aws:iam::{ACCOUNT}:user/ci"
RELEASE = IMAGE.replace(":v42", ":v43")
SECRET_VALUE = "hunter2-do-not-copy"
NO_ROLE = "Fargate requires task definition to have execution role ARN to support ECR images."
NO_SIZE = "No Fargate configuration exists for given values."
PLATFORM = (
    "The specified platform version does not satisfy the task definition's required capabilities."
)
V2_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ledger-tg-v2/77aa"
IP_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ledger-tg-v2-ip/88bb"
LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/ledger-alb/0f9e8d7c/l1"
RULE = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/app/ledger-alb/0f9e/l1/r1"
TYPE_MESSAGE = (
    f"The provided target group {V2_ARN} has target type instance, which is incompatible with "
    "the awsvpc network mode specified in the task definition."
)


def refused(name: str, code: str, message: str, request: dict[str, object] | str) -> ApiCall:
    """CI's call AWS refused a minute ago; a str request is CloudTrail's text as kept."""
    text = request if isinstance(request, str) else json.dumps(request, sort_keys=True)
    return ApiCall(NOW - timedelta(minutes=1), "ecs.amazonaws.com", name, code, message, CI, text)


def release_request(**task: object) -> dict[str, object]:
    """CI's RegisterTaskDefinition of v43: no execution role, an environment value in it."""
    app = {
        "name": "app",
        "image": RELEASE,
        "cpu": 0,
        "environment": [{"name": "DB_PASSWORD", "value": SECRET_VALUE}],
    }
    envoy = {"name": "envoy", "image": "envoyproxy/envoy:v1.31", "essential": False}
    return {"family": "ledger-api", "containerDefinitions": [envoy, app], **task}


def with_calls(*calls: ApiCall, shot: ServiceSnapshot | None = None) -> ServiceSnapshot:
    return replace(shot or snapshot(), api_calls=calls)


def finding_of(shot: ServiceSnapshot, code: str) -> Finding:
    """The analyzers' finding of `code` on this snapshot (it quotes the refused call)."""
    return next(f for f in analyze(shot).findings if f.code == code)


# --- EXEC_ROLE_MISSING and INVALID_TASK_SIZE ----------------------------------------------------


def test_a_release_refused_for_its_missing_role_is_registered_on_the_running_revision():
    """Only the image comes from CI's request; the live revision (with its role) is the base."""
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", NO_ROLE,
                              release_request(cpu="512", memory="1024")))  # fmt: skip

    action = plan_refused_revision(finding_of(shot, "EXEC_ROLE_MISSING"), shot)

    assert isinstance(action, Action)
    assert (
        ReviseTaskDefinition(td_arn(7), (FieldChange("image", IMAGE, RELEASE, "app"),)),
        Call("ecs", "UpdateService", {"cluster": CLUSTER_ARN, "service": "ledger-api",
             "taskDefinition": "$revision.taskDefinition.taskDefinitionArn"}, "deploy"),
    ) == action.steps  # fmt: skip
    assert (td_arn(7),) == tuple(c.params["taskDefinition"] for c in action.rollback)
    assert ("A2", False) == (action.auto_level, SECRET_VALUE in repr(action))


def test_an_invalid_size_becomes_the_smallest_fargate_size_holding_the_memory_asked():
    """512 CPU units take at most 4 GiB: 8 GiB asked needs 1024 units."""
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", NO_SIZE,
                              release_request(cpu="512", memory="8192")))  # fmt: skip

    action = plan_refused_revision(finding_of(shot, "INVALID_TASK_SIZE"), shot)

    assert isinstance(action, Action)
    revision = action.steps[0]
    assert isinstance(revision, ReviseTaskDefinition)
    assert (
        FieldChange("image", IMAGE, RELEASE, "app"),
        FieldChange("cpu", "512", "1024"),
        FieldChange("memory", "1024", "8192"),
    ) == revision.changes
    assert SECRET_VALUE not in repr(action)


def test_an_invalid_cpu_value_becomes_the_next_fargate_size():
    """300 units is no Fargate size ("Invalid 'cpu' setting"): 512 units with 1 GiB, as runs."""
    message = "Invalid 'cpu' setting for task."
    request = release_request(cpu="300")
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", message, request))

    action = plan_refused_revision(finding_of(shot, "INVALID_TASK_SIZE"), shot)

    assert isinstance(action, Action)
    revision = action.steps[0]
    assert isinstance(revision, ReviseTaskDefinition)
    assert (FieldChange("image", IMAGE, RELEASE, "app"),) == revision.changes


def test_a_size_beyond_every_fargate_size_is_left_to_a_person():
    """256 GiB is more than 16 vCPU take: nothing valid to register, a recommendation."""
    request = release_request(cpu="16384", memory="262144")
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", NO_SIZE, request))

    proposal = plan_refused_revision(finding_of(shot, "INVALID_TASK_SIZE"), shot)

    assert isinstance(proposal, str)
    assert "no Fargate size has 16384 CPU units and 262144 MiB" in proposal


def test_a_request_cut_short_in_cloudtrail_becomes_a_recommendation():
    """requestParameters are kept to 2000 characters: a cut request is never guessed at."""
    tags = [{"key": f"team-{n}", "value": "ledger"} for n in range(100)]
    text = json.dumps(release_request(cpu="512", memory="8192", tags=tags), sort_keys=True)
    text = text[:MAX_REQUEST]  # as the collector keeps it: the family is in, the tags are cut
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", NO_SIZE, text))

    proposal = plan_refused_revision(finding_of(shot, "INVALID_TASK_SIZE"), shot)

    assert isinstance(proposal, str)
    assert proposal.startswith("INVALID_TASK_SIZE: the RegisterTaskDefinition request AWS refused")
    assert "cut short" in proposal
    assert "valid Fargate cpu/memory pair" in proposal


def test_a_release_with_other_containers_is_left_to_a_person():
    """CI added a container: its definition is not the running one's to copy."""
    request = release_request()
    request["containerDefinitions"] = [{"name": "app", "image": RELEASE}, {"name": "otel"}]
    shot = with_calls(refused("RegisterTaskDefinition", "ClientException", NO_ROLE, request))

    proposal = plan_refused_revision(finding_of(shot, "EXEC_ROLE_MISSING"), shot)

    assert isinstance(proposal, str)
    assert "containers app, otel where the running one has app, envoy" in proposal


def test_no_role_to_reuse_when_the_running_revision_has_none():
    """Without a role on the running revision the fix needs a person to create one."""
    bare = replace(task_definition(), execution_role_arn=None)
    call = refused("RegisterTaskDefinition", "ClientException", NO_ROLE, release_request())
    shot = with_calls(call, shot=snapshot(task_definitions=(bare,)))

    proposal = plan_refused_revision(finding_of(shot, "EXEC_ROLE_MISSING"), shot)

    assert isinstance(proposal, str)
    assert "has no execution role to reuse" in proposal


# --- PLATFORM_VERSION --------------------------------------------------------------------------


def pinned(version: str = "1.3.0") -> ServiceSnapshot:
    return snapshot(service=replace(service(), platform_version=version))


def test_a_refused_platform_update_is_redone_on_latest_and_rolled_back_to_the_pin():
    """CI's revision 8 deployed with platformVersion LATEST; rollback: revision 7 on 1.3.0."""
    request = {"cluster": "payments", "service": "ledger-api", "taskDefinition": td_arn(8)}
    shot = with_calls(refused("UpdateService", "PlatformTaskDefinitionIncompatibilityException",
                              PLATFORM, request), shot=pinned())  # fmt: skip

    action = plan_refused_platform(finding_of(shot, "PLATFORM_VERSION"), shot)

    assert isinstance(action, Action)
    assert [{"taskDefinition": td_arn(8), "platformVersion": "LATEST"}] == [
        {k: s.params[k] for k in ("taskDefinition", "platformVersion")}
        for s in action.steps
        if isinstance(s, Call)
    ]
    assert [{"taskDefinition": td_arn(7), "platformVersion": "1.3.0"}] == [
        {k: c.params[k] for k in ("taskDefinition", "platformVersion")} for c in action.rollback
    ]


def test_a_cut_platform_request_becomes_a_recommendation():
    """Without the request the revision CI deployed is unknown."""
    shot = with_calls(refused("UpdateService", "PlatformUnknownException",
                              "The specified platform version does not exist.",
                              '{"cluster": "payments", "service": "ledger-api", "taskDe'),
                      shot=pinned())  # fmt: skip

    proposal = plan_refused_platform(finding_of(shot, "PLATFORM_VERSION"), shot)

    assert isinstance(proposal, str)
    assert "cut short" in proposal
    assert "platformVersion LATEST" in proposal


# --- TG_TARGET_TYPE_MISMATCH -------------------------------------------------------------------

MOVE = {
    "cluster": "payments",
    "service": "ledger-api",
    "loadBalancers": [{"containerName": "app", "containerPort": 9000, "targetGroupArn": V2_ARN}],
}
V2 = target_group(arn=V2_ARN, name="ledger-tg-v2", target_type="instance", vpc_id=VPC,
                  load_balancer_arns=())  # fmt: skip
WEIGHTED = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
    {"TargetGroupArn": TG_ARN, "Weight": 1}]}}  # fmt: skip
FORWARDING = (
    Forwarding("listener", LISTENER, ({"Type": "forward", "TargetGroupArn": TG_ARN},)),
    Forwarding("rule", RULE, (WEIGHTED,)),
)


def moving(request: dict[str, object] | str = MOVE) -> ServiceSnapshot:
    return with_calls(refused("UpdateService", "InvalidParameterException", TYPE_MESSAGE, request))


def facts(**kwargs: object) -> Lookups:
    return Lookups(refused_groups=replace(GroupFacts((V2,), FORWARDING), **kwargs))  # type: ignore[arg-type]


def test_a_refused_instance_group_gets_an_ip_twin_the_listener_and_service_move_to():
    """Create ledger-tg-v2-ip like ledger-tg-v2, repoint listener and rule, move the service."""
    shot = moving()

    action = plan_refused_target_group(finding_of(shot, "TG_TARGET_TYPE_MISMATCH"), shot, facts())

    assert isinstance(action, Action)
    assert [
        "elbv2:CreateTargetGroup", "elbv2:ModifyListener", "elbv2:ModifyRule", "ecs:UpdateService",
    ] == [s.source for s in action.steps]  # fmt: skip
    create = action.steps[0]
    assert isinstance(create, Call)
    assert ("ledger-tg-v2-ip", "ip", 9000, VPC, "/healthz") == (
        create.params["Name"], create.params["TargetType"], create.params["Port"],
        create.params["VpcId"], create.params["HealthCheckPath"],
    )  # fmt: skip
    new = "$group.TargetGroups.0.TargetGroupArn"
    assert [{"Type": "forward", "TargetGroupArn": new}] == action.steps[1].params["DefaultActions"]  # type: ignore[union-attr]
    weighted = action.steps[2].params["Actions"][0]["ForwardConfig"]["TargetGroups"]  # type: ignore[union-attr]
    assert [{"TargetGroupArn": new, "Weight": 1}] == weighted
    assert new == action.steps[3].params["loadBalancers"][0]["targetGroupArn"]  # type: ignore[union-attr]


def test_the_rollback_undoes_in_reverse_and_deletes_the_group_it_created(tmp_path):
    """Service back to ledger-tg, rule and listener restored, then the created group deleted."""
    shot = moving()
    action = plan_refused_target_group(finding_of(shot, "TG_TARGET_TYPE_MISMATCH"), shot, facts())
    assert isinstance(action, Action)
    bound = bind(action.rollback, {"group": {"TargetGroups": [{"TargetGroupArn": IP_ARN}]}})
    answers = {("ecs", "UpdateService"): {}, ("elbv2", "ModifyRule"): {},
               ("elbv2", "ModifyListener"): {}, ("elbv2", "DeleteTargetGroup"): {}}  # fmt: skip
    gateway = FakeGateway(answers)

    result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).roll_back(action, bound)

    assert result.ok
    assert ["UpdateService", "ModifyRule", "ModifyListener", "DeleteTargetGroup"] == [
        op for _, op, _ in gateway.calls
    ]
    assert TG_ARN == gateway.calls[0][2]["loadBalancers"][0]["targetGroupArn"]
    assert [WEIGHTED] == gateway.calls[1][2]["Actions"]
    assert {"TargetGroupArn": IP_ARN} == gateway.calls[3][2]


def test_a_group_never_created_is_not_deleted_on_rollback(tmp_path):
    """CreateTargetGroup failed: the reference is unbound, the delete is skipped."""
    shot = moving()
    action = plan_refused_target_group(finding_of(shot, "TG_TARGET_TYPE_MISMATCH"), shot, facts())
    assert isinstance(action, Action)
    gateway = FakeGateway({("ecs", "UpdateService"): {}, ("elbv2", "ModifyRule"): {},
                           ("elbv2", "ModifyListener"): {}})  # fmt: skip

    Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).roll_back(action, ())

    assert "DeleteTargetGroup" not in [op for _, op, _ in gateway.calls]


def test_a_taken_twin_name_or_no_listener_is_left_to_a_person():
    """An existing ledger-tg-v2-ip could be deleted by the rollback; no listener: no move."""
    shot = moving()
    finding = finding_of(shot, "TG_TARGET_TYPE_MISMATCH")

    taken = plan_refused_target_group(finding, shot, facts(taken_names=("ledger-tg-v2-ip",)))
    alone = plan_refused_target_group(finding, shot, facts(forwarding=()))

    assert isinstance(taken, str)
    assert "named ledger-tg-v2-ip exists" in taken
    assert isinstance(alone, str)
    assert "no listener or rule forwards" in alone


def test_a_cut_move_request_becomes_a_recommendation():
    """The refused loadBalancers are unknown when the request is cut."""
    mesh = {"enabled": True, "services": [{"portName": f"p{n}"} for n in range(200)]}
    text = json.dumps({**MOVE, "serviceConnectConfiguration": mesh}, sort_keys=True)
    shot = moving(text[:MAX_REQUEST])

    proposal = plan_refused_target_group(finding_of(shot, "TG_TARGET_TYPE_MISMATCH"), shot, facts())

    assert isinstance(proposal, str)
    assert "cut short" in proposal
    assert "TargetType ip" in proposal


def test_the_lookup_reads_the_refused_group_and_what_forwards_to_the_service_group():
    """DescribeTargetGroups of ledger-tg-v2, the ALB's listeners and rules; the twin name free."""
    shot = moving()
    default = {"Type": "forward", "TargetGroupArn": TG_ARN}
    rules = [{"RuleArn": RULE, "IsDefault": False, "Actions": [WEIGHTED]},
             {"RuleArn": "default", "IsDefault": True, "Actions": [default]}]  # fmt: skip

    def groups(params: dict[str, object]) -> dict[str, object]:
        if "Names" in params:
            raise look_up_error()
        return {"TargetGroups": [{"TargetGroupArn": V2_ARN, "TargetGroupName": "ledger-tg-v2",
                                  "TargetType": "instance", "Port": 9000}]}  # fmt: skip

    gateway = FakeGateway({
        ("elbv2", "DescribeTargetGroups"): groups,
        ("elbv2", "DescribeListeners"): {"Listeners": [
            {"ListenerArn": LISTENER, "DefaultActions": [default]}]},
        ("elbv2", "DescribeRules"): {"Rules": rules},
    })  # fmt: skip

    found = look_up(gateway, [finding_of(shot, "TG_TARGET_TYPE_MISMATCH")], shot).refused_groups

    assert [V2_ARN] == [g.arn for g in found.refused]
    assert [("listener", LISTENER), ("rule", RULE)] == [(f.kind, f.arn) for f in found.forwarding]
    assert () == found.taken_names
    listed = [p for _, op, p in gateway.calls if op == "DescribeListeners"]
    assert [{"LoadBalancerArn": LB_ARN}] == listed


def look_up_error() -> Exception:
    """What DescribeTargetGroups answers for a name that does not exist."""
    return GatewayError(
        "elbv2:DescribeTargetGroups", ErrorKind.NOT_FOUND, "TargetGroupNotFound", ""
    )


def test_a_twin_name_stays_within_32_characters():
    """Target group names are at most 32 characters and may not end in a hyphen."""
    assert "a" * 29 + "-ip" == ip_group_name("a" * 32)
    assert "a" * 28 + "-ip" == ip_group_name("a" * 28 + "-bcd")


def test_every_planned_call_maps_to_the_mcp_servers():
    """The write MCP transport can send each step and rollback call (CLI mapping or ECS tool)."""
    shot = moving()
    action = plan_refused_target_group(finding_of(shot, "TG_TARGET_TYPE_MISMATCH"), shot, facts())
    assert isinstance(action, Action)
    for call in (*action.steps, *action.rollback):
        assert isinstance(call, Call)
        route_call(call.service, call.operation, call.params, ECS_SERVER_OPERATIONS)
