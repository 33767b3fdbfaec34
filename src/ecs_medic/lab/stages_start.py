"""Launch checks of stages 6 and 7 for the process itself (LAB.md): command, native crash, health.

Each check compares the container definition (entryPoint, command, healthCheck, image tag)
with the application profile (the programs in its image, the tags whose native code crashes,
the tools a health check can call) and returns the first Failure with the catalogue's strings.
"""

from __future__ import annotations

import re
import shlex

from ecs_medic.lab.fate import (
    ESSENTIAL_EXITED,
    PROVISIONING_S,
    PULL_S,
    ContainerEnd,
    Failure,
    LaunchContext,
    LogLine,
    others_stopped,
)
from ecs_medic.lab.live import LiveContainer
from ecs_medic.lab.scenario import AppProfile

SHELLS = frozenset({"sh", "/bin/sh", "bash", "/bin/bash"})
NOT_FOUND_EXIT = 127  # the shell could not find the program
EXEC_FAILED_EXIT = 255  # the runtime could not exec the entrypoint
CONTAINER_HEALTH_FAILED = "Task failed container health checks"
_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(/[^\s'\"|;&]*)?")
_CRASH_LINES = {
    139: "Fatal Python error: Segmentation fault (core dumped) in libvips.so.42",
    134: "terminate called after throwing an instance of 'std::runtime_error' - Aborted",
}


def cannot_start_reason(program: str) -> str:
    """The container reason when the runtime cannot exec the entrypoint (Fargate's wording)."""
    return (
        "CannotStartContainerError: ResourceInitializationError: failed to create new container "
        "runtime task: failed to create shim task: OCI runtime create failed: runc create failed: "
        f'unable to start container process: exec: "{program}": executable file not found in '
        "$PATH: unknown"
    )


def shell_form(container: LiveContainer) -> str | None:
    """The script when the process is `sh -c "<script>"`, else None."""
    argv = [*container.entry_point, *container.command]
    if len(argv) >= 3 and argv[0] in SHELLS and argv[1] == "-c":
        return argv[2]
    return None


def forwards_sigterm(container: LiveContainer) -> bool:
    """A shell wrapper without an init process keeps SIGTERM from the application."""
    return container.init_process or shell_form(container) is None


# --- stage 6: the process starts ------------------------------------------------------------


def check_entrypoint(ctx: LaunchContext) -> Failure | None:
    """The entryPoint or command must name a program in the image (ENTRYPOINT_CMD_ERROR)."""
    for container in ctx.task_definition.containers:
        profile = ctx.profile(container.name)
        if not profile.executables or not container.essential:
            continue
        script = shell_form(container)
        if script is not None:
            failure = _shell_not_found(ctx, container, profile, script)
        else:
            failure = _exec_not_found(ctx, container, profile)
        if failure is not None:
            return failure
    return None


def _exec_not_found(
    ctx: LaunchContext, container: LiveContainer, profile: AppProfile
) -> Failure | None:
    argv = [*container.entry_point, *container.command]
    if not argv or argv[0] in profile.executables:
        return None
    reason = cannot_start_reason(argv[0])
    end = ContainerEnd(EXEC_FAILED_EXIT, reason)
    ends = tuple((c.name, end if c.name == container.name else ContainerEnd(None))
                 for c in ctx.task_definition.containers)  # fmt: skip
    after = PROVISIONING_S + PULL_S + 1.0
    return Failure("ENTRYPOINT_CMD_ERROR", True, after, "TaskFailedToStart", reason, ends)


def _shell_not_found(
    ctx: LaunchContext, container: LiveContainer, profile: AppProfile, script: str
) -> Failure | None:
    words = shlex.split(script)
    program = next((w for w in words if "=" not in w and w != "exec"), "")
    if not program or program in profile.executables:
        return None
    line = f"/bin/sh: 1: {program}: not found"
    return Failure(
        "ENTRYPOINT_CMD_ERROR", False, 0.5, "EssentialContainerExited", ESSENTIAL_EXITED,
        others_stopped(ctx, container.name, ContainerEnd(NOT_FOUND_EXIT)),
        (LogLine(0.4, container.name, line),),
    )  # fmt: skip


# --- stage 7: runtime -----------------------------------------------------------------------


def check_crash(ctx: LaunchContext) -> Failure | None:
    """An image tag whose native code crashes exits with 139 or 134 (RUNTIME_CRASH_SIGNAL)."""
    for container in ctx.task_definition.containers:
        profile = ctx.profile(container.name)
        tag = container.image.rpartition(":")[2]
        if not container.essential or tag not in profile.crash_tags:
            continue
        line = _CRASH_LINES.get(profile.crash_exit, f"fatal signal, exit {profile.crash_exit}")
        return Failure(
            "RUNTIME_CRASH_SIGNAL", False, profile.crash_after_s, "EssentialContainerExited",
            ESSENTIAL_EXITED, others_stopped(ctx, container.name, ContainerEnd(profile.crash_exit)),
            (LogLine(profile.crash_after_s - 0.2, container.name, line),),
        )  # fmt: skip
    return None


def check_container_health(ctx: LaunchContext) -> Failure | None:
    """A container healthCheck must pass, or ECS stops the task (HEALTHCHECK_FAILING_CONTAINER)."""
    for container in ctx.task_definition.containers:
        if not container.essential or not container.health_check:
            continue
        profile = ctx.profile(container.name)
        if health_check_passes(container.health_check, profile):
            continue
        interval, _, retries, start = container.health_check_timing
        after = max(float(start), float(profile.startup_s)) + interval * retries
        ends = others_stopped(ctx, "", ContainerEnd(None))
        return Failure(
            "HEALTHCHECK_FAILING_CONTAINER", False, after, "ServiceSchedulerInitiated",
            CONTAINER_HEALTH_FAILED, ends, (), unhealthy=(container.name,),
            event="(service {service}) (task {task}) failed container health checks.",
        )  # fmt: skip
    return None


def health_check_passes(command: tuple[str, ...], profile: AppProfile) -> bool:
    """Whether a CMD or CMD-SHELL check exits 0 against the app: tool present, URL answered."""
    if not command:
        return True
    kind, *rest = command
    words = shlex.split(" ".join(rest)) if kind == "CMD-SHELL" else list(rest)
    if not words or words[0].rsplit("/", 1)[-1] not in profile.tools:
        return False
    match = _URL.search(" ".join(words))
    if match is None:
        return True  # not an HTTP probe: the lab treats the command as succeeding
    port = int(match.group(1) or 80)
    path = (match.group(2) or "/").split("?", 1)[0]
    return port == profile.port and path == profile.health_path
