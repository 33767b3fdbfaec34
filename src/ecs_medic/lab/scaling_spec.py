"""The optional `autoscaling:` section of a scenario: Application Auto Scaling for its service.

```yaml
autoscaling:
  min: 1
  max: 2
  suspended: [DynamicScalingOutSuspended]     # optional SuspendedState flags set to true
  policies:
    cpu70: {metric: ECSServiceAverageCPUUtilization, target: 70}
```

The builder registers the scalable target and puts one target-tracking policy per entry,
through the AWS API (lab/builder_scaling.py); what happens next follows from the service's
load (the application profile's `cpu_units`) and lab/scaling.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecs_medic.lab.errors import ScenarioError
from ecs_medic.lab.spec_checks import mapping, only_keys

METRICS = ("ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization")
SUSPENSIONS = (
    "DynamicScalingInSuspended",
    "DynamicScalingOutSuspended",
    "ScheduledScalingSuspended",
)


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A target-tracking policy on a predefined ECS service metric."""

    name: str
    metric: str = "ECSServiceAverageCPUUtilization"
    target: float = 70.0
    disable_scale_in: bool = False


@dataclass(frozen=True, slots=True)
class AutoscalingSpec:
    """The service's scalable target and its policies."""

    min: int
    max: int
    suspended: tuple[str, ...] = ()
    policies: tuple[PolicySpec, ...] = ()


def parse_autoscaling(data: Any, where: str) -> AutoscalingSpec | None:
    """Parse the section (None when absent), rejecting unknown keys and values."""
    if data is None:
        return None
    doc = mapping(data, where)
    only_keys(doc, {"min", "max", "suspended", "policies"}, where)
    suspended = tuple(str(s) for s in doc.get("suspended") or ())
    unknown = [s for s in suspended if s not in SUSPENSIONS]
    if unknown:
        raise ScenarioError(f"{where}.suspended: unknown {', '.join(unknown)}")
    return AutoscalingSpec(
        min=int(doc.get("min", 1)),
        max=int(doc.get("max", 1)),
        suspended=suspended,
        policies=tuple(
            _policy(str(n), s, f"{where}.policies.{n}")
            for n, s in mapping(doc.get("policies") or {}, where).items()
        ),
    )


def _policy(name: str, data: Any, where: str) -> PolicySpec:
    doc = mapping(data or {}, where)
    only_keys(doc, {"metric", "target", "disable_scale_in"}, where)
    metric = str(doc.get("metric", METRICS[0]))
    if metric not in METRICS:
        raise ScenarioError(f"{where}.metric: use one of {', '.join(METRICS)}")
    return PolicySpec(
        name, metric, float(doc.get("target", 70.0)), bool(doc.get("disable_scale_in", False))
    )
