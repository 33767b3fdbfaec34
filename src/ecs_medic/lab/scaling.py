"""CloudWatch and Application Auto Scaling for one service, in simulated time.

Every simulated minute ECS publishes the service's AWS/ECS CPUUtilization and
MemoryUtilization (averages over its running tasks): CPU from the load the application
profiles declare (`cpu_units`, spread over the running tasks, plus a small idle share),
memory from what each container uses against the task's memory. CloudWatch then evaluates
the alarms on those metrics (moto never does), and Application Auto Scaling acts on the
service's scalable target as AWS does for target tracking:

- AlarmHigh in ALARM: scale out to ceil(desired x metric / target), capped at MaxCapacity;
  already at MaxCapacity, a not-scaled activity (StatusCode Failed, NotScaledReasons
  AlreadyAtMaxCapacity) is recorded instead, once per scale-out cooldown.
- AlarmLow in ALARM (and scale-in not disabled): scale in toward the target, not below
  MinCapacity.
- A desiredCount outside [MinCapacity, MaxCapacity] (a register_scalable_target that moved
  the range, or a manual update_service) is brought back into the range.
- SuspendedState: DynamicScalingOutSuspended / DynamicScalingInSuspended stop the
  corresponding actions, and no activity is recorded.

Desired-count changes go straight to the service, where the scheduler (runtime.py) sees them
on its next tick, as it would see Application Auto Scaling's UpdateService.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecs_medic.lab import _moto, _moto_scaling
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab._moto_scaling import LiveAlarm, LivePolicy, LiveScalableTarget
from ecs_medic.lab.scenario import AppProfile
from ecs_medic.lab.tasks import at

PERIOD_S = 60.0  # ECS publishes service metrics every minute
IDLE_CPU_SHARE = 0.05  # what a task's runtime uses with no load
HISTORY = 30  # minutes of datapoints kept for alarm evaluation
_BREACH = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


@dataclass(frozen=True, slots=True)
class Utilization:
    """One minute's service averages, in percent."""

    cpu: float
    memory: float


def utilization(
    running: int, task_cpu: int, task_memory: int, profiles: list[AppProfile]
) -> Utilization | None:
    """The service's CPU and memory utilization with `running` tasks (None when none run)."""
    if running <= 0 or task_cpu <= 0 or task_memory <= 0:
        return None
    capacity = running * task_cpu
    demand = sum(p.cpu_units for p in profiles) + IDLE_CPU_SHARE * capacity
    used = sum(p.memory_mib for p in profiles)
    return Utilization(
        cpu=round(min(100.0, 100 * demand / capacity), 2),
        memory=round(min(100.0, 100 * used / task_memory), 2),
    )


def desired_for(current: int, metric: float, target: float) -> int:
    """Target tracking's capacity for a metric value: ceil(current x metric / target)."""
    return max(1, math.ceil(current * metric / target)) if target > 0 else current


class ScalingSim:
    """The service's metrics, its alarms, and Application Auto Scaling's actions on it."""

    def __init__(
        self, scope: Scope, cluster: str, service: str, profiles: Mapping[str, AppProfile]
    ) -> None:
        self.scope, self.cluster, self.service = scope, cluster, service
        self.profiles = dict(profiles)
        self.resource_id = f"service/{cluster}/{service}"
        self.history: dict[str, deque[float]] = {
            "CPUUtilization": deque(maxlen=HISTORY),
            "MemoryUtilization": deque(maxlen=HISTORY),
        }
        self._next_minute: float | None = None
        self._last_scale_out = -math.inf
        self._last_scale_in = -math.inf
        self._last_not_scaled = -math.inf

    def tick(self, now: float) -> None:
        """Publish each minute that passed, evaluate alarms, and let scaling act."""
        if self._next_minute is None:
            self._next_minute = math.floor(now / PERIOD_S) * PERIOD_S + PERIOD_S
        while self._next_minute <= now:
            self._minute(self._next_minute)
            self._next_minute += PERIOD_S

    def _minute(self, moment: float) -> None:
        counts = _moto_scaling.service_counts(self.scope, self.cluster, self.service)
        if counts is None:
            return
        desired, running, task_definition = counts
        definition = _moto.read_task_definition(self.scope, task_definition)
        if definition is None:
            return
        profiles = [self.profiles.get(c.name, AppProfile()) for c in definition.containers]
        found = utilization(running, definition.cpu or 0, definition.memory or 0, profiles)
        if found is not None:
            self._publish(moment, found)
        states = self._evaluate_alarms(moment)
        target = _moto_scaling.scalable_target(self.scope, self.resource_id)
        if target is not None:
            self._scale(moment, target, desired, states)

    def _publish(self, moment: float, found: Utilization) -> None:
        dimensions = {"ClusterName": self.cluster, "ServiceName": self.service}
        stamp = at(moment)
        assert stamp is not None
        points = [
            ("CPUUtilization", dimensions, stamp, found.cpu),
            ("MemoryUtilization", dimensions, stamp, found.memory),
        ]
        _moto_scaling.put_metrics(self.scope, points)
        self.history["CPUUtilization"].append(found.cpu)
        self.history["MemoryUtilization"].append(found.memory)

    # --- CloudWatch alarms ----------------------------------------------------------------

    def _evaluate_alarms(self, moment: float) -> dict[str, str]:
        """Set each alarm on this service's metrics from the last datapoints; name -> state."""
        states = {}
        for alarm in _moto_scaling.service_alarms(self.scope, self.cluster, self.service):
            state, reason = self._alarm_state(alarm)
            _moto_scaling.set_alarm_state(self.scope, alarm.name, state, reason)
            states[alarm.name] = state
        del moment
        return states

    def _alarm_state(self, alarm: LiveAlarm) -> tuple[str, str]:
        values = list(self.history.get(alarm.metric, ()))[-alarm.periods :]
        breach = _BREACH.get(alarm.comparison)
        if breach is None or len(values) < alarm.periods:
            return "INSUFFICIENT_DATA", "Insufficient Data: not enough datapoints were received."
        crossed = [v for v in values if breach(v, alarm.threshold)]
        shown = ", ".join(f"{v:g}" for v in values)
        if len(crossed) == len(values):
            return "ALARM", (
                f"Threshold Crossed: {alarm.periods} datapoints [{shown}] were "
                f"{_words(alarm.comparison)} the threshold ({alarm.threshold:g})."
            )
        return "OK", (
            f"Threshold Crossed: {len(values) - len(crossed)} datapoints of [{shown}] were not "
            f"{_words(alarm.comparison)} the threshold ({alarm.threshold:g})."
        )

    # --- Application Auto Scaling ---------------------------------------------------------

    def _scale(
        self, moment: float, target: LiveScalableTarget, desired: int, states: dict[str, str]
    ) -> None:
        bounded = min(max(desired, target.min_capacity), target.max_capacity)
        if bounded > desired and not target.scale_out_suspended:
            self._set(moment, bounded, f"minimum capacity was set to {target.min_capacity}")
            return
        if bounded < desired and not target.scale_in_suspended:
            self._set(moment, bounded, f"maximum capacity was set to {target.max_capacity}")
            return
        for policy in _moto_scaling.policies(self.scope, self.resource_id):
            metric = self.history[policy.metric][-1] if self.history[policy.metric] else None
            if metric is None:
                continue
            if policy.alarm_high and states.get(policy.alarm_high) == "ALARM":
                self._scale_out(moment, target, desired, policy, metric)
                return
            if policy.alarm_low and states.get(policy.alarm_low) == "ALARM":
                self._scale_in(moment, target, desired, policy, metric)
                return

    def _scale_out(
        self,
        moment: float,
        target: LiveScalableTarget,
        desired: int,
        policy: LivePolicy,
        metric: float,
    ) -> None:
        cooldown = policy.scale_out_cooldown_s
        if target.scale_out_suspended:
            return
        cause = _cause(policy.alarm_high, policy.name)
        if desired >= target.max_capacity:
            if moment >= self._last_not_scaled + cooldown:  # AWS repeats it while blocked
                self._last_not_scaled = moment
                reason = {"Code": "AlreadyAtMaxCapacity", "MaxCapacity": target.max_capacity}
                self._record(moment, "Attempting to scale due to alarm triggered", cause,
                             "Failed", None, [reason])  # fmt: skip
            return
        if moment < self._last_scale_out + cooldown:
            return
        self._last_scale_out = moment
        wanted = max(desired + 1, desired_for(desired, metric, policy.target_value))
        self._set(moment, min(target.max_capacity, wanted), cause)

    def _scale_in(
        self,
        moment: float,
        target: LiveScalableTarget,
        desired: int,
        policy: LivePolicy,
        metric: float,
    ) -> None:
        if policy.disable_scale_in or target.scale_in_suspended:
            return
        if moment < self._last_scale_in + policy.scale_in_cooldown_s:
            return
        wanted = max(target.min_capacity, desired_for(desired, metric, policy.target_value))
        if wanted >= desired:
            return
        self._last_scale_in = moment
        self._set(moment, wanted, _cause(policy.alarm_low, policy.name))

    def _set(self, moment: float, desired: int, cause: str) -> None:
        _moto_scaling.set_desired(self.scope, self.cluster, self.service, desired)
        message = (
            f"Successfully set desired count to {desired}. Change successfully fulfilled by ecs."
        )
        self._record(moment, f"Setting desired count to {desired}.", cause, "Successful", message)

    def _record(  # noqa: PLR0917 - the fields of one activity
        self,
        moment: float,
        description: str,
        cause: str,
        status: str,
        message: str | None,
        not_scaled: list[dict[str, Any]] | None = None,
    ) -> None:
        activity: dict[str, Any] = {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": "ecs",
            "ResourceId": self.resource_id,
            "ScalableDimension": _moto_scaling.ECS_DIMENSION,
            "Description": description,
            "Cause": cause,
            "StartTime": moment,
            "StatusCode": status,
        }
        if status == "Successful":
            activity["EndTime"] = moment + 30
        if message:
            activity["StatusMessage"] = message
        if not_scaled:
            activity["NotScaledReasons"] = not_scaled
        _moto_scaling.add_activity(self.scope, self.resource_id, activity)


def _cause(alarm: str | None, policy: str) -> str:
    return f"monitor alarm {alarm} in state ALARM triggered policy {policy}"


def _words(comparison: str) -> str:
    return {
        "GreaterThanThreshold": "greater than",
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "LessThanThreshold": "less than",
        "LessThanOrEqualToThreshold": "less than or equal to",
    }.get(comparison, comparison)
