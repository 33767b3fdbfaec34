"""The optional `ec2:` section of a scenario: the EC2 capacity behind an EC2-launch-type service.

The account builder (lab/builder_ec2.py) turns it into what a user's infrastructure code
creates: an instance role and profile, a launch template whose user data names the cluster
(ECS_CLUSTER), an Auto Scaling group in the private subnets, and the container instances the
ECS agent registers. It also says how the task definition and service use that capacity
(network mode, host port, placement constraints). Like the application profile, `agents_down`
describes the hosts, not a failure: the ECS agent on that many instances has stopped since it
registered, which only `agentConnected` shows. The placement stage
(lab/stages_placement_ec2.py) decides from all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the ECS agent registers for an instance type: CPU units and MiB (the instance's memory
# minus what the OS and the agent keep).
INSTANCE_TYPES: dict[str, tuple[int, int]] = {
    "t3.small": (2048, 1901),
    "t3.medium": (2048, 3828),
    "c5.large": (2048, 3702),
    "m5.large": (2048, 7680),
    "m5.xlarge": (4096, 15577),
    "r5.large": (2048, 15577),
}
AGENT_PORTS = ("22", "2375", "2376", "51678", "51679")  # reserved on every instance
AMI_ID = "ami-0a1b2c3d4e5f60718"  # stands for the ECS-optimized Amazon Linux 2023 AMI


@dataclass(frozen=True, slots=True)
class Ec2Spec:
    """EC2 capacity for the scenario's cluster and how the service's tasks use it."""

    instance_type: str = "m5.large"
    instances: int = 2  # the Auto Scaling group's desired capacity
    max_instances: int = 4  # its MaxSize
    network_mode: str = "awsvpc"  # awsvpc or bridge
    host_port: int = 0  # bridge: hostPort of every container port (0: dynamic host ports)
    placement_constraints: tuple[str, ...] = ()  # memberOf expressions of the service
    agents_down: int = 0  # instances whose ECS agent stopped after registering (host profile)
    boot_s: int = 90  # from launch until the agent registers a new instance
    service_zone: str | None = None  # awsvpc: the service's subnets only in this zone ("b")
    capacity_provider: bool = False  # the service uses a capacity provider on the group instead
    managed_scaling: bool = True  # the capacity provider's managed scaling (ECS sizes the group)

    def resources(self) -> tuple[int, int]:
        """CPU units and MiB the agent registers for the instance type."""
        return INSTANCE_TYPES.get(self.instance_type, INSTANCE_TYPES["m5.large"])
