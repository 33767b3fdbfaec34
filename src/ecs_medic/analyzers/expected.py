"""Expected stops (catalogue section 9): normal, unless they repeat while capacity is short.

Deployments, users, Spot and AWS maintenance stop tasks all the time; that is no failure.
Only when such stops repeat while runningCount < desiredCount is a low-severity note due,
and only for the stops the catalogue has a code for (Spot, maintenance).
"""

from __future__ import annotations

from ecs_medic.aws.snapshot import ServiceSnapshot, Task
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import DESCRIBE_TASKS, capacity_note, contains_any, is_expected_stop

MIN_REPEATS = 2
# code -> (stop codes, stopped-reason substrings), from catalogue section 5.
NOTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "SPOT_INTERRUPTION": (
        ("SpotInterruption", "TerminationNotice"),
        ("your spot task was interrupted", "container instance is in draining state"),
    ),
    "INFRA_MAINTENANCE_RETIREMENT": (
        (),
        ("ecs is performing maintenance on the underlying infrastructure",),
    ),
}


def expected_stops(snapshot: ServiceSnapshot) -> list[Finding]:
    """SPOT_INTERRUPTION, INFRA_MAINTENANCE_RETIREMENT: repeated while capacity is short."""
    service = snapshot.service
    if service.running_count >= service.desired_count:
        return []
    expected = [t for t in snapshot.stopped_tasks if is_expected_stop(t)]
    notes = [(code, [t for t in expected if _matches(t, code)]) for code in NOTES]
    return [_note(snapshot, code, tasks) for code, tasks in notes if len(tasks) >= MIN_REPEATS]


def _matches(task: Task, code: str) -> bool:
    """Tell whether the task stopped for the reason this code stands for."""
    stop_codes, reasons = NOTES[code]
    return task.stop_code in stop_codes or contains_any(task.stopped_reason, reasons)


def _note(snapshot: ServiceSnapshot, code: str, tasks: list[Task]) -> Finding:
    """Build the low-severity note for repeated expected stops."""
    return make_finding(
        code,
        summary=(
            f"{len(tasks)} tasks were stopped by AWS ({tasks[0].stop_code or 'no stop code'}) "
            f"while only {capacity_note(snapshot)}"
        ),
        evidence=[
            Evidence(DESCRIBE_TASKS, t.arn, f"stopCode {t.stop_code}; {t.stopped_reason}")
            for t in tasks[:5]
        ],
        remediation=(
            "No action per stop: ECS replaces the tasks. Keep desiredCount at 2 or more, an "
            "on-demand base for Spot, and handle SIGTERM."
        ),
        severity=Severity.LOW,
        confidence=0.7,
        affected_tasks=len(tasks),
    )
