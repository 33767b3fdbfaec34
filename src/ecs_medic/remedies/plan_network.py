"""Planners for the network path: security group rules, network ACLs, public IPs, endpoints."""

from __future__ import annotations

import json
from typing import Any

from ecs_medic.aws.snapshot import NetworkConfig, ServiceSnapshot
from ecs_medic.aws.snapshot_network import NaclEntry, NetworkAcl, SgRule, VpcEndpoint
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, event_ids, force_deploy, make_action
from ecs_medic.remedies.diff import added, config_diff
from ecs_medic.remedies.plan import ApiCall

HTTPS = 443
ANYWHERE = "0.0.0.0/0"
# What ResetPolicy sets (written out, so the diff shows it and every endpoint API takes it).
DEFAULT_ENDPOINT_POLICY = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


# --- security groups --------------------------------------------------------------------------


def plan_sg_blocks_alb(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Admit the load balancer's security group on the container port of the task group."""
    binding = next(iter(snapshot.service.load_balancers), None)
    network = snapshot.service.network
    if binding is None or network is None or not network.security_groups:
        return None
    lb_groups = _lb_security_groups(snapshot, binding.target_group_arn)
    if not lb_groups:
        return None
    named = [g for g in event_ids(finding) if g in network.security_groups]
    task_group = (named or list(network.security_groups))[0]
    port = binding.container_port
    permission = {
        "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
        "UserIdGroupPairs": [{"GroupId": g} for g in lb_groups],
    }  # fmt: skip
    params = {"GroupId": task_group, "IpPermissions": [permission]}
    return make_action(
        finding.code,
        f"Allow TCP {port} into {task_group} from {', '.join(lb_groups)} and redeploy",
        "A2", (ApiCall("ec2", "AuthorizeSecurityGroupIngress", params), force_deploy(snapshot)),
        rollback=(ApiCall("ec2", "RevokeSecurityGroupIngress", params),),
        diff=added(f"security group {task_group} ingress rule", permission),
        expected_effect="health checks reach the tasks; targets turn healthy",
        risk="opens the container port to the load balancer's group only, never to 0.0.0.0/0",
    )  # fmt: skip


def _lb_security_groups(snapshot: ServiceSnapshot, target_group_arn: str | None) -> list[str]:
    group = next((g for g in snapshot.target_groups if g.arn == target_group_arn), None)
    balancers = group.load_balancer_arns if group else ()
    found = [
        sg for lb in snapshot.network.load_balancers if lb.arn in balancers
        for sg in lb.security_groups
    ]  # fmt: skip
    return list(dict.fromkeys(found))


def plan_task_egress_blocked(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Allow HTTPS out of the task groups, and drop the NACL entries that deny it."""
    network = snapshot.service.network
    if network is None:
        return None
    steps: list[ApiCall] = []
    rollback: list[ApiCall] = []
    diffs: list[str] = []
    for group_id in network.security_groups:
        group = snapshot.network.security_group(group_id)
        if group and not any(r.covers_port(HTTPS) for r in group.egress):
            _egress_rule(group_id, steps, rollback, diffs)
    for acl in _acls_of(snapshot, network):
        for entry in _denies_https(acl):
            _drop_nacl_entry(acl, entry, steps, rollback, diffs)
    if not steps:
        return None
    return make_action(
        finding.code, "Allow outbound HTTPS from the tasks and redeploy", "A2",
        (*steps, force_deploy(snapshot)), rollback=tuple(reversed(rollback)),
        diff="\n".join(diffs),
        expected_effect="tasks reach ECR, Secrets Manager and CloudWatch Logs over 443",
        risk="widens egress to TCP 443 only",
    )  # fmt: skip


def _egress_rule(
    group_id: str, steps: list[ApiCall], rollback: list[ApiCall], diffs: list[str]
) -> None:
    permission = {"IpProtocol": "tcp", "FromPort": HTTPS, "ToPort": HTTPS,
                  "IpRanges": [{"CidrIp": ANYWHERE}]}  # fmt: skip
    params = {"GroupId": group_id, "IpPermissions": [permission]}
    steps.append(ApiCall("ec2", "AuthorizeSecurityGroupEgress", params))
    rollback.append(ApiCall("ec2", "RevokeSecurityGroupEgress", params))
    diffs.append(added(f"security group {group_id} egress rule", permission))


def _acls_of(snapshot: ServiceSnapshot, network: NetworkConfig) -> list[NetworkAcl]:
    found = [snapshot.network.network_acl_for(s) for s in network.subnets]
    return list({a.id: a for a in found if a is not None}.values())


def _denies_https(acl: NetworkAcl) -> list[NaclEntry]:
    """Egress deny entries that match HTTPS before any allow entry does."""
    ordered = sorted((e for e in acl.entries if e.egress), key=lambda e: e.rule_number)
    hits: list[NaclEntry] = []
    for entry in ordered:
        if entry.rule_number == 32767 or not _nacl_covers(entry, HTTPS):
            continue
        if entry.action == "allow":
            break
        hits.append(entry)
    return hits


def _nacl_covers(entry: NaclEntry, port: int) -> bool:
    rule = SgRule(
        "tcp" if entry.protocol == "6" else entry.protocol, entry.from_port, entry.to_port
    )
    return rule.covers_port(port)


def _drop_nacl_entry(
    acl: NetworkAcl,
    entry: NaclEntry,
    steps: list[ApiCall],
    rollback: list[ApiCall],
    diffs: list[str],
) -> None:
    key = {"NetworkAclId": acl.id, "RuleNumber": entry.rule_number, "Egress": True}
    steps.append(ApiCall("ec2", "DeleteNetworkAclEntry", key))
    rollback.append(ApiCall("ec2", "CreateNetworkAclEntry", _entry_params(acl.id, entry)))
    diffs.append(config_diff(f"network ACL {acl.id} egress rule {entry.rule_number}",
                             _entry_params(acl.id, entry), {}))  # fmt: skip


def _entry_params(acl_id: str, entry: NaclEntry) -> dict[str, Any]:
    params: dict[str, Any] = {
        "NetworkAclId": acl_id, "RuleNumber": entry.rule_number, "Protocol": entry.protocol,
        "RuleAction": entry.action, "Egress": True, "CidrBlock": entry.cidr or ANYWHERE,
    }  # fmt: skip
    if entry.from_port is not None and entry.to_port is not None:
        params["PortRange"] = {"From": entry.from_port, "To": entry.to_port}
    return params


# --- the service's network configuration ------------------------------------------------------


def awsvpc(network: NetworkConfig, **changes: object) -> dict[str, Any]:
    """The service's networkConfiguration parameter, with `changes` applied."""
    config: dict[str, Any] = {
        "subnets": list(network.subnets),
        "securityGroups": list(network.security_groups),
        "assignPublicIp": network.assign_public_ip or "DISABLED",
    }
    config.update(changes)
    return {"awsvpcConfiguration": config}


def plan_public_ip(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Give tasks in internet-routed public subnets a public IP (A2: they become addressable)."""
    network = snapshot.service.network
    if network is None or network.assign_public_ip == "ENABLED":
        return None
    before, after = awsvpc(network), awsvpc(network, assignPublicIp="ENABLED")
    return make_action(
        finding.code, "Update the service with assignPublicIp ENABLED and redeploy", "A2",
        (_update_network(snapshot, after, force=True),),
        rollback=(_update_network(snapshot, before, force=True),),
        diff=config_diff("service.networkConfiguration", before, after),
        expected_effect="new tasks get a public IP and reach ECR through the internet gateway",
        risk="tasks become internet-addressable; their security group must restrict ingress",
    )  # fmt: skip


def _update_network(snapshot: ServiceSnapshot, config: dict[str, Any], *, force: bool) -> ApiCall:
    params = {
        "cluster": snapshot.cluster_arn,
        "service": snapshot.service.name,
        "networkConfiguration": config,
        "forceNewDeployment": force,
    }
    return ApiCall("ecs", "UpdateService", params)


# --- VPC endpoints ----------------------------------------------------------------------------


def plan_vpc_endpoint(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Turn on Private DNS, or reset a restrictive policy, on the endpoints the evidence names."""
    named = set(event_ids(finding))
    endpoints = [e for e in snapshot.network.vpc_endpoints if e.id in named]
    steps: list[ApiCall] = []
    rollback: list[ApiCall] = []
    diffs: list[str] = []
    for endpoint in endpoints:
        change = _endpoint_change(endpoint)
        if change is not None:
            steps.append(change[0])
            rollback.append(change[1])
            diffs.append(change[2])
    if not steps:
        return None
    return make_action(
        finding.code, f"Repair VPC endpoint {', '.join(e.id for e in endpoints)} and redeploy",
        "A2", (*steps, force_deploy(snapshot)), rollback=tuple(rollback),
        diff="\n".join(diffs),
        expected_effect="the tasks' AWS calls resolve to the endpoint and are allowed through it",
        risk="an endpoint's default policy allows any principal of the VPC to use the service",
    )  # fmt: skip


def _endpoint_change(endpoint: VpcEndpoint) -> tuple[ApiCall, ApiCall, str] | None:
    key = {"VpcEndpointId": endpoint.id}
    if endpoint.endpoint_type == "Interface" and endpoint.private_dns_enabled is False:
        return (
            ApiCall("ec2", "ModifyVpcEndpoint", {**key, "PrivateDnsEnabled": True}),
            ApiCall("ec2", "ModifyVpcEndpoint", {**key, "PrivateDnsEnabled": False}),
            config_diff(endpoint.id, {"PrivateDnsEnabled": False}, {"PrivateDnsEnabled": True}),
        )
    if endpoint.policy_document and not _allows_all(endpoint.policy_document):
        old_text = endpoint.policy_document
        default = json.dumps(DEFAULT_ENDPOINT_POLICY)
        return (
            ApiCall("ec2", "ModifyVpcEndpoint", {**key, "PolicyDocument": default}),
            ApiCall("ec2", "ModifyVpcEndpoint", {**key, "PolicyDocument": old_text}),
            config_diff(f"{endpoint.id} policy", json.loads(old_text), DEFAULT_ENDPOINT_POLICY),
        )
    return None


def _allows_all(document: str) -> bool:
    """Whether an endpoint policy is the default full-access one."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    return any(s.get("Effect") == "Allow" and s.get("Action") in ("*", ["*"]) for s in statements)
