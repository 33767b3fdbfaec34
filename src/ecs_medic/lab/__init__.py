"""The lab: an in-process AWS stand-in where ECS symptoms follow from configuration.

moto's server on loopback plus a runtime simulation that reads the live configuration on
every tick and writes what ECS would show. See docs/lab.md.
"""

from ecs_medic.lab.errors import LabError, ScenarioError, UnknownScenarioError
from ecs_medic.lab.lab import Lab
from ecs_medic.lab.scenario import ScenarioInfo, list_scenarios

__all__ = [
    "Lab",
    "LabError",
    "ScenarioError",
    "ScenarioInfo",
    "UnknownScenarioError",
    "list_scenarios",
]
