"""Attaching an orphan target group: which load balancer, which listener, and its rollback."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    ACCOUNT,
    ALB_SG,
    LB_ARN,
    REGION,
    TG_ARN,
    VPC,
    network_view,
    rule,
    snapshot,
    target_group,
    task_sg,
)
from fake_gateway import FakeGateway

from ecs_medic.analyzers.ranking import rank
from ecs_medic.aws.snapshot_network import Listener, LoadBalancer
from ecs_medic.findings import Evidence, Severity, make_finding
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.lookups import look_up
from ecs_medic.remedies.plan import Action, bind
from ecs_medic.remedies.plan_lb import plan_listener
from ecs_medic.remedies.planners import build_plan

OTHER_SG = "sg-0billingalb"
OTHER_LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/billing-alb/1a2b3c4d"
LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/ledger-alb/0f9e8d7c/9a8b"


def finding(code: str = "TG_MISSING_OR_UNATTACHED", **kwargs: object):
    evidence = Evidence("elbv2:DescribeTargetGroups", TG_ARN, "ledger-tg: LoadBalancerArns []")
    return make_finding(code, summary="s", evidence=[evidence], remediation="r", **kwargs)


def alb(arn: str = LB_ARN, name: str = "ledger-alb", sg: str = ALB_SG, vpc: str = VPC):
    return LoadBalancer(arn, name, "application", "internet-facing", "active", vpc, (), (), (sg,))


def orphan(*task_ingress_groups: str):
    """ledger-tg behind no listener, its VPC's ALBs unknown to the snapshot."""
    ingress = tuple(rule(9000, groups=(g,)) for g in task_ingress_groups)
    network = network_view(load_balancers=(), security_groups=(task_sg(ingress=ingress),))
    group = target_group(load_balancer_arns=(), vpc_id=VPC)
    return snapshot(target_groups=(group,), network=network)


def lookups_of(*balancers: LoadBalancer, listeners: tuple[Listener, ...] = ()):
    answers = {
        ("elbv2", "DescribeLoadBalancers"): {"LoadBalancers": [_api(b) for b in balancers]},
        ("elbv2", "DescribeListeners"): lambda p: {
            "Listeners": [
                _api_listener(x) for x in listeners if x.load_balancer_arn == p["LoadBalancerArn"]
            ]
        },
    }
    gateway = FakeGateway(answers)
    return look_up(gateway, [finding()], orphan()), gateway


def _api(b: LoadBalancer) -> dict[str, object]:
    return {"LoadBalancerArn": b.arn, "LoadBalancerName": b.name, "Type": b.type,
            "State": {"Code": b.state}, "VpcId": b.vpc_id,
            "SecurityGroups": list(b.security_groups)}  # fmt: skip


def _api_listener(x: Listener) -> dict[str, object]:
    return {"ListenerArn": x.arn, "LoadBalancerArn": x.load_balancer_arn, "Port": x.port,
            "Protocol": x.protocol, "DefaultActions": []}  # fmt: skip


def test_the_one_alb_the_tasks_admit_gets_an_http_listener_deleted_on_rollback():
    """Of two ALBs in the VPC, the one whose group the task SG admits on 9000 is chosen."""
    lookups, _ = lookups_of(alb(), alb(OTHER_LB, "billing-alb", OTHER_SG))
    action = plan_listener(finding(), orphan(ALB_SG), lookups)
    assert isinstance(action, Action)
    create = action.steps[0]
    assert ("elbv2:CreateListener", LB_ARN, 80) == (
        create.source, create.params["LoadBalancerArn"], create.params["Port"]
    )  # fmt: skip
    assert [{"Type": "forward", "TargetGroupArn": TG_ARN}] == create.params["DefaultActions"]
    assert ["elbv2:DeleteListener"] == [c.source for c in action.rollback]
    assert "A2" == action.auto_level


def test_two_admitted_albs_are_left_to_a_person_by_name():
    """The task SG admits both ALBs: no guess, a recommendation naming both."""
    lookups, _ = lookups_of(alb(), alb(OTHER_LB, "billing-alb", OTHER_SG))
    proposal = plan_listener(finding(), orphan(ALB_SG, OTHER_SG), lookups)
    assert isinstance(proposal, str)
    assert "(ledger-alb, billing-alb)" in proposal


def test_an_alb_in_another_vpc_or_not_admitted_is_no_candidate():
    """Only the VPC's ALBs the tasks admit count; otherwise say what to do and where."""
    lookups, _ = lookups_of(alb(vpc="vpc-0elsewhere"), alb(OTHER_LB, "billing-alb", OTHER_SG))
    proposal = plan_listener(finding(), orphan(ALB_SG), lookups)
    assert isinstance(proposal, str)
    assert f"no load balancer of {VPC} is admitted" in proposal


def test_a_taken_port_80_becomes_a_rule_recommendation_naming_the_listener():
    """An HTTP:80 listener forwarding elsewhere needs a rule whose condition no API shows."""
    taken = Listener(LISTENER, LB_ARN, 80, "HTTP", ("arn:other-tg",))
    lookups, _ = lookups_of(alb(), listeners=(taken,))
    proposal = plan_listener(finding(), orphan(ALB_SG), lookups)
    assert isinstance(proposal, str)
    assert f"add a rule to listener {LISTENER}" in proposal


def test_the_lookup_reads_listeners_of_the_service_vpc_only():
    """DescribeLoadBalancers is filtered to the target group's VPC before listeners are read."""
    lookups, gateway = lookups_of(alb(), alb(OTHER_LB, "billing-alb", OTHER_SG, "vpc-0other"))
    assert [LB_ARN] == [b.arn for b in lookups.vpc_balancers]
    described = [p["LoadBalancerArn"] for _, op, p in gateway.calls if op == "DescribeListeners"]
    assert [LB_ARN] == described


def test_no_lookup_without_an_unattached_group_root_cause():
    """A grace-period finding alone reads no load balancers."""
    gateway = FakeGateway({})
    look_up(gateway, [finding("HEALTH_CHECK_GRACE_TOO_SHORT")], orphan())
    assert [] == gateway.calls


def test_a_grace_period_caused_by_the_orphan_group_is_not_planned():
    """Only the listener is planned; the grace finding it explains gets no action."""
    ranked = list(rank([finding("HEALTH_CHECK_GRACE_TOO_SHORT", severity=Severity.HIGH),
                        finding(severity=Severity.HIGH)]))  # fmt: skip
    lookups, _ = lookups_of(alb())
    plan = build_plan(ranked, orphan(ALB_SG), lookups)
    assert (["TG_MISSING_OR_UNATTACHED"], ()) == (
        [a.code for a in plan.actions],
        plan.recommendations,
    )


def test_rollback_deletes_the_listener_the_step_created(tmp_path):
    """The created listener's ARN is bound at apply time and used by the rollback."""
    lookups, _ = lookups_of(alb())
    action = plan_listener(finding(), orphan(ALB_SG), lookups)
    assert isinstance(action, Action)
    created = {"Listeners": [{"ListenerArn": LISTENER}]}
    bound = bind(action.rollback, {"listener": created})
    gateway = FakeGateway({("elbv2", "DeleteListener"): {}})
    result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).roll_back(action, bound)
    assert result.ok
    assert [("elbv2", "DeleteListener", {"ListenerArn": LISTENER})] == gateway.calls


def test_rollback_of_a_listener_never_created_calls_nothing(tmp_path):
    """CreateListener failed: the reference is unbound, so there is nothing to delete."""
    lookups, _ = lookups_of(alb())
    action = plan_listener(finding(), orphan(ALB_SG), lookups)
    assert isinstance(action, Action)
    gateway = FakeGateway({})
    result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).roll_back(action, ())
    assert (True, []) == (result.ok, gateway.calls)


def test_a_tcp_group_is_sent_to_a_network_load_balancer():
    """An ALB cannot forward to a TCP group; the recommendation says so."""
    shot = orphan(ALB_SG)
    shot = replace(shot, target_groups=(replace(shot.target_groups[0], protocol="TCP"),))
    lookups, _ = lookups_of(alb())
    proposal = plan_listener(finding(), shot, lookups)
    assert isinstance(proposal, str)
    assert "network load balancer" in proposal
