"""The stand-in's data: Planton-shaped records (snake_case protojson) built from lab seeds."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]
KIND = "AwsEcsService"
CONNECTION_KIND = "AwsProviderConnection"
OPENMCF_API = "aws.openmcf.org/v1"
ROLE_NAME = "planton-ecs-medic"
CREATED_AT = "2026-03-01T09:12:44Z"


@dataclass(frozen=True, slots=True)
class EcsServiceSeed:
    """What the lab tells the stand-in about one live ECS service."""

    name: str
    env: str
    region: str
    account_id: str
    cluster_arn: str
    service_arn: str
    cpu: int | None = None
    memory: int | None = None
    image_repo: str = ""
    image_tag: str = ""
    port: int | None = None
    replicas: int = 1
    grace_period_s: int | None = None
    health_check_path: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    target_group_arn: str | None = None
    log_group: str | None = None
    execution_role_arn: str | None = None
    min_tasks: int | None = None  # the scalable target, when the service autoscales
    max_tasks: int | None = None
    target_cpu_percent: int | None = None


def short_id(prefix: str, *parts: str) -> str:
    """A stable Planton-style id, e.g. `ecssvc-01a2b3c4d5`."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()[:10]
    return f"{prefix}-01{digest}"


def value(text: str) -> JsonDict:
    """A value-or-reference field holding a plain value."""
    return {"value": text}


def cluster_ref(seed: EcsServiceSeed) -> JsonDict:
    """The cluster as a reference to an AwsEcsCluster output (resolved by the server)."""
    return {
        "value_from": {
            "env": seed.env,
            "field_path": "status.outputs.cluster_arn",
            "kind": "AwsEcsCluster",
            "name": seed.cluster_arn.rsplit("/", 1)[-1],
        }
    }


def service_spec(seed: EcsServiceSeed) -> JsonDict:
    """The AwsEcsService spec (alphabetical keys, zero values left out, as protojson does)."""
    container: JsonDict = {
        "image": {"repo": seed.image_repo, "tag": seed.image_tag},
        "logging": {"enabled": True},
        "replicas": seed.replicas,
    }
    container.update({k: v for k, v in (("cpu", seed.cpu), ("memory", seed.memory)) if v})
    if seed.port:
        container["port"] = seed.port
    spec: JsonDict = {
        "cluster_arn": cluster_ref(seed),
        "container": dict(sorted(container.items())),
        "network": {
            "security_groups": [value(s) for s in seed.security_groups],
            "subnets": [value(s) for s in seed.subnets],
        },
        "region": seed.region,
    }
    if seed.grace_period_s is not None:
        spec["health_check_grace_period_seconds"] = seed.grace_period_s
    if seed.execution_role_arn:
        spec["iam"] = {"task_execution_role_arn": value(seed.execution_role_arn)}
    if seed.min_tasks is not None and seed.max_tasks is not None:
        scaling = {"enabled": True, "max_tasks": seed.max_tasks, "min_tasks": seed.min_tasks}
        if seed.target_cpu_percent:
            scaling["target_cpu_percent"] = seed.target_cpu_percent
        spec["autoscaling"] = scaling
    if seed.target_group_arn:
        spec["alb"] = {
            "enabled": True,
            "health_check": {"path": seed.health_check_path or "/", "protocol": "HTTP"},
            "listener_port": 80,
            "path": "/",
            "routing_type": "path",
        }
    return dict(sorted(spec.items()))


def service_outputs(seed: EcsServiceSeed) -> JsonDict:
    """`status.outputs` of the stack that deployed the service."""
    outputs = {
        "aws_ecs_service_name": seed.name,
        "ecs_cluster_name": seed.cluster_arn,
        "service_arn": seed.service_arn,
    }
    if seed.log_group:
        outputs["cloudwatch_log_group_name"] = seed.log_group
    if seed.target_group_arn:
        outputs["target_group_arn"] = seed.target_group_arn
    return dict(sorted(outputs.items()))


def cloud_object(seed: EcsServiceSeed, org: str, resource_id: str) -> JsonDict:
    """The AwsEcsService envelope as Planton stores it."""
    return {
        "api_version": OPENMCF_API,
        "kind": KIND,
        "metadata": {
            "env": seed.env,
            "id": resource_id,
            "name": seed.name,
            "org": org,
            "slug": seed.name,
        },
        "spec": service_spec(seed),
        "status": {"outputs": service_outputs(seed)},
    }


def connection_record(org: str, slug: str, account_id: str, region: str) -> JsonDict:
    """An AwsProviderConnection that assumes a role in the lab account (no secret values)."""
    return {
        "api_version": "connect.planton.ai/v1",
        "kind": CONNECTION_KIND,
        "metadata": {"id": short_id("awsconn", org, slug), "name": slug, "org": org, "slug": slug},
        "spec": {
            "account_id": value(account_id),
            "auth_mode": "cross_account_trust",
            "capabilities": ["ecs", "vpc_networking", "ecr_registry"],
            "external_id": {"secret": f"{slug}-external-id"},
            "iam_role_arn": f"arn:aws:iam::{account_id}:role/{ROLE_NAME}",
            "region": value(region),
        },
        "status": {"audit": {"spec_audit": {"created_at": CREATED_AT}}},
    }


def stack_job(
    resource: JsonDict, job_id: str, result: str, errors: list[str], status: str = "completed"
) -> JsonDict:
    """An `update` stack job for the resource wrapper (completed unless `status` says not)."""
    meta = resource["metadata"]
    progress: JsonDict = {"result": result, "status": status}
    if errors:
        progress["errors"] = errors
    return {
        "api_version": "infra-hub.planton.ai/v1",
        "kind": "StackJob",
        "metadata": {"env": meta["env"], "id": job_id, "org": meta["org"]},
        "spec": {"cloud_resource": resource, "stack_job_operation": "update"},
        "status": {
            "iac_operations": {"update": {"result": result, "status": status}},
            "progress": progress,
        },
    }


@dataclass
class PlantonStore:
    """Resources, stack jobs and connections of one organisation; safe across threads."""

    org: str
    connection_slug: str = "aws-lab"
    resources: dict[str, JsonDict] = field(default_factory=dict)  # id -> CloudResource
    stack_jobs: dict[str, JsonDict] = field(default_factory=dict)  # resource id -> StackJob
    connections: dict[str, JsonDict] = field(default_factory=dict)  # slug -> connection
    clusters: dict[tuple[str, str], str] = field(default_factory=dict)  # (env, name) -> ARN
    applied: list[JsonDict] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # What a stack job does with an applied spec: deploy it, return the errors (none: ok).
    # None: the job only records the spec (no AWS behind the stand-in).
    deployer: Callable[[JsonDict], list[str]] | None = None

    @classmethod
    def from_seeds(cls, org: str, seeds: list[EcsServiceSeed]) -> PlantonStore:
        """A store with one AwsEcsService per seed and one connection to their account."""
        store = cls(org=org)
        for seed in seeds:
            store.add_service(seed)
        if seeds:
            first = seeds[0]
            store.connections[store.connection_slug] = connection_record(
                org, store.connection_slug, first.account_id, first.region
            )
        return store

    def add_service(self, seed: EcsServiceSeed) -> JsonDict:
        """Add (or replace) a service, with a succeeded stack job; returns its wrapper."""
        resource_id = short_id("ecssvc", self.org, seed.env, seed.name)
        wrapper = self._wrapper(cloud_object(seed, self.org, resource_id))
        with self.lock:
            self.resources[resource_id] = wrapper
            self.clusters[(seed.env, seed.cluster_arn.rsplit("/", 1)[-1])] = seed.cluster_arn
            job_id = short_id("sj", resource_id, "1")
            self.stack_jobs[resource_id] = stack_job(wrapper, job_id, "succeeded", [])
        return wrapper

    def _wrapper(self, obj: JsonDict) -> JsonDict:
        meta = obj["metadata"]
        return {
            "api_version": "infra-hub.planton.ai/v1",
            "kind": "CloudResource",
            "metadata": {k: meta[k] for k in ("env", "id", "name", "org", "slug")},
            "spec": {
                "cloud_object": obj,
                "kind": KIND,
                "provider_info": {"connection": self.connection_slug, "provider": "aws"},
                "provisioner_info": {"provisioner": "pulumi"},
            },
            "status": {"stack_job_id": short_id("sj", meta["id"], "1")},
        }

    # --- what tests change --------------------------------------------------------------

    def find(self, env: str, name: str) -> JsonDict | None:
        """The CloudResource wrapper of the service `name` in `env`."""
        with self.lock:
            return next(
                (
                    r
                    for r in self.resources.values()
                    if r["metadata"]["env"] == env and r["metadata"]["slug"] == name
                ),
                None,
            )

    def edit_spec(self, env: str, name: str, path: str, new: Any) -> None:
        """Change one spec field, e.g. ("container.memory", 1024), as a user would in Planton."""
        resource = self.find(env, name)
        if resource is None:
            raise KeyError(f"{env}/{name}")
        with self.lock:
            node = resource["spec"]["cloud_object"]["spec"]
            *parents, leaf = path.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = copy.deepcopy(new)

    def fail_latest_stack_job(self, env: str, name: str, error: str) -> None:
        """Record a failed update as the service's latest stack job."""
        resource = self.find(env, name)
        if resource is None:
            raise KeyError(f"{env}/{name}")
        resource_id = resource["metadata"]["id"]
        with self.lock:
            job_id = short_id("sj", resource_id, str(len(self.applied) + 2), error)
            self.stack_jobs[resource_id] = stack_job(resource, job_id, "failed", [error])

    def set_account(self, account_id: str) -> None:
        """Make every connection name another account (for the mismatch path)."""
        with self.lock:
            for connection in self.connections.values():
                connection["spec"]["account_id"] = value(account_id)


def save_store(store: PlantonStore, path: str) -> None:
    """Write the store as JSON (for a stdio stand-in in another process)."""
    with store.lock:
        data = {
            "org": store.org,
            "connection_slug": store.connection_slug,
            "resources": store.resources,
            "stack_jobs": store.stack_jobs,
            "connections": store.connections,
            "clusters": [[env, name, arn] for (env, name), arn in store.clusters.items()],
        }
    Path(path).write_text(json.dumps(data), encoding="utf-8")


def load_store(path: str) -> PlantonStore:
    """Read a store written by `save_store`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return PlantonStore(
        org=data["org"],
        connection_slug=data["connection_slug"],
        resources=data["resources"],
        stack_jobs=data["stack_jobs"],
        connections=data["connections"],
        clusters={(env, name): arn for env, name, arn in data["clusters"]},
    )
