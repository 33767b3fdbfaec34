"""A scenario's `change:` section as API steps: what happened after the service settled."""

from __future__ import annotations

from ecs_medic.lab.scenario import Change, Step


def change_steps(change: Change) -> tuple[Step, ...]:
    """Re-pushed tags, a new revision with new image tags, the desired count, CI's pipeline."""
    steps = [
        Step("push_image", {"container": container, "tag": tag, "rebuild": True})
        for container, tags in change.push
        for tag in tags
    ]
    if change.images:
        tags = {name: {"tag": image.rpartition(":")[2]} for name, image in change.images}
        steps.append(Step("revise_task_definition", {"containers": tags}))
    if change.desired is not None:
        steps.append(Step("update_service", {"desiredCount": change.desired}))
    if change.pipeline:  # lab/steps_fargate.py: stops at the first call AWS refuses
        steps.append(Step("pipeline", {"steps": [{s.action: s.params} for s in change.pipeline]}))
    return tuple(steps)
