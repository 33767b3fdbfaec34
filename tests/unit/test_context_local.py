"""Resolving a service name or ARN to one target, and the messages when that fails."""

from __future__ import annotations

from typing import Any

import pytest
from fake_gateway import FakeGateway, denied

from ecs_medic.context.local import LocalContext, ServiceQuery, parse_service_arn
from ecs_medic.errors import AwsAccessError, ContextError

REGION = "eu-west-1"
ACCOUNT = "210987654321"


def cluster_arn(name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"


def service_arn(cluster: str, name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{name}"


def account(services: dict[str, list[str]]) -> FakeGateway:
    """A fake account holding `services` per cluster name."""

    def describe_services(params: dict[str, Any]) -> dict[str, Any]:
        cluster = params["cluster"].rsplit("/", 1)[-1]
        found = [n for n in params["services"] if n in services.get(cluster, [])]
        return {
            "services": [
                {
                    "serviceName": n,
                    "serviceArn": service_arn(cluster, n),
                    "clusterArn": cluster_arn(cluster),
                    "status": "ACTIVE",
                }
                for n in found
            ]
        }

    def describe_clusters(params: dict[str, Any]) -> dict[str, Any]:
        names = [c.rsplit("/", 1)[-1] for c in params["clusters"]]
        return {
            "clusters": [
                {"clusterArn": cluster_arn(n), "status": "ACTIVE"} for n in names if n in services
            ]
        }

    def list_services(params: dict[str, Any]) -> dict[str, Any]:
        cluster = params["cluster"].rsplit("/", 1)[-1]
        return {"serviceArns": [service_arn(cluster, n) for n in services.get(cluster, [])]}

    return FakeGateway(
        {
            ("sts", "GetCallerIdentity"): {"Account": ACCOUNT},
            ("ecs", "ListClusters"): {"clusterArns": [cluster_arn(c) for c in services]},
            ("ecs", "DescribeClusters"): describe_clusters,
            ("ecs", "DescribeServices"): describe_services,
            ("ecs", "ListServices"): list_services,
        }
    )


def test_name_alone_is_found_in_the_only_cluster_that_has_it():
    """Without --cluster every cluster is searched and the one match is taken."""
    gateway = account({"payments": ["ledger-api"], "search": ["indexer"]})
    target = LocalContext(gateway, REGION).resolve(ServiceQuery("ledger-api"))
    assert (target.cluster_name, target.service_name, target.account_id) == (
        "payments",
        "ledger-api",
        ACCOUNT,
    )


def test_ambiguous_name_lists_every_cluster_that_has_it():
    """The same name in two clusters is refused with both cluster names."""
    gateway = account({"payments": ["api"], "search": ["api"]})
    with pytest.raises(ContextError) as err:
        LocalContext(gateway, REGION).resolve(ServiceQuery("api"))
    assert "ambiguous" in str(err.value)
    assert "payments, search" in str(err.value)


def test_unknown_name_offers_close_matches_with_their_cluster():
    """A typo gets "did you mean" with the cluster of each suggestion."""
    gateway = account({"payments": ["ledger-api", "billing"]})
    with pytest.raises(ContextError) as err:
        LocalContext(gateway, REGION).resolve(ServiceQuery("ledgr-api"))
    assert "No ECS service named 'ledgr-api'" in str(err.value)
    assert "ledger-api (cluster payments)" in str(err.value)


def test_unknown_cluster_offers_close_matches():
    """A typo in --cluster names the clusters that do exist."""
    gateway = account({"payments": ["ledger-api"]})
    with pytest.raises(ContextError) as err:
        LocalContext(gateway, REGION).resolve(ServiceQuery("ledger-api", cluster="paymnts"))
    assert str(err.value) == f"No ECS cluster named 'paymnts' in {REGION}. Did you mean: payments?"


def test_service_arn_names_its_cluster():
    """A long-format ARN needs no --cluster and searches only its own cluster."""
    gateway = account({"payments": ["ledger-api"], "search": ["ledger-api"]})
    target = LocalContext(gateway, REGION).resolve(
        ServiceQuery(service_arn("search", "ledger-api"))
    )
    assert target.cluster_name == "search"


def test_arn_in_another_region_is_refused_with_the_fix():
    """An ARN from another region says which --region to pass."""
    gateway = account({"payments": ["ledger-api"]})
    arn = "arn:aws:ecs:ap-south-1:210987654321:service/payments/ledger-api"
    with pytest.raises(ContextError, match="pass --region ap-south-1"):
        LocalContext(gateway, REGION).resolve(ServiceQuery(arn))


def test_rejected_credentials_are_a_context_error():
    """An STS refusal is exit 2 with a sentence, not a traceback."""
    gateway = account({"payments": ["ledger-api"]})
    gateway.answers["sts", "GetCallerIdentity"] = denied("sts", "GetCallerIdentity")
    with pytest.raises(ContextError, match="AWS rejected the credentials"):
        LocalContext(gateway, REGION).resolve(ServiceQuery("ledger-api"))


def test_denied_cluster_listing_is_an_access_error():
    """Without ecs:ListClusters nothing can be found: exit 3 naming the call."""
    gateway = account({"payments": ["ledger-api"]})
    gateway.answers["ecs", "ListClusters"] = denied("ecs", "ListClusters")
    with pytest.raises(AwsAccessError, match="ecs:ListClusters"):
        LocalContext(gateway, REGION).resolve(ServiceQuery("ledger-api"))


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:ecs:us-east-1:111122223333:service/prod/web", ("prod", "web")),
        ("arn:aws:ecs:us-east-1:111122223333:service/web", (None, "web")),
        ("web", None),
        ("arn:aws:ecs:us-east-1:111122223333:task/prod/abc", None),
    ],
)
def test_service_arn_parsing(arn, expected):
    """Both ARN formats are understood; anything else is a plain name."""
    parsed = parse_service_arn(arn)
    assert expected == (None if parsed is None else (parsed.cluster, parsed.name))
