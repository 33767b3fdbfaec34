"""Each planner turns a finding and a hand-built snapshot into the exact API change and rollback."""

from __future__ import annotations

import json
from dataclasses import replace

from builders import (
    ACCOUNT,
    ALB_SG,
    EXEC_ROLE,
    REGION,
    SUBNETS,
    TASK_ROLE,
    TASK_SG,
    TG_ARN,
    VPC,
    allow_all_acl,
    deployment,
    event,
    network_view,
    private_table,
    rule,
    service,
    snapshot,
    target_group,
    task_definition,
    task_sg,
)

from ecs_medic.aws.snapshot import AccessView, SecretRef
from ecs_medic.aws.snapshot_access import LogGroupCheck, PolicyDecision, Role, SecretCheck
from ecs_medic.aws.snapshot_network import NaclEntry, Subnet, VpcEndpoint
from ecs_medic.findings import Evidence, make_finding
from ecs_medic.remedies import plan_access, plan_lb, plan_lookup, plan_network, plan_revisions
from ecs_medic.remedies.apply import revised
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import Action, ApiCall, FieldChange
from ecs_medic.remedies.planners import plan_deployment_stuck, plan_desired_count

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ledger/db-AbCdEf"


def finding(code: str, *evidence: Evidence):
    return make_finding(code, summary="s", evidence=list(evidence), remediation="r")


def calls(steps) -> list[str]:
    return [s.source for s in steps]


def with_access(**kwargs) -> object:
    return snapshot(access=AccessView(**kwargs))


def exec_role(*attached: str, inline: tuple[str, ...] = ()) -> Role:
    return Role(
        EXEC_ROLE, "ledger-exec", True, (plan_access.ECS_TASKS,), attached, inline, "execution"
    )


def test_log_group_missing_creates_the_group_with_retention_then_redeploys():
    """A1: CreateLogGroup, PutRetentionPolicy, a forced deployment; rollback deletes the group."""
    shot = with_access(log_groups=(LogGroupCheck("/ecs/ledger", REGION, exists=False),))
    action = plan_access.plan_log_group_missing(finding("LOG_GROUP_MISSING"), shot)
    assert isinstance(action, Action)
    assert ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "ecs:UpdateService"] == calls(
        action.steps
    )
    assert (True, "A1") == (action.steps[2].params["forceNewDeployment"], action.auto_level)
    assert [ApiCall("logs", "DeleteLogGroup", {"logGroupName": "/ecs/ledger"})] == list(
        action.rollback
    )


def test_secrets_denied_gets_an_inline_policy_on_exactly_the_denied_secret():
    """A2: PutRolePolicy scoped to the secret ARN, under a name not already taken."""
    shot = with_access(
        roles=(exec_role(inline=("ecs-medic-read-secrets",)),),
        decisions=(
            PolicyDecision(EXEC_ROLE, "secretsmanager:GetSecretValue", SECRET, "implicitDeny"),
        ),
    )
    action = plan_access.plan_secrets_fetch_denied(finding("SECRETS_FETCH_DENIED"), shot)
    assert isinstance(action, Action)
    put = action.steps[0].params
    statement = json.loads(put["PolicyDocument"])["Statement"]
    assert [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [SECRET]}
    ] == (statement)
    assert ("ecs-medic-read-secrets-2", "A2") == (put["PolicyName"], action.auto_level)
    assert ("iam:DeleteRolePolicy", "ecs-medic-read-secrets-2") == (
        action.rollback[0].source,
        action.rollback[0].params["PolicyName"],
    )


def test_image_pull_auth_attaches_the_managed_policy_when_it_is_missing():
    """A1 when the managed policy covers every denied action and is not attached."""
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ledger-api"
    shot = with_access(
        roles=(exec_role(),),
        decisions=(PolicyDecision(EXEC_ROLE, "ecr:BatchGetImage", repo, "implicitDeny"),),
    )
    action = plan_access.plan_image_pull_auth(finding("IMAGE_PULL_AUTH"), shot, Lookups())
    assert isinstance(action, Action)
    assert ("iam:AttachRolePolicy", "A1", "iam:DetachRolePolicy") == (
        action.steps[0].source,
        action.auto_level,
        action.rollback[0].source,
    )


def test_an_explicit_deny_is_left_to_a_person():
    """An allow cannot beat an explicit deny: no action, the recommendation stays."""
    repo = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ledger-api"
    shot = with_access(
        roles=(exec_role(),),
        decisions=(PolicyDecision(EXEC_ROLE, "ecr:BatchGetImage", repo, "explicitDeny"),),
    )
    assert plan_access.plan_image_pull_auth(finding("IMAGE_PULL_AUTH"), shot, Lookups()) is None


def test_task_role_denial_is_read_from_the_application_log():
    """The action and resource come from the AccessDenied line the app logged."""
    line = (
        f"AccessDenied: User: arn:aws:sts::{ACCOUNT}:assumed-role/ledger-app/abc is not "
        "authorized to perform: s3:GetObject on resource: arn:aws:s3:::ledger-config/app.json"
    )
    td = replace(task_definition(), task_role_arn=TASK_ROLE)
    shot = snapshot(task_definitions=(td,))
    action = plan_access.plan_task_role_denied(
        finding("TASK_ROLE_PERMISSION_DENIED", Evidence("logs:FilterLogEvents", "g", line)), shot
    )
    assert isinstance(action, Action)
    statement = json.loads(action.steps[0].params["PolicyDocument"])["Statement"][0]
    assert ("ledger-app", "s3:GetObject", ["arn:aws:s3:::ledger-config/app.json"]) == (
        action.steps[0].params["RoleName"],
        statement["Action"],
        statement["Resource"],
    )


def test_role_trust_adds_ecs_tasks_and_rollback_keeps_only_the_old_principal():
    """The new trust keeps ec2.amazonaws.com and adds ecs-tasks; the rollback trusts ec2 only."""
    role = Role(EXEC_ROLE, "ledger-exec", True, ("ec2.amazonaws.com",), purpose="execution")
    shot = with_access(roles=(role,))
    action = plan_access.plan_role_trust(
        finding("ROLE_TRUST_INVALID", Evidence("iam:GetRole", EXEC_ROLE, "trusts ec2")), shot
    )
    assert isinstance(action, Action)

    def principals(call: ApiCall) -> list[str]:
        return json.loads(call.params["PolicyDocument"])["Statement"][0]["Principal"]["Service"]

    assert ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"] == principals(action.steps[0])
    assert ["ec2.amazonaws.com"] == principals(action.rollback[0])


def test_sg_blocks_alb_admits_the_load_balancer_group_on_the_container_port():
    """Ingress TCP 9000 from the ALB's group into the task group; the rollback revokes it."""
    shot = snapshot(network=network_view(security_groups=(task_sg(ingress=()),)))
    action = plan_network.plan_sg_blocks_alb(finding("SG_BLOCKS_ALB"), shot)
    assert isinstance(action, Action)
    params = action.steps[0].params
    permission = params["IpPermissions"][0]
    assert (TASK_SG, 9000, [{"GroupId": ALB_SG}]) == (
        params["GroupId"],
        permission["FromPort"],
        permission["UserIdGroupPairs"],
    )
    assert ApiCall("ec2", "RevokeSecurityGroupIngress", params) == action.rollback[0]


def test_egress_fix_opens_443_and_drops_the_nacl_deny_with_an_exact_rollback():
    """No 443 egress gets a rule; a NACL deny on 443 is deleted, and recreated on rollback."""
    deny = NaclEntry(90, True, "6", "deny", "0.0.0.0/0", 443, 443)
    shot = snapshot(
        network=network_view(
            security_groups=(task_sg(egress=(rule(5432, cidrs=("10.0.0.0/8",)),)),),
            network_acls=(allow_all_acl(deny),),
        )
    )
    action = plan_network.plan_task_egress_blocked(finding("TASK_EGRESS_BLOCKED"), shot)
    assert isinstance(action, Action)
    assert [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:DeleteNetworkAclEntry",
        "ecs:UpdateService",
    ] == calls(action.steps)
    recreate = action.rollback[0].params
    assert (90, "deny", {"From": 443, "To": 443}) == (
        recreate["RuleNumber"],
        recreate["RuleAction"],
        recreate["PortRange"],
    )
    assert "ec2:RevokeSecurityGroupEgress" == action.rollback[1].source


def test_public_ip_fix_keeps_subnets_and_groups_and_rolls_back_to_disabled():
    """Only assignPublicIp changes; the rollback sets it back to DISABLED."""
    action = plan_network.plan_public_ip(finding("NO_PUBLIC_IP_IN_PUBLIC_SUBNET"), snapshot())
    assert isinstance(action, Action)
    now = action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]
    then = action.rollback[0].params["networkConfiguration"]["awsvpcConfiguration"]
    assert (list(SUBNETS), "ENABLED", "DISABLED") == (
        now["subnets"],
        now["assignPublicIp"],
        then["assignPublicIp"],
    )


def test_endpoint_with_private_dns_off_is_switched_on():
    """ModifyVpcEndpoint PrivateDnsEnabled true, and false on rollback."""
    endpoint = VpcEndpoint("vpce-1", "com.amazonaws.eu-west-1.ecr.dkr", "Interface", "available",
                           private_dns_enabled=False)  # fmt: skip
    shot = snapshot(network=network_view(vpc_endpoints=(endpoint,)))
    evidence = Evidence("ec2:DescribeVpcEndpoints", "vpce-1", "PrivateDnsEnabled false")
    action = plan_network.plan_vpc_endpoint(finding("VPC_ENDPOINT_MISCONFIG", evidence), shot)
    assert isinstance(action, Action)
    assert (True, False) == (
        action.steps[0].params["PrivateDnsEnabled"],
        action.rollback[0].params["PrivateDnsEnabled"],
    )


def test_port_mismatch_points_the_health_check_at_the_traffic_port():
    """HealthCheckPort 80 becomes traffic-port; the rollback puts 80 back."""
    shot = snapshot(target_groups=(target_group(health_check_port="80"),))
    evidence = Evidence("elbv2:DescribeTargetGroups", TG_ARN, "HealthCheckPort 80")
    action = plan_lb.plan_port_mismatch(finding("PORT_MISMATCH_TG", evidence), shot)
    assert isinstance(action, Action)
    assert ("traffic-port", "80") == (
        action.steps[0].params["HealthCheckPort"],
        action.rollback[0].params["HealthCheckPort"],
    )


def test_health_path_without_codes_or_a_known_good_path_stays_a_recommendation():
    """Nothing says which path the app serves, nor that the path is what is wrong."""
    assert plan_lb.plan_tg_health_path(finding("TG_HEALTHCHECK_FAILING"), snapshot()) is None


def _codes(codes: str) -> Evidence:
    detail = (
        "target 10.0.1.11:9000 unhealthy Target.ResponseCodeMismatch: "
        f"Health checks failed with these codes: [{codes}]"
    )
    return Evidence("elbv2:DescribeTargetHealth", TG_ARN, detail)


def test_a_health_path_that_gets_404_is_tried_on_the_common_path_and_restored_on_rollback():
    """404 everywhere: the app answers but not on /healthz; /health is tried, said so."""
    shot = snapshot(target_groups=(target_group(health_check_path="/healthz"),))
    action = plan_lb.plan_tg_health_path(finding("TG_HEALTHCHECK_FAILING", _codes("404")), shot)
    assert isinstance(action, Action)
    assert ("/health", "/healthz") == (
        action.steps[0].params["HealthCheckPath"],
        action.rollback[0].params["HealthCheckPath"],
    )
    assert action.title.startswith("Try: ")
    assert "a trial" in action.risk
    assert ("A2", "ecs:UpdateService") == (action.auto_level, action.steps[1].source)


def test_the_trial_takes_the_next_common_path_when_the_group_checks_the_first():
    """/health got 404: /healthz is next."""
    shot = snapshot(target_groups=(target_group(health_check_path="/health"),))
    action = plan_lb.plan_tg_health_path(finding("TG_HEALTHCHECK_FAILING", _codes("404")), shot)
    assert isinstance(action, Action)
    assert "/healthz" == action.steps[0].params["HealthCheckPath"]


def test_a_server_error_is_not_a_wrong_path_and_gets_no_trial():
    """500 (or 404 mixed with 503) means the app fails: changing the path would hide it."""
    shot = snapshot(target_groups=(target_group(health_check_path="/healthz"),))
    for codes in ("500", "404, 503"):
        found = finding("TG_HEALTHCHECK_FAILING", _codes(codes))
        assert plan_lb.plan_tg_health_path(found, shot) is None


def test_desired_count_is_restored_from_the_scale_in_event():
    """The newest "has stopped N running tasks" event gives the count to restore."""
    stopped = event("(service ledger-api) has stopped 3 running tasks: (task a) (task b) (task c).")
    shot = snapshot(service=replace(service(desired=0, running=0), events=(stopped,)))
    action = plan_desired_count(finding("DESIRED_COUNT_ZERO"), shot)
    assert isinstance(action, Action)
    assert (3, 0) == (
        action.steps[0].params["desiredCount"],
        action.rollback[0].params["desiredCount"],
    )


def test_desired_count_without_history_is_left_to_a_person():
    """No event and no autoscaling minimum: no number to restore."""
    shot = snapshot(service=replace(service(desired=0, running=0), events=()))
    assert plan_desired_count(finding("DESIRED_COUNT_ZERO"), shot) is None


def wrapped(command: tuple[str, ...]):
    td = task_definition()
    containers = tuple(replace(c, command=command) if c.name == "app" else c for c in td.containers)
    return snapshot(task_definitions=(replace(td, containers=containers),))


def test_sigterm_fix_unwraps_a_simple_shell_command_into_exec_form():
    """sh -c "java -jar /app/app.jar" runs as [java, -jar, /app/app.jar]."""
    shot = wrapped(("sh", "-c", "java -jar /app/app.jar"))
    action = plan_revisions.plan_sigterm(finding("SIGTERM_NOT_HANDLED"), shot)
    assert isinstance(action, Action)
    wanted = FieldChange("command", ["sh", "-c", "java -jar /app/app.jar"],
                         ["java", "-jar", "/app/app.jar"], "app")  # fmt: skip
    assert (wanted,) == action.steps[0].changes


def test_sigterm_fix_uses_an_init_process_when_the_script_needs_a_shell():
    """A pipeline cannot be unwrapped; an init process forwards the signal instead."""
    shot = wrapped(("sh", "-c", "migrate && java -jar /app/app.jar"))
    action = plan_revisions.plan_sigterm(finding("SIGTERM_NOT_HANDLED"), shot)
    assert isinstance(action, Action)
    assert {"initProcessEnabled": True} == action.steps[0].changes[0].after


def test_a_change_to_none_removes_the_field_from_the_new_revision():
    """RegisterTaskDefinition rejects nulls, so a removed healthCheck is left out."""
    live = {
        "family": "f",
        "containerDefinitions": [{"name": "app", "healthCheck": {"command": []}}],
    }
    params = revised(live, (FieldChange("healthCheck", {"command": []}, None, "app"),))
    assert {"name": "app"} == params["containerDefinitions"][0]


def test_service_without_awsvpc_gets_no_public_ip_action():
    """Bridge-mode services have no assignPublicIp to change."""
    shot = snapshot(service=replace(service(), network=None))
    assert plan_network.plan_public_ip(finding("NO_PUBLIC_IP_IN_PUBLIC_SUBNET"), shot) is None


def test_kms_grant_names_the_key_the_alias_resolves_to():
    """IAM grants kms:Decrypt on keys, not aliases: the looked-up key ARN is used."""
    alias = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/ledger"
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd"
    shot = with_access(
        roles=(exec_role(),),
        decisions=(PolicyDecision(EXEC_ROLE, "kms:Decrypt", alias, "implicitDeny"),),
    )
    lookups = Lookups(key_arns=((alias, key),))
    action = plan_access.plan_kms_decrypt_denied(finding("KMS_DECRYPT_DENIED"), shot, lookups)
    assert isinstance(action, Action)
    statement = json.loads(action.steps[0].params["PolicyDocument"])["Statement"][0]
    assert [key] == statement["Resource"]


def test_secret_typo_is_pointed_at_the_one_close_existing_secret():
    """db-pasword is one letter from db-password: the revision references the existing ARN."""
    typo = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ledger/db-pasword-Qx7kPz"
    right = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ledger/db-password-AbCdEf"
    td = task_definition()
    containers = tuple(
        replace(c, secrets=(SecretRef("DB_PASSWORD", typo),)) if c.name == "app" else c
        for c in td.containers
    )
    check = SecretCheck("app", "DB_PASSWORD", typo, "secretsmanager", False)
    shot = snapshot(
        task_definitions=(replace(td, containers=containers),),
        access=AccessView(secrets=(check,)),
    )
    lookups = Lookups(secret_arns=(right, f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:x-1"))
    action = plan_lookup.plan_secret_ref(finding("SECRET_NOT_FOUND"), shot, lookups)
    assert isinstance(action, Action)
    change = action.steps[0].changes[0]
    assert ("app", [{"name": "DB_PASSWORD", "valueFrom": right}]) == (
        change.container,
        change.after,
    )


def test_exhausted_subnets_are_swapped_for_equivalent_ones_with_room():
    """Same VPC, same NAT route, enough free IPs; the public subnet is never chosen."""
    empty = tuple(replace(s, available_ips=0) for s in network_view().subnets[:2])
    spare = Subnet("subnet-0priv0c", VPC, f"{REGION}b", "10.20.3.0/24", 200)  # the ALB serves b
    table = replace(private_table(), subnet_ids=(*SUBNETS, spare.id))
    view = network_view()
    shot = snapshot(
        network=replace(
            view, subnets=(*empty, view.subnets[2]), route_tables=(table, *view.route_tables[1:])
        )
    )
    lookups = Lookups(vpc_subnets=(*shot.network.subnets, spare))
    action = plan_lookup.plan_subnets(finding("SUBNET_IP_EXHAUSTED"), shot, lookups)
    assert isinstance(action, Action)
    config = action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]
    assert (["subnet-0priv0c"], list(SUBNETS)) == (
        config["subnets"],
        action.rollback[0].params["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
    )


def test_repository_deny_gets_the_execution_role_as_one_more_exception():
    """A deny for everyone but CI keeps denying others; the execution role is exempted."""
    ci = f"arn:aws:iam::{ACCOUNT}:role/ci"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["ecr:BatchGetImage"],
        "Condition": {"StringNotEquals": {"aws:PrincipalArn": ci}},
    }]}  # fmt: skip
    shot = with_access(roles=(exec_role(plan_access.EXECUTION_POLICY),))
    lookups = Lookups(repository_policies=(("ledger-api", json.dumps(policy)),))
    action = plan_access.plan_image_pull_auth(finding("IMAGE_PULL_AUTH"), shot, lookups)
    assert isinstance(action, Action)
    new = json.loads(action.steps[0].params["policyText"])["Statement"][0]
    assert ("Deny", [ci, EXEC_ROLE]) == (
        new["Effect"],
        new["Condition"]["StringNotEquals"]["aws:PrincipalArn"],
    )
    assert json.dumps(policy) == action.rollback[0].params["policyText"]


def test_restrictive_endpoint_policy_is_replaced_by_the_default_and_restored_on_rollback():
    """GetParameter-only on an SSM endpoint: the default full-access policy, old text on undo."""
    only_get = {"Effect": "Allow", "Principal": "*", "Action": "ssm:GetParameter", "Resource": "*"}
    narrow = json.dumps({"Statement": [only_get]})
    endpoint = VpcEndpoint("vpce-2", "com.amazonaws.eu-west-1.ssm", "Interface", "available",
                           private_dns_enabled=True, policy_document=narrow)  # fmt: skip
    shot = snapshot(network=network_view(vpc_endpoints=(endpoint,)))
    evidence = Evidence("ec2:DescribeVpcEndpoints", "vpce-2", "policy allows only ssm:GetParameter")
    action = plan_network.plan_vpc_endpoint(finding("VPC_ENDPOINT_MISCONFIG", evidence), shot)
    assert isinstance(action, Action)
    assert (plan_network.DEFAULT_ENDPOINT_POLICY, narrow) == (
        json.loads(action.steps[0].params["PolicyDocument"]),
        action.rollback[0].params["PolicyDocument"],
    )


def test_stuck_rollout_without_a_good_revision_turns_the_circuit_breaker_on():
    """Nothing COMPLETED to go back to: enable the breaker with rollback; undo disables it."""
    shot = snapshot(service=replace(service(), deployments=(deployment(),)))
    action = plan_deployment_stuck(finding("DEPLOYMENT_STUCK"), shot)
    assert isinstance(action, Action)
    assert ({"enable": True, "rollback": True}, {"enable": False, "rollback": False}) == (
        action.steps[0].params["deploymentConfiguration"]["deploymentCircuitBreaker"],
        action.rollback[0].params["deploymentConfiguration"]["deploymentCircuitBreaker"],
    )
