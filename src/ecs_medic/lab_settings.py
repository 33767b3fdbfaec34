"""ecs-medic aimed at a running lab: the one setup the demo, bench/ and the tests share."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

from ecs_medic.config import AwsSettings, Settings
from ecs_medic.context.target import Target
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab


def lab_settings(lab: Lab, base: Settings | None = None, **changes: Any) -> Settings:
    """`base` (plain Settings() when None) on the lab's region and endpoint, with `changes`."""
    aws = AwsSettings(region=lab.region, endpoint_url=lab.endpoint_url)
    return replace(base or Settings(), aws=aws, **changes)


def export_lab_env(lab: Lab, environ: MutableMapping[str, str] | None = None) -> None:
    """Put the lab's endpoint, region and keys in the environment (os.environ by default).

    AWS_PROFILE goes: the lab's dummy keys must win over a profile in the credential chain.
    """
    target = os.environ if environ is None else environ
    target.pop("AWS_PROFILE", None)
    target.update(lab.env())


def lab_request(lab: Lab) -> Request:
    """The diagnosis request for the lab's first service, in its region."""
    name, cluster, service = lab.targets[0]
    return Request(service=service, cluster=cluster, region=lab.region_of(name))


def lab_target(lab: Lab, scenario: str | None = None) -> Target:
    """The resolved Target of a scenario's service (the lab's first when None)."""
    name, cluster, service = next(t for t in lab.targets if scenario in (None, t[0]))
    region = lab.region_of(name)
    prefix = f"arn:aws:ecs:{region}:{lab.account_id}"
    return Target(
        service,
        f"{prefix}:service/{cluster}/{service}",
        f"{prefix}:cluster/{cluster}",
        region,
        lab.account_id,
    )
