"""Every touch of moto's private internals, in one place (re-check on a moto upgrade).

moto 5.2.5 is pinned exactly. The lab runs moto's server in its own process and writes
what ECS would show straight into moto's backend objects; moto serializes a response by
reading the attribute named like the API member (camelCase or snake_case) or a dict key.
docs/lab.md lists each gap patched here and why.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from moto.core.base_backend import BackendDict, backend_lock
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.moto_api import state_manager
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from ecs_medic.lab import stubs, stubs_trail
from ecs_medic.lab._moto_core import Scope, Wrapper, moto_backend, once, wrap
from ecs_medic.lab.faults import Fault, matching, request_operation, respond
from ecs_medic.lab.live import (
    LiveContainer,
    LiveLoadBalancer,
    LiveService,
    LiveTargetGroup,
    LiveTaskDefinition,
)
from ecs_medic.lab.wire import read_body

ACCOUNT_ID = "123456789012"  # the lab's account; concurrent labs in one process get the next ones
LAB_HEALTH_KEY = "_ecs_medic_lab_health"  # extra key in a moto target dict: (state, reason, text)
_DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


UpdateListener = Callable[[Scope, str, str, bool], None]  # where, cluster, service, forced
_listeners: list[UpdateListener] = []


# --- process-wide state -------------------------------------------------------------------


def reset_and_patch(account: str) -> None:
    """Give the lab a fresh moto account, with the patches installed and tasks frozen."""
    with backend_lock:
        for backends in list(BackendDict._instances):  # type: ignore[misc]
            if account in backends:
                backends[account].reset()
    _install_patches()
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})


def add_update_listener(listener: UpdateListener) -> None:
    """Call `listener` after every ECS UpdateService (a new deployment may be due)."""
    _listeners.append(listener)


def remove_update_listener(listener: UpdateListener) -> None:
    """Stop calling `listener`."""
    if listener in _listeners:
        _listeners.remove(listener)


class _QuietHandler(MotoRequestHandler):
    """The moto request handler without a stderr line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Drop werkzeug's access log line."""


class LabServer:
    """moto's HTTP server on loopback, serving one request at a time under the lab's lock."""

    def __init__(self, lock: threading.RLock, account: str) -> None:
        self._lock = lock
        self._account = account
        self._server: BaseWSGIServer | None = None
        self.account = account
        self.faults: list[Fault] = []  # read by every request; see lab/faults.py
        self.requests: list[tuple[str, str]] = []  # (service, operation) of every request
        self.clients: list[tuple[str, str, str]] = []  # (service, operation, client_tag(...))
        self.clock: Callable[[], float] = time.time  # the lab sets its simulated clock
        self._thread: threading.Thread | None = None

    def start(self, host: str, port: int) -> int:
        """Bind (port 0 picks a free one), serve in a daemon thread, return the port."""
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            host,
            port,
            _serialized(
                app,
                self._lock,
                self._account,
                self.faults,
                (self.requests, self.clients),
                clock=lambda: self.clock(),  # noqa: PLW0108 - the lab replaces `clock` after start
            ),
            True,
            request_handler=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ecs-medic-lab-moto", daemon=True
        )
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        """Shut the server down and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _serialized(
    app: Any,
    lock: threading.RLock,
    account: str,
    faults: list[Fault],
    logs: tuple[list[tuple[str, str]], list[tuple[str, str, str]]],
    *,
    clock: Callable[[], float],
) -> Callable[..., Iterable[bytes]]:
    """Wrap a WSGI app: one request at a time, in the lab's account, faults answered first.

    Requests never interleave with a tick; an operation with an injected fault gets AWS's
    error instead of moto's answer. Write calls go to the lab's CloudTrail history.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        operation = request_operation(environ)
        requests, clients = logs
        requests.append(operation)
        clients.append((*operation, client_tag(str(environ.get("HTTP_USER_AGENT", "")))))
        body = read_body(environ)
        statuses: list[str] = []

        def respond_as(status: str, headers: Any, *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *rest)

        with lock:
            if faults and (fault := matching(faults, *operation)):
                out = list(respond(fault, environ, account, respond_as))
            else:
                stubbed = stubs.answer(operation, environ, account, respond_as)
                out = list(stubbed if stubbed is not None else app(environ, respond_as))
            status = statuses[0] if statuses else "200 OK"
            stubs_trail.note(operation, environ, body, (status, b"".join(out)), clock())
        return out

    return wsgi


_MCP_AGENT = re.compile(r"md/awslabs#mcp#([\w.-]+?)#")


def client_tag(user_agent: str) -> str:
    """Which client sent a request: an awslabs MCP server's name, "planton-standin", or "sdk"."""
    if match := _MCP_AGENT.search(user_agent):
        return match[1]
    return "planton-standin" if "planton-standin" in user_agent else "sdk"


# --- patches --------------------------------------------------------------------------------


@once
def _install_patches() -> None:
    """Install the gap patches once per process (each one is inert for non-lab objects)."""
    wrap(FakeTargetGroup, "health_for", _health_for)
    wrap(EC2ContainerServiceBackend, "list_tasks", _list_tasks)
    wrap(EC2ContainerServiceBackend, "update_service", _update_service)
    wrap(EC2ContainerServiceResponse, "create_service", _create_service)
    from ecs_medic.lab import _moto_fargate, _moto_lb  # noqa: PLC0415 - they build on this module

    _moto_fargate.install()  # AWS's refusals at registration and deployment
    _moto_lb.install()  # ELB's refusals in SetSubnets


def _health_for(original: Wrapper, self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
    """Report the lab's target state: moto calls every registered ip target healthy."""
    registered = self.targets.get(target["Id"])
    if registered is None or LAB_HEALTH_KEY not in registered:
        return original(self, target, ec2_backend)
    state, reason, text = registered[LAB_HEALTH_KEY]
    port = registered["Port"]
    return FakeHealthStatus(registered["Id"], port, self.health_check_port, state, reason, text)


def _list_tasks(  # noqa: PLR0917 - mirrors moto's signature
    original: Wrapper,
    self: Any,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,  # noqa: N803 - moto's parameter name
) -> list[Any]:
    """Filter on serviceName and default to RUNNING, as AWS does (moto does neither).

    moto also matches the cluster as a substring of the task's cluster ARN, so cluster
    `healthy-ec2` listed the tasks of `healthy-ec2-bridge`; only the exact cluster counts.
    """
    tasks = original(
        self,
        cluster_str,
        container_instance,
        family,
        started_by,
        None,
        desiredStatus or "RUNNING",
    )
    if cluster_str:
        name = cluster_str.rsplit("/", 1)[-1]
        tasks = [t for t in tasks if t.cluster_arn.rsplit("/", 1)[-1] == name]
    if not service_name:
        return list(tasks)
    group = f"service:{service_name.rsplit('/', 1)[-1]}"
    return [t for t in tasks if t.group == group]


def _update_service(original: Wrapper, self: Any, service_properties: dict[str, Any]) -> Any:
    """Tell the lab about every UpdateService so it can start a deployment as ECS would."""
    cluster = str(service_properties.get("cluster", "default")).rsplit("/", 1)[-1]
    name = str(service_properties.get("service", "")).rsplit("/", 1)[-1]
    forced = bool(service_properties.get("force_new_deployment", False))
    service = original(self, service_properties)
    for listener in list(_listeners):
        listener(Scope(self.account_id, self.region_name), cluster, name, forced)
    return service


def _create_service(original: Wrapper, self: Any) -> Any:
    """Keep deploymentConfiguration and the grace period, which moto drops on CreateService."""
    result = original(self)
    service = self.ecs_backend._get_service(
        self._get_param("cluster", "default"), self._get_param("serviceName")
    )
    configuration = self._get_param("deploymentConfiguration")
    service.deployment_configuration = configuration or dict(_DEFAULT_DEPLOYMENT_CONFIGURATION)
    service.health_check_grace_period_seconds = self._get_param("healthCheckGracePeriodSeconds")
    return result


# --- reads ----------------------------------------------------------------------------------


def read_service(scope: Scope, cluster: str, name: str) -> LiveService | None:
    """The service's live configuration, or None when it no longer exists."""
    service = moto_backend("ecs", scope).services.get(f"{cluster}:{name}")
    if service is None or service.status != "ACTIVE":
        return None
    config = getattr(service, "deployment_configuration", None) or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    vpc = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
    deployments = service.deployments or []
    return LiveService(
        arn=service.arn,
        name=service.name,
        cluster=service.cluster_name,
        desired=int(service.desired_count or 0),
        task_definition=str(service.task_definition or ""),
        deployment_id=deployments[0].get("id") if deployments else None,
        load_balancers=tuple(_load_balancer(lb) for lb in service.load_balancers or []),
        subnets=tuple(vpc.get("subnets") or ()),
        security_groups=tuple(vpc.get("securityGroups") or ()),
        assign_public_ip=str(vpc.get("assignPublicIp") or "DISABLED"),
        circuit_breaker=bool(breaker.get("enable", False)),
        rollback=bool(breaker.get("rollback", False)),
        minimum_healthy_percent=int(config.get("minimumHealthyPercent", 100)),
        maximum_percent=int(config.get("maximumPercent", 200)),
        grace_period_s=int(getattr(service, "health_check_grace_period_seconds", None) or 0),
        platform_version=service.platform_version,
        launch_type=_launch_type(service),
        capacity_providers=_ec2_providers(service),
    )


def _ec2_providers(service: Any) -> tuple[str, ...]:
    """EC2 capacity providers of the service's strategy (moto keeps it only if the lab did)."""
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    names = (str(s.get("capacityProvider", "")) for s in strategy)
    return tuple(n for n in names if n and n not in ("FARGATE", "FARGATE_SPOT"))


def _launch_type(service: Any) -> str:
    """The launch type, or EC2 for a strategy of EC2 capacity providers (FARGATE otherwise)."""
    if service.launch_type:
        return str(service.launch_type)
    return "EC2" if _ec2_providers(service) else "FARGATE"


def _load_balancer(entry: dict[str, Any]) -> LiveLoadBalancer:
    return LiveLoadBalancer(
        target_group_arn=str(entry.get("targetGroupArn", "")),
        container_name=str(entry.get("containerName", "")),
        container_port=int(entry.get("containerPort", 0)),
    )


def read_task_definition(scope: Scope, ref: str) -> LiveTaskDefinition | None:
    """A task definition by ARN, family:revision or family (latest), or None."""
    try:
        definition = moto_backend("ecs", scope).describe_task_definition(ref)
    except (TaskDefinitionNotFoundException, ValueError):
        return None
    return LiveTaskDefinition(
        arn=definition.arn,
        family=definition.family,
        revision=int(definition.revision),
        cpu=_int_or_none(definition.cpu),
        memory=_int_or_none(definition.memory),
        network_mode=definition.network_mode,
        containers=tuple(_container(c) for c in definition.container_definitions),
    )


def _container(spec: dict[str, Any]) -> LiveContainer:
    options = (spec.get("logConfiguration") or {}).get("options") or {}
    names = [e.get("name", "") for e in spec.get("environment") or []]
    names += [s.get("name", "") for s in spec.get("secrets") or []]
    return LiveContainer(
        name=str(spec.get("name", "")),
        image=str(spec.get("image", "")),
        essential=bool(spec.get("essential", True)),
        memory=_int_or_none(spec.get("memory")),
        memory_reservation=_int_or_none(spec.get("memoryReservation")),
        ports=tuple(int(p["containerPort"]) for p in spec.get("portMappings") or []),
        environment=tuple(n for n in names if n),
        log_group=options.get("awslogs-group"),
        stream_prefix=options.get("awslogs-stream-prefix"),
        **_process(spec),
    )


def _process(spec: dict[str, Any]) -> dict[str, Any]:
    """entryPoint, command, healthCheck, init process and stopTimeout of a container definition."""
    check = spec.get("healthCheck") or {}
    timing = (
        int(check.get("interval", 30)),
        int(check.get("timeout", 5)),
        int(check.get("retries", 3)),
        int(check.get("startPeriod", 0)),
    )
    linux = spec.get("linuxParameters") or {}
    return {
        "entry_point": tuple(str(p) for p in spec.get("entryPoint") or ()),
        "command": tuple(str(p) for p in spec.get("command") or ()),
        "health_check": tuple(str(p) for p in check.get("command") or ()),
        "health_check_timing": timing,
        "init_process": bool(linux.get("initProcessEnabled", False)),
        "stop_timeout": int(spec.get("stopTimeout") or 30),
    }


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def read_target_group(scope: Scope, arn: str) -> LiveTargetGroup | None:
    """A target group's health-check settings, or None when it was deleted."""
    group = moto_backend("elbv2", scope).target_groups.get(arn)
    if group is None:
        return None
    matcher = getattr(group, "matcher", None) or {}
    return LiveTargetGroup(
        arn=group.arn,
        port=_int_or_none(group.port),
        target_type=str(group.target_type),
        health_check_enabled=bool(group.health_check_enabled),
        health_check_path=str(group.health_check_path or "/"),
        health_check_port=str(group.health_check_port or "traffic-port"),
        matcher=str(matcher.get("HttpCode", "200")),
        interval_s=int(group.health_check_interval_seconds),
        healthy_threshold=int(group.healthy_threshold_count),
        unhealthy_threshold=int(group.unhealthy_threshold_count),
        deregistration_delay_s=int(group.attributes["deregistration_delay.timeout_seconds"]),
    )


def image_digest(scope: Scope, image: str) -> tuple[bool, str | None]:
    """Whether an image reference resolves in the lab's ECR, and its digest.

    Images outside this account's ECR are assumed pullable (no public registry is modelled yet).
    """
    host, _, rest = image.partition("/")
    if not host.endswith(".amazonaws.com") or not rest:
        return True, None
    repository_name, tag, digest = _split_reference(rest)
    repository = moto_backend("ecr", scope).repositories.get(repository_name)
    if repository is None:
        return False, None
    for candidate in repository.images:
        found = candidate.get_image_digest()
        if (tag and tag in candidate.image_tags) or (digest and digest == found):
            return True, str(found)
    return False, None


def _split_reference(reference: str) -> tuple[str, str | None, str | None]:
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return name, None, digest
    name, _, tag = reference.rpartition(":")
    return (name, tag, None) if name else (reference, "latest", None)


def log_group_exists(scope: Scope, name: str) -> bool:
    """Whether a CloudWatch Logs group exists."""
    return name in moto_backend("logs", scope).groups


# --- writes ---------------------------------------------------------------------------------


def launch_task(
    scope: Scope,
    service: LiveService,
    task_definition_arn: str,
    started_by: str,
    subnet: str,
) -> Any:
    """Create a Fargate task for the service (moto's run_task wants memory per container)."""
    network = {
        "awsvpcConfiguration": {
            "subnets": [subnet],
            "securityGroups": list(service.security_groups),
            "assignPublicIp": service.assign_public_ip,
        }
    }
    task = new_task(
        scope,
        service,
        task_definition_arn,
        started_by,
        launch_type="FARGATE",
        networking_configuration=network,
        platform_version=service.platform_version or "1.4.0",
    )
    _place_in_subnet(scope, task, subnet)
    return task


def new_task(
    scope: Scope,
    service: LiveService,
    task_definition_arn: str,
    started_by: str,
    *,
    launch_type: str,
    container_instance_arn: str | None = None,
    networking_configuration: dict[str, Any] | None = None,
    platform_version: str | None = None,
) -> Any:
    """A moto Task of the service's revision, filed under its cluster.

    moto's run_task wants memory per container, which the lab's revisions may leave to the task.
    """
    backend = moto_backend("ecs", scope)
    cluster = backend._get_cluster(service.cluster)
    task = Task(
        cluster=cluster,
        task_definition=backend.describe_task_definition(task_definition_arn),
        container_instance_arn=container_instance_arn,
        resource_requirements=None,
        backend=backend,
        group=f"service:{service.name}",
        launch_type=launch_type,
        started_by=started_by,
        networking_configuration=networking_configuration,
        platform_version=platform_version,
    )
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def _place_in_subnet(scope: Scope, task: Any, subnet_id: str) -> None:
    """Give the task ENI an address in its subnet (moto draws one from all of 10/8)."""
    ec2 = moto_backend("ec2", scope)
    network = ipaddress.IPv4Network(ec2.get_subnet(subnet_id).cidr_block)
    ip = str(network.network_address + 4 + secrets.randbelow(network.num_addresses - 5))
    details = {d["name"]: d for d in task.attachments[0]["details"]}
    eni = ec2.enis[details["networkInterfaceId"]["value"]]
    eni.private_ip_address = ip
    eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ip}]
    details["privateIPv4Address"]["value"] = ip
    details["privateDnsName"]["value"] = f"ip-{ip.replace('.', '-')}.ec2.internal"


def task_arn(task: Any) -> str:
    """The task's ARN."""
    return str(task.task_arn)


def task_network(task: Any) -> tuple[str, str, str]:
    """The task's (subnet id, private IPv4 address, ENI id)."""
    details = {d["name"]: d["value"] for d in task.attachments[0]["details"]}
    return details["subnetId"], details["privateIPv4Address"], details["networkInterfaceId"]


def subnet_zone(scope: Scope, subnet_id: str) -> str:
    """The availability zone of a subnet."""
    return str(moto_backend("ec2", scope).get_subnet(subnet_id).availability_zone)


def write_task(task: Any, fields: dict[str, Any], containers: Sequence[dict[str, Any]]) -> None:
    """Set what describe_tasks shows: snake_case task attributes, camelCase container keys."""
    for name, value in fields.items():
        setattr(task, name, value)
    task.containers = [dict(c) for c in containers]


def release_eni(scope: Scope, task: Any) -> None:
    """Detach and delete the task's ENI, as Fargate does when a task stops (bridge: none)."""
    if not task.attachments:
        return
    _, _, eni_id = task_network(task)
    moto_backend("ec2", scope).enis.pop(eni_id, None)
    task.attachments[0]["status"] = "DELETED"


def forget_task(scope: Scope, cluster: str, task: Any) -> None:
    """Drop a stopped task from moto (AWS forgets stopped tasks after about an hour)."""
    moto_backend("ecs", scope).tasks.get(cluster, {}).pop(task.task_arn, None)


def publish_service(
    scope: Scope,
    service: LiveService,
    *,
    counts: tuple[int, int],
    deployments: list[dict[str, Any]],
    events: list[dict[str, Any]],
    task_definition_arn: str | None,
) -> None:
    """Set the service's counters, deployments and events as describe_services shows them."""
    target = moto_backend("ecs", scope).services[f"{service.cluster}:{service.name}"]
    target.running_count, target.pending_count = counts
    target.deployments = deployments
    target.events = events
    if task_definition_arn:
        target.task_definition = task_definition_arn


def set_target(
    scope: Scope,
    target_group_arn: str,
    ip: str,
    port: int,
    health: tuple[str, str | None, str | None],
) -> None:
    """Register (or update) an ip target with the health the simulation decided."""
    group = moto_backend("elbv2", scope).target_groups.get(target_group_arn)
    if group is not None:
        group.targets[ip] = {"Id": ip, "Port": port, LAB_HEALTH_KEY: health}
        group.deregistered_targets.pop(ip, None)


def remove_target(scope: Scope, target_group_arn: str, ip: str) -> None:
    """Finish deregistering an ip target."""
    group = moto_backend("elbv2", scope).target_groups.get(target_group_arn)
    if group is not None and ip in group.targets:
        group.deregistered_targets[ip] = group.targets.pop(ip)


def put_log_lines(
    scope: Scope, group: str, stream: str, lines: Sequence[tuple[datetime, str]]
) -> bool:
    """Append lines to an awslogs stream, creating it; False when the group does not exist.

    Written to the stream object directly: PutLogEvents would drop simulated timestamps
    more than two hours ahead of the wall clock (`lab serve` at high speed).
    """
    log_group = moto_backend("logs", scope).groups.get(group)
    if log_group is None:
        return False
    if stream not in log_group.streams:
        log_group.create_log_stream(stream)
    events = [{"timestamp": int(at.timestamp() * 1000), "message": text} for at, text in lines]
    if events:
        log_group.streams[stream].put_log_events(events)
    return True
