"""The collector's reads, one module per family; `ecs_medic.aws.collector` orchestrates them.

reader (gateway calls whose failures become gaps, the call pool), core (service, tasks, task
definitions, target groups, logs), registry (ECR images and manifests), network, roles,
secrets, access (roles, policy simulation, secrets, log groups) and capacity (cluster, EC2
capacity, autoscaling, metrics, rollouts).
"""
