"""A task's fate: walk the path ECS walks and stop at the first failure (LAB.md, stages 1-9).

Launch-time checks compare the live configuration a task starts with against the application
profile and return the first Failure, with the catalogue's evidence strings. The load balancer
stage (8) is not decided once: `probe` answers every health check against the target group's
configuration at that moment, so `modify_target_group` takes effect on the next check.
Adding a failure mode means adding a check to `_launch_checks` in its stage's place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ecs_medic.lab.account_view import AccountView
from ecs_medic.lab.live import LiveContainer, LiveService, LiveTargetGroup, LiveTaskDefinition
from ecs_medic.lab.scenario import AppProfile

PROVISIONING_S = 5.0  # ENI attached, task PENDING
PULL_S = 10.0  # image pulled, container started (task RUNNING) at PROVISIONING_S + PULL_S
PULL_RETRY_S = 30.0  # five pull attempts before CannotPullContainerError
CRASH_AFTER_S = 1.5  # a process that refuses to start exits this long after it was started

ESSENTIAL_EXITED = "Essential container in task exited"


@dataclass(frozen=True, slots=True)
class ContainerEnd:
    """How one container ended: its exit code (None if it never ran) and ECS's reason."""

    exit_code: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    """A line the application writes, `after_s` seconds after its container started."""

    after_s: float
    container: str
    message: str


@dataclass(frozen=True, slots=True)
class Failure:
    """The first failure on a task's path, with what ECS shows for it."""

    code: str  # the catalogue code this produces
    before_running: bool  # True: the task never reaches RUNNING
    after_s: float  # after creation when before_running, else after the container started
    stop_code: str
    stopped_reason: str
    containers: tuple[tuple[str, ContainerEnd], ...]
    log_lines: tuple[LogLine, ...] = ()
    unhealthy: tuple[str, ...] = ()  # containers whose healthCheck failed (healthStatus UNHEALTHY)
    event: str | None = None  # service event when it happens; {service} and {task} filled in


@dataclass(frozen=True, slots=True)
class Fate:
    """What will happen to a task: its failure (None: it keeps running) and its log lines."""

    failure: Failure | None
    log_lines: tuple[LogLine, ...]


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """The live configuration one task starts with, and the lookups the checks need."""

    service: LiveService
    task_definition: LiveTaskDefinition
    profiles: Mapping[str, AppProfile]
    image_exists: Callable[[str], bool]
    account: AccountView | None = None  # the account as this task sees it (stages 2-5)

    def profile(self, container: str) -> AppProfile:
        """The application profile of a container (defaults when the scenario has none)."""
        return self.profiles.get(container, AppProfile())


Check = Callable[[LaunchContext], Failure | None]


def decide_fate(ctx: LaunchContext) -> Fate:
    """Run the launch checks in LAB.md's order; the first failure decides the task's fate."""
    failure = next((f for check in _launch_checks() if (f := check(ctx)) is not None), None)
    return Fate(failure, _log_lines(ctx, failure))


# --- stage 3: image -------------------------------------------------------------------------


def check_image(ctx: LaunchContext) -> Failure | None:
    """Every image must resolve in its registry (IMAGE_PULL_NOT_FOUND)."""
    for container in ctx.task_definition.containers:
        if not ctx.image_exists(container.image):
            reason = (
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                f"failed to resolve ref {container.image}: not found"
            )
            ends = _others_never_ran(ctx, container.name, ContainerEnd(None, reason))
            return Failure(
                "IMAGE_PULL_NOT_FOUND", True, PROVISIONING_S + PULL_RETRY_S,
                "TaskFailedToStart", reason, ends,
            )  # fmt: skip
    return None


# --- stage 6: start -------------------------------------------------------------------------


def check_start(ctx: LaunchContext) -> Failure | None:
    """The process must find the environment it requires (ESSENTIAL_CONTAINER_EXIT)."""
    for container in _essential(ctx):
        missing = [
            v for v in ctx.profile(container.name).requires_env if v not in container.environment
        ]
        if missing:
            line = f"Error: required environment variable {missing[0]} is not set"
            return Failure(
                "ESSENTIAL_CONTAINER_EXIT", False, CRASH_AFTER_S, "EssentialContainerExited",
                ESSENTIAL_EXITED, _others_stopped(ctx, container.name, ContainerEnd(1)),
                (LogLine(CRASH_AFTER_S - 0.5, container.name, line),),
            )  # fmt: skip
    return None


# --- stage 7: runtime -----------------------------------------------------------------------


def check_memory(ctx: LaunchContext) -> Failure | None:
    """The heap must fit the container's hard limit, or the task's memory (OOM_KILLED)."""
    for container in _essential(ctx):
        profile = ctx.profile(container.name)
        limit = container.memory or ctx.task_definition.memory
        if limit is None or profile.memory_mib <= limit:
            continue
        killed_after = profile.oom_after_s * limit / profile.memory_mib
        end = ContainerEnd(137, "OutOfMemoryError: Container killed due to memory usage")
        return Failure(
            "OOM_KILLED", False, killed_after, "EssentialContainerExited", ESSENTIAL_EXITED,
            _others_stopped(ctx, container.name, end),
            _heap_lines(container.name, profile, limit, killed_after),
        )  # fmt: skip
    return None


def _heap_lines(
    container: str, profile: AppProfile, limit: int, killed_after: float
) -> tuple[LogLine, ...]:
    """Lines a JVM-like app writes while its heap grows toward the limit."""
    lines = []
    for share in (0.4, 0.6, 0.8, 0.95):
        used = round(limit * share)
        at = max(profile.startup_s + 1.0, killed_after * share)
        lines.append(
            LogLine(at, container, f"WARN  GC overhead: heap used {used} MiB after full collection")
        )
    return tuple(lines)


def _launch_checks() -> tuple[Check, ...]:
    """Every launch check in LAB.md's stage order (stage modules build on the types above)."""
    from ecs_medic.lab import stages_access, stages_network, stages_start  # noqa: PLC0415

    return (
        stages_network.check_subnet_capacity,
        stages_access.check_roles_assumable,
        stages_network.check_registry_path,
        stages_access.check_external_images,
        stages_access.check_registry_auth,
        check_image,
        stages_access.check_pull_permissions,
        stages_access.check_architecture,
        stages_access.check_ephemeral_storage,
        stages_access.check_secrets,
        stages_access.check_logging,
        stages_start.check_entrypoint,
        check_start,
        stages_access.check_task_role_calls,
        stages_start.check_crash,
        check_memory,
        stages_start.check_container_health,
    )


# --- stage 8: load balancer health checks ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One load-balancer health check against a task."""

    ok: bool
    status: int | None  # the HTTP status the app answered, None on timeout
    reason: str | None = None  # Target.* reason code when the check failed
    description: str | None = None


def probe(
    group: LiveTargetGroup, profile: AppProfile, target_port: int, since_start_s: float
) -> ProbeResult:
    """Answer a health check the way the app would, given the target group's configuration now."""
    port = (
        target_port if group.health_check_port == "traffic-port" else int(group.health_check_port)
    )
    if port != profile.port or since_start_s < profile.startup_s:
        return ProbeResult(False, None, "Target.Timeout", "Request timed out")
    path = group.health_check_path.split("?", 1)[0]
    status = 200 if path == profile.health_path else profile.other_status
    if matches(group.matcher, status):
        return ProbeResult(True, status)
    text = f"Health checks failed with these codes: [{status}]"
    return ProbeResult(False, status, "Target.ResponseCodeMismatch", text)


def matches(matcher: str, status: int) -> bool:
    """Whether an HTTP status satisfies an ELB matcher such as "200", "200-299" or "200,302"."""
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        if low and int(low) <= status <= int(high or low):
            return True
    return False


# --- helpers --------------------------------------------------------------------------------


def _essential(ctx: LaunchContext) -> list[LiveContainer]:
    return [c for c in ctx.task_definition.containers if c.essential]


def _others_never_ran(
    ctx: LaunchContext, name: str, end: ContainerEnd
) -> tuple[tuple[str, ContainerEnd], ...]:
    return tuple(
        (c.name, end if c.name == name else ContainerEnd(None))
        for c in ctx.task_definition.containers
    )


def _others_stopped(
    ctx: LaunchContext, name: str, end: ContainerEnd
) -> tuple[tuple[str, ContainerEnd], ...]:
    """The failing container's end; the others are stopped by ECS with SIGTERM."""
    return tuple(
        (c.name, end if c.name == name else sigterm_end(ctx.profile(c.name), c))
        for c in ctx.task_definition.containers
    )


others_stopped = _others_stopped


def sigterm_end(profile: AppProfile, container: LiveContainer | None = None) -> ContainerEnd:
    """How a container ends when ECS stops it: clean exit, or SIGKILL after stopTimeout.

    A `sh -c` wrapper without an init process never passes SIGTERM on to the application.
    """
    from ecs_medic.lab.stages_start import forwards_sigterm  # noqa: PLC0415 - imports this module

    forwarded = container is None or forwards_sigterm(container)
    if profile.handles_sigterm and forwarded:
        return ContainerEnd(profile.sigterm_exit)
    return ContainerEnd(137)


def _log_lines(ctx: LaunchContext, failure: Failure | None) -> tuple[LogLine, ...]:
    """Startup lines each container writes, cut short by a failure, plus the failure's lines."""
    if failure is not None and failure.before_running:
        return ()
    lines: list[LogLine] = []
    for container in ctx.task_definition.containers:
        profile = ctx.profile(container.name)
        lines.append(LogLine(0.2, container.name, f"Starting {container.name} (pid 1)"))
        lines.extend(LogLine(0.3, container.name, text) for text in profile.log_lines)
        if failure is None or failure.after_s > profile.startup_s:
            lines.append(
                LogLine(profile.startup_s, container.name, f"Listening on 0.0.0.0:{profile.port}")
            )
    lines.extend(failure.log_lines if failure else ())
    return tuple(sorted(lines, key=lambda line: line.after_s))
