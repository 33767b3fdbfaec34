"""The policy documents the lab writes mean what the lab's evaluator and AWS read in them."""

from __future__ import annotations

from ecs_medic.lab.iam_policy import Request, allow_policy, evaluate, trust_policy, trusted_services


def test_trust_policy_lets_only_the_named_service_assume_the_role():
    """A role built with trust_policy("ecs-tasks...") trusts that service and no other."""
    assert ("ecs-tasks.amazonaws.com",) == trusted_services(trust_policy("ecs-tasks.amazonaws.com"))


def test_allow_policy_allows_its_actions_and_nothing_else():
    """Listed actions (wildcards too) are allowed on any resource; others stay denied."""
    policy = [("inline", allow_policy(["ecr:BatchGetImage", "logs:*"], sid="Pull"))]
    assert "allowed" == evaluate(policy, Request("ecr:BatchGetImage", "arn:aws:ecr:x")).decision
    assert "allowed" == evaluate(policy, Request("logs:PutLogEvents", "*")).decision
    assert "implicitDeny" == evaluate(policy, Request("s3:GetObject", "*")).decision
