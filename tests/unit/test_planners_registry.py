"""PRIVATE_REGISTRY_CREDS: the login secret to reference, or the read to allow, from evidence."""

from __future__ import annotations

import json
from dataclasses import replace

from builders import ACCOUNT, EXEC_ROLE, REGION, snapshot, task_definition
from fake_gateway import FakeGateway

from ecs_medic.aws.snapshot import AccessView, SecretRef
from ecs_medic.aws.snapshot_access import PolicyDecision
from ecs_medic.findings import make_finding
from ecs_medic.remedies.lookups import Lookups, look_up
from ecs_medic.remedies.plan import Action, FieldChange
from ecs_medic.remedies.plan_registry import plan_registry_creds

HUB_IMAGE = "docker.io/ledgerco/ledger-api:v42"
SECRETS = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret"
LOGIN = f"{SECRETS}:ci/hub-login-Qw3rTy"
DB = f"{SECRETS}:ledger/db-AbCdEf"
FINDING = make_finding("PRIVATE_REGISTRY_CREDS", summary="s", evidence=[], remediation="r")


def hub_snapshot(credentials: str | None = None, image: str = HUB_IMAGE):
    """ledger-api's app container pulls `image` (Docker Hub); it reads a DB secret."""
    td = task_definition()
    secrets = (SecretRef("DB_PASSWORD", f"{DB}:password::"),)
    containers = tuple(
        replace(c, image=image, repository_credentials=credentials, secrets=secrets)
        if c.name == "app"
        else replace(c, image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/envoy:v1")
        for c in td.containers
    )
    return snapshot(task_definitions=(replace(td, containers=containers),))


def test_the_one_spare_readable_secret_becomes_the_containers_login():
    """The role may read the DB secret (in use) and one more: that one is the login."""
    action = plan_registry_creds(FINDING, hub_snapshot(), Lookups(readable_secrets=(DB, LOGIN)))
    assert isinstance(action, Action)
    wanted = FieldChange("repositoryCredentials", None, {"credentialsParameter": LOGIN}, "app")
    assert ((wanted,), "A2") == (action.steps[0].changes, action.auto_level)
    assert task_definition().arn == action.rollback[0].params["taskDefinition"]


def test_two_spare_readable_secrets_are_a_recommendation():
    """Nothing says which of two secrets holds the registry login: no guess."""
    other = f"{SECRETS}:ci/quay-login-ZxCvBn"
    proposal = plan_registry_creds(
        FINDING, hub_snapshot(), Lookups(readable_secrets=(LOGIN, other))
    )
    assert isinstance(proposal, str)
    assert "repositoryCredentials.credentialsParameter of app" in proposal


def test_no_readable_secret_is_a_recommendation():
    """A role that may read no spare secret leaves the choice to a person."""
    proposal = plan_registry_creds(FINDING, hub_snapshot(), Lookups(readable_secrets=(DB,)))
    assert isinstance(proposal, str)


def test_a_denied_read_of_the_named_login_is_allowed_on_exactly_that_secret():
    """repositoryCredentials names the login; the simulation denies reading it: allow that."""
    denied = PolicyDecision(EXEC_ROLE, "secretsmanager:GetSecretValue", LOGIN, "implicitDeny")
    shot = replace(hub_snapshot(LOGIN), access=AccessView(decisions=(denied,)))
    action = plan_registry_creds(FINDING, shot, Lookups())
    assert isinstance(action, Action)
    put = action.steps[0]
    assert ("iam:PutRolePolicy", "ledger-exec") == (put.source, put.params["RoleName"])
    statement = json.loads(put.params["PolicyDocument"])["Statement"]
    assert [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [LOGIN]}
    ] == (statement)


def test_a_readable_named_login_is_left_to_a_person():
    """The login is referenced and readable: its content is wrong, which ecs-medic never sees."""
    assert plan_registry_creds(FINDING, hub_snapshot(LOGIN), Lookups()) is None


def lookup_gateway(decision: str = "allowed") -> FakeGateway:
    listed = {
        "SecretList": [
            {"ARN": LOGIN},
            {"ARN": DB},
            {"ARN": f"{SECRETS}:cmk-AaBbCc", "KmsKeyId": "k"},
        ]
    }

    def simulate(params):
        return {"EvaluationResults": [{
            "EvalActionName": "secretsmanager:GetSecretValue",
            "ResourceSpecificResults": [
                {"EvalResourceName": arn,
                 "EvalResourceDecision": decision if arn == LOGIN else "implicitDeny"}
                for arn in params["ResourceArns"]
            ],
        }]}  # fmt: skip

    return FakeGateway({
        ("secretsmanager", "ListSecrets"): listed,
        ("iam", "SimulatePrincipalPolicy"): simulate,
    })  # fmt: skip


def test_the_lookup_keeps_the_secrets_the_execution_role_may_read():
    """One ListSecrets, one simulation of the execution role; customer-key secrets are left out."""
    gateway = lookup_gateway()
    lookups = look_up(gateway, [FINDING], hub_snapshot())
    assert (LOGIN,) == lookups.readable_secrets
    [(_, _, simulated)] = [c for c in gateway.calls if c[1] == "SimulatePrincipalPolicy"]
    assert (EXEC_ROLE, [LOGIN, DB]) == (simulated["PolicySourceArn"], simulated["ResourceArns"])


def test_no_secret_lookup_when_every_image_comes_from_ecr():
    """ECR images need no registry login: nothing is listed."""
    gateway = lookup_gateway()
    look_up(gateway, [FINDING], hub_snapshot(image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/a:1"))
    assert [] == gateway.calls
