"""Free-text intake: hints from a sentence, and matching them against an inventory."""

from __future__ import annotations

import pytest

from ecs_medic.context.intake import Candidate, Hints, match, parse_request


@pytest.mark.parametrize(
    ("text", "service", "environment", "cluster", "region"),
    [
        (
            "I have an issue with AWS ECS service checkout-api in prod",
            "checkout-api",
            "prod",
            None,
            None,
        ),
        (
            "the payments service on cluster main in eu-west-1 keeps crashing",
            "payments",
            None,
            "main",
            "eu-west-1",
        ),
        (
            "why is orders-worker failing in the staging environment?",
            "orders-worker",
            "staging",
            None,
            None,
        ),
        ("ECS service web is down", "web", None, None, None),
    ],
)
def test_hints_from_sentences(text, service, environment, cluster, region):
    """Service, environment, cluster and region hints come out of everyday sentences."""
    hints = parse_request(text)
    assert (service, environment, cluster, region) == (
        hints.services[0],
        hints.environment,
        hints.cluster,
        hints.region,
    )


def test_arn_in_the_sentence_is_taken_whole():
    """A service ARN needs no matching."""
    arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
    hints = parse_request(f"look at {arn} please")
    assert (arn, "us-east-1") == (hints.arn, hints.region)


INVENTORY = [
    Candidate("checkout-api", environment="prod"),
    Candidate("checkout-api", environment="staging"),
    Candidate("orders", environment="prod"),
]


def test_one_exact_match_in_the_named_environment_is_chosen():
    """checkout-api in prod: one candidate, no question."""
    result = match(Hints(services=("checkout-api",), environment="prod"), INVENTORY)
    assert Candidate("checkout-api", environment="prod") == result.chosen


def test_same_name_in_several_environments_lists_them():
    """Without an environment, both checkout-api services are candidates."""
    result = match(Hints(services=("checkout-api",)), INVENTORY)
    assert (None, 2) == (result.chosen, len(result.several))


def test_close_spelling_is_a_good_match():
    """A near miss (checkout-apis) is accepted when it is the only close one."""
    result = match(Hints(services=("checkout-apis",), environment="prod"), INVENTORY)
    assert Candidate("checkout-api", environment="prod") == result.chosen


def test_no_match_offers_close_names():
    """'checkout' matches nothing well; checkout-api is offered."""
    result = match(Hints(services=("checkotu",), environment="prod"), INVENTORY)
    assert None is result.chosen
    assert "checkout-api" in {c.name for c in result.close}


def test_nothing_alike_offers_nothing():
    """A name unlike any service yields neither a choice nor suggestions."""
    result = match(Hints(services=("billing",)), INVENTORY)
    assert (None, (), ()) == (result.chosen, result.several, result.close)


def test_environment_hint_matches_a_cluster_of_the_same_name():
    """From AWS inventory (no environments), "in prod" picks the service of cluster prod."""
    aws = [Candidate("web", cluster="prod"), Candidate("web", cluster="staging")]
    result = match(Hints(services=("web",), environment="prod"), aws)
    assert Candidate("web", cluster="prod") == result.chosen
