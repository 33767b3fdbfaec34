"""The capacity view: cluster, EC2 capacity, autoscaling, metrics, rollouts, protection."""

from __future__ import annotations

from typing import Any

from fake_account import ASG, CLUSTER, TARGET, TD, account, on_ec2

from ecs_medic.aws.collector import Collector


def operations(gateway: Any) -> set[str]:
    return {op for _, op, _ in gateway.calls}


def test_fargate_service_reads_no_ec2_capacity():
    """No container instance, capacity provider, ASG or trunking call for Fargate."""
    gateway = account()
    capacity = Collector(gateway).collect(TARGET).capacity
    assert set() == operations(gateway) & {
        "ListContainerInstances",
        "DescribeContainerInstances",
        "DescribeCapacityProviders",
        "DescribeAutoScalingGroups",
        "ListAccountSettings",
    }
    assert ((), (), None) == (
        capacity.container_instances,
        capacity.capacity_providers,
        capacity.awsvpc_trunking,
    )


def test_cluster_settings_are_read():
    """DescribeClusters with SETTINGS: Container Insights is visible."""
    gateway = account()
    cluster = Collector(gateway).collect(TARGET).capacity.cluster
    assert cluster is not None
    assert (CLUSTER, (("containerInsights", "enabled"),)) == (cluster.arn, cluster.settings)
    assert [["SETTINGS"]] == [
        p["include"] for _, op, p in gateway.calls if op == "DescribeClusters"
    ]


def test_ec2_launch_type_reads_container_instances():
    """Remaining CPU, memory and ports, the agent state and the instance's AZ and type."""
    gateway = account()
    on_ec2(gateway, launchType="EC2")
    capacity = Collector(gateway).collect(TARGET).capacity
    assert [("i-0abc", False, 256, 128, (22, 8080), "eu-west-1b", "t3.medium", "1.80.0")] == [
        (
            i.ec2_instance_id,
            i.agent_connected,
            i.remaining_cpu,
            i.remaining_memory,
            i.reserved_ports,
            i.availability_zone,
            i.instance_type,
            i.agent_version,
        )
        for i in capacity.container_instances
    ]
    assert "DescribeCapacityProviders" not in operations(gateway)  # no strategy, no provider
    assert capacity.awsvpc_trunking is False


def test_capacity_provider_strategy_reads_providers_and_their_groups():
    """A non-Fargate provider in the strategy: the provider, then its Auto Scaling group."""
    gateway = account()
    on_ec2(gateway, capacityProviderStrategy=[{"capacityProvider": "ledger-cp", "weight": 1}])
    capacity = Collector(gateway).collect(TARGET).capacity
    assert [("ledger-cp", ASG, "ENABLED", 100, 1, 1, 1)] == [
        (
            p.name,
            p.asg_arn,
            p.managed_scaling,
            p.target_capacity,
            p.asg_desired,
            p.asg_min,
            p.asg_max,
        )
        for p in capacity.capacity_providers
    ]
    assert [["ledger-asg"]] == [
        p["AutoScalingGroupNames"]
        for _, op, p in gateway.calls
        if op == "DescribeAutoScalingGroups"
    ]


def test_fargate_capacity_providers_are_not_described():
    """FARGATE and FARGATE_SPOT in the strategy mean Fargate: nothing to describe."""
    gateway = account()
    entry = gateway.answers["ecs", "DescribeServices"]["services"][0]
    entry.pop("launchType")
    entry["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE_SPOT"}]
    Collector(gateway).collect(TARGET)
    assert "DescribeCapacityProviders" not in operations(gateway)


def test_no_scalable_target_costs_one_call():
    """Without a scalable target, policies, activities and alarms are not read."""
    gateway = account()
    capacity = Collector(gateway).collect(TARGET).capacity
    assert capacity.autoscaling is None
    assert {"DescribeScalableTargets"} == {
        op for s, op, _ in gateway.calls if s == "application-autoscaling"
    }


def test_autoscaling_target_policies_activities_and_alarms():
    """At max capacity: the not-scaled activity and the alarm in ALARM are kept."""
    gateway = account(
        **{
            "application-autoscaling:DescribeScalableTargets": {
                "ScalableTargets": [
                    {
                        "MinCapacity": 2,
                        "MaxCapacity": 4,
                        "SuspendedState": {"DynamicScalingInSuspended": False},
                    }
                ]
            },
            "application-autoscaling:DescribeScalingPolicies": {
                "ScalingPolicies": [
                    {
                        "PolicyName": "cpu70",
                        "Alarms": [{"AlarmName": "cpu-high", "AlarmARN": "arn:a"}],
                    }
                ]
            },
            "application-autoscaling:DescribeScalingActivities": {
                "ScalingActivities": [
                    {
                        "StatusCode": "Failed",
                        "Description": "Attempting to scale",
                        "StartTime": 1764151200,
                        "NotScaledReasons": [{"Code": "AlreadyAtMaxCapacity", "MaxCapacity": 4}],
                    }
                ]
            },
            "cloudwatch:DescribeAlarms": {
                "MetricAlarms": [{"AlarmName": "cpu-high", "StateValue": "ALARM"}]
            },
        }
    )
    scaling = Collector(gateway).collect(TARGET).capacity.autoscaling
    assert scaling is not None
    assert scaling.target is not None
    assert ((2, 4, False), ("cpu70",), ("cpu-high",)) == (
        (scaling.target.min_capacity, scaling.target.max_capacity, scaling.target.suspended),
        scaling.policy_names,
        scaling.alarms_in_alarm,
    )
    assert [("Failed", ("AlreadyAtMaxCapacity",))] == [
        (a.status_code, a.not_scaled_reasons) for a in scaling.activities
    ]
    resource = "service/payments/ledger-api"
    assert [resource] == [
        p["ResourceId"] for _, op, p in gateway.calls if op == "DescribeScalingActivities"
    ]


def test_memory_and_cpu_come_from_one_metric_query():
    """Maximum and Average of both metrics in one GetMetricData; empty series are None."""
    gateway = account()
    capacity = Collector(gateway).collect(TARGET).capacity
    memory, cpu = capacity.metric("MemoryUtilization"), capacity.metric("CPUUtilization")
    assert memory is not None
    assert cpu is not None
    assert ((99.5, 65.0, 2), (None, None, 0)) == (
        (memory.maximum, memory.average, memory.datapoints),
        (cpu.maximum, cpu.average, cpu.datapoints),
    )
    (request,) = [p for _, op, p in gateway.calls if op == "GetMetricData"]
    assert 4 == len(request["MetricDataQueries"])
    assert isinstance(request["StartTime"], str)  # JSON-friendly for the MCP transport


def test_circuit_breaker_counts_come_from_service_deployments():
    """failureCount and threshold of the newest service deployment."""
    capacity = Collector(account()).collect(TARGET).capacity
    assert [("arn:sd/1", "IN_PROGRESS", 3, 10)] == [
        (c.deployment_arn, c.status, c.failure_count, c.threshold)
        for c in capacity.circuit_breakers
    ]


def test_task_protection_is_read_only_while_a_rollout_waits():
    """Two deployments: protection of the running tasks is read; one deployment: it is not."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    assert "GetTaskProtection" not in operations(gateway)

    gateway = account(
        **{
            "ecs:GetTaskProtection": {
                "protectedTasks": [
                    {
                        "taskArn": "arn:t/bbb222",
                        "protectionEnabled": True,
                        "expirationDate": "2026-11-26T12:00:00Z",
                    }
                ]
            }
        }
    )
    entry = gateway.answers["ecs", "DescribeServices"]["services"][0]
    entry["deployments"].append({"id": "ecs-svc/0", "status": "ACTIVE", "taskDefinition": TD})
    protection = Collector(gateway).collect(TARGET).capacity.task_protection
    assert [("arn:t/bbb222", True, 2026)] == [
        (p.task_arn, p.enabled, p.expires_at.year if p.expires_at else None) for p in protection
    ]


def test_completed_rollout_costs_no_service_deployment_calls():
    """A COMPLETED rollout has nothing left for the circuit breaker to count."""
    gateway = account()
    entry = gateway.answers["ecs", "DescribeServices"]["services"][0]
    entry["deployments"][0]["rolloutState"] = "COMPLETED"
    capacity = Collector(gateway).collect(TARGET).capacity
    assert set() == operations(gateway) & {"ListServiceDeployments", "DescribeServiceDeployments"}
    assert () == capacity.circuit_breakers


def test_failed_rollout_costs_no_service_deployment_calls():
    """A FAILED rollout's verdict and failedTasks are already in DescribeServices."""
    gateway = account()
    entry = gateway.answers["ecs", "DescribeServices"]["services"][0]
    entry["deployments"][0]["rolloutState"] = "FAILED"
    Collector(gateway).collect(TARGET)
    assert set() == operations(gateway) & {"ListServiceDeployments", "DescribeServiceDeployments"}
