"""Secrets, parameters and log groups a task definition references: existence, never values.

Secrets Manager is asked with DescribeSecret and Parameter Store with DescribeParameters;
neither returns a value, and nothing here asks for decryption. A reference in another
region than the gateway's cannot be checked from here and is recorded as a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from ecs_medic.aws.collect.reader import Missing, Reader, batches
from ecs_medic.aws.parsing_access import customer_key, log_group_names
from ecs_medic.aws.snapshot import TaskDefinition
from ecs_medic.aws.snapshot_access import LogGroupCheck, SecretCheck

REPOSITORY_CREDENTIALS = "repositoryCredentials"  # the SecretCheck name of a registry secret
_DESCRIBE_SECRET = "secretsmanager:DescribeSecret"  # noqa: S105 - an API name
_DESCRIBE_PARAMETERS = "ssm:DescribeParameters"
_DESCRIBE_LOG_GROUPS = "logs:DescribeLogGroups"


def secret_refs(definition: TaskDefinition, region: str) -> list[SecretCheck]:
    """Every secret and parameter the containers reference, not yet checked (exists=None)."""
    refs = []
    for container in definition.containers:
        refs += [_ref(container.name, s.name, s.value_from, region) for s in container.secrets]
        if container.repository_credentials:
            refs.append(
                _ref(
                    container.name, REPOSITORY_CREDENTIALS, container.repository_credentials, region
                )
            )
    return refs


def _ref(container: str, name: str, value_from: str, region: str) -> SecretCheck:
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) >= 7 and parts[2] == "secretsmanager":
        key = parts[7] if len(parts) > 7 and parts[7] else None
        return SecretCheck(
            container, name, value_from, "secretsmanager", None, parts[3], json_key=key
        )
    arn_region = parts[3] if value_from.startswith("arn:") and len(parts) >= 6 else region
    return SecretCheck(container, name, value_from, "ssm", None, arn_region or region)


def secret_arn(ref: SecretCheck) -> str:
    """The secret's ARN without the `:json-key:version-stage:version-id` suffix."""
    return ":".join(ref.value_from.split(":")[:7])


def parameter_names(ref: SecretCheck) -> list[str]:
    """The names a parameter reference may stand for (an ARN drops a leading slash)."""
    if not ref.value_from.startswith("arn:"):
        return [ref.value_from]
    tail = ref.value_from.split(":parameter", 1)[-1]
    name = tail[1:] if tail.startswith("/") else tail
    return [f"/{name}"] if "/" in name else [name, f"/{name}"]


# -- checking ------------------------------------------------------------------------------


def start_secret_checks(
    reader: Reader, refs: Sequence[SecretCheck], region: str, account: str
) -> list[Future[list[SecretCheck]]]:
    """Start one DescribeSecret per secret and one DescribeParameters per 25 parameters."""
    local = [r for r in refs if r.region == region]
    for ref in refs:
        if ref.region != region:
            source = _DESCRIBE_SECRET if ref.kind == "secretsmanager" else _DESCRIBE_PARAMETERS
            reader.gap(
                source, "OtherRegion", f"in {ref.region}, read from {region}", ref.value_from
            )
    secrets: dict[str, list[SecretCheck]] = {}
    for ref in local:
        if ref.kind == "secretsmanager":
            secrets.setdefault(secret_arn(ref), []).append(ref)
    parameters = [r for r in local if r.kind == "ssm" and not _shared_parameter(r, account)]
    for ref in local:
        if ref.kind == "ssm" and _shared_parameter(ref, account):
            reader.gap(_DESCRIBE_PARAMETERS, "OtherAccount", "a shared parameter", ref.value_from)
    futures = [
        reader.submit(_describe_secret, reader, arn, group) for arn, group in secrets.items()
    ]
    futures += [reader.submit(_describe_parameters, reader, b) for b in batches(parameters, 25)]
    return futures


def _shared_parameter(ref: SecretCheck, account: str) -> bool:
    """A parameter ARN of another account: DescribeParameters here cannot see it."""
    parts = ref.value_from.split(":")
    return ref.value_from.startswith("arn:") and len(parts) > 4 and parts[4] not in ("", account)


def _describe_secret(reader: Reader, arn: str, refs: list[SecretCheck]) -> list[SecretCheck]:
    response = reader.lookup("secretsmanager", "DescribeSecret", {"SecretId": arn}, arn)
    if response is None:
        return refs  # exists stays None: the gap says why
    if isinstance(response, Missing):
        return [replace(r, exists=False, error_code=response.code) for r in refs]
    if response.get("DeletedDate"):
        return [replace(r, exists=False, error_code="MarkedForDeletion") for r in refs]
    key = customer_key(response.get("KmsKeyId"))
    return [replace(r, exists=True, kms_key_id=key) for r in refs]


def _describe_parameters(reader: Reader, refs: list[SecretCheck]) -> list[SecretCheck]:
    names = list(dict.fromkeys(n for r in refs for n in parameter_names(r)))
    params: dict[str, Any] = {
        "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": names}],
        "MaxResults": 50,
    }
    response = reader.call("ssm", "DescribeParameters", params, ",".join(names))
    if response is None:
        return refs
    found = {str(p.get("Name")): p for p in response.get("Parameters") or ()}
    return [_parameter_check(r, found) for r in refs]


def _parameter_check(ref: SecretCheck, found: dict[str, Any]) -> SecretCheck:
    match = next((found[n] for n in parameter_names(ref) if n in found), None)
    if match is None:
        return replace(ref, exists=False, error_code="ParameterNotFound")
    return replace(ref, exists=True, kms_key_id=customer_key(match.get("KeyId")))


def finish_secret_checks(
    refs: Sequence[SecretCheck], futures: Iterable[Future[list[SecretCheck]]]
) -> tuple[SecretCheck, ...]:
    """The checked references in task-definition order (unchecked ones keep exists=None)."""
    checked = {(c.container, c.name): c for f in futures for c in f.result()}
    return tuple(checked.get((r.container, r.name), r) for r in refs)


# -- log groups ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LogTarget:
    name: str
    region: str
    containers: tuple[str, ...]
    create_group: bool


def _log_targets(definition: TaskDefinition, region: str) -> list[_LogTarget]:
    groups: dict[tuple[str, str], _LogTarget] = {}
    for c in definition.containers:
        config = c.log_config
        group = config.option("awslogs-group") if config and config.driver == "awslogs" else None
        if config is None or group is None:
            continue
        where = config.option("awslogs-region") or region
        create = (config.option("awslogs-create-group") or "").lower() == "true"
        seen = groups.get((group, where))
        names = (*seen.containers, c.name) if seen else (c.name,)
        groups[group, where] = _LogTarget(
            group, where, names, create or bool(seen and seen.create_group)
        )
    return list(groups.values())


def log_groups(
    reader: Reader, definition: TaskDefinition, region: str
) -> tuple[LogGroupCheck, ...]:
    """Whether each awslogs group exists (DescribeLogGroups by prefix, exact match)."""
    targets = _log_targets(definition, region)
    for t in targets:
        if t.region != region:
            reader.gap(
                _DESCRIBE_LOG_GROUPS, "OtherRegion", f"in {t.region}, read from {region}", t.name
            )
    checks = reader.map(lambda t: _log_group(reader, t), [t for t in targets if t.region == region])
    return tuple(c for c in checks if c is not None)


def _log_group(reader: Reader, target: _LogTarget) -> LogGroupCheck | None:
    params = {"logGroupNamePrefix": target.name, "limit": 50}
    response = reader.call("logs", "DescribeLogGroups", params, target.name)
    if response is None:
        return None
    exists = target.name in log_group_names([response])
    return LogGroupCheck(target.name, target.region, exists, target.containers, target.create_group)
