"""A hand-built account for collector tests: API-shaped answers, not the lab's names.

A Fargate service "ledger-api" in cluster "payments" (eu-west-1) with two containers, an
ECR image, a Docker Hub sidecar with registry credentials, three secrets (Secrets Manager
with a JSON key and a customer key, an SSM name, an SSM ARN), an ALB whose listener
forwards to the service only through a rule, and an interface endpoint. JSON shapes are the
ones an MCP transport returns: timestamps as ISO text or epoch milliseconds.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fake_gateway import Answer, FakeGateway

from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.context.target import Target

REGION = "eu-west-1"
ACCOUNT = "210987654321"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/payments"
SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/payments/ledger-api"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ledger-api:7"
TD_PREVIOUS = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ledger-api:6"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ledger/0123456789abcdef"
OTHER_TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/fedcba9876543210"
LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/edge/1111"
LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/edge/1111/2222"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ledger:2.0.1"
SIDECAR = "docker.io/example/envoy:1.30"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/ledger-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ledger-task"
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ledger/db-AbCdEf"
HUB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dockerhub-XyZ123"
CMK = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARAM_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ledger/feature-flags"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
TASK_SUBNETS = ["subnet-a1", "subnet-b2"]
LB_SUBNETS = ["subnet-pub1"]
VPC = "vpc-0ledger"
TARGET = Target("ledger-api", SERVICE, CLUSTER, REGION, ACCOUNT)

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def not_found(service: str, operation: str, code: str) -> GatewayError:
    """The error AWS gives for a resource that does not exist."""
    return GatewayError(f"{service}:{operation}", ErrorKind.NOT_FOUND, code, "not found")


def server_error(service: str, operation: str) -> GatewayError:
    """What moto answers for an operation it does not implement (HTTP 500)."""
    return GatewayError(f"{service}:{operation}", ErrorKind.ERROR, "500", "<html>500</html>")


def task(task_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """A described task of the service."""
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/payments/{task_id}",
        "taskDefinitionArn": TD,
        "lastStatus": status,
        "desiredStatus": status,
        "group": "service:ledger-api",
        "containers": [{"name": "app", "exitCode": extra.pop("exit_code", None)}],
        **extra,
    }


STOPPED = task(
    "aaa111",
    "STOPPED",
    stopCode="EssentialContainerExited",
    stoppedReason="Essential container in task exited",
    stoppedAt="2026-11-26T10:00:00Z",
    exit_code=137,
)
RUNNING = task("bbb222", "RUNNING")


def _list_tasks(params: dict[str, Any]) -> dict[str, Any]:
    assert params["serviceName"] == "ledger-api"
    chosen = STOPPED if params["desiredStatus"] == "STOPPED" else RUNNING
    return {"taskArns": [chosen["taskArn"]]}


def _describe_tasks(params: dict[str, Any]) -> dict[str, Any]:
    known = {t["taskArn"]: t for t in (STOPPED, RUNNING)}
    return {"tasks": [known[a] for a in params["tasks"]]}


def service() -> dict[str, Any]:
    """The DescribeServices entry."""
    return {
        "serviceName": "ledger-api",
        "serviceArn": SERVICE,
        "clusterArn": CLUSTER,
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 1,
        "pendingCount": 0,
        "launchType": "FARGATE",
        "taskDefinition": TD,
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "app", "containerPort": 9000}],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": TASK_SUBNETS,
                "securityGroups": ["sg-task"],
                "assignPublicIp": "DISABLED",
            }
        },
        "deployments": [
            {
                "id": "ecs-svc/1",
                "status": "PRIMARY",
                "taskDefinition": TD,
                "rolloutState": "IN_PROGRESS",
            }
        ],
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "events": [{"id": "e1", "createdAt": "2026-11-26T10:00:00Z", "message": "hello"}],
    }


def task_definition(arn: str = TD, revision: int = 7) -> dict[str, Any]:
    """The DescribeTaskDefinition answer of one revision."""
    logs = {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/svc/ledger", "awslogs-stream-prefix": "svc"},
    }
    return {
        "taskDefinition": {
            "taskDefinitionArn": arn,
            "family": "ledger-api",
            "revision": revision,
            "memory": "512",
            "networkMode": "awsvpc",
            "executionRoleArn": EXECUTION_ROLE,
            "taskRoleArn": TASK_ROLE,
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": IMAGE,
                    "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                    "secrets": [
                        {"name": "DB_USER", "valueFrom": f"{DB_SECRET}:username::"},
                        {"name": "DB_PASS", "valueFrom": f"{DB_SECRET}:password::"},
                        {"name": "API_TOKEN", "valueFrom": "/ledger/api-token"},
                        {"name": "FLAGS", "valueFrom": PARAM_ARN},
                    ],
                    "logConfiguration": logs,
                },
                {
                    "name": "envoy",
                    "image": SIDECAR,
                    "essential": False,
                    "repositoryCredentials": {"credentialsParameter": HUB_SECRET},
                    "logConfiguration": logs,
                },
            ],
        }
    }


def _task_definitions(params: dict[str, Any]) -> dict[str, Any]:
    ref = params["taskDefinition"]
    if ref == TD:
        return task_definition()
    if ref == "ledger-api:6":
        return task_definition(TD_PREVIOUS, 6)
    raise GatewayError(
        "ecs:DescribeTaskDefinition", ErrorKind.ERROR, "ClientException", "Unable to describe"
    )


def _subnets(params: dict[str, Any]) -> dict[str, Any]:
    zones = {"subnet-a1": "eu-west-1a", "subnet-b2": "eu-west-1b", "subnet-pub1": "eu-west-1a"}
    return {
        "Subnets": [
            {
                "SubnetId": s,
                "VpcId": VPC,
                "AvailabilityZone": zones[s],
                "CidrBlock": "10.1.0.0/24",
                "AvailableIpAddressCount": 3,
                "MapPublicIpOnLaunch": s.startswith("subnet-pub"),
            }
            for s in params["SubnetIds"]
        ]
    }


def _security_groups(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "SecurityGroups": [
            {
                "GroupId": g,
                "GroupName": g.removeprefix("sg-"),
                "VpcId": VPC,
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 9000,
                        "ToPort": 9000,
                        "UserIdGroupPairs": [{"GroupId": "sg-alb"}],
                    }
                ],
                "IpPermissionsEgress": [
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            }
            for g in params["GroupIds"]
        ]
    }


def _simulate(params: dict[str, Any]) -> dict[str, Any]:
    """Allow everything except kms:Decrypt; answer for each action on each resource."""
    return {
        "EvaluationResults": [
            {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": "implicitDeny" if action == "kms:Decrypt" else "allowed",
            }
            for action in params["ActionNames"]
            for resource in params["ResourceArns"]
        ],
        "IsTruncated": False,
    }


def _get_role(params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    if name == "AWSServiceRoleForECS":
        raise not_found("iam", "GetRole", "NoSuchEntity")
    path = "/service/" if name == "ledger-execution" else "/"
    return {
        "Role": {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
            # the raw IAM API returns the trust policy URL-encoded
            "AssumeRolePolicyDocument": quote(_json(TRUST)),
        }
    }


def _json(value: Any) -> str:
    import json  # noqa: PLC0415 - only the fake needs it

    return json.dumps(value)


def _role_list(key: str, value: list[Any]) -> Answer:
    def answer(params: dict[str, Any]) -> dict[str, Any]:
        if params["RoleName"] == "AWSServiceRoleForECS":
            raise not_found("iam", "ListRolePolicies", "NoSuchEntity")
        return {key: value if params["RoleName"] == "ledger-execution" else []}

    return answer


def _describe_secret(params: dict[str, Any]) -> dict[str, Any]:
    if params["SecretId"] == DB_SECRET:
        return {"ARN": f"{DB_SECRET}", "Name": "ledger/db", "KmsKeyId": CMK}
    raise not_found("secretsmanager", "DescribeSecret", "ResourceNotFoundException")


def _manifest_list() -> str:
    return _json(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"digest": "sha256:1", "platform": {"os": "linux", "architecture": "arm64"}},
                {"digest": "sha256:2", "platform": {"os": "unknown", "architecture": "unknown"}},
            ],
        }
    )


def answers() -> dict[tuple[str, str], Answer]:
    """Every answer of the account, keyed by (service, operation)."""
    return {
        ("ecs", "DescribeServices"): {"services": [service()]},
        ("ecs", "ListTasks"): _list_tasks,
        ("ecs", "DescribeTasks"): _describe_tasks,
        ("ecs", "DescribeTaskDefinition"): _task_definitions,
        ("ecs", "DescribeClusters"): {
            "clusters": [
                {
                    "clusterArn": CLUSTER,
                    "clusterName": "payments",
                    "status": "ACTIVE",
                    "settings": [{"name": "containerInsights", "value": "enabled"}],
                }
            ]
        },
        ("ecs", "ListServiceDeployments"): {
            "serviceDeployments": [{"serviceDeploymentArn": "arn:sd/1", "status": "IN_PROGRESS"}]
        },
        ("ecs", "DescribeServiceDeployments"): {
            "serviceDeployments": [
                {
                    "serviceDeploymentArn": "arn:sd/1",
                    "status": "IN_PROGRESS",
                    "deploymentCircuitBreaker": {
                        "status": "MONITORING",
                        "failureCount": 3,
                        "threshold": 10,
                    },
                }
            ]
        },
        ("elbv2", "DescribeTargetGroups"): {
            "TargetGroups": [
                {
                    "TargetGroupArn": TG,
                    "TargetGroupName": "ledger",
                    "VpcId": VPC,
                    "LoadBalancerArns": [LB],
                }
            ]
        },
        ("elbv2", "DescribeTargetHealth"): {"TargetHealthDescriptions": []},
        ("elbv2", "DescribeLoadBalancers"): {
            "LoadBalancers": [
                {
                    "LoadBalancerArn": LB,
                    "LoadBalancerName": "edge",
                    "Type": "application",
                    "State": {"Code": "active"},
                    "VpcId": VPC,
                    "AvailabilityZones": [{"ZoneName": "eu-west-1a", "SubnetId": "subnet-pub1"}],
                    "SecurityGroups": ["sg-alb"],
                }
            ]
        },
        ("elbv2", "DescribeListeners"): {
            "Listeners": [
                {
                    "ListenerArn": LISTENER,
                    "LoadBalancerArn": LB,
                    "Port": 443,
                    "Protocol": "HTTPS",
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": OTHER_TG}],
                }
            ]
        },
        ("elbv2", "DescribeRules"): {
            "Rules": [
                {
                    "Priority": "10",
                    "Actions": [
                        {
                            "Type": "forward",
                            "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG}]},
                        }
                    ],
                }
            ]
        },
        ("ec2", "DescribeSubnets"): _subnets,
        ("ec2", "DescribeVpcs"): {"Vpcs": [{"VpcId": VPC, "CidrBlock": "10.1.0.0/16"}]},
        ("ec2", "DescribeVpcAttribute"): lambda p: {
            "VpcId": VPC,
            "EnableDnsSupport" if p["Attribute"] == "enableDnsSupport" else "EnableDnsHostnames": {
                "Value": p["Attribute"] == "enableDnsSupport"
            },
        },
        ("ec2", "DescribeRouteTables"): {
            "RouteTables": [
                {
                    "RouteTableId": "rtb-main",
                    "VpcId": VPC,
                    "Associations": [{"Main": True}],
                    "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local"}],
                },
                {
                    "RouteTableId": "rtb-private",
                    "VpcId": VPC,
                    "Associations": [{"Main": False, "SubnetId": "subnet-a1"}],
                    "Routes": [
                        {
                            "DestinationCidrBlock": "0.0.0.0/0",
                            "NatGatewayId": "nat-1",
                            "State": "blackhole",
                        }
                    ],
                },
            ]
        },
        ("ec2", "DescribeNatGateways"): {
            "NatGateways": [{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub1", "State": "failed"}]
        },
        ("ec2", "DescribeInternetGateways"): {
            "InternetGateways": [
                {
                    "InternetGatewayId": "igw-1",
                    "Attachments": [{"VpcId": VPC, "State": "available"}],
                }
            ]
        },
        ("ec2", "DescribeVpcEndpoints"): {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": "vpce-ecr",
                    "ServiceName": f"com.amazonaws.{REGION}.ecr.dkr",
                    "VpcEndpointType": "Interface",
                    "State": "available",
                    "PrivateDnsEnabled": False,
                    "SubnetIds": TASK_SUBNETS,
                    "Groups": [{"GroupId": "sg-endpoints", "GroupName": "endpoints"}],
                }
            ]
        },
        ("ec2", "DescribeNetworkAcls"): {
            "NetworkAcls": [
                {
                    "NetworkAclId": "acl-1",
                    "VpcId": VPC,
                    "IsDefault": True,
                    "Associations": [{"SubnetId": s} for s in TASK_SUBNETS],
                    "Entries": [
                        {
                            "RuleNumber": 90,
                            "Egress": True,
                            "Protocol": "6",
                            "RuleAction": "deny",
                            "CidrBlock": "0.0.0.0/0",
                            "PortRange": {"From": 443, "To": 443},
                        }
                    ],
                }
            ]
        },
        ("ec2", "DescribeSecurityGroups"): _security_groups,
        ("ec2", "DescribeNetworkInterfaces"): {
            "NetworkInterfaces": [
                {
                    "NetworkInterfaceId": "eni-leak",
                    "SubnetId": "subnet-a1",
                    "Status": "available",
                    "InterfaceType": "interface",
                    "Description": "left by a deleted Lambda",
                }
            ]
        },
        ("ecr", "BatchGetImage"): {
            "images": [
                {
                    "imageId": {"imageTag": "2.0.1", "imageDigest": "sha256:abc"},
                    "imageManifest": _manifest_list(),
                }
            ],
            "failures": [],
        },
        ("iam", "GetRole"): _get_role,
        ("iam", "ListAttachedRolePolicies"): _role_list(
            "AttachedPolicies",
            [
                {
                    "PolicyName": "AmazonECSTaskExecutionRolePolicy",
                    "PolicyArn": EXECUTION_POLICY,
                }
            ],
        ),
        ("iam", "ListRolePolicies"): _role_list("PolicyNames", ["read-ledger-secrets"]),
        ("iam", "SimulatePrincipalPolicy"): _simulate,
        ("secretsmanager", "DescribeSecret"): _describe_secret,
        ("ssm", "DescribeParameters"): {
            "Parameters": [
                {"Name": "/ledger/api-token", "Type": "SecureString", "KeyId": "alias/aws/ssm"}
            ]
        },
        ("logs", "DescribeLogGroups"): {"logGroups": [{"logGroupName": "/svc/ledger-archive"}]},
        ("logs", "GetLogEvents"): {
            "events": [{"timestamp": 1764151200000, "message": "heap at 98%\n"}]
        },
        ("application-autoscaling", "DescribeScalableTargets"): {"ScalableTargets": []},
        ("cloudtrail", "LookupEvents"): {"Events": []},
        ("cloudwatch", "GetMetricData"): {
            "MetricDataResults": [
                {
                    "Id": "memory_maximum",
                    "Values": [99.5, 80.0],
                    "Timestamps": ["2026-11-26T10:00:00Z"] * 2,
                },
                {"Id": "memory_average", "Values": [70.0, 60.0]},
                {"Id": "cpu_maximum", "Values": []},
                {"Id": "cpu_average", "Values": []},
            ]
        },
    }


ASG = (
    f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1234:autoScalingGroupName/ledger-asg"
)
INSTANCE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/payments/ci-1"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/ecs-node"
INSTANCE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecs-node-role"


def on_ec2(gateway: FakeGateway, **service: Any) -> None:
    """Turn the fake service into an EC2 one (launch type or capacity provider strategy)."""
    answer = gateway.answers["ecs", "DescribeServices"]
    entry = answer["services"][0]
    entry.pop("launchType")
    entry.update(service)
    gateway.answers["ecs", "ListContainerInstances"] = {"containerInstanceArns": [INSTANCE]}
    gateway.answers["ecs", "DescribeContainerInstances"] = {
        "containerInstances": [
            {
                "containerInstanceArn": INSTANCE,
                "ec2InstanceId": "i-0abc",
                "status": "ACTIVE",
                "agentConnected": False,
                "runningTasksCount": 3,
                "registeredResources": [
                    {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3904},
                ],
                "remainingResources": [
                    {"name": "CPU", "type": "INTEGER", "integerValue": 256},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": 128},
                    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "8080"]},
                ],
                "attributes": [
                    {"name": "ecs.availability-zone", "value": "eu-west-1b"},
                    {"name": "ecs.instance-type", "value": "t3.medium"},
                ],
                "versionInfo": {"agentVersion": "1.80.0"},
            }
        ]
    }
    gateway.answers["ecs", "DescribeCapacityProviders"] = {
        "capacityProviders": [
            {
                "name": "ledger-cp",
                "status": "ACTIVE",
                "autoScalingGroupProvider": {
                    "autoScalingGroupArn": ASG,
                    "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                },
            }
        ]
    }
    gateway.answers["autoscaling", "DescribeAutoScalingGroups"] = {
        "AutoScalingGroups": [
            {"AutoScalingGroupName": "ledger-asg", "DesiredCapacity": 1, "MinSize": 1, "MaxSize": 1}
        ]
    }
    gateway.answers["ec2", "DescribeInstances"] = {
        "Reservations": [
            {"Instances": [{"InstanceId": "i-0abc", "IamInstanceProfile": {"Arn": PROFILE}}]}
        ]
    }
    gateway.answers["iam", "GetInstanceProfile"] = {
        "InstanceProfile": {"InstanceProfileName": "ecs-node", "Roles": [{"Arn": INSTANCE_ROLE}]}
    }
    gateway.answers["ecs", "ListAccountSettings"] = {
        "settings": [{"name": "awsvpcTrunking", "value": "disabled"}]
    }


def account(**changes: Answer) -> FakeGateway:
    """The account, with some answers replaced: `account(**{"iam:GetRole": error})`."""
    table = answers()
    for key, answer in changes.items():
        service_name, operation = key.split(":")
        table[service_name, operation] = answer
    return FakeGateway(table)
