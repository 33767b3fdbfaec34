"""Find the service in the local AWS account: by ARN, by cluster and name, or by name alone."""

from __future__ import annotations

import difflib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError
from ecs_medic.context.target import Target
from ecs_medic.errors import AwsAccessError, ContextError

_LIVE_STATUSES = frozenset({"ACTIVE", "DRAINING"})


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """What the user asked for: a service name or ARN, and maybe a cluster."""

    service: str
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceArn:
    """The parts of an ECS service ARN (the long format names the cluster)."""

    region: str
    account_id: str
    cluster: str | None
    name: str


def parse_service_arn(value: str) -> ServiceArn | None:
    """The parts of `arn:aws:ecs:<region>:<account>:service/[<cluster>/]<name>`, else None."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ecs":
        return None
    resource = parts[5].split("/")
    if resource[0] != "service" or len(resource) not in (2, 3):
        return None
    cluster = resource[1] if len(resource) == 3 else None
    return ServiceArn(region=parts[3], account_id=parts[4], cluster=cluster, name=resource[-1])


class LocalContext:
    """Resolves a ServiceQuery to a Target with the caller's own AWS credentials."""

    def __init__(self, gateway: Gateway, region: str) -> None:
        self._gw = gateway
        self._region = region

    def resolve(self, query: ServiceQuery) -> Target:
        """The one service the query names; ContextError when unknown or ambiguous."""
        account_id = self.caller_account()
        arn = parse_service_arn(query.service)
        name = arn.name if arn else query.service
        if arn and arn.region != self._region:
            raise ContextError(
                f"The service ARN is in {arn.region} but the region is {self._region}: "
                f"pass --region {arn.region}."
            )
        cluster = query.cluster or (arn.cluster if arn else None)
        if cluster:
            cluster_arn = self._cluster_arn(cluster)
            found = self._find_in_clusters(name, [cluster_arn])
        else:
            found = self._find_in_clusters(name, self._list("ListClusters", {}, "clusterArns"))
        return self._one(name, cluster, found, account_id)

    def caller_account(self) -> str | None:
        """The account of the credentials; rejected credentials are a context error."""
        try:
            return str(self._gw.call("sts", "GetCallerIdentity", {}).get("Account"))
        except GatewayError as exc:
            if exc.kind in (ErrorKind.NO_CREDENTIALS, ErrorKind.ACCESS_DENIED):
                raise ContextError(f"AWS rejected the credentials ({exc.code}).") from exc
            raise AwsAccessError(_unreachable(exc)) from exc

    def _cluster_arn(self, cluster: str) -> str:
        response = self._call("ecs", "DescribeClusters", {"clusters": [cluster]})
        active = [c for c in response.get("clusters", ()) if c.get("status") == "ACTIVE"]
        if active:
            return str(active[0]["clusterArn"])
        names = [a.rsplit("/", 1)[-1] for a in self._list("ListClusters", {}, "clusterArns")]
        raise ContextError(
            f"No ECS cluster named '{cluster}' in {self._region}.{_suggest(cluster, names)}"
        )

    def _find_in_clusters(self, name: str, cluster_arns: list[str]) -> list[dict[str, Any]]:
        """The live services called `name` in these clusters (one DescribeServices each)."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            per_cluster = pool.map(lambda c: self._describe(c, name), cluster_arns)
            return [s for services in per_cluster for s in services]

    def _describe(self, cluster_arn: str, name: str) -> list[dict[str, Any]]:
        response = self._call(
            "ecs", "DescribeServices", {"cluster": cluster_arn, "services": [name]}
        )
        return [s for s in response.get("services", ()) if s.get("status") in _LIVE_STATUSES]

    def _one(
        self, name: str, cluster: str | None, found: list[dict[str, Any]], account_id: str | None
    ) -> Target:
        if len(found) > 1:
            clusters = ", ".join(sorted(s["clusterArn"].rsplit("/", 1)[-1] for s in found))
            raise ContextError(
                f"Service name '{name}' is ambiguous in {self._region}: it exists in clusters "
                f"{clusters}. Pass --cluster or the service ARN."
            )
        if not found:
            raise ContextError(self._unknown_message(name, cluster))
        service = found[0]
        return Target(
            service_name=service["serviceName"],
            service_arn=service["serviceArn"],
            cluster_arn=service["clusterArn"],
            region=self._region,
            account_id=account_id,
        )

    def _unknown_message(self, name: str, cluster: str | None) -> str:
        clusters = [cluster] if cluster else self._list("ListClusters", {}, "clusterArns")
        known = {
            arn.rsplit("/", 1)[-1]: c.rsplit("/", 1)[-1]
            for c in clusters
            for arn in self._list("ListServices", {"cluster": c}, "serviceArns")
        }
        where = f"cluster {cluster}" if cluster else f"{len(clusters)} cluster(s)"
        close = difflib.get_close_matches(name, list(known), n=5, cutoff=0.6)
        hint = ", ".join(f"{n} (cluster {known[n]})" for n in close)
        message = f"No ECS service named '{name}' in {self._region} (searched {where})."
        return f"{message} Did you mean: {hint}?" if close else message

    def _list(self, operation: str, params: dict[str, Any], key: str) -> list[str]:
        items: list[str] = []
        token: str | None = None
        while True:
            page = self._call("ecs", operation, {**params, "nextToken": token} if token else params)
            items.extend(page.get(key, ()))
            token = page.get("nextToken")
            if not token:
                return items

    def _call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._gw.call(service, operation, params)
        except GatewayError as exc:
            raise AwsAccessError(_unreachable(exc)) from exc


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _unreachable(exc: GatewayError) -> str:
    if exc.kind is ErrorKind.ACCESS_DENIED:
        return f"AWS denied {exc.source} ({exc.code}): ecs-medic needs read access to ECS."
    return f"AWS call {exc.source} failed ({exc.code}): {exc.message}"
