"""EC2 capacity and placement planners on hand-built snapshots: the exact change, its rollback."""

from __future__ import annotations

import base64
from dataclasses import replace

from builders import (
    CLUSTER_ARN,
    REGION,
    SUBNETS,
    VPC,
    network_view,
    private_table,
    service,
    snapshot,
    td_arn,
)
from fake_gateway import FakeGateway

from ecs_medic.aws.parsing import parse_service
from ecs_medic.aws.parsing_capacity import parse_container_instance
from ecs_medic.aws.snapshot import (
    CapacityView,
    ContainerDefinition,
    PlacementConstraint,
    PortMapping,
    TaskDefinition,
)
from ecs_medic.aws.snapshot_capacity import CapacityProvider, Cluster, ContainerInstance
from ecs_medic.aws.snapshot_network import Subnet
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.findings import make_finding
from ecs_medic.remedies import plan_capacity, plan_placement
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.lookups_capacity import InstanceType, ScalingGroup, cluster_groups
from ecs_medic.remedies.plan import (
    Action,
    ApiCall,
    FieldChange,
    RemediationPlan,
    ReviseTaskDefinition,
)
from ecs_medic.remedies.planton_plan import for_planton

GROUP = "payments-ecs-c5"
GROUP_ARN = (
    f"arn:aws:autoscaling:{REGION}:210987654321:autoScalingGroup:1f2e:autoScalingGroupName/{GROUP}"
)
ZONES = (f"{REGION}a", f"{REGION}b", f"{REGION}c")


def finding(code: str):
    return make_finding(code, summary="s", evidence=[], remediation="r")


def instance(n: int, **kwargs: object) -> ContainerInstance:
    """An ACTIVE, connected c5.xlarge in zone a with nothing running."""
    fields: dict[str, object] = {
        "arn": f"{CLUSTER_ARN.replace(':cluster/', ':container-instance/')}/ci-{n}",
        "ec2_instance_id": f"i-0c5{n:04d}",
        "status": "ACTIVE",
        "agent_connected": True,
        "availability_zone": f"{REGION}a",
        "instance_type": "c5.xlarge",
        "registered_cpu": 4096,
        "registered_memory": 7493,
        "remaining_cpu": 4096,
        "remaining_memory": 7493,
    }
    fields.update(kwargs)
    return ContainerInstance(**fields)  # type: ignore[arg-type]


def ec2_definition(
    cpu: str = "1024", memory: str = "3072", app: int | None = None, **kwargs: object
) -> TaskDefinition:
    """ledger-api on EC2: one container (hard memory limit `app`), awsvpc unless told otherwise."""
    container = ContainerDefinition(
        "app", "ledger-api:v42", port_mappings=(PortMapping(9000),), memory=app
    )
    base = TaskDefinition(
        td_arn(), "ledger-api", 7, (container,), cpu=cpu, memory=memory, network_mode="awsvpc",
        requires_compatibilities=("EC2",),
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


def on_ec2(*instances: ContainerInstance, running: int = 0, desired: int = 4, **kw: object):
    """The ledger-api service on EC2 with these container instances."""
    td = kw.pop("td", ec2_definition())
    svc = replace(service(running=running, desired=desired, launch_type="EC2"), **kw)
    capacity = CapacityView(container_instances=instances)
    return snapshot(service=svc, task_definitions=(td,), capacity=capacity)


def group(desired: int = 0, maximum: int = 6, **kwargs: object) -> ScalingGroup:
    base = ScalingGroup(GROUP, 0, maximum, desired, ZONES, "c5.xlarge")
    return replace(base, **kwargs)


C5 = Lookups(scaling_groups=(group(),), instance_types=(InstanceType("c5.xlarge", 4, 8192),))


# --- NO_CONTAINER_INSTANCES -------------------------------------------------------------------


def test_an_empty_group_is_scaled_to_what_the_tasks_need_and_one_per_zone():
    """4 tasks of 1 vCPU / 3 GiB fit 2 per c5.xlarge (7372 MiB counted): max(2, 3 zones) = 3."""
    action = plan_capacity.plan_no_instances(finding("NO_CONTAINER_INSTANCES"), on_ec2(), C5)
    assert isinstance(action, Action)
    assert [
        ApiCall(
            "autoscaling", "UpdateAutoScalingGroup",
            {"AutoScalingGroupName": GROUP, "DesiredCapacity": 3, "MaxSize": 6},
        )
    ] == list(action.steps)  # fmt: skip
    assert {"AutoScalingGroupName": GROUP, "DesiredCapacity": 0, "MaxSize": 6} == (
        action.rollback[0].params
    )


def test_more_instances_than_max_raise_the_group_max_too():
    """8 tasks need 4 instances; a MaxSize of 2 goes up to 4 and comes back on rollback."""
    lookups = replace(C5, scaling_groups=(group(maximum=2),))
    action = plan_capacity.plan_no_instances(
        finding("NO_CONTAINER_INSTANCES"), on_ec2(desired=8), lookups
    )
    assert isinstance(action, Action)
    assert (4, 4, 2) == (
        action.steps[0].params["DesiredCapacity"],
        action.steps[0].params["MaxSize"],
        action.rollback[0].params["MaxSize"],
    )


def test_a_group_that_has_instances_which_never_registered_gets_a_recommendation():
    """Scaling does not help when the group's instances already fail to join the cluster."""
    lookups = replace(C5, scaling_groups=(group(desired=2),))
    found = plan_capacity.plan_no_instances(finding("NO_CONTAINER_INSTANCES"), on_ec2(), lookups)
    assert isinstance(found, str)
    assert "instance profile" in found


def test_two_groups_behind_one_cluster_are_left_to_a_person():
    """ecs-medic does not pick between two groups."""
    lookups = replace(C5, scaling_groups=(group(), group(name="payments-ecs-spot")))
    found = plan_capacity.plan_no_instances(finding("NO_CONTAINER_INSTANCES"), on_ec2(), lookups)
    assert isinstance(found, str)
    assert "payments-ecs-spot" in found


def test_an_unknown_instance_size_plans_nothing():
    """Without the instance type's size there is no count to stand behind."""
    lookups = Lookups(scaling_groups=(group(),))
    assert None is plan_capacity.plan_no_instances(
        finding("NO_CONTAINER_INSTANCES"), on_ec2(), lookups
    )


# --- INSUFFICIENT_CPU_MEMORY_ON_CLUSTER -------------------------------------------------------


def test_tasks_that_fit_an_empty_instance_scale_the_group_by_the_waiting_tasks():
    """3 of 4 tasks wait, 2 fit per empty c5.xlarge (4096 / 1024 CPU, 7493 / 3072 MiB): +2."""
    full = instance(1, remaining_cpu=3072, remaining_memory=4421)
    shot = on_ec2(full, running=1)
    lookups = replace(C5, scaling_groups=(group(desired=1),))
    action = plan_capacity.plan_insufficient_capacity(
        finding("INSUFFICIENT_CPU_MEMORY_ON_CLUSTER"), shot, lookups
    )
    assert isinstance(action, Action)
    assert (3, 1) == (
        action.steps[0].params["DesiredCapacity"],
        action.rollback[0].params["DesiredCapacity"],
    )


def test_a_task_larger_than_any_instance_is_right_sized_to_what_instances_register():
    """8192 MiB on 7493 MiB instances, 2 tasks on 2 instances: 7424 MiB (a multiple of 128)."""
    td = ec2_definition(memory="8192", app=8192)
    shot = on_ec2(instance(1), instance(2), desired=2, td=td)
    action = plan_capacity.plan_insufficient_capacity(
        finding("INSUFFICIENT_CPU_MEMORY_ON_CLUSTER"), shot, C5
    )
    assert isinstance(action, Action)
    revision = action.steps[0]
    assert isinstance(revision, ReviseTaskDefinition)
    assert (
        FieldChange("memory", "8192", "7424"),
        FieldChange("memory", 8192, 7424, "app"),
    ) == revision.changes
    back = {"cluster": CLUSTER_ARN, "service": "ledger-api", "taskDefinition": td_arn()}
    assert ApiCall("ecs", "UpdateService", back) == action.rollback[0]


def test_a_cut_to_less_than_half_is_not_guessed():
    """16 GiB asked on 7.3 GiB instances: a person chooses a size or an instance type."""
    shot = on_ec2(instance(1), desired=1, td=ec2_definition(memory="16384"))
    assert None is plan_capacity.plan_insufficient_capacity(
        finding("INSUFFICIENT_CPU_MEMORY_ON_CLUSTER"), shot, C5
    )


# --- CAPACITY_PROVIDER_MISCONFIG --------------------------------------------------------------


def provider_snapshot(provider: CapacityProvider, running: int = 0):
    shot = on_ec2(running=running, capacity_provider_strategy=("payments-c5",), launch_type=None)
    cluster = Cluster(CLUSTER_ARN, "payments", "ACTIVE", capacity_providers=("payments-c5",))
    capacity = CapacityView(cluster=cluster, capacity_providers=(provider,))
    return replace(shot, capacity=capacity)


def test_a_provider_without_managed_scaling_gets_it_turned_on_at_its_target():
    """UpdateCapacityProvider ENABLED at the provider's own target capacity; rollback DISABLED."""
    provider = CapacityProvider("payments-c5", "ACTIVE", GROUP_ARN, "DISABLED", 90, 0, 0, 6)
    action = plan_capacity.plan_capacity_provider(
        finding("CAPACITY_PROVIDER_MISCONFIG"), provider_snapshot(provider), C5
    )
    assert isinstance(action, Action)
    scaling = {"status": "ENABLED", "targetCapacity": 90}
    assert [
        ApiCall("ecs", "UpdateCapacityProvider",
                {"name": "payments-c5", "autoScalingGroupProvider": {"managedScaling": scaling}})
    ] == list(action.steps)  # fmt: skip
    rolled = action.rollback[0].params["autoScalingGroupProvider"]["managedScaling"]
    assert "DISABLED" == rolled["status"]


def test_a_provider_whose_group_is_at_max_gets_room_for_the_waiting_tasks():
    """Managed scaling on, group 2 of max 2, 3 tasks waiting at 2 per instance: MaxSize 4."""
    provider = CapacityProvider("payments-c5", "ACTIVE", GROUP_ARN, "ENABLED", 100, 2, 0, 2)
    lookups = replace(C5, scaling_groups=(group(desired=2, maximum=2),))
    action = plan_capacity.plan_capacity_provider(
        finding("CAPACITY_PROVIDER_MISCONFIG"), provider_snapshot(provider, running=1), lookups
    )
    assert isinstance(action, Action)
    assert ({"AutoScalingGroupName": GROUP, "MaxSize": 4}, 2) == (
        action.steps[0].params,
        action.rollback[0].params["MaxSize"],
    )


# --- AGENT_DISCONNECTED -----------------------------------------------------------------------


def test_the_agent_is_restarted_through_ssm_only_where_it_is_disconnected():
    """SendCommand AWS-RunShellScript on the disconnected instance; nothing to roll back."""
    shot = on_ec2(instance(1), instance(2, agent_connected=False))
    action = plan_capacity.plan_agent_restart(finding("AGENT_DISCONNECTED"), shot)
    assert isinstance(action, Action)
    params = action.steps[0].params
    assert ("ssm:SendCommand", ["i-0c50002"], ["sudo systemctl restart ecs"], ()) == (
        action.steps[0].source,
        params["InstanceIds"],
        params["Parameters"]["commands"],
        action.rollback,
    )


def test_no_disconnected_agent_means_no_restart():
    """The event alone names no instance to act on."""
    assert None is plan_capacity.plan_agent_restart(
        finding("AGENT_DISCONNECTED"), on_ec2(instance(1))
    )


# --- HOST_PORT_CONFLICT -----------------------------------------------------------------------


def bridge(mode: str = "bridge") -> TaskDefinition:
    app = ContainerDefinition(
        "app", "ledger-api:v42",
        port_mappings=(PortMapping(9000, 9000, "tcp", "api", "http"), PortMapping(9100)),
    )  # fmt: skip
    return ec2_definition(containers=(app,), network_mode=mode)


def test_static_host_ports_become_dynamic_keeping_the_rest_of_each_mapping():
    """hostPort 9000 -> 0; the mapping's name and appProtocol stay; unmapped ports untouched."""
    shot = on_ec2(td=bridge())
    action = plan_placement.plan_dynamic_host_ports(finding("HOST_PORT_CONFLICT"), shot)
    assert isinstance(action, Action)
    change = action.steps[0].changes[0]  # type: ignore[union-attr]
    assert [
        {"containerPort": 9000, "hostPort": 0, "protocol": "tcp", "name": "api",
         "appProtocol": "http"},
        {"containerPort": 9100, "protocol": "tcp"},
    ] == change.after  # fmt: skip
    assert ("portMappings", "app", 9000) == (
        change.field,
        change.container,
        change.before[0]["hostPort"],
    )


def test_host_network_mode_gets_a_recommendation_not_a_revision():
    """In host mode the host port is the container port: dynamic ports do not exist there."""
    found = plan_placement.plan_dynamic_host_ports(
        finding("HOST_PORT_CONFLICT"), on_ec2(td=bridge("host"))
    )
    assert isinstance(found, str)
    assert "host network mode" in found


# --- PLACEMENT_CONSTRAINT_UNSATISFIABLE -------------------------------------------------------


def zone_c_subnet() -> Subnet:
    return Subnet("subnet-0priv0c", VPC, f"{REGION}c", "10.20.3.0/24", 180)


def test_awsvpc_subnets_without_an_instance_zone_get_an_equivalent_subnet_there():
    """Instances only in zone c: the VPC's private subnet in c (same NAT route) is added."""
    subnets = (*network_view().subnets, zone_c_subnet())
    table = replace(private_table(), subnet_ids=(*SUBNETS, zone_c_subnet().id))
    shot = on_ec2(instance(1, availability_zone=f"{REGION}c"))
    shot = replace(shot, network=network_view(subnets=subnets, route_tables=(table,)))
    lookups = Lookups(vpc_subnets=subnets)
    action = plan_placement.plan_placement(
        finding("PLACEMENT_CONSTRAINT_UNSATISFIABLE"), shot, lookups
    )
    assert isinstance(action, Action)
    network = action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]
    assert ([*SUBNETS, "subnet-0priv0c"], list(SUBNETS)) == (
        network["subnets"],
        action.rollback[0].params["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
    )


def constrained(*instances: ContainerInstance, expression: str = "attribute:pool == payments"):
    shot = on_ec2(*instances)
    constraints = (PlacementConstraint("memberOf", expression),)
    svc = replace(shot.service, placement_constraints=constraints)
    return replace(shot, service=svc)


def test_an_attribute_no_instance_has_is_put_on_every_instance_and_deleted_on_rollback():
    """PutAttributes pool=payments on both instances; DeleteAttributes undoes it."""
    shot = constrained(instance(1), instance(2))
    action = plan_placement.plan_placement(
        finding("PLACEMENT_CONSTRAINT_UNSATISFIABLE"), shot, Lookups()
    )
    assert isinstance(action, Action)
    attributes = action.steps[0].params["attributes"]
    assert [("pool", "payments", instance(n).arn) for n in (1, 2)] == [
        (a["name"], a["value"], a["targetId"]) for a in attributes
    ]
    assert ("ecs:DeleteAttributes", attributes) == (
        action.rollback[0].source,
        action.rollback[0].params["attributes"],
    )


def test_instances_that_carry_another_value_are_left_to_a_person():
    """pool=batch on the instances: the attribute splits the fleet, nothing is overwritten."""
    shot = constrained(instance(1, attribute_values=(("pool", "batch"),)))
    found = plan_placement.plan_placement(
        finding("PLACEMENT_CONSTRAINT_UNSATISFIABLE"), shot, Lookups()
    )
    assert isinstance(found, str)
    assert "pool=batch" in found


def test_expressions_beyond_plain_equality_are_not_guessed():
    """An instance-type pattern or a built-in attribute cannot be put on an instance."""
    for expression in ("attribute:ecs.instance-type =~ c5.*", "attribute:pool in [a, b]"):
        shot = constrained(instance(1), expression=expression)
        assert None is plan_placement.plan_placement(
            finding("PLACEMENT_CONSTRAINT_UNSATISFIABLE"), shot, Lookups()
        )


# --- lookups and parsing ----------------------------------------------------------------------


def test_the_group_of_running_instances_is_found_through_their_instance_ids():
    """DescribeAutoScalingInstances names the group; its template names the instance type."""
    template = {"LaunchTemplateId": "lt-0c5", "Version": "3"}
    gateway = FakeGateway({
        ("autoscaling", "DescribeAutoScalingInstances"):
            {"AutoScalingInstances": [{"InstanceId": "i-0c50001", "AutoScalingGroupName": GROUP}]},
        ("autoscaling", "DescribeAutoScalingGroups"): {"AutoScalingGroups": [
            {"AutoScalingGroupName": GROUP, "MinSize": 1, "MaxSize": 6, "DesiredCapacity": 1,
             "AvailabilityZones": list(ZONES), "LaunchTemplate": template}]},
        ("ec2", "DescribeLaunchTemplateVersions"):
            {"LaunchTemplateVersions": [{"LaunchTemplateData": {"InstanceType": "c5.xlarge"}}]},
    })  # fmt: skip
    found = cluster_groups(gateway, on_ec2(instance(1)))
    assert (ScalingGroup(GROUP, 1, 6, 1, ZONES, "c5.xlarge"),) == found
    assert ["lt-0c5", "3"] == [
        gateway.calls[2][2]["LaunchTemplateId"],
        *gateway.calls[2][2]["Versions"],
    ]


def test_with_no_instance_the_group_whose_user_data_joins_the_cluster_is_found():
    """Of two groups, only the one whose user data says ECS_CLUSTER=payments is the cluster's."""

    def versions(params):
        cluster = {"lt-pay": "payments", "lt-other": "payments-staging"}[params["LaunchTemplateId"]]
        data = base64.b64encode(
            f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n".encode()
        )
        return {
            "LaunchTemplateVersions": [
                {"LaunchTemplateData": {"UserData": data.decode(), "InstanceType": "c5.xlarge"}}
            ]
        }

    groups = [
        {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 4, "DesiredCapacity": 0,
         "LaunchTemplate": {"LaunchTemplateId": lt, "Version": "$Latest"}}
        for name, lt in (("staging-ecs", "lt-other"), (GROUP, "lt-pay"))
    ]  # fmt: skip
    gateway = FakeGateway({
        ("autoscaling", "DescribeAutoScalingGroups"): {"AutoScalingGroups": groups},
        ("ec2", "DescribeLaunchTemplateVersions"): versions,
    })  # fmt: skip
    found = cluster_groups(gateway, on_ec2())
    assert [GROUP] == [g.name for g in found]


def test_the_service_keeps_its_placement_constraints_and_instances_their_attribute_values():
    """placementConstraints and custom attribute values survive parsing."""
    svc = parse_service({
        "serviceName": "ledger-api", "serviceArn": "arn:svc",
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:pool == payments"}],
    })  # fmt: skip
    ci = parse_container_instance({
        "containerInstanceArn": "arn:ci",
        "attributes": [{"name": "pool", "value": "payments"}, {"name": "ecs.capability.efs"}],
    })  # fmt: skip
    assert (PlacementConstraint("memberOf", "attribute:pool == payments"), "payments") == (
        svc.placement_constraints[0],
        ci.attribute("pool"),
    )


def test_a_dynamic_host_port_is_not_passed_off_as_a_planton_port_change():
    """Planton's spec has one port and no host port: the revision is refused, not mis-mapped."""
    action = plan_placement.plan_dynamic_host_ports(
        finding("HOST_PORT_CONFLICT"), on_ec2(td=bridge())
    )
    assert isinstance(action, Action)
    single = replace(action.steps[0], changes=(replace(action.steps[0].changes[0], after=[  # type: ignore[union-attr]
        {"containerPort": 9000, "hostPort": 0, "protocol": "tcp"}]),))  # fmt: skip
    plan = RemediationPlan((replace(action, id="a1", steps=(single, action.steps[1])),))
    expected = ExpectedSpec(resource="acme/prod/ledger-api", resource_id="ecssvc-9", port=9000)
    planned = for_planton(plan, expected)
    assert ((), 1) == (planned.actions, len(planned.recommendations))


def test_a_provider_without_scaling_and_a_zero_max_gets_both_fixed():
    """Managed scaling on, and MaxSize 0 raised to the waiting tasks' instances (4 at 2 each: 2)."""
    provider = CapacityProvider("payments-c5", "ACTIVE", GROUP_ARN, "DISABLED", 100, 0, 0, 0)
    lookups = replace(C5, scaling_groups=(group(maximum=0),))
    action = plan_capacity.plan_capacity_provider(
        finding("CAPACITY_PROVIDER_MISCONFIG"), provider_snapshot(provider), lookups
    )
    assert isinstance(action, Action)
    assert (
        ["ecs:UpdateCapacityProvider", "autoscaling:UpdateAutoScalingGroup"],
        {"AutoScalingGroupName": GROUP, "MaxSize": 2},
        {"AutoScalingGroupName": GROUP, "DesiredCapacity": 0, "MaxSize": 0},
    ) == ([s.source for s in action.steps], action.steps[1].params, action.rollback[0].params)
    assert '"MaxSize": 2' in action.diff
