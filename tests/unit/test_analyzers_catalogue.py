"""Every catalogue code: a hand-built snapshot (other names, sidecars, EC2 too) ranks it first.

The service is "ledger-api" in cluster "payments" (eu-west-1) with an "envoy" sidecar listed
before the essential "app"; EC2 cases use bridge mode and container instances. Nothing here
uses the lab's names, ports or wording beyond what AWS documents.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from builders import (
    ACCOUNT,
    ALB_SG,
    IMAGE,
    NOW,
    SUBNETS,
    TG_ARN,
    allow_all_acl,
    app_exit_task,
    container,
    elb_task,
    event,
    failed_deployment,
    failing,
    log,
    mismatch_target,
    network_view,
    oom_task,
    private_table,
    pull_task,
    rule,
    service,
    snapshot,
    target,
    target_group,
    task,
    task_definition,
    task_sg,
)

from ecs_medic.analyzers import analyze
from ecs_medic.aws.snapshot import (
    AccessView,
    CapacityView,
    Gap,
    HealthCheck,
    ImageCheck,
    NetworkConfig,
    PortMapping,
    SecretRef,
    ServiceSnapshot,
)
from ecs_medic.aws.snapshot_access import (
    ImageManifest,
    LogGroupCheck,
    PolicyDecision,
    Role,
    SecretCheck,
)
from ecs_medic.aws.snapshot_capacity import (
    Autoscaling,
    CapacityProvider,
    Cluster,
    ContainerInstance,
    ScalableTarget,
    ScalingActivity,
    TaskProtection,
)
from ecs_medic.aws.snapshot_network import NaclEntry, Route, RouteTable, VpcEndpoint
from ecs_medic.catalogue import CATALOGUE
from ecs_medic.findings import Severity

SVC = "(service ledger-api)"
CLUSTER_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/payments"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ledger-exec"
SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ledger/db-AbCdEf"
ISOLATED = private_table(
    Route(destination_cidr="10.99.0.0/16", gateway_id="vgw-0dc", state="active")
)
ECR_TIMEOUT = (
    f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
    f"ref {IMAGE}: dial tcp 52.94.1.9:443: i/o timeout"
)


def starts_failing(*reasons: str, **kwargs: object) -> ServiceSnapshot:
    """Tasks stopped with TaskFailedToStart and these reasons; nothing runs."""
    stopped = tuple(pull_task(n, r) for n, r in enumerate(reasons, 1))
    return failing(snapshot(stopped_tasks=stopped, running_tasks=(), **kwargs))


def evented(message: str, running: int = 1, **kwargs: object) -> ServiceSnapshot:
    """A service short of tasks whose newest event is this message."""
    return snapshot(service=service(running=running, events=(event(message),)), **kwargs)


def ec2(
    snap: ServiceSnapshot, *instances: ContainerInstance, host_port: int = 0, **capacity: object
) -> ServiceSnapshot:
    """The snapshot on EC2 in bridge mode (dynamic host ports unless given), these instances."""
    definition = task_definition()
    app = definition.container("app")
    assert app is not None
    app = replace(app, port_mappings=(PortMapping(9000, host_port),))
    definition = replace(
        definition,
        containers=(definition.containers[0], app),
        network_mode="bridge",
        requires_compatibilities=("EC2",),
        cpu=None,
        memory=None,
    )
    cluster = Cluster(CLUSTER_ARN, "payments", "ACTIVE", len(instances))
    return replace(
        snap,
        service=replace(snap.service, launch_type="EC2", network=None),
        task_definitions=(definition,),
        target_groups=(target_group(target_type="instance"),),
        capacity=CapacityView(cluster=cluster, container_instances=instances, **capacity),  # type: ignore[arg-type]
    )


def instance(n: int, **kwargs: object) -> ContainerInstance:
    """An ACTIVE m6i.large container instance with an agent connected."""
    fields: dict[str, object] = {
        "arn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:container-instance/payments/{n:032x}",
        "ec2_instance_id": f"i-0{n:016x}",
        "status": "ACTIVE",
        "agent_connected": True,
        "instance_type": "m6i.large",
        "registered_cpu": 2048,
        "registered_memory": 7680,
        "remaining_cpu": 2048,
        "remaining_memory": 7680,
    }
    fields.update(kwargs)
    return ContainerInstance(**fields)  # type: ignore[arg-type]


def with_app(**changes: object) -> object:
    """The task definition with the app container changed."""
    definition = task_definition()
    app = definition.container("app")
    assert app is not None
    return replace(definition, containers=(definition.containers[0], replace(app, **changes)))


def endpoint(suffix: str, **kwargs: object) -> VpcEndpoint:
    """An interface endpoint in the VPC with Private DNS and the task SG."""
    fields: dict[str, object] = {
        "id": f"vpce-{suffix.replace('.', '')}",
        "service_name": f"com.amazonaws.eu-west-1.{suffix}",
        "endpoint_type": "Interface",
        "state": "available",
        "vpc_id": "vpc-0a1b2c3d",
        "private_dns_enabled": True,
        "security_group_ids": ("sg-0ledgertask",),
    }
    fields.update(kwargs)
    return VpcEndpoint(**fields)  # type: ignore[arg-type]


def scaled(
    target: ScalableTarget, *activities: ScalingActivity, alarms: tuple[str, ...] = ()
) -> ServiceSnapshot:
    """A snapshot with this autoscaling state."""
    return snapshot(
        capacity=CapacityView(autoscaling=Autoscaling(target, ("cpu-target",), activities, alarms))
    )


def booting_elb_task(n: int) -> object:
    """A task stopped for ELB health 30 s after it started."""
    return replace(
        elb_task(n),
        started_at=NOW - timedelta(minutes=n, seconds=30),
        stopping_at=NOW - timedelta(minutes=n),
    )


def unreachable(**kwargs: object) -> ServiceSnapshot:
    """Targets time out, ELB stops, an unhealthy event."""
    message = (
        f"{SVC} (task 0a1b) (port 9000) is unhealthy in (target-group {TG_ARN}) due to (reason "
        "Request timed out)."
    )
    timing_out = tuple(
        target(f"10.20.1.{n}", "unhealthy", "Target.Timeout", "Request timed out") for n in (11, 12)
    )
    fields: dict[str, object] = {
        "target_health": timing_out,
        "stopped_tasks": (elb_task(1), elb_task(2)),
        "service": service(running=1, events=(event(message),)),
    }
    fields.update(kwargs)
    return snapshot(**fields)


def cases() -> dict[str, ServiceSnapshot]:
    """One snapshot per catalogue code."""
    hub = "docker.io/acme/ledger-worker:3"
    return {
        # 1. image and registry
        "IMAGE_PULL_NOT_FOUND": starts_failing(
            f"CannotPullContainerError: API error (404): repository {IMAGE} not found"
        ),
        "IMAGE_PULL_AUTH": starts_failing(
            "CannotPullContainerError: The task can't pull the image. Check that the role has the "
            "permissions to pull images from the registry."
        ),
        "PRIVATE_REGISTRY_CREDS": failing(
            snapshot(
                task_definitions=(with_app(image=hub),),
                stopped_tasks=(
                    task(
                        1,
                        stopped_reason=(
                            "CannotPullContainerError: pull access denied for acme/ledger-worker"
                        ),
                        containers=(container("envoy"), replace(container("app"), image=hub)),
                    ),
                ),
            )
        ),
        "IMAGE_PULL_RATE_LIMITED": starts_failing(
            "CannotPullContainerError: ERROR: toomanyrequests: Too Many Requests."
        ),
        "ARCH_MISMATCH": starts_failing(
            "CannotPullContainerError: no matching manifest for linux/amd64 in the manifest "
            "list entries",
            access=AccessView(manifests=(ImageManifest(IMAGE, ("linux/arm64",)),)),
        ),
        "ECR_LAYER_S3_UNREACHABLE": starts_failing(
            "CannotPullContainerError: pull command failed: panic: runtime error: invalid "
            "memory address"
        ),
        "HOST_DISK_FULL": starts_failing(
            "CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob9: no space left "
            "on device"
        ),
        # 2. networking
        "NO_EGRESS_FOR_IMAGE_PULL": starts_failing(
            ECR_TIMEOUT, network=network_view(route_tables=(ISOLATED,))
        ),
        "NO_PUBLIC_IP_IN_PUBLIC_SUBNET": starts_failing(
            ECR_TIMEOUT,
            network=network_view(
                route_tables=(
                    RouteTable(
                        "rtb-0p",
                        "vpc-0a1b2c3d",
                        (Route(destination_cidr="0.0.0.0/0", gateway_id="igw-0z"),),
                        SUBNETS,
                    ),
                )
            ),
        ),
        "VPC_ENDPOINT_MISCONFIG": starts_failing(
            ECR_TIMEOUT,
            network=network_view(
                route_tables=(ISOLATED,),
                vpc_endpoints=(endpoint("ecr.api"), endpoint("ecr.dkr", private_dns_enabled=False)),
                security_groups=(task_sg(ingress=(rule(443, groups=("sg-0ledgertask",)),)),),
            ),
        ),
        "TASK_EGRESS_BLOCKED": starts_failing(
            ECR_TIMEOUT, network=network_view(security_groups=(task_sg(egress=()),))
        ),
        "SUBNET_IP_EXHAUSTED": starts_failing(
            "Timeout waiting for network interface provisioning to complete.",
            network=replace(
                network_view(),
                subnets=tuple(replace(s, available_ips=0) for s in network_view().subnets),
            ),
        ),
        "ENI_LIMIT": ec2(
            evented(
                f"{SVC} was unable to place a task because no container instance met all of its "
                "requirements. Reason: RESOURCE:ENI"
            ),
            instance(1),
            awsvpc_trunking=False,
        ),
        "UNSUPPORTED_AZ_SUBNET": evented(
            f"{SVC} was unable to place a task. Reason: Internal error.", 0
        ),
        "EFS_MOUNT_FAILED": starts_failing(
            "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS "
            "volumes: "
            'stderr: Failed to resolve "fs-0abc.efs.eu-west-1.amazonaws.com"'
        ),
        # 3. IAM, secrets and logging
        "EXEC_ROLE_MISSING": failing(
            snapshot(task_definitions=(replace(task_definition(), execution_role_arn=None),))
        ),
        "ROLE_TRUST_INVALID": evented(
            f"{SVC} failed to launch a task with (error ECS was unable to assume the role "
            f"'{EXEC_ROLE}' "
            "that was provided for this task.",
            0,
        ),
        "SECRETS_FETCH_DENIED": starts_failing(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution "
            "resource "
            "retrieval failed: unable to retrieve secret from asm: service call has been "
            "retried 5 time(s)",
            task_definitions=(with_app(secrets=(SecretRef("DB", SECRET),)),),
            access=AccessView(
                decisions=(
                    PolicyDecision(
                        EXEC_ROLE, "secretsmanager:GetSecretValue", SECRET, "explicitDeny"
                    ),
                )
            ),
        ),
        "SECRET_NOT_FOUND": starts_failing(
            f"ResourceNotFoundException: The task can't retrieve the secret with ARN '{SECRET}' "
            "from "
            "AWS Secrets Manager. Check whether the secret exists in the specified Region"
        ),
        "KMS_DECRYPT_DENIED": starts_failing(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution "
            "resource "
            "retrieval failed: unable to retrieve secret from asm: AccessDeniedException: "
            "Access to KMS is not allowed"
        ),
        "LOG_GROUP_MISSING": starts_failing(
            "ResourceInitializationError: failed to validate logger args: The task cannot find "
            "the Amazon "
            "CloudWatch log group defined in the task definition.",
            access=AccessView(log_groups=(LogGroupCheck("/ecs/ledger-api", "eu-west-1", False),)),
        ),
        "LOG_DELIVERY_DENIED": starts_failing(
            "CannotStartContainerError: failed to initialize logging driver: failed to create "
            "Cloudwatch "
            "log group: AccessDeniedException: User is not authorized"
        ),
        "TASK_ROLE_PERMISSION_DENIED": snapshot(
            log_events=(
                log(
                    task(1, stopped=False),
                    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ledger-app/x is not authorized to "
                    "perform: dynamodb:PutItem on resource: "
                    "arn:aws:dynamodb:eu-west-1:1:table/ledger",
                ),
            )
        ),
        "SERVICE_LINKED_ROLE_MISSING": failing(
            snapshot(access=AccessView(service_linked_role_exists=False))
        ),
        "SERVICE_IAM_POLICY_CHANGED": evented(
            f"{SVC} IAM permissions policies have been misconfigured or changed, and ECS can no "
            "longer "
            "maintain your service"
        ),
        # 4. load balancer and health checks
        "TG_HEALTHCHECK_FAILING": failing(
            snapshot(
                target_health=(mismatch_target("10.20.1.11", 404),), stopped_tasks=(elb_task(1),)
            ),
            2,
        ),
        "SG_BLOCKS_ALB": unreachable(
            network=network_view(
                security_groups=(task_sg(ingress=(rule(22, cidrs=("10.0.0.0/8",)),)),)
            )
        ),
        "PORT_MISMATCH_TG": unreachable(target_groups=(target_group(health_check_port="8080"),)),
        "TG_TARGET_TYPE_MISMATCH": evented(
            f"InvalidParameterException: The provided target group {TG_ARN} has target type "
            "instance, "
            "which is incompatible with the awsvpc network mode specified in the task definition."
        ),
        "TG_MISSING_OR_UNATTACHED": evented(
            f"{SVC} task set (ecs-svc/1) (task 0a1b) is not healthy in target-group ({TG_ARN}) "
            "due to "
            "TARGET GROUP IS NOT FOUND"
        ),
        "LB_AZ_NOT_ENABLED": snapshot(
            network=replace(
                network_view(),
                load_balancers=(
                    replace(network_view().load_balancers[0], availability_zones=("eu-west-1a",)),
                ),
            ),
            target_health=(target("10.20.2.9", "unused", "Target.NotInUse", "AZ not enabled"),),
        ),
        "HEALTH_CHECK_GRACE_TOO_SHORT": unreachable(
            stopped_tasks=(booting_elb_task(1), booting_elb_task(2))
        ),
        "HEALTHCHECK_FAILING_CONTAINER": failing(
            snapshot(
                task_definitions=(
                    with_app(health_check=HealthCheck(("CMD", "/bin/healthy"), 10, 5, 3)),
                ),
                stopped_tasks=(task(1, stopped_reason="Task failed container health checks"),),
            )
        ),
        # 5. resources and placement
        "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER": ec2(
            evented(
                f"{SVC} was unable to place a task because no container instance met all of its "
                "requirements. The closest matching container-instance 0a1b has insufficient "
                "memory available."
            ),
            instance(1, remaining_memory=128),
        ),
        "NO_CONTAINER_INSTANCES": ec2(
            evented(
                f"{SVC} was unable to place a task. Reason: No Container Instances were found "
                "in your cluster.",
                0,
            )
        ),
        "AGENT_DISCONNECTED": ec2(
            evented(
                f"{SVC} was unable to place a task because no container instance met all of its "
                "requirements. The closest matching container-instance 0a1b encountered error "
                '"AGENT".'
            ),
            instance(1, agent_connected=False),
        ),
        "HOST_PORT_CONFLICT": ec2(
            evented(
                f"{SVC} was unable to place a task because no container instance met all of its "
                "requirements. The closest matching container-instance 0a1b is already using a "
                "port "
                "required by your task."
            ),
            instance(1),
            host_port=80,
        ),
        "PLACEMENT_CONSTRAINT_UNSATISFIABLE": ec2(
            evented(
                f"{SVC} was unable to place a task because no container instance met all of its "
                "requirements. The closest matching container-instance 0a1b is missing required "
                "attribute "
                "ecs.capability.secrets.asm.environment-variables."
            ),
            instance(1),
        ),
        "CAPACITY_PROVIDER_MISCONFIG": replace(
            ec2(
                evented(
                    f"{SVC} was unable to reach steady state. Reason: No Container Instances "
                    "were found in your capacity provider.",
                    0,
                )
            ),
            service=replace(
                service(
                    running=0,
                    events=(
                        event(
                            f"{SVC} No Container Instances were found in your capacity provider."
                        ),
                    ),
                ),
                launch_type=None,
                capacity_provider_strategy=("ledger-asg-cp",),
            ),
            capacity=CapacityView(
                capacity_providers=(
                    CapacityProvider(
                        "ledger-asg-cp",
                        "ACTIVE",
                        "arn:aws:autoscaling:asg/ledger",
                        "DISABLED",
                        100,
                        0,
                        0,
                        4,
                    ),
                )
            ),
        ),
        "FARGATE_CAPACITY_UNAVAILABLE": evented(
            f"{SVC} was unable to place a task. Reason: Capacity is unavailable at this time. "
            "Please try "
            "again later or in a different availability zone.",
            0,
        ),
        "INVALID_TASK_SIZE": snapshot(
            task_definitions=(replace(task_definition(), cpu="256", memory="4096"),)
        ),
        "PLATFORM_VERSION": evented(
            f"{SVC} failed to launch a task: PlatformTaskDefinitionIncompatibilityException: "
            "The specified "
            "platform version does not satisfy the task definition's required capabilities.",
            0,
        ),
        "SPOT_INTERRUPTION": failing(
            snapshot(
                stopped_tasks=tuple(
                    task(
                        n,
                        stop_code="SpotInterruption",
                        stopped_reason="Your Spot Task was interrupted.",
                    )
                    for n in (1, 2)
                )
            ),
            1,
        ),
        "INFRA_MAINTENANCE_RETIREMENT": failing(
            snapshot(
                stopped_tasks=tuple(
                    task(
                        n,
                        stop_code="ServiceSchedulerInitiated",
                        stopped_reason=(
                            "ECS is performing maintenance on the underlying infrastructure "
                            "hosting the task"
                        ),
                    )
                    for n in (1, 2)
                )
            ),
            2,
        ),
        # 6. deployment
        "CIRCUIT_BREAKER_ROLLBACK": snapshot(
            service=service(running=0, deployments=(failed_deployment(),))
        ),
        "DEPLOYMENT_STUCK": evented(
            f"{SVC} is unable to consistently start tasks successfully.", 1
        ),
        "DEPLOYMENT_CONFIG_BLOCKS": evented(
            f"{SVC} was unable to stop or start tasks during a deployment because of the "
            "service deployment "
            "configuration. Update the minimumHealthyPercent or maximumPercent value and try "
            "again.",
            3,
        ),
        "TASK_PROTECTION_BLOCKS_SCALE_IN": replace(
            evented(
                f"{SVC} was unable to reach steady state because task set (ecs-svc/9) was "
                "unable to scale in. "
                "Reason: The number of protected tasks are more than the desired count of tasks",
                3,
            ),
            capacity=CapacityView(
                task_protection=tuple(TaskProtection(f"arn:task/{n}", True) for n in range(4))
            ),
        ),
        "DESIRED_COUNT_ZERO": snapshot(service=service(running=0, desired=0), running_tasks=()),
        "STALE_IMAGE_NOT_REDEPLOYED": snapshot(
            images=(ImageCheck(IMAGE, "ledger-api", "v42", True, digest="sha256:new"),),
            running_tasks=(
                task(
                    1,
                    stopped=False,
                    containers=(replace(container("app"), image_digest="sha256:old"),),
                ),
            ),
        ),
        "LB_CONFIG_CHANGE_REJECTED": evented(
            "Unable to update the service ledger-api: Load balancer container name or port "
            "changed in task definition",
            3,
        ),
        # 7. runtime
        "OOM_KILLED": failing(snapshot(stopped_tasks=(oom_task(1), oom_task(2)))),
        "ESSENTIAL_CONTAINER_EXIT": failing(snapshot(stopped_tasks=(app_exit_task(1),))),
        "ENTRYPOINT_CMD_ERROR": failing(
            snapshot(
                stopped_tasks=(
                    task(
                        1,
                        stop_code="TaskFailedToStart",
                        stopped_reason=(
                            "CannotStartContainerError: ResourceInitializationError: failed to "
                            'create shim task: OCI runtime create failed: exec: "/app/run.sh": '
                            "stat /app/run.sh: no such file"
                        ),
                    ),
                )
            )
        ),
        "RUNTIME_CRASH_SIGNAL": failing(
            snapshot(stopped_tasks=(app_exit_task(1, 139), app_exit_task(2, 134)))
        ),
        "SIGTERM_NOT_HANDLED": snapshot(
            stopped_tasks=(
                task(
                    1,
                    stop_code="ServiceSchedulerInitiated",
                    stopped_reason="Scaling activity initiated by (deployment ecs-svc/123)",
                    containers=(container("envoy", 143), container("app", 137)),
                ),
            )
        ),
        # 8. quotas and scaling
        "THROTTLING": evented(f"{SVC} operations are being throttled. Will try again later.", 3),
        "ACCOUNT_QUOTA_FARGATE": evented(
            f"{SVC} was unable to place a task. Reason: You\u2019ve reached the limit on the "
            "number of vCPUs "
            "you can run concurrently",
            0,
        ),
        "PROVISIONING_LIMIT": evented(
            f"{SVC} was unable to place tasks in your cluster because the tasks provisioning "
            "capacity limit "
            "was exceeded.",
            1,
        ),
        "AUTOSCALING_MAXED": scaled(
            ScalableTarget(1, 3),
            ScalingActivity("Successful", not_scaled_reasons=("AlreadyAtMaxCapacity",)),
            alarms=("ledger-cpu-high",),
        ),
        "AUTOSCALING_SUSPENDED_OR_FAILING": scaled(
            ScalableTarget(1, 10, suspended=True), alarms=("ledger-cpu-high",)
        ),
    }


CASES = cases()


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_code_is_the_top_ranked_finding(code):
    """Each catalogue case ranks its own code first, with evidence and a concrete fix."""
    findings = analyze(CASES[code]).findings
    assert code == (findings[0].code if findings else None)
    assert findings[0].evidence
    assert findings[0].remediation


def test_every_catalogue_code_has_a_case():
    """The table above covers the whole ECS catalogue: all 61 codes (Planton's are elsewhere)."""
    ecs_codes = sorted(code for code, mode in CATALOGUE.items() if mode.category != "planton")
    assert (61, ecs_codes) == (len(CASES), sorted(CASES))


@pytest.mark.parametrize("code", sorted(CASES))
def test_no_look_alike_fires_beside_the_cause(code):
    """Every other finding is a symptom linked to the cause, or a low-severity note."""
    findings = analyze(CASES[code]).findings
    others = [
        (f.code, f.severity.value)
        for f in findings[1:]
        if f.caused_by != code and f.severity.at_least(Severity.MEDIUM)
    ]
    assert [] == others


def test_analysis_of_every_case_raises_nothing():
    """No analyzer raises on any of the cases."""
    assert [] == [e for snap in CASES.values() for e in analyze(snap).errors]


def test_start_failures_are_at_least_high():
    """Failures that stop tasks from starting are critical or high."""
    starting = (
        "IMAGE_PULL_NOT_FOUND",
        "NO_EGRESS_FOR_IMAGE_PULL",
        "SECRET_NOT_FOUND",
        "OOM_KILLED",
    )
    assert {Severity.CRITICAL} == {analyze(CASES[c]).findings[0].severity for c in starting}


def test_notes_stay_below_medium():
    """AWS-initiated stops (catalogue section 9) are low-severity notes, not failures."""
    notes = ("SPOT_INTERRUPTION", "INFRA_MAINTENANCE_RETIREMENT")
    assert {Severity.LOW} == {analyze(CASES[c]).findings[0].severity for c in notes}


def test_defects_seen_in_live_tasks_are_medium_at_full_capacity():
    """A stale digest and SIGKILLed stops are seen in tasks, not guessed from configuration.

    Every task runs, so neither is high; but the service runs other code than its tag names,
    or loses in-flight work on every deploy: degraded, medium.
    """
    live = ("STALE_IMAGE_NOT_REDEPLOYED", "SIGTERM_NOT_HANDLED")
    full = [CASES[c].service.running_count == CASES[c].service.desired_count for c in live]
    assert ([True, True], {Severity.MEDIUM}) == (
        full,
        {analyze(CASES[c]).findings[0].severity for c in live},
    )


def test_unrelated_gap_is_not_a_missing_target_group():
    """A throttled DescribeTargetGroups is not TargetGroupNotFound."""
    gap = Gap("elbv2:DescribeTargetGroups", "Throttling")
    codes = [f.code for f in analyze(snapshot(target_groups=(), gaps=(gap,))).findings]
    assert "TG_MISSING_OR_UNATTACHED" not in codes


def test_nacl_allowing_only_the_vpc_blocks_the_nat_path():
    """A NACL that allows only VPC traffic blocks HTTPS to ECR through the NAT gateway."""
    acl = replace(
        allow_all_acl(),
        entries=(
            NaclEntry(100, True, "-1", "allow", "10.20.0.0/16"),
            NaclEntry(100, False, "-1", "allow", "0.0.0.0/0"),
        ),
    )
    snap = starts_failing(ECR_TIMEOUT, network=network_view(network_acls=(acl,)))
    assert "TASK_EGRESS_BLOCKED" == analyze(snap).findings[0].code


def test_ec2_awsvpc_service_is_not_given_a_public_ip_verdict():
    """On EC2 the instance pulls the image, so the task subnet's IGW route proves nothing."""
    public = RouteTable(
        "rtb-0p",
        "vpc-0a1b2c3d",
        (Route(destination_cidr="0.0.0.0/0", gateway_id="igw-0z"),),
        SUBNETS,
    )
    ec2_definition = replace(task_definition(), requires_compatibilities=("EC2",))
    snap = starts_failing(
        ECR_TIMEOUT,
        network=network_view(route_tables=(public,)),
        task_definitions=(ec2_definition,),
    )
    snap = replace(
        snap,
        service=replace(
            snap.service, launch_type="EC2", network=NetworkConfig(SUBNETS, (ALB_SG,), None)
        ),
    )
    snap = replace(
        snap, stopped_tasks=tuple(replace(t, launch_type="EC2") for t in snap.stopped_tasks)
    )
    [finding] = analyze(snap).findings
    assert ("NO_EGRESS_FOR_IMAGE_PULL", 0.5) == (finding.code, finding.confidence)


def test_role_with_unparsed_trust_is_not_flagged():
    """A role whose trust policy was not read (no principals) is not called untrusted."""
    role = Role(EXEC_ROLE, "ledger-exec", purpose="execution")
    assert () == analyze(snapshot(access=AccessView(roles=(role,)))).findings


def test_existing_secret_with_kms_key_and_allowed_decrypt_is_quiet():
    """A CMK-encrypted secret the role can decrypt is not a finding."""
    access = AccessView(
        secrets=(
            SecretCheck(
                "app", "DB", SECRET, "secretsmanager", True, kms_key_id="arn:aws:kms:key/1"
            ),
        ),
        decisions=(PolicyDecision(EXEC_ROLE, "kms:Decrypt", "arn:aws:kms:key/1", "allowed"),),
    )
    assert (
        ()
        == analyze(
            snapshot(
                task_definitions=(with_app(secrets=(SecretRef("DB", SECRET),)),), access=access
            )
        ).findings
    )
