"""Builds a scenario's `account:` section (lab/account_spec.py) on top of the default account.

Runs inside AccountBuilder.build, after the network, registry, roles and logs and before the
service: it changes the account through the AWS API (in-process clients, lab/inprocess.py)
the way infrastructure code would, then registers the task definition revision that uses the
new roles, secrets and options. Names are made unique per scenario with {cluster}.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from ecs_medic.lab import _moto_ec2, _moto_iam, builder_fargate, external, inprocess
from ecs_medic.lab.account_spec import AccountSpec, ImageSpec, KeySpec, RoleSpec, SecretSpec
from ecs_medic.lab.iam_policy import trust_policy

GIB = 1024**3
_ENDPOINT_SG = "endpoints"
_INTERFACE_FIELDS = ("family", "taskRoleArn", "executionRoleArn", "networkMode",
                     "containerDefinitions", "volumes", "placementConstraints",
                     "requiresCompatibilities", "cpu", "memory", "runtimePlatform",
                     "ephemeralStorage", "pidMode", "ipcMode", "proxyConfiguration")  # fmt: skip


class Builder(Protocol):
    """What this module needs from lab/builder.py's AccountBuilder."""

    account_id: str
    region: str

    def repository(self, scenario: Any, name: str) -> str:
        """The lab's repository name for a scenario's repository."""
        ...


@dataclass
class Built:
    """What the section created: resolved names for the task definition revision."""

    spec: AccountSpec
    fill: dict[str, str]
    roles: dict[str, str] = field(default_factory=dict)  # spec name -> ARN
    secrets: dict[str, str] = field(default_factory=dict)  # spec name -> ARN
    parameters: dict[str, str] = field(default_factory=dict)  # spec name -> ARN


class AccessBuilder:
    """Applies one scenario's `account:` section."""

    def __init__(self, builder: Builder, scenario: Any) -> None:
        self.builder, self.scenario = builder, scenario
        self.spec: AccountSpec = scenario.account
        self.fill = {
            "account": builder.account_id,
            "region": builder.region,
            "cluster": scenario.service.cluster,
            "service": scenario.service.name,
        }
        self.built = Built(self.spec, self.fill)

    def api(self, service: str) -> Any:
        """An in-process client for the lab account."""
        return inprocess.client(self.builder.account_id, self.builder.region, service)

    def text(self, value: str) -> str:
        """Fill {account}, {region}, {cluster} and {service} in a string."""
        for key, replacement in self.fill.items():
            value = value.replace("{" + key + "}", replacement)
        return value

    def apply(self, network: dict[str, Any]) -> None:
        """Create everything the section declares; `network` is the builder's (mutated)."""
        _moto_iam.define_managed_policies(self.builder.account_id)
        _moto_ec2.install()
        _moto_iam.install()
        if self.spec.service_linked_role:
            self._service_linked_role()
        NetworkChanges(self, network).apply()
        builder_fargate.apply(
            self.builder.account_id, self.builder.region, self.fill["cluster"], self.spec.fargate
        )
        keys = {k.alias: self._key(k) for k in self.spec.kms_keys}
        for role in self.spec.roles:
            self.built.roles[role.name] = self._role(role)
        for secret in self.spec.secrets:
            self.built.secrets[secret.name] = self._secret(secret, keys)
        for parameter in self.spec.parameters:
            self.built.parameters[parameter.name] = self._parameter(parameter, keys)
        for repository, policy in self.spec.repository_policies:
            self.api("ecr").set_repository_policy(
                repositoryName=self.builder.repository(self.scenario, repository),
                policyText=self.text(policy),
            )
        for image in self.spec.images:
            self._push(image)
        external.register(self.builder.account_id, id(self.builder), self.spec.external_images)

    # --- IAM, KMS, secrets ------------------------------------------------------------------

    def _role(self, role: RoleSpec) -> str:
        iam, name = self.api("iam"), self.text(role.name)
        trust = trust_policy(list(role.trust))
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        for managed in role.managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=_moto_iam.managed_policy_arn(managed))
        for policy_name, document in role.inline:
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=self.text(document)
            )
        return str(arn)

    def _service_linked_role(self) -> None:
        """AWSServiceRoleForECS, which ECS creates in any account the first time it is used."""
        iam = self.api("iam")
        try:
            iam.get_role(RoleName=_moto_iam.SERVICE_LINKED_ROLE)
        except iam.exceptions.NoSuchEntityException:
            iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")

    def _key(self, key: KeySpec) -> str:
        kms = self.api("kms")
        key_id = str(kms.create_key(Description=f"lab key {key.alias}")["KeyMetadata"]["KeyId"])
        alias = f"alias/{self.text(key.alias)}"
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        if not key.delegate_to_iam:
            admin = f"arn:aws:iam::{self.builder.account_id}:role/{self.fill['cluster']}-key-admin"
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "KeyAdministrators", "Effect": "Allow",
                     "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}
                ],
            }  # fmt: skip
            kms.put_key_policy(
                KeyId=key_id, PolicyName="default", Policy=json.dumps(policy),
                BypassPolicyLockoutSafetyCheck=True,
            )  # fmt: skip
        return alias

    def _secret(self, secret: SecretSpec, keys: dict[str, str]) -> str:
        options: dict[str, Any] = {}
        if secret.kms_key:
            options["KmsKeyId"] = keys[secret.kms_key]
        created = self.api("secretsmanager").create_secret(
            Name=self.text(secret.name), SecretString=self.text(secret.value), **options
        )
        return str(created["ARN"])

    def _parameter(self, parameter: SecretSpec, keys: dict[str, str]) -> str:
        ssm, name = self.api("ssm"), self.text(parameter.name)
        options: dict[str, Any] = {"Type": "SecureString" if parameter.secure else "String"}
        if parameter.kms_key:
            options["KeyId"] = keys[parameter.kms_key]
        ssm.put_parameter(Name=name, Value=self.text(parameter.value), **options)
        return str(ssm.get_parameter(Name=name)["Parameter"]["ARN"])

    def _push(self, image: ImageSpec) -> None:
        repository = self.builder.repository(self.scenario, image.repository)
        manifest = (
            _manifest_list(repository, image) if image.platforms else _manifest(repository, image)
        )
        self.api("ecr").put_image(
            repositoryName=repository, imageManifest=manifest, imageTag=image.tag
        )

    # --- the task definition revision -------------------------------------------------------

    def revise(self, definition_arn: str) -> str:
        """Register the revision the section asks for; the same ARN when it asks nothing."""
        spec = self.spec.task_definition
        if spec == type(spec)() and self.spec.log_group:
            return definition_arn
        ecs = self.api("ecs")
        current = ecs.describe_task_definition(taskDefinition=definition_arn)["taskDefinition"]
        revision = {k: current[k] for k in _INTERFACE_FIELDS if current.get(k) is not None}
        self._revise_roles(revision)
        if spec.cpu_architecture:
            revision["runtimePlatform"] = {
                "cpuArchitecture": spec.cpu_architecture,
                "operatingSystemFamily": "LINUX",
            }
        if spec.ephemeral_gib:
            revision["ephemeralStorage"] = {"sizeInGiB": spec.ephemeral_gib}
        revision["containerDefinitions"] = [
            self._revise_container(c) for c in revision["containerDefinitions"]
        ]
        registered = ecs.register_task_definition(**revision)["taskDefinition"]
        ecs.deregister_task_definition(taskDefinition=definition_arn)
        return str(registered["taskDefinitionArn"])

    def _revise_roles(self, revision: dict[str, Any]) -> None:
        spec = self.spec.task_definition
        for key, name in (("executionRoleArn", spec.execution_role),
                          ("taskRoleArn", spec.task_role)):  # fmt: skip
            if name is not None:
                revision[key] = self.built.roles.get(name) or self.text(name)

    def _revise_container(self, container: dict[str, Any]) -> dict[str, Any]:
        extras = next(
            (c for c in self.spec.task_definition.containers if c.name == container["name"]), None
        )
        options = container.get("logConfiguration", {}).get("options")
        if options is not None and not self.spec.log_group:
            options["awslogs-group"] = f"/ecs/{self.fill['cluster']}-{self.fill['service']}"
        if extras is None:
            return container
        if extras.secrets:
            container["secrets"] = [
                {"name": name, "valueFrom": self._value_from(ref)} for name, ref in extras.secrets
            ]
        if options is not None:
            options.update({k: self.text(v) for k, v in extras.log_options})
        if extras.image:
            container["image"] = self.text(extras.image)
        if extras.repository_credentials:
            arn = self._value_from(extras.repository_credentials)
            container["repositoryCredentials"] = {"credentialsParameter": arn}
        return container

    def _value_from(self, ref: str) -> str:
        kind, _, name = ref.partition(":")
        if kind == "secret" and name in self.built.secrets:
            return self.built.secrets[name]
        if kind == "parameter" and name in self.built.parameters:
            return self.built.parameters[name]
        return self.text(ref)


class NetworkChanges:
    """The `network:` part: NAT route, task subnets, endpoints, egress rules, NACL."""

    def __init__(self, access: AccessBuilder, network: dict[str, Any]) -> None:
        self.access, self.network = access, network
        self.spec = access.spec.network
        self.ec2 = access.api("ec2")

    def apply(self) -> None:
        """Change the default network as the section says."""
        if not self.spec.nat:
            self._remove_nat()
        if self.spec.task_subnets == "public":
            self.network["private"] = list(self.network["public"])
        if self.spec.task_subnets == "small":
            self.network["private"] = self._small_subnets()
        if self.spec.task_subnets == "zone-e":
            self.network["private"] = self._zone_e_subnets()
        if self.spec.task_subnets == "zone-a":  # pinned to one zone (lab/builder_fargate.py)
            self.network["private"] = self.network["private"][:1]
        if self.spec.task_subnets == "three-zones":
            self.network["private"] = builder_fargate.third_zone_subnets(
                self.ec2, self.network, self.access.fill["cluster"], self.access.builder.region
            )
        if self.spec.endpoints:
            self._endpoints()
        if self.spec.task_egress_ports is not None:
            self._egress(self.spec.task_egress_ports)
        if self.spec.nacl_deny_egress_ports:
            self._nacl(self.spec.nacl_deny_egress_ports)

    def _tables(self, subnets: list[str]) -> list[str]:
        by_subnet = [{"Name": "association.subnet-id", "Values": subnets}]
        found = self.ec2.describe_route_tables(Filters=by_subnet)["RouteTables"]
        return [t["RouteTableId"] for t in found]

    def _small_subnets(self) -> list[str]:
        """Two /28 task subnets on the private route table, every address held by a leaked ENI."""
        vpc, cluster = self.network["vpc"], self.access.fill["cluster"]
        base = self.ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"].rsplit(".", 2)[0]
        table = self._tables(self.network["private"][:1])[0]
        subnets = []
        for index, zone in enumerate("ab"):
            subnet = self.ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"{base}.20.{16 * index}/28",
                AvailabilityZone=f"{self.access.builder.region}{zone}",
                TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                    {"Key": "Name", "Value": f"{cluster}-tasks-{zone}"}]}],
            )["Subnet"]  # fmt: skip
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["SubnetId"])
            for _ in range(int(subnet["AvailableIpAddressCount"])):
                self.ec2.create_network_interface(
                    SubnetId=subnet["SubnetId"], Description="AWS Lambda VPC ENI-batch-export"
                )
            subnets.append(str(subnet["SubnetId"]))
        return subnets

    def _zone_e_subnets(self) -> list[str]:
        """A private subnet in us-east-1e (no Fargate there), on the private route table."""
        vpc, cluster = self.network["vpc"], self.access.fill["cluster"]
        base = self.ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"].rsplit(".", 2)[0]
        subnet = self.ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"{base}.14.0/24",
            AvailabilityZone=f"{self.access.builder.region}e",
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                {"Key": "Name", "Value": f"{cluster}-apps-e"}]}],
        )["Subnet"]["SubnetId"]  # fmt: skip
        table = self._tables(self.network["private"][:1])[0]
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return [str(subnet)]

    def _remove_nat(self) -> None:
        for table in self._tables(self.network["private"]):
            self.ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
        by_vpc = [{"Name": "vpc-id", "Values": [self.network["vpc"]]}]
        for nat in self.ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"]:
            self.ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])

    def _endpoints(self) -> None:
        vpc, subnets = self.network["vpc"], self.network["private"]
        group = self.endpoint_group()
        for endpoint in self.spec.endpoints:
            name = f"com.amazonaws.{self.access.builder.region}.{endpoint.service}"
            options: dict[str, Any] = {}
            if endpoint.policy:
                options["PolicyDocument"] = self.access.text(endpoint.policy)
            if endpoint.service == "s3":
                self.ec2.create_vpc_endpoint(
                    VpcId=vpc, ServiceName=name, VpcEndpointType="Gateway",
                    RouteTableIds=self._tables(subnets), **options,
                )  # fmt: skip
                continue
            self.ec2.create_vpc_endpoint(
                VpcId=vpc, ServiceName=name, VpcEndpointType="Interface", SubnetIds=subnets,
                SecurityGroupIds=[group], PrivateDnsEnabled=endpoint.private_dns, **options,
            )  # fmt: skip

    def endpoint_group(self) -> str:
        """A security group for interface endpoints: HTTPS from the VPC."""
        cluster = self.access.fill["cluster"]
        group = self.ec2.create_security_group(
            GroupName=f"{cluster}-{_ENDPOINT_SG}", Description="VPC endpoints: HTTPS from the VPC",
            VpcId=self.network["vpc"],
        )["GroupId"]  # fmt: skip
        cidr = self.ec2.describe_vpcs(VpcIds=[self.network["vpc"]])["Vpcs"][0]["CidrBlock"]
        self.ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                            "IpRanges": [{"CidrIp": cidr}]}],
        )  # fmt: skip
        return str(group)

    def _egress(self, ports: tuple[int, ...]) -> None:
        task_sg = self.network["task_sg"]
        everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        self.ec2.revoke_security_group_egress(GroupId=task_sg, IpPermissions=everything)
        if ports:
            self.ec2.authorize_security_group_egress(
                GroupId=task_sg,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                    for p in ports
                ],
            )  # fmt: skip

    def _nacl(self, ports: tuple[int, ...]) -> None:
        acl = self.ec2.create_network_acl(
            VpcId=self.network["vpc"],
            TagSpecifications=[{"ResourceType": "network-acl", "Tags": [
                {"Key": "Name", "Value": f"{self.access.fill['cluster']}-private-acl"}]}],
        )["NetworkAcl"]["NetworkAclId"]  # fmt: skip
        entries: list[tuple[int, bool, str, int | None]]
        entries = [(100 + i, True, "deny", p) for i, p in enumerate(ports)]
        entries += [(200, True, "allow", None), (100, False, "allow", None)]
        for number, egress, action, port in entries:
            options: dict[str, Any] = {"Protocol": "-1"}
            if port is not None:
                options = {"Protocol": "6", "PortRange": {"From": port, "To": port}}
            self.ec2.create_network_acl_entry(
                NetworkAclId=acl, RuleNumber=number, Egress=egress, RuleAction=action,
                CidrBlock="0.0.0.0/0", **options,
            )  # fmt: skip
        by_subnet = [{"Name": "association.subnet-id", "Values": self.network["private"]}]
        for current in self.ec2.describe_network_acls(Filters=by_subnet)["NetworkAcls"]:
            for association in current["Associations"]:
                if association["SubnetId"] in self.network["private"]:
                    self.ec2.replace_network_acl_association(
                        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
                    )


# --- image manifests ----------------------------------------------------------------------


def _digest(seed: str) -> str:
    return f"sha256:{hashlib.sha256(seed.encode()).hexdigest()}"


def _manifest(repository: str, image: ImageSpec) -> str:
    """A Docker v2 manifest whose layers add up to the image's size."""
    total = int(image.size_gib * GIB)
    count = max(1, min(8, total // GIB))
    layers = [
        {
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": total // count + (total % count if i == 0 else 0),
            "digest": _digest(f"{repository}:{image.tag}:layer{i}"),
        }
        for i in range(count)
    ]
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": _digest(f"{repository}:{image.tag}:config")},
        "layers": layers,
    })  # fmt: skip


def _manifest_list(repository: str, image: ImageSpec) -> str:
    """A manifest list (multi-platform index) with one entry per platform."""
    manifests = []
    for platform in image.platforms:
        os_name, _, architecture = platform.partition("/")
        manifests.append({
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "size": 1570,
            "digest": _digest(f"{repository}:{image.tag}:{platform}"),
            "platform": {"architecture": architecture, "os": os_name},
        })  # fmt: skip
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": manifests,
    })  # fmt: skip
