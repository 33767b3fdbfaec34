"""The lab's IAM evaluator, and iam:SimulatePrincipalPolicy answered from real role policies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from ecs_medic.lab import Lab
from ecs_medic.lab.iam_policy import Request, evaluate, evaluate_resource_policy, trusted_services

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/web/db-AbCdEf"


def _policy(*statements: dict[str, object]) -> tuple[str, str]:
    return "p", json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_nothing_allowed_is_an_implicit_deny():
    """Without a matching Allow the decision is implicitDeny."""
    allow_logs = _policy({"Effect": "Allow", "Action": "logs:*", "Resource": "*"})
    assert "implicitDeny" == evaluate([allow_logs], Request("ecr:BatchGetImage", "*")).decision


def test_action_wildcards_match_case_insensitively():
    """`secretsmanager:Get*` allows GetSecretValue whatever the case of the request."""
    allow = _policy({"Effect": "Allow", "Action": "SecretsManager:Get*", "Resource": SECRET})
    assert evaluate([allow], Request("secretsmanager:getsecretvalue", SECRET)).allowed


def test_resource_wildcards_are_case_sensitive():
    """A resource pattern in another case does not match."""
    allow = _policy({"Effect": "Allow", "Action": "*", "Resource": SECRET.upper()})
    assert not evaluate([allow], Request("secretsmanager:GetSecretValue", SECRET)).allowed


def test_an_explicit_deny_wins_over_any_allow():
    """Deny in one policy beats Allow in another."""
    allow = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = _policy({"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"})
    found = evaluate([allow, deny], Request("secretsmanager:GetSecretValue", SECRET))
    assert "explicitDeny" == found.decision


def test_not_action_allows_everything_else():
    """NotAction allows every action it does not list."""
    allow = _policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([allow], Request("kms:Decrypt", "*")).allowed
    assert not evaluate([allow], Request("iam:PassRole", "*")).allowed


def test_conditions_need_their_context():
    """kms:ViaService must be in the request context for a conditioned Allow to apply."""
    condition = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    allow = _policy(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": condition}
    )
    via = (("kms:ViaService", ("secretsmanager.us-east-1.amazonaws.com",)),)
    assert evaluate([allow], Request("kms:Decrypt", "k", via)).allowed
    assert not evaluate([allow], Request("kms:Decrypt", "k")).allowed


def test_a_key_policy_for_the_account_delegates_to_iam():
    """A statement for the account root allows nobody by itself but delegates to IAM."""
    root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*", "Resource": "*"}  # fmt: skip
    role = "arn:aws:iam::123456789012:role/web"
    decision, delegates = evaluate_resource_policy(
        {"Statement": [root]}, role, "123456789012", Request("kms:Decrypt", "k")
    )
    assert ("implicitDeny", True) == (decision.decision, delegates)


def test_trust_policies_name_their_service_principals():
    """The services a trust policy lets assume the role."""
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    assert ("ec2.amazonaws.com",) == trusted_services(trust)


@pytest.fixture(scope="module")
def iam() -> Iterator[object]:
    with Lab.start(["secrets-fetch-denied"], warmup_s=0) as lab:
        env = lab.env()
        yield boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )


@pytest.mark.lab
def test_simulate_principal_policy_reads_the_roles_real_policies(iam):
    """The execution role may pull from ECR but not read the secret; a new grant shows at once."""
    role = iam.get_role(RoleName="ecsTaskExecutionRole")["Role"]["Arn"]
    actions = ["ecr:BatchGetImage", "secretsmanager:GetSecretValue"]
    found = iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=actions, ResourceArns=[SECRET]
    )["EvaluationResults"]
    assert ["allowed", "implicitDeny"] == [r["EvalDecision"] for r in found]
    grant = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET}
    iam.put_role_policy(
        RoleName="ecsTaskExecutionRole",
        PolicyName="read-db",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [grant]}),
    )
    again = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=actions[1:],
                                          ResourceArns=[SECRET])  # fmt: skip
    assert "allowed" == again["EvaluationResults"][0]["EvalDecision"]


@pytest.mark.lab
def test_simulate_principal_policy_for_an_unknown_role_is_no_such_entity(iam):
    """An unknown role gets IAM's NoSuchEntity error, not a server error."""
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/nope", ActionNames=["s3:GetObject"]
        )
