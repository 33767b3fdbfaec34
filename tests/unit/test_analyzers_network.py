"""Networking: pull timeouts told apart by the network view, IPs, ENIs, AZs and EFS."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    IMAGE,
    NAT,
    SUBNETS,
    TASK_SG,
    VPC,
    allow_all_acl,
    event,
    failed_deployment,
    failing,
    network_view,
    private_table,
    pull_task,
    rule,
    service,
    snapshot,
    task,
    task_sg,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.network import egress_path
from ecs_medic.analyzers.network_capacity import (
    efs_mount_failed,
    eni_limit,
    subnet_ip_exhausted,
    unsupported_az_subnet,
)
from ecs_medic.aws.snapshot import NetworkConfig
from ecs_medic.aws.snapshot_network import IdleInterface, NaclEntry, Route, RouteTable, VpcEndpoint
from ecs_medic.findings import Severity

ECR_TIMEOUT = (
    f"The task cannot pull '{IMAGE}' from the Amazon ECR repository "
    "'210987654321.dkr.ecr.eu-west-1.amazonaws.com/ledger-api'. There is a connection issue "
    "between the task and Amazon ECR. Check your task network configuration."
)
# Fargate 1.4 truncates: the older EC2-era phrasing, cut short.
TRUNCATED_TIMEOUT = (
    "CannotPullContainerError: API error (500): Get https://210987654321.dkr.ecr.eu-west-1."
    "amazonaws.com/v2/: net/http: request canceled while waiting for conn"
)
SECRETS_KILLED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: pull command "
    "failed: : signal: killed"
)
ISOLATED = private_table(
    Route(destination_cidr="10.99.0.0/16", gateway_id="vgw-0dc", state="active")
)


def timed_out(*reasons: str, **network: object) -> object:
    """Three tasks that could not reach ECR, none running, with the given network view."""
    stopped = tuple(pull_task(n, reasons[n % len(reasons)]) for n in range(1, 4))
    return failing(
        snapshot(stopped_tasks=stopped, running_tasks=(), network=network_view(**network))
    )


def endpoint(suffix: str, kind: str = "Interface", **kwargs: object) -> VpcEndpoint:
    """A VPC endpoint for com.amazonaws.eu-west-1.<suffix>, usable by default."""
    fields: dict[str, object] = {
        "id": f"vpce-{suffix.replace('.', '')}",
        "service_name": f"com.amazonaws.eu-west-1.{suffix}",
        "endpoint_type": kind,
        "state": "available",
        "vpc_id": VPC,
        "private_dns_enabled": kind == "Interface",
        "subnet_ids": SUBNETS if kind == "Interface" else (),
        "route_table_ids": ("rtb-0private",) if kind == "Gateway" else (),
        "security_group_ids": (TASK_SG,) if kind == "Interface" else (),
    }
    fields.update(kwargs)
    return VpcEndpoint(**fields)  # type: ignore[arg-type]


def all_endpoints(**changes: dict[str, object]) -> tuple[VpcEndpoint, ...]:
    """ecr.api, ecr.dkr, logs (interface) and s3 (gateway); `changes` edits one by suffix."""
    kinds = {"ecr.api": "Interface", "ecr.dkr": "Interface", "logs": "Interface", "s3": "Gateway"}
    return tuple(
        endpoint(suffix, kind, **changes.get(suffix.replace(".", "_"), {}))
        for suffix, kind in kinds.items()
    )


def endpoint_sg_admitting_tasks() -> object:
    """The task SG also admits 443 from itself, as endpoint SGs shared with tasks do."""
    return task_sg(ingress=(rule(9000), rule(443, groups=(TASK_SG,))))


def test_no_route_and_no_endpoints_is_no_egress_with_the_route_table_as_evidence():
    """A private subnet without NAT or endpoints explains the ECR timeout."""
    snap = timed_out(ECR_TIMEOUT, route_tables=(ISOLATED,))
    [finding] = egress_path(snap)
    assert "NO_EGRESS_FOR_IMAGE_PULL" == finding.code
    details = [e.detail for e in finding.evidence]
    assert (
        f"subnet {SUBNETS[1]}: route table rtb-0private has no 0.0.0.0/0 route (local routes only)"
        in details
    )
    assert Severity.CRITICAL == finding.severity


def test_truncated_and_secret_variants_count_as_the_same_timeouts():
    """The truncated EC2 phrasing and the killed secrets pull are egress signals too."""
    snap = timed_out(TRUNCATED_TIMEOUT, SECRETS_KILLED, route_tables=(ISOLATED,))
    [finding] = egress_path(snap)
    assert ("NO_EGRESS_FOR_IMAGE_PULL", 3) == (finding.code, finding.affected_tasks)


def test_failed_nat_gateway_is_no_egress():
    """A default route to a NAT gateway that is not available leaves no way out."""
    dead = network_view().nat_gateways[0]
    snap = timed_out(ECR_TIMEOUT, nat_gateways=(replace(dead, state="failed"),))
    [finding] = egress_path(snap)
    assert "NO_EGRESS_FOR_IMAGE_PULL" == finding.code
    assert f"NAT gateway {NAT} is failed" in [e.detail for e in finding.evidence]


def test_public_subnet_without_public_ip_is_no_public_ip():
    """IGW route plus assignPublicIp DISABLED: the public-IP code, not NO_EGRESS."""
    public = RouteTable(
        "rtb-0pub2",
        VPC,
        (Route(destination_cidr="0.0.0.0/0", gateway_id="igw-0x", state="active"),),
        SUBNETS,
    )
    snap = timed_out(ECR_TIMEOUT, route_tables=(public,))
    [finding] = egress_path(snap)
    assert "NO_PUBLIC_IP_IN_PUBLIC_SUBNET" == finding.code
    assert "assignPublicIp=ENABLED" in finding.remediation


def test_public_subnet_with_public_ip_is_not_blamed_on_the_route():
    """With assignPublicIp ENABLED the IGW route is fine; the SG without 443 is the cause."""
    public = RouteTable(
        "rtb-0pub2",
        VPC,
        (Route(destination_cidr="0.0.0.0/0", gateway_id="igw-0x", state="active"),),
        SUBNETS,
    )
    snap = timed_out(
        ECR_TIMEOUT,
        route_tables=(public,),
        security_groups=(task_sg(egress=(rule(5432, cidrs=("10.20.0.0/16",)),)),),
    )
    snap = replace(
        snap, service=replace(snap.service, network=NetworkConfig(SUBNETS, (TASK_SG,), "ENABLED"))
    )
    assert ["TASK_EGRESS_BLOCKED"] == [f.code for f in egress_path(snap)]


def test_security_group_without_https_egress_is_task_egress_blocked():
    """NAT is fine, but the task SG lets only PostgreSQL out."""
    groups = (task_sg(egress=(rule(5432, cidrs=("10.20.0.0/16",)),)),)
    [finding] = egress_path(timed_out(ECR_TIMEOUT, security_groups=groups))
    assert "TASK_EGRESS_BLOCKED" == finding.code
    assert f"no egress rule of {TASK_SG} allows TCP 443" in [e.detail for e in finding.evidence]


def test_nacl_denying_https_out_is_task_egress_blocked():
    """A low-numbered NACL deny on 443 wins over the allow-all rule."""
    acl = allow_all_acl(NaclEntry(50, True, "6", "deny", "0.0.0.0/0", 443, 443))
    [finding] = egress_path(timed_out(ECR_TIMEOUT, network_acls=(acl,)))
    assert "TASK_EGRESS_BLOCKED" == finding.code
    assert "network ACL acl-0ledger denies outbound TCP 443 to 52.94.0.1" in [
        e.detail for e in finding.evidence
    ]


def test_endpoints_with_private_dns_off_are_endpoint_misconfig():
    """Endpoints exist but ecr.dkr has Private DNS off: misconfigured, not missing."""
    endpoints = all_endpoints(ecr_dkr={"private_dns_enabled": False})
    snap = timed_out(
        ECR_TIMEOUT,
        route_tables=(ISOLATED,),
        vpc_endpoints=endpoints,
        security_groups=(endpoint_sg_admitting_tasks(),),
    )
    [finding] = egress_path(snap)
    assert "VPC_ENDPOINT_MISCONFIG" == finding.code
    assert "turn on Private DNS for vpce-ecrdkr" in finding.remediation


def test_missing_s3_gateway_endpoint_is_endpoint_misconfig():
    """ECR interface endpoints without the S3 gateway endpoint cannot serve layers."""
    endpoints = all_endpoints()[:3]
    snap = timed_out(
        ECR_TIMEOUT,
        route_tables=(ISOLATED,),
        vpc_endpoints=endpoints,
        security_groups=(endpoint_sg_admitting_tasks(),),
    )
    [finding] = egress_path(snap)
    assert ("VPC_ENDPOINT_MISCONFIG", "create the s3 endpoint") == (
        finding.code,
        finding.remediation,
    )


def test_endpoint_security_group_closed_to_tasks_is_endpoint_misconfig():
    """Endpoint SGs that do not admit 443 from the tasks make the endpoints unusable."""
    snap = timed_out(ECR_TIMEOUT, route_tables=(ISOLATED,), vpc_endpoints=all_endpoints())
    [finding] = egress_path(snap)
    assert "VPC_ENDPOINT_MISCONFIG" == finding.code
    assert f"allow TCP 443 into {TASK_SG} from {TASK_SG}" in finding.remediation


def test_working_endpoints_without_a_route_are_not_blamed():
    """Complete, usable endpoints: no endpoint or egress defect is invented."""
    snap = timed_out(
        ECR_TIMEOUT,
        route_tables=(ISOLATED,),
        vpc_endpoints=all_endpoints(),
        security_groups=(endpoint_sg_admitting_tasks(),),
    )
    [finding] = egress_path(snap)
    assert ("NO_EGRESS_FOR_IMAGE_PULL", 0.5) == (finding.code, finding.confidence)


def test_timeouts_without_a_network_view_still_get_a_finding():
    """No route tables collected: the timeouts are reported with low confidence, never healthy."""
    snap = timed_out(ECR_TIMEOUT, route_tables=())
    [finding] = egress_path(snap)
    assert ("NO_EGRESS_FOR_IMAGE_PULL", 0.5) == (finding.code, finding.confidence)


def test_isolated_subnet_without_timeouts_makes_no_finding():
    """A healthy service in an isolated subnet is not flagged from configuration alone."""
    assert [] == egress_path(snapshot(network=network_view(route_tables=(ISOLATED,))))


def test_image_not_found_is_not_an_egress_problem():
    """The nearest look-alike, a missing tag, does not trigger the egress analyzer."""
    snap = failing(
        snapshot(stopped_tasks=(pull_task(1),), network=network_view(route_tables=(ISOLATED,)))
    )
    assert [] == egress_path(snap)


def test_timeouts_are_not_image_not_found():
    """A pull timeout that mentions resolving the ref is not a missing image."""
    reason = (
        f"CannotPullContainerError: failed to resolve ref {IMAGE}: "
        "dial tcp 52.94.1.1:443: i/o timeout"
    )
    codes = [f.code for f in analyze(timed_out(reason, route_tables=(ISOLATED,))).findings]
    assert "IMAGE_PULL_NOT_FOUND" not in codes
    assert "NO_EGRESS_FOR_IMAGE_PULL" == codes[0]


def test_egress_finding_explains_the_circuit_breaker():
    """The network cause ranks first and the breaker links to it."""
    snap = timed_out(ECR_TIMEOUT, security_groups=(task_sg(egress=()),))
    snap = replace(snap, service=replace(service(running=0, deployments=(failed_deployment(),))))
    findings = analyze(snap).findings
    assert [("TASK_EGRESS_BLOCKED", None), ("CIRCUIT_BREAKER_ROLLBACK", "TASK_EGRESS_BLOCKED")] == [
        (f.code, f.caused_by) for f in findings
    ]


def test_full_subnets_are_ip_exhausted_with_counts():
    """Both task subnets at 0 free IPs plus the ENI error name the subnets."""
    view = network_view()
    full = tuple(replace(s, available_ips=0) if s.id in SUBNETS else s for s in view.subnets)
    reason = (
        "Unexpected EC2 error while attempting to Create Network Interface with public IP "
        f"assignment enabled in subnet '{SUBNETS[0]}'"
    )
    stopped = (task(1, stop_code="TaskFailedToStart", stopped_reason=reason),)
    [finding] = subnet_ip_exhausted(
        failing(snapshot(stopped_tasks=stopped, network=replace(view, subnets=full)))
    )
    assert (
        "2 of 2 task subnets have no free IP address; 1 task failed to get a network interface"
        == finding.summary
    )


def test_subnets_with_free_ips_are_not_exhausted():
    """Healthy subnets and no ENI errors: nothing."""
    assert [] == subnet_ip_exhausted(failing(snapshot()))


def test_eni_limit_from_the_resource_eni_reason():
    """RESOURCE:ENI in a placement event is ENI_LIMIT, with the trunking setting."""
    snap = failing(
        snapshot(
            service=service(
                running=1,
                events=(
                    event("(service ledger-api) was unable to place a task. Reason: RESOURCE:ENI."),
                ),
            )
        )
    )
    [finding] = eni_limit(snap)
    assert "ENI_LIMIT" == finding.code


def test_internal_error_placement_names_the_subnet_azs():
    """Fargate's 'Internal error' placement is UNSUPPORTED_AZ_SUBNET with each subnet's AZ."""
    message = "(service ledger-api) was unable to place a task. Reason: Internal error."
    [finding] = unsupported_az_subnet(
        snapshot(service=service(running=0, events=(event(message),)))
    )
    assert f"{SUBNETS[0]} in eu-west-1a" in finding.summary


def test_efs_timeout_names_the_nfs_port():
    """An EFS mount timeout asks for TCP 2049 from the task SG."""
    reason = (
        "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: "
        "stderr: mount.nfs4: Connection timed out"
    )
    stopped = (task(1, stop_code="TaskFailedToStart", stopped_reason=reason),)
    [finding] = efs_mount_failed(failing(snapshot(stopped_tasks=stopped)))
    assert (
        f"Allow TCP 2049 into the mount-target security group from {TASK_SG}."
        == finding.remediation
    )
    assert [] == egress_path(failing(snapshot(stopped_tasks=stopped)))


def test_fargate_is_read_from_the_task_definition_when_nothing_else_says():
    """No launch type on the service or tasks: a FARGATE-only task definition decides."""
    snap = timed_out(ECR_TIMEOUT, route_tables=(ISOLATED,))
    snap = replace(
        snap,
        service=replace(snap.service, launch_type=None),
        stopped_tasks=tuple(replace(t, launch_type=None) for t in snap.stopped_tasks),
    )
    [finding] = egress_path(snap)
    assert ("NO_EGRESS_FOR_IMAGE_PULL", 0.9) == (finding.code, finding.confidence)


def test_endpoint_policy_refusal_is_endpoint_misconfig_not_a_role_denial():
    """'no VPC endpoint policy allows' blames the ssm endpoint's policy, not the execution role."""
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
        "secrets from ssm: AccessDeniedException: User: arn:aws:sts::210987654321:assumed-role/"
        "ledger-exec/1 is not authorized to perform: ssm:GetParameters on resource: "
        "arn:aws:ssm:eu-west-1:210987654321:parameter/ledger/key because no VPC endpoint policy "
        "allows the ssm:GetParameters action"
    )
    policy = '{"Statement":[{"Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"}]}'
    ssm = endpoint("ssm", policy_document=policy)
    snap = timed_out(reason, route_tables=(ISOLATED,), vpc_endpoints=(ssm,))
    findings = analyze(snap).findings
    assert ["VPC_ENDPOINT_MISCONFIG"] == [f.code for f in findings]
    assert findings[0].remediation.startswith(
        "Edit the policy of vpce-ssm to allow ssm:GetParameters"
    )


def test_leaked_interfaces_in_full_subnets_are_named():
    """Catalogue Detect: ENIs in status available in the task subnets are quoted and named."""
    view = network_view()
    full = tuple(replace(s, available_ips=0) if s.id in SUBNETS else s for s in view.subnets)
    idle = tuple(
        IdleInterface(f"eni-0idle{n:04d}", SUBNETS[n % 2], "batch-export worker") for n in range(7)
    )
    elsewhere = (IdleInterface("eni-0other", "subnet-0elsewhere"),)
    snap = failing(snapshot(network=replace(view, subnets=full, idle_interfaces=idle + elsewhere)))
    [finding] = subnet_ip_exhausted(snap)
    quoted = [e for e in finding.evidence if e.source == "ec2:DescribeNetworkInterfaces"]
    assert [SUBNETS[1], SUBNETS[0]] == [e.resource for e in quoted]
    assert (
        "4 network interfaces in status available: eni-0idle0000, eni-0idle0002, "
        "eni-0idle0004, eni-0idle0006 (descriptions: batch-export worker)"
    ) == quoted[1].detail
    assert finding.summary.endswith("; 7 network interfaces in status available hold addresses")
    assert "eni-0other" not in finding.remediation
    assert (
        "(eni-0idle0001, eni-0idle0003, eni-0idle0005, eni-0idle0000, eni-0idle0002 and 2 more)"
        in (finding.remediation)
    )
