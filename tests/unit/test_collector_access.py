"""The access view: roles, the policy simulation, secrets and parameters, log groups."""

from __future__ import annotations

from fake_account import (
    ACCOUNT,
    CMK,
    DB_SECRET,
    EXECUTION_ROLE,
    HUB_SECRET,
    INSTANCE_ROLE,
    PARAM_ARN,
    REGION,
    TARGET,
    TASK_ROLE,
    account,
    not_found,
    on_ec2,
)

from ecs_medic.aws.collector import Collector

REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ledger"
STREAMS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/svc/ledger:log-stream:*"
PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ledger/api-token"


def test_roles_carry_trust_and_policy_names():
    """The URL-encoded trust policy is read; attached ARNs and inline names are kept."""
    access = Collector(account()).collect(TARGET).access
    execution = access.role(EXECUTION_ROLE)
    assert execution is not None
    assert (
        "execution",
        ("ecs-tasks.amazonaws.com",),
        ("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",),
        ("read-ledger-secrets",),
    ) == (
        execution.purpose,
        execution.trusted_services,
        execution.attached_policy_arns,
        execution.inline_policy_names,
    )
    assert ["execution", "task", "service-linked"] == [r.purpose for r in access.roles]


def test_missing_service_linked_role_is_evidence():
    """GetRole's NoSuchEntity for AWSServiceRoleForECS: exists False, no gap."""
    snapshot = Collector(account()).collect(TARGET)
    assert (False, ()) == (snapshot.access.service_linked_role_exists, snapshot.gaps)


def test_execution_role_is_simulated_once_for_everything_the_task_needs():
    """ECR pull, logs, each secret and parameter, and the customer key, in one call."""
    gateway = account()
    decisions = Collector(gateway).collect(TARGET).access.decisions
    assert 1 == sum(op == "SimulatePrincipalPolicy" for _, op, _ in gateway.calls)
    assert {
        ("ecr:GetAuthorizationToken", "*"),
        ("ecr:BatchCheckLayerAvailability", REPOSITORY),
        ("ecr:GetDownloadUrlForLayer", REPOSITORY),
        ("ecr:BatchGetImage", REPOSITORY),
        ("logs:CreateLogStream", STREAMS),
        ("logs:PutLogEvents", STREAMS),
        ("secretsmanager:GetSecretValue", DB_SECRET),
        ("secretsmanager:GetSecretValue", HUB_SECRET),
        ("kms:Decrypt", CMK),
        ("ssm:GetParameters", PARAMETER),
        ("ssm:GetParameters", PARAM_ARN),
    } == {(d.action, d.resource) for d in decisions}
    assert {EXECUTION_ROLE} == {d.role_arn for d in decisions}


def test_denied_decrypt_names_the_secret_it_blocks():
    """The decision keeps why the task needs it: both keys of the database secret."""
    decisions = Collector(account()).collect(TARGET).access.decisions
    assert [("implicitDeny", "secret DB_USER; secret DB_PASS")] == [
        (d.decision, d.purpose) for d in decisions if d.action == "kms:Decrypt"
    ]


def test_secrets_and_parameters_are_checked_without_values():
    """Existence, customer key and JSON key per reference; AWS-managed keys are not kept."""
    secrets = Collector(account()).collect(TARGET).access.secrets
    assert [
        ("app", "DB_USER", "secretsmanager", True, CMK, None, "username"),
        ("app", "DB_PASS", "secretsmanager", True, CMK, None, "password"),
        ("app", "API_TOKEN", "ssm", True, None, None, None),
        ("app", "FLAGS", "ssm", False, None, "ParameterNotFound", None),
        (
            "envoy",
            "repositoryCredentials",
            "secretsmanager",
            False,
            None,
            "ResourceNotFoundException",
            None,
        ),
    ] == [
        (s.container, s.name, s.kind, s.exists, s.kms_key_id, s.error_code, s.json_key)
        for s in secrets
    ]


def test_each_secret_is_described_once_and_parameters_together():
    """Two references to one secret cost one DescribeSecret; parameters share one call."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    described = sorted(p["SecretId"] for _, op, p in gateway.calls if op == "DescribeSecret")
    names = [
        p["ParameterFilters"][0]["Values"]
        for _, op, p in gateway.calls
        if op == "DescribeParameters"
    ]
    assert [HUB_SECRET, DB_SECRET] == described
    assert [["/ledger/api-token", "/ledger/feature-flags"]] == names


def test_secret_in_another_region_is_a_gap_not_a_verdict():
    """The gateway reads one region: a us-east-1 secret is unchecked (None) and a gap."""
    gateway = account()
    answer = gateway.answers["ecs", "DescribeTaskDefinition"]
    assert callable(answer)
    elsewhere = DB_SECRET.replace(REGION, "us-east-1")

    def moved(params):
        found = answer(params)
        found["taskDefinition"]["containerDefinitions"][0]["secrets"] = [
            {"name": "DB_USER", "valueFrom": elsewhere}
        ]
        return found

    gateway.answers["ecs", "DescribeTaskDefinition"] = moved
    snapshot = Collector(gateway).collect(TARGET)
    assert [("DB_USER", None, "us-east-1")] == [
        (s.name, s.exists, s.region) for s in snapshot.access.secrets if s.name == "DB_USER"
    ]
    assert [("secretsmanager:DescribeSecret", "OtherRegion", elsewhere)] == [
        (g.source, g.reason, g.resource) for g in snapshot.gaps
    ]


def test_no_secret_calls_without_secrets():
    """A task definition without secrets costs no Secrets Manager or SSM call."""
    gateway = account()
    answer = gateway.answers["ecs", "DescribeTaskDefinition"]
    assert callable(answer)

    def plain(params):
        found = answer(params)
        for container in found["taskDefinition"]["containerDefinitions"]:
            container.pop("secrets", None)
            container.pop("repositoryCredentials", None)
        return found

    gateway.answers["ecs", "DescribeTaskDefinition"] = plain
    snapshot = Collector(gateway).collect(TARGET)
    assert set() == {s for s, _, _ in gateway.calls} & {"secretsmanager", "ssm"}
    assert () == snapshot.access.secrets


def test_missing_execution_role_is_not_simulated():
    """NoSuchEntity for the execution role: it is recorded missing and nothing is simulated."""
    gateway = account(**{"iam:GetRole": not_found("iam", "GetRole", "NoSuchEntity")})
    access = Collector(gateway).collect(TARGET).access
    assert [False, False, False] == [r.exists for r in access.roles]
    assert "SimulatePrincipalPolicy" not in {op for _, op, _ in gateway.calls}
    assert TASK_ROLE == access.roles[1].arn


def test_log_group_must_match_exactly():
    """DescribeLogGroups is a prefix search: /svc/ledger-archive does not make /svc/ledger exist."""
    groups = Collector(account()).collect(TARGET).access.log_groups
    assert [("/svc/ledger", REGION, False, ("app", "envoy"))] == [
        (g.name, g.region, g.exists, g.containers) for g in groups
    ]


def without_execution_role(gateway):
    """The task definition names no execution role (allowed on EC2)."""
    answer = gateway.answers["ecs", "DescribeTaskDefinition"]

    def plain(params):
        found = answer(params)
        found["taskDefinition"].pop("executionRoleArn")
        for container in found["taskDefinition"]["containerDefinitions"]:
            container.pop("secrets", None)
            container.pop("repositoryCredentials", None)
        return found

    gateway.answers["ecs", "DescribeTaskDefinition"] = plain


def test_ec2_without_execution_role_simulates_the_instance_role():
    """The container instance's role pulls the image and writes the logs: it is simulated."""
    gateway = account()
    on_ec2(gateway, launchType="EC2")
    without_execution_role(gateway)
    access = Collector(gateway).collect(TARGET).access
    assert ["task", "instance", "service-linked"] == [r.purpose for r in access.roles]
    assert {INSTANCE_ROLE} == {d.role_arn for d in access.decisions}
    assert {"image pull", "logs /svc/ledger"} <= {d.purpose for d in access.decisions}
    assert [["i-0abc"]] == [
        p["InstanceIds"] for _, op, p in gateway.calls if op == "DescribeInstances"
    ]


def test_ec2_with_execution_role_simulates_only_the_execution_role():
    """With an execution role the agent pulls as that role; the instance role is only read."""
    gateway = account()
    on_ec2(gateway, launchType="EC2")
    access = Collector(gateway).collect(TARGET).access
    assert INSTANCE_ROLE in {r.arn for r in access.roles}
    assert {EXECUTION_ROLE} == {d.role_arn for d in access.decisions}


def test_fargate_reads_no_instance_profile():
    """No DescribeInstances or GetInstanceProfile for Fargate."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    assert set() == {op for _, op, _ in gateway.calls} & {"DescribeInstances", "GetInstanceProfile"}


def test_parameter_shared_from_another_account_is_a_gap_not_missing():
    """DescribeParameters cannot see another account's parameter: unchecked, and a gap."""
    gateway = account()
    answer = gateway.answers["ecs", "DescribeTaskDefinition"]
    shared = PARAM_ARN.replace(ACCOUNT, "111122223333")

    def moved(params):
        found = answer(params)
        found["taskDefinition"]["containerDefinitions"][0]["secrets"] = [
            {"name": "FLAGS", "valueFrom": shared}
        ]
        return found

    gateway.answers["ecs", "DescribeTaskDefinition"] = moved
    snapshot = Collector(gateway).collect(TARGET)
    assert [("FLAGS", None)] == [
        (s.name, s.exists) for s in snapshot.access.secrets if s.kind == "ssm"
    ]
    assert [("ssm:DescribeParameters", "OtherAccount", shared)] == [
        (g.source, g.reason, g.resource) for g in snapshot.gaps
    ]
