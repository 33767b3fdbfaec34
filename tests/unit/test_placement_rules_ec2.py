"""The EC2 placement stage without a lab: which instance takes a task, and what ECS says if none."""

from __future__ import annotations

import pytest

from ecs_medic.lab.ec2_fleet import cluster_of
from ecs_medic.lab.live import LiveInstance
from ecs_medic.lab.stages_placement_ec2 import (
    MISSING_ATTRIBUTE,
    NO_INSTANCES,
    PORT_IN_USE,
    Need,
    agent_error,
    choose,
    insufficient,
    member_of,
)

A = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/aaaa"
B = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/bbbb"


def instance(arn: str = A, **changes: object) -> LiveInstance:
    fields: dict[str, object] = {
        "arn": arn,
        "ec2_instance_id": "i-0123456789abcdef0",
        "status": "ACTIVE",
        "agent_connected": True,
        "remaining_cpu": 2048,
        "remaining_memory": 7680,
        "used_ports": frozenset({22, 2375, 2376, 51678, 51679}),
        "attributes": (("ecs.instance-type", "m5.large"), ("tier", "web")),
        "zone": "us-east-1a",
        "subnet": "subnet-a",
        "private_ip": "10.0.10.5",
    }
    fields.update(changes)
    return LiveInstance(**fields)  # type: ignore[arg-type]


def need(**changes: object) -> Need:
    fields: dict[str, object] = {
        "cpu": 512,
        "memory": 1024,
        "ports": frozenset(),
        "zones": None,
        "constraints": (),
    }
    fields.update(changes)
    return Need(**fields)  # type: ignore[arg-type]


def test_spreads_to_the_instance_with_fewest_of_the_service_tasks():
    chosen = choose([instance(A), instance(B)], need(), {A: 1})
    assert isinstance(chosen, LiveInstance)
    assert chosen.arn == B


def test_no_active_instance_is_the_cluster_event():
    assert choose([], need(), {}) == NO_INSTANCES


@pytest.mark.parametrize(
    ("changed", "wanted", "event"),
    [
        ({"remaining_cpu": 256}, {}, insufficient("aaaa", "CPU units")),
        ({"remaining_memory": 512}, {}, insufficient("aaaa", "memory")),
        ({"used_ports": frozenset({8080})}, {"ports": frozenset({8080})}, PORT_IN_USE),
        ({"agent_connected": False}, {}, agent_error("aaaa")),
        ({}, {"zones": {"us-east-1b": "subnet-b"}}, MISSING_ATTRIBUTE),
        (
            {},
            {"constraints": ({"type": "memberOf", "expression": "attribute:tier == api"},)},
            MISSING_ATTRIBUTE,
        ),
    ],
)
def test_the_event_names_what_the_closest_instance_lacks(changed, wanted, event):
    assert choose([instance(**changed)], need(**wanted), {}) == event


def test_the_closest_instance_is_the_one_passing_the_most_checks():
    """A full instance fails at CPU; a disconnected one with room fails only at the agent."""
    full = instance(A, remaining_cpu=0)
    down = instance(B, agent_connected=False)
    assert choose([full, down], need(), {}) == agent_error("bbbb")


def test_distinct_instance_keeps_a_second_task_off_a_busy_instance():
    constraint = ({"type": "distinctInstance"},)
    assert choose([instance(A)], need(constraints=constraint), {A: 1}) == MISSING_ATTRIBUTE


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("attribute:ecs.instance-type == m5.large", True),
        ("attribute:ecs.instance-type =~ m5.*", True),
        ("attribute:ecs.instance-type =~ c5.*", False),
        ("attribute:ecs.instance-type in [t3.small, m5.large]", True),
        ("attribute:ecs.instance-type not_in [m5.large]", False),
        ("attribute:ecs.availability-zone != us-east-1b", True),
        ("attribute:tier exists", True),
        ("attribute:gpu exists", False),
        ("attribute:gpu == yes or attribute:tier == web", True),
        ("attribute:tier == web and attribute:ecs.instance-type == t3.small", False),
        ("this is not an expression", False),
    ],
)
def test_member_of_expressions(expression, expected):
    assert member_of(instance(), expression) is expected


def test_the_agent_joins_the_cluster_its_user_data_names():
    assert cluster_of("#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n") == "prod"
    assert cluster_of("#!/bin/bash\nyum update -y\n") == "default"
