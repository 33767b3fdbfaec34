"""A Planton Cloud stand-in: a real MCP server on loopback with Planton's tools and contract.

It serves AwsEcsService resources and AwsProviderConnection records that point at a running
lab, checks the bearer token the way the hosted server does, and records every tool call so
tests can prove what ecs-medic sent. See docs/planton.md.
"""

from ecs_medic.lab.planton.records import EcsServiceSeed, PlantonStore
from ecs_medic.lab.planton.seeds import seeds_from_lab, serve_for_lab
from ecs_medic.lab.planton.server import PlantonServer

__all__ = ["EcsServiceSeed", "PlantonServer", "PlantonStore", "seeds_from_lab", "serve_for_lab"]
