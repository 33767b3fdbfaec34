"""The account builder: a realistic Fargate service behind an ALB, created through the AWS API.

Everything is created with boto3 against the lab's endpoint, exactly as a user's
infrastructure code would, so the diagnosis reads ordinary AWS resources.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from ecs_medic.lab import _moto_iam, builder_ec2
from ecs_medic.lab.builder_access import AccessBuilder
from ecs_medic.lab.builder_scaling import apply_autoscaling
from ecs_medic.lab.iam_policy import trust_policy
from ecs_medic.lab.scenario import ContainerSpec, Scenario

EXECUTION_ROLE = "ecsTaskExecutionRole"
_TRUST = trust_policy("ecs-tasks.amazonaws.com")
# AmazonECSTaskExecutionRolePolicy's statements, attached inline to the lab's execution role.
_EXECUTION_POLICY = _moto_iam.MANAGED["AmazonECSTaskExecutionRolePolicy"][1]


@dataclass(frozen=True, slots=True)
class BuiltService:
    """What the builder created for one scenario."""

    scenario: Scenario
    cluster: str
    service: str
    service_arn: str
    target_group_arn: str
    load_balancer_dns: str
    log_group: str


class AccountBuilder:
    """Creates one scenario's resources in the lab account."""

    def __init__(self, endpoint_url: str, region: str, *, prefixed: bool) -> None:
        self.region = region
        self.prefixed = prefixed  # several scenarios: repositories and families carry the cluster
        config = Config(retries={"max_attempts": 1, "mode": "standard"})
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
            region_name=region,
        )
        self._clients = {
            name: session.client(name, endpoint_url=endpoint_url, config=config)
            for name in ("ec2", "elbv2", "ecr", "iam", "logs", "ecs", "sts", "autoscaling")
        }
        self.account_id = str(self._client("sts").get_caller_identity()["Account"])

    def _client(self, name: str) -> Any:
        return self._clients[name]

    def build(self, scenario: Scenario, index: int) -> BuiltService:
        """Create the network, load balancer, registry, roles, logs, cluster and service."""
        spec = scenario.service
        port = scenario.containers[0].port
        network = self._network(spec.cluster, index, port, alb_ingress=spec.alb_ingress)
        group_arn, dns = (
            self._load_balancer(scenario, network, port) if spec.load_balancer else ("", "")
        )
        self._registry(scenario)
        execution_role, task_role = self._roles(spec.cluster, spec.name)
        if scenario.account.service_linked_role:  # a scenario may lack it (account_spec.py)
            self._service_linked_role()
        log_group = self._log_group(spec.name)
        access = AccessBuilder(self, scenario)
        access.apply(network)  # the scenario's `account:` section
        self._client("ecs").create_cluster(
            clusterName=spec.cluster, settings=[{"name": "containerInsights", "value": "enabled"}]
        )
        if scenario.ec2 is not None:  # container instances from an Auto Scaling group
            builder_ec2.Ec2Builder(self, scenario, scenario.ec2).apply(network)
        definition = access.revise(
            self._task_definition(scenario, execution_role, task_role, log_group)
        )
        arn = self._service(scenario, definition, network, group_arn)
        if scenario.autoscaling is not None:
            apply_autoscaling(
                self.account_id, self.region, spec.cluster, spec.name, scenario.autoscaling
            )
        return BuiltService(scenario, spec.cluster, spec.name, arn, group_arn, dns, log_group)

    # --- network --------------------------------------------------------------------------

    def _network(
        self, cluster: str, index: int, port: int, *, alb_ingress: bool = True
    ) -> dict[str, Any]:
        ec2 = self._client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock=f"10.{index}.0.0/16", TagSpecifications=_tags("vpc", f"{cluster}-vpc")
        )
        vpc_id = vpc["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        zones = (f"{self.region}a", f"{self.region}b")
        public = [
            self._subnet(vpc_id, f"10.{index}.{i}.0/24", z, f"{cluster}-public-{z[-1]}")
            for i, z in enumerate(zones)
        ]
        private = [
            self._subnet(vpc_id, f"10.{index}.{10 + i}.0/24", z, f"{cluster}-private-{z[-1]}")
            for i, z in enumerate(zones)
        ]
        for subnet in public:
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        gateway = self._internet_gateway(vpc_id, cluster)
        self._route_table(vpc_id, f"{cluster}-public", public, GatewayId=gateway)
        nat = self._nat_gateway(public[0], cluster)
        self._route_table(vpc_id, f"{cluster}-private", private, NatGatewayId=nat)
        alb_sg, task_sg = self._security_groups(vpc_id, cluster, port, alb_ingress=alb_ingress)
        return {
            "vpc": vpc_id,
            "public": public,
            "private": private,
            "alb_sg": alb_sg,
            "task_sg": task_sg,
        }

    def _subnet(self, vpc_id: str, cidr: str, zone: str, name: str) -> str:
        subnet = self._client("ec2").create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=_tags("subnet", name),
        )
        return str(subnet["Subnet"]["SubnetId"])

    def _internet_gateway(self, vpc_id: str, cluster: str) -> str:
        ec2 = self._client("ec2")
        gateway = ec2.create_internet_gateway(
            TagSpecifications=_tags("internet-gateway", f"{cluster}-igw")
        )
        gateway_id = str(gateway["InternetGateway"]["InternetGatewayId"])
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
        return gateway_id

    def _nat_gateway(self, subnet: str, cluster: str) -> str:
        ec2 = self._client("ec2")
        address = ec2.allocate_address(Domain="vpc")
        nat = ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=address["AllocationId"],
            TagSpecifications=_tags("natgateway", f"{cluster}-nat"),
        )
        return str(nat["NatGateway"]["NatGatewayId"])

    def _route_table(self, vpc_id: str, name: str, subnets: list[str], **target: str) -> None:
        ec2 = self._client("ec2")
        table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags("route-table", name))
        table_id = table["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
        for subnet in subnets:
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)

    def _security_groups(
        self, vpc_id: str, cluster: str, port: int, *, alb_ingress: bool = True
    ) -> tuple[str, str]:
        ec2 = self._client("ec2")
        alb = ec2.create_security_group(
            GroupName=f"{cluster}-alb", Description="ALB: HTTP from the internet", VpcId=vpc_id
        )
        task = ec2.create_security_group(
            GroupName=f"{cluster}-tasks", Description="Tasks: traffic from the ALB", VpcId=vpc_id
        )
        alb_id, task_id = str(alb["GroupId"]), str(task["GroupId"])
        ec2.authorize_security_group_ingress(
            GroupId=alb_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 80,
                    "ToPort": 80,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        allowed = port if alb_ingress else 443  # a plausible slip: the rule opens the wrong port
        ec2.authorize_security_group_ingress(
            GroupId=task_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": allowed,
                    "ToPort": allowed,
                    "UserIdGroupPairs": [{"GroupId": alb_id}],
                }
            ],
        )
        return alb_id, task_id

    # --- load balancer --------------------------------------------------------------------

    def _load_balancer(
        self, scenario: Scenario, network: dict[str, Any], port: int
    ) -> tuple[str, str]:
        elbv2 = self._client("elbv2")
        base = f"{scenario.service.cluster}-{scenario.service.name}"[:28].rstrip("-")  # no "--"
        balancer = elbv2.create_load_balancer(
            Name=f"{base}-alb",
            Subnets=network["public"],
            SecurityGroups=[network["alb_sg"]],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
        )["LoadBalancers"][0]
        group = elbv2.create_target_group(
            Name=f"{base}-tg",
            Protocol="HTTP",
            Port=port,
            VpcId=network["vpc"],
            TargetType="ip",
            HealthCheckProtocol="HTTP",
            HealthCheckPath=scenario.service.health_check_path,
            HealthCheckPort=scenario.service.health_check_port,
            HealthCheckIntervalSeconds=15,
            HealthCheckTimeoutSeconds=5,
            HealthyThresholdCount=3,
            UnhealthyThresholdCount=2,
            Matcher={"HttpCode": "200"},
        )["TargetGroups"][0]
        elbv2.modify_target_group_attributes(
            TargetGroupArn=group["TargetGroupArn"],
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
        )
        if scenario.service.listener:
            elbv2.create_listener(
                LoadBalancerArn=balancer["LoadBalancerArn"],
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
            )
        return str(group["TargetGroupArn"]), str(balancer["DNSName"])

    # --- registry, roles, logs ------------------------------------------------------------

    def repository(self, scenario: Scenario, name: str) -> str:
        """The lab's repository name for a scenario's repository."""
        return f"{scenario.service.cluster}/{name}" if self.prefixed else name

    def image_uri(self, scenario: Scenario, container: ContainerSpec) -> str:
        """The full ECR image reference for a container's `repository:tag`."""
        name, _, tag = container.image.rpartition(":")
        repository = self.repository(scenario, name or container.image)
        return (
            f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{repository}:{tag or 'latest'}"
        )

    def _registry(self, scenario: Scenario) -> None:
        ecr = self._client("ecr")
        for name, tags in scenario.registry:
            repository = self.repository(scenario, name)
            ecr.create_repository(
                repositoryName=repository, imageScanningConfiguration={"scanOnPush": True}
            )
            for tag in tags:
                ecr.put_image(
                    repositoryName=repository,
                    imageManifest=_manifest(repository, tag),
                    imageTag=tag,
                )

    def _roles(self, cluster: str, service: str) -> tuple[str, str]:
        iam = self._client("iam")
        try:
            execution = iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            execution = iam.create_role(
                RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(_TRUST)
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=EXECUTION_ROLE,
                PolicyName="AmazonECSTaskExecutionRolePolicy",
                PolicyDocument=json.dumps(_EXECUTION_POLICY),
            )
        task_role = f"{cluster}-{service}-task-role"
        try:  # IAM is global: the same service in a second region shares its task role
            task = iam.get_role(RoleName=task_role)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            task = iam.create_role(RoleName=task_role, AssumeRolePolicyDocument=json.dumps(_TRUST))[
                "Role"
            ]["Arn"]
        return str(execution), str(task)

    def _service_linked_role(self) -> None:
        """AWSServiceRoleForECS, which exists in every account that has used ECS."""
        iam = self._client("iam")
        try:
            iam.get_role(RoleName="AWSServiceRoleForECS")
        except iam.exceptions.NoSuchEntityException:
            trust = trust_policy("ecs.amazonaws.com")
            iam.create_role(
                RoleName="AWSServiceRoleForECS",
                Path="/aws-service-role/ecs.amazonaws.com/",
                AssumeRolePolicyDocument=json.dumps(trust),
            )

    def _log_group(self, service: str) -> str:
        logs = self._client("logs")
        name = f"/ecs/{service}"
        if not logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]:
            logs.create_log_group(logGroupName=name)
            logs.put_retention_policy(logGroupName=name, retentionInDays=30)
        return name

    # --- ECS ------------------------------------------------------------------------------

    def _task_definition(
        self, scenario: Scenario, execution_role: str, task_role: str, log_group: str
    ) -> str:
        spec = scenario.service
        family = f"{spec.cluster}-{spec.name}" if self.prefixed else spec.name
        response = self._client("ecs").register_task_definition(
            family=family,
            **builder_ec2.task_definition_fields(scenario.ec2),
            cpu=str(spec.cpu),
            memory=str(spec.memory),
            executionRoleArn=execution_role,
            taskRoleArn=task_role,
            runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
            containerDefinitions=[
                self._container(scenario, c, log_group) for c in scenario.containers
            ],
        )
        return str(response["taskDefinition"]["taskDefinitionArn"])

    def _container(
        self, scenario: Scenario, container: ContainerSpec, log_group: str
    ) -> dict[str, Any]:
        return _process(container) | {
            "name": container.name,
            "image": self.image_uri(scenario, container),
            "essential": container.essential,
            "portMappings": [builder_ec2.port_mapping(scenario.ec2, container.port)],
            "environment": [{"name": k, "value": v} for k, v in container.environment],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": self.region,
                    "awslogs-stream-prefix": "ecs",
                },
            },
        }

    def _service(
        self, scenario: Scenario, definition: str, network: dict[str, Any], group_arn: str
    ) -> str:
        spec = scenario.service
        response = self._client("ecs").create_service(
            cluster=spec.cluster,
            serviceName=spec.name,
            taskDefinition=definition,
            desiredCount=spec.desired,
            schedulingStrategy="REPLICA",
            deploymentController={"type": "ECS"},
            propagateTags="SERVICE",
            enableECSManagedTags=True,
            **_service_options(scenario, group_arn),
            **builder_ec2.service_fields(scenario.ec2, network),
            deploymentConfiguration={
                "deploymentCircuitBreaker": {
                    "enable": spec.circuit_breaker,
                    "rollback": spec.rollback,
                },
                "maximumPercent": spec.max_percent,
                "minimumHealthyPercent": spec.min_healthy_percent,
            },
        )
        return str(response["service"]["serviceArn"])


def _service_options(scenario: Scenario, group_arn: str) -> dict[str, Any]:
    """Launch type, load balancer and grace period, as the scenario configures them."""
    spec = scenario.service
    options = builder_ec2.launch_fields(scenario.ec2, spec.cluster, spec.launch_type)
    if spec.launch_type == "FARGATE":
        options["platformVersion"] = spec.platform_version
    if group_arn:
        first = scenario.containers[0]
        options["loadBalancers"] = [
            {"targetGroupArn": group_arn, "containerName": first.name, "containerPort": first.port}
        ]
    if spec.grace_period_s is not None:
        options["healthCheckGracePeriodSeconds"] = spec.grace_period_s
    return options


def _process(container: ContainerSpec) -> dict[str, Any]:
    """entryPoint, command and healthCheck of a container definition, when the scenario has them."""
    fields: dict[str, Any] = {}
    if container.entry_point:
        fields["entryPoint"] = list(container.entry_point)
    if container.command:
        fields["command"] = list(container.command)
    if container.health_check:
        fields["healthCheck"] = {
            "command": list(container.health_check),
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        }
    return fields


def _tags(resource: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": "Name", "Value": name}]}]


def _manifest(repository: str, tag: str) -> str:
    """A Docker v2 image manifest whose config digest is unique to repository and tag."""
    seed = hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": f"sha256:{seed}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": f"sha256:{hashlib.sha256(seed.encode()).hexdigest()}",
                }
            ],
        }
    )
