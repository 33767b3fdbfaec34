"""What services exist, for matching a free-text request: Planton's, else the AWS account's."""

from __future__ import annotations

from typing import Any

from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.config import PlantonSettings
from ecs_medic.context.intake import Candidate
from ecs_medic.context.planton import list_services
from ecs_medic.errors import AwsAccessError

MAX_CLUSTERS = 50  # a sentence is matched against a bounded inventory


def planton_inventory(settings: PlantonSettings) -> list[Candidate]:
    """Every AwsEcsService of the Planton organisation, with its environment."""
    return [Candidate(name=r.name, environment=r.env) for r in list_services(settings)]


def aws_inventory(gateway: Gateway) -> list[Candidate]:
    """Every ECS service of the region, with its cluster (ListClusters, ListServices)."""
    clusters = _pages(gateway, "ListClusters", {}, "clusterArns")[:MAX_CLUSTERS]
    return [
        Candidate(name=arn.rsplit("/", 1)[-1], cluster=cluster.rsplit("/", 1)[-1])
        for cluster in clusters
        for arn in _pages(gateway, "ListServices", {"cluster": cluster}, "serviceArns")
    ]


def _pages(gateway: Gateway, operation: str, params: dict[str, Any], key: str) -> list[str]:
    items: list[str] = []
    token: str | None = None
    while True:
        try:
            page = gateway.call(
                "ecs", operation, {**params, "nextToken": token} if token else params
            )
        except GatewayError as exc:
            raise AwsAccessError(
                f"AWS call {exc.source} failed ({exc.code}): {exc.message}"
            ) from exc
        items.extend(page.get(key, ()))
        token = page.get("nextToken")
        if not token:
            return items
