"""CountingGateway: the per-operation call counts benchmarks and tests read."""

from __future__ import annotations

from fake_gateway import FakeGateway

from ecs_medic.aws.gateway import CountingGateway


def test_counts_each_operation_and_passes_answers_through():
    """Answers are the wrapped gateway's; counts are per service:operation."""
    inner = FakeGateway(
        {("ecs", "ListClusters"): {"clusterArns": ["a"]}, ("ec2", "DescribeVpcs"): {}}
    )
    gateway = CountingGateway(inner)
    assert {"clusterArns": ["a"]} == gateway.call("ecs", "ListClusters")
    gateway.call("ecs", "ListClusters")
    gateway.call("ec2", "DescribeVpcs")
    assert {"ecs:ListClusters": 2, "ec2:DescribeVpcs": 1} == dict(gateway.operations)
    assert (inner.transport, inner.api_calls) == (gateway.transport, gateway.api_calls)
