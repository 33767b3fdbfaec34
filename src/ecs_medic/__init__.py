"""ecs-medic: finds why an Amazon ECS service is failing, proves it, and heals it with approval."""

__version__ = "0.1.0"
