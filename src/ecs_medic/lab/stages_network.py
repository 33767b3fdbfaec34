"""Stage 2 of a task's fate (LAB.md): the network path from the task's ENI to the registry.

A task reaches a registry through the internet (a public IP and an internet-gateway route, or
a NAT gateway route) or, for ECR, through the VPC endpoints ecr.api, ecr.dkr and the S3
gateway (image layers live in S3). Interface endpoints only answer the public names with
Private DNS on, and only to traffic their security groups admit; the task's security groups
and its subnet's network ACL must let 443 out (and the replies back in). The first gap decides
the failure and its catalogue evidence. `Reach` also serves the secrets and logs stages.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ecs_medic.lab.account_view import AccountView
from ecs_medic.lab.fate import PROVISIONING_S, ContainerEnd, Failure, LaunchContext

INTERNET_IP = "52.94.133.131"  # where public AWS endpoints and registries resolve in the lab
TIMEOUT_S = 60.0  # connection attempts time out before ECS gives up on the task
NETWORK_CONFIG = (
    "There is a connection issue between the task and Amazon ECR. "
    "Check your task network configuration."
)


def i_o_timeout(ip: str) -> str:
    """The Go dialer's error when nothing answers."""
    return f"dial tcp {ip}:443: i/o timeout"


@dataclass(frozen=True, slots=True)
class Route:
    """Whether a destination is reachable, and if not, which catalogue code explains it."""

    ok: bool
    code: str = ""  # NO_EGRESS_FOR_IMAGE_PULL, NO_PUBLIC_IP_IN_PUBLIC_SUBNET, ...
    ip: str = INTERNET_IP  # the address the connection went to


class Reach:
    """What one task's ENI can reach: the internet, and each AWS service through endpoints."""

    def __init__(
        self, view: AccountView, security_groups: tuple[str, ...], public_ip: bool
    ) -> None:
        self.view, self.security_groups, self.public_ip = view, security_groups, public_ip

    @cached_property
    def default_target(self) -> str:
        """The target of the subnet's 0.0.0.0/0 route ("" when there is none)."""
        for route in self.view.route_table.get("Routes", []):
            if (
                route.get("DestinationCidrBlock") == "0.0.0.0/0"
                and route.get("State") != "blackhole"
            ):
                return str(route.get("NatGatewayId") or route.get("GatewayId") or "")
        return ""

    @cached_property
    def internet(self) -> Route:
        """The internet: an IGW route with a public IP, or an available NAT gateway."""
        target = self.default_target
        routed = (target.startswith("igw-") and self.public_ip) or (
            target.startswith("nat-") and self.view.nat_available(target)
        )
        if not routed:
            code = (
                "NO_PUBLIC_IP_IN_PUBLIC_SUBNET"
                if target.startswith("igw-")
                else "NO_EGRESS_FOR_IMAGE_PULL"
            )
            return Route(False, code)
        if not self.egress_allows(INTERNET_IP) or not self.nacl_allows(INTERNET_IP):
            return Route(False, "TASK_EGRESS_BLOCKED")
        return Route(True)

    def service(self, short: str) -> Route:
        """An AWS service (`ecr.api`, `logs`...): through its endpoint, else the internet."""
        endpoint = self.view.endpoint(short)
        if endpoint is None:
            return self.internet
        ip = _endpoint_ip(self.view.vpc_cidr)
        if not endpoint.get("PrivateDnsEnabled"):
            # the public name still resolves to the public address: the internet decides
            return self.internet if self.internet.ok else Route(False, "VPC_ENDPOINT_MISCONFIG")
        if not self.egress_allows(ip, endpoint) or not self.nacl_allows(ip):
            return Route(False, "TASK_EGRESS_BLOCKED", ip)
        if not self._endpoint_admits(endpoint):
            return Route(False, "VPC_ENDPOINT_MISCONFIG", ip)
        return Route(True, ip=ip)

    def s3(self) -> Route:
        """S3 (ECR's layers): a gateway endpoint routed from the subnet, else the internet."""
        endpoint = self.view.endpoint("s3")
        if endpoint is not None and endpoint.get("VpcEndpointType") == "Gateway":
            routed = any(
                r.get("GatewayId") == endpoint["VpcEndpointId"]
                for r in self.view.route_table.get("Routes", [])
            )
            if routed and self._egress_any(
                lambda rule: bool(rule.get("PrefixListIds")) or _contains(rule, INTERNET_IP)
            ):
                return Route(True)
        if self.internet.ok:
            return Route(True)
        return Route(False, "ECR_LAYER_S3_UNREACHABLE")

    # --- security groups and ACLs ---------------------------------------------------------

    def egress_allows(self, ip: str, endpoint: dict[str, Any] | None = None) -> bool:
        """Whether some task security group lets TCP 443 out to `ip` (or to the endpoint's SG)."""
        endpoint_groups = {g["GroupId"] for g in (endpoint or {}).get("Groups", [])}

        def admits(rule: dict[str, Any]) -> bool:
            to_groups = {p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])}
            return _contains(rule, ip) or bool(to_groups & endpoint_groups)

        return self._egress_any(admits)

    def _egress_any(self, admits: Any) -> bool:
        for group in self.view.security_groups(self.security_groups):
            for rule in group.get("IpPermissionsEgress", []):
                if _covers_443(rule) and admits(rule):
                    return True
        return False

    def nacl_allows(self, ip: str) -> bool:
        """The subnet's ACL must allow 443 out to `ip` and the ephemeral-port replies back in."""
        return _acl(self.view.nacl_entries, egress=True, ip=ip, port=443) and _acl(
            self.view.nacl_entries, egress=False, ip=ip, port=49152
        )

    def _endpoint_admits(self, endpoint: dict[str, Any]) -> bool:
        """The endpoint's security groups must admit 443 from the task's groups or addresses."""
        groups = tuple(g["GroupId"] for g in endpoint.get("Groups", [])) or (
            self.view.default_security_group,
        )
        task_ip = _endpoint_ip(self.view.vpc_cidr, host=100)
        for group in self.view.security_groups(groups):
            for rule in group.get("IpPermissions", []):
                sources = {p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])}
                if _covers_443(rule) and (
                    _contains(rule, task_ip) or bool(sources & set(self.security_groups))
                ):
                    return True
        return False


def _covers_443(rule: dict[str, Any]) -> bool:
    protocol = str(rule.get("IpProtocol", "-1"))
    if protocol == "-1":
        return True
    low, high = rule.get("FromPort"), rule.get("ToPort")
    return protocol in {"tcp", "6"} and low is not None and int(low) <= 443 <= int(high or low)


def _contains(rule: dict[str, Any], ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(
        address in ipaddress.ip_network(r["CidrIp"], strict=False) for r in rule.get("IpRanges", [])
    )


def _acl(entries: tuple[dict[str, Any], ...], *, egress: bool, ip: str, port: int) -> bool:
    """The first matching rule by number decides; no rule at all allows (no ACL modelled)."""
    if not entries:
        return True
    address = ipaddress.ip_address(ip)
    for entry in sorted(entries, key=lambda e: int(e["RuleNumber"])):
        if bool(entry.get("Egress")) != egress or "CidrBlock" not in entry:
            continue
        if address not in ipaddress.ip_network(entry["CidrBlock"], strict=False):
            continue
        protocol = str(entry.get("Protocol", "-1"))
        ports = entry.get("PortRange") or {}
        if protocol not in {"-1", "6"}:
            continue
        if protocol == "6" and ports and not int(ports["From"]) <= port <= int(ports["To"]):
            continue
        return str(entry.get("RuleAction")) == "allow"
    return False


def _endpoint_ip(vpc_cidr: str, host: int = 200) -> str:
    """An address inside the VPC: where an interface endpoint's ENI (or a task) sits."""
    network = ipaddress.ip_network(vpc_cidr, strict=False)
    return str(network.network_address + 256 * 20 + host)


# --- the stage ----------------------------------------------------------------------------


def reach(ctx: LaunchContext) -> Reach | None:
    """The task's reach, or None when the lab has no account view for this launch."""
    if ctx.account is None:
        return None
    public = ctx.service.assign_public_ip == "ENABLED"
    return Reach(ctx.account, ctx.service.security_groups, public)


def check_registry_path(ctx: LaunchContext) -> Failure | None:
    """Every image's registry must be reachable: auth, manifest and layers (stage 2)."""
    paths = reach(ctx)
    if paths is None:
        return None
    for container in ctx.task_definition.containers:
        failure = _image_path(ctx, paths, container.name, container.image)
        if failure is not None:
            return failure
    return None


def _image_path(ctx: LaunchContext, paths: Reach, name: str, image: str) -> Failure | None:
    host = image.partition("/")[0]
    region = ctx.account.region if ctx.account else "us-east-1"
    if not host.endswith(".amazonaws.com"):
        route = paths.internet
        if route.ok:
            return None
        registry = host if "." in host else "registry-1.docker.io"
        reason = (
            f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {image}: failed to do request: Head "
            f'"https://{registry}/v2/": {i_o_timeout(route.ip)}'
        )
        return pull_failure(ctx, route.code, name, reason, container_reason=True)
    api = paths.service("ecr.api")
    if not api.ok:
        reason = (
            "ResourceInitializationError: unable to pull secrets or registry auth: The task "
            f"cannot pull registry auth from Amazon ECR: {NETWORK_CONFIG} operation error ECR: "
            "GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error "
            f'StatusCode: 0, RequestID: , request send failed, Post "https://api.ecr.{region}'
            f'.amazonaws.com/": {i_o_timeout(api.ip)}'
        )
        return pull_failure(ctx, api.code, name, reason, container_reason=False)
    dkr = paths.service("ecr.dkr")
    if not dkr.ok:
        repository = image.split("@", maxsplit=1)[0] if "@" in image else image.rsplit(":", 1)[0]
        reason = (
            f"CannotPullContainerError: The task cannot pull '{image}' from the Amazon ECR "
            f"repository '{repository}'. {NETWORK_CONFIG} {i_o_timeout(dkr.ip)}"
        )
        return pull_failure(ctx, dkr.code, name, reason, container_reason=True)
    if not paths.s3().ok:
        reason = (
            "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: "
            "httpReaderSeeker: failed open: unexpected status code "
            f"https://prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com/: 403 Forbidden"
        )
        return pull_failure(ctx, "ECR_LAYER_S3_UNREACHABLE", name, reason, container_reason=True)
    return None


def pull_failure(
    ctx: LaunchContext,
    code: str,
    container: str,
    reason: str,
    *,
    container_reason: bool,
    after_s: float = PROVISIONING_S + TIMEOUT_S,
) -> Failure:
    """A task that never starts: TaskFailedToStart, the reason on the task (and container)."""
    end = ContainerEnd(None, reason if container_reason else None)
    ends = tuple(
        (c.name, end if c.name == container else ContainerEnd(None))
        for c in ctx.task_definition.containers
    )
    return Failure(code, True, after_s, "TaskFailedToStart", reason, ends)


# --- stage 1: an address for the task's ENI -------------------------------------------------

ENI_TIMEOUT = "Timeout waiting for network interface provisioning to complete."


def check_subnet_capacity(ctx: LaunchContext) -> Failure | None:
    """The task's ENI needs a free address in its subnet (SUBNET_IP_EXHAUSTED)."""
    if ctx.account is None or ctx.account.free_addresses() >= 0:
        return None
    first = ctx.task_definition.containers[0].name
    return pull_failure(
        ctx, "SUBNET_IP_EXHAUSTED", first, ENI_TIMEOUT, container_reason=False,
        after_s=PROVISIONING_S + 30.0,
    )  # fmt: skip


UNSUPPORTED_FARGATE_ZONES = frozenset({"us-east-1e"})  # use1-az3 has no Fargate capacity
INTERNAL_ERROR = "(service {service}) was unable to place a task. Reason: Internal error."


def placement_refusal(view: AccountView, subnets: tuple[str, ...]) -> str | None:
    """Fargate cannot place a task when every subnet is in a zone it does not support."""
    zones = {view.subnet_zone(s) for s in subnets}
    return INTERNAL_ERROR if zones <= UNSUPPORTED_FARGATE_ZONES else None
