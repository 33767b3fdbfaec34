"""`ecs-medic demo`: the whole diagnosis against the in-process lab, no AWS account."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from ecs_medic.config import AwsSettings, load_settings
from ecs_medic.errors import ContextError
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab, LabError

Diagnose = Callable[..., int]


def run_demo(scenario: str, diagnose: Diagnose) -> int:
    """Start the lab with `scenario`, diagnose its service, return the exit code."""
    try:
        lab = Lab.start([scenario])
    except LabError as exc:
        raise ContextError(str(exc)) from exc
    with lab:
        os.environ.pop("AWS_PROFILE", None)  # the lab's dummy keys must win over a profile
        os.environ.update(lab.env())
        settings = replace(
            load_settings(),
            aws=AwsSettings(region=lab.region, endpoint_url=lab.endpoint_url),
        )
        _, cluster, service = lab.targets[0]
        return diagnose(settings, Request(service=service, cluster=cluster, region=lab.region))
