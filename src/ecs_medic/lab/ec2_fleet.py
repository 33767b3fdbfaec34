"""The ECS agent on a cluster's EC2 instances: registration, connection, restarts.

On every tick it reads the region's EC2 instances as EC2 reports them: a running instance
whose user data names the cluster (`ECS_CLUSTER=`, else "default") registers as a container
instance once it has booted, with the CPU and memory its type offers; a terminated or stopped
one is deregistered. So scaling the Auto Scaling group through the API adds capacity after a
boot delay, and a launch template that names another cluster adds none. The scenario's
`agents_down` stops the agent on that many of the first instances after they registered
(agentConnected false); an SSM Run Command that restarts it (`systemctl restart ecs`, or
`start ecs`) reconnects it a few seconds later, and a replaced instance comes up connected.

ECS managed scaling of a capacity provider (status ENABLED) is modelled here too: while the
cluster's services have tasks no instance could take and no new instance is still booting, it
raises the provider's Auto Scaling group by one, up to MaxSize (CapacityProviderReservation
above its target of 100). With managed scaling DISABLED the group stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ecs_medic.lab import _moto_ecs_instances as instances
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.ec2_spec import INSTANCE_TYPES, Ec2Spec

AGENT_VERSION = "1.89.2"
RESTART_S = 10.0  # from the Run Command until the agent has reconnected
_CLUSTER = re.compile(r"^\s*(?:echo\s+['\"]?)?ECS_CLUSTER=([\w-]+)", re.MULTILINE)
_RESTART = re.compile(r"\b(systemctl\s+(re)?start\s+ecs|(re)?start\s+ecs)\b")
_GONE = frozenset({"shutting-down", "terminated", "stopping", "stopped"})


def cluster_of(user_data: str) -> str:
    """The cluster an instance's agent joins: ECS_CLUSTER from its user data, else default."""
    match = _CLUSTER.search(user_data)
    return match.group(1) if match else "default"


class FleetSim:
    """The ECS agent on every instance that joins one cluster."""

    def __init__(
        self, scope: Scope, cluster: str, spec: Ec2Spec, waiting: Callable[[], int] = lambda: 0
    ) -> None:
        self.scope, self.cluster, self.spec = scope, cluster, spec
        self.waiting = waiting  # tasks the cluster's services could not place on their last try
        self._first_seen: dict[str, float] = {}
        self._ticked = False
        self._handled: set[str] = set()  # Run Command ids already acted on
        self._reconnect_at: dict[str, float] = {}  # container instance ARN -> when

    def tick(self, now: float) -> None:
        """Register booted instances, deregister gone ones, act on agent restarts."""
        registered = instances.registered_hosts(self.scope, self.cluster)
        for host in instances.hosts(self.scope):
            if cluster_of(host.user_data) != self.cluster:
                continue
            arn = registered.get(host.instance_id)
            if arn is not None and host.state in _GONE:
                instances.deregister(self.scope, self.cluster, arn)
            elif arn is None and host.state == "running" and self._booted(host.instance_id, now):
                resources = INSTANCE_TYPES.get(host.instance_type, self.spec.resources())
                instances.register(self.scope, self.cluster, host, resources, AGENT_VERSION)
        if not self._ticked:
            self._ticked = True
            self._stop_agents()
        self._restarts(now)
        self._managed_scaling()

    def _managed_scaling(self) -> None:
        """Scale out a managed provider's group by one while tasks wait and nothing boots."""
        if self.waiting() <= 0:
            return
        registered = instances.registered_hosts(self.scope, self.cluster)
        booting = [
            h
            for h in instances.hosts(self.scope)
            if h.state in ("pending", "running")
            and h.instance_id not in registered
            and cluster_of(h.user_data) == self.cluster
        ]
        if booting:
            return
        for provider in instances.providers(self.scope, self.cluster):
            if provider.managed_scaling and provider.desired < provider.maximum:
                instances.set_group_desired(self.scope, provider.group, provider.desired + 1)
                return

    def _booted(self, instance_id: str, now: float) -> bool:
        """Instances that ran before the first tick booted during the build."""
        first = self._first_seen.setdefault(
            instance_id, now - self.spec.boot_s if not self._ticked else now
        )
        return now >= first + self.spec.boot_s

    def _stop_agents(self) -> None:
        """The host profile: the agent on the first `agents_down` instances has stopped."""
        for found in instances.read_instances(self.scope, self.cluster)[: self.spec.agents_down]:
            instances.set_agent(self.scope, self.cluster, found.arn, connected=False)

    def _restarts(self, now: float) -> None:
        registered = instances.registered_hosts(self.scope, self.cluster)
        for command in instances.shell_commands(self.scope):
            if command.command_id in self._handled:
                continue
            self._handled.add(command.command_id)
            if not any(_RESTART.search(line) for line in command.lines):
                continue
            for instance_id in command.instance_ids:
                if instance_id in registered:
                    self._reconnect_at[registered[instance_id]] = now + RESTART_S
        for arn, when in list(self._reconnect_at.items()):
            if now >= when:
                instances.set_agent(self.scope, self.cluster, arn, connected=True)
                del self._reconnect_at[arn]
