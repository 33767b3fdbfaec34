"""Deployment rules the scheduler follows besides the rolling update (catalogue section 6).

The start throttle (S11): tasks that keep failing to start make ECS back off (AWS: up to 15
minutes; the lab: 5), with `(service <s>) is unable to consistently start tasks
successfully.`; a new task definition resets it. The deployment-configuration block (S7):
minimumHealthyPercent rounds up and maximumPercent rounds down, which can leave a rollout no
room to stop or start a task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

THROTTLE_AFTER = 5  # consecutive failed starts before the scheduler backs off
THROTTLE_BASE_S = 30.0
THROTTLE_MAX_S = 300.0  # AWS backs off up to 15 minutes; the lab caps it at 5 so fixes verify
QUICK_EXIT_S = 30.0  # an essential container that exits this soon after start failed to start


def unable_to_start(service: str) -> str:
    """The event of the start throttle."""
    return f"(service {service}) is unable to consistently start tasks successfully."


def config_blocks(service: str) -> str:
    """The event when minimumHealthyPercent and maximumPercent leave no room to move."""
    return (
        f"(service {service}) was unable to stop or start tasks during a deployment because of "
        "the service deployment configuration. Update the minimumHealthyPercent or "
        "maximumPercent value and try again."
    )


@dataclass
class StartThrottle:
    """Consecutive failed starts of a service and how long the scheduler waits before retrying."""

    failures: int = 0
    until: float = 0.0
    task_definition: str = ""

    def record_failure(self, now: float) -> bool:
        """Count a failed start; True when the scheduler starts backing off (event due)."""
        self.failures += 1
        if self.failures < THROTTLE_AFTER:
            return False
        steps = self.failures - THROTTLE_AFTER
        self.until = now + min(THROTTLE_MAX_S, THROTTLE_BASE_S * 2**steps)
        return self.failures == THROTTLE_AFTER

    @property
    def backing_off(self) -> bool:
        """Whether enough starts failed in a row for the scheduler to back off."""
        return self.failures >= THROTTLE_AFTER

    def record_success(self) -> None:
        """A task started and stayed up: the throttle is released."""
        self.failures, self.until = 0, 0.0

    def allows(self, now: float, task_definition: str) -> bool:
        """Whether a launch may happen now; a new task definition resets the throttle at once."""
        if task_definition != self.task_definition:
            self.task_definition = task_definition
            self.record_success()
        return now >= self.until


def deployment_blocked(
    desired: int, maximum_percent: int, *, active: int, mine: int, stopping: int
) -> bool:
    """True when a rollout can neither start a task (maximumPercent) nor is stopping one.

    `active`: tasks not told to stop; `mine`: those of the PRIMARY deployment; `stopping`:
    tasks on their way to STOPPED, whose room the rollout is still waiting for.
    """
    room = math.floor(desired * maximum_percent / 100) - active
    return mine < desired and room <= 0 and stopping == 0 and active > mine
