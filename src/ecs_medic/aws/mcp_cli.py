"""Turn an API-shaped read (service, Operation, params) into an AWS CLI command for `call_aws`.

The AWS API MCP server parses CLI text, and it silently drops `--cli-input-json` (the call
then runs unfiltered), so every parameter becomes its own flag: the botocore model of the
operation says which flags are booleans; lists and structures are passed as JSON, which the
CLI accepts for any non-scalar parameter.
"""

from __future__ import annotations

import functools
import json
import shlex
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import OperationModel, ServiceModel
from botocore.session import get_session

# botocore service names whose CLI command has another name
_CLI_SERVICE = {"s3": "s3api"}
# argument renames awscli applies (awscli/customizations/argrename.py) to read operations
_RENAMED = {("ec2", "no-egress"): "ingress"}


class CliMappingError(ValueError):
    """The read cannot be expressed as a CLI command (unknown service, operation or parameter)."""


def cli_command(service: str, operation: str, params: Mapping[str, Any] | None) -> str:
    """`aws <service> <operation> --flag value ...`, each value quoted for a POSIX shell lexer."""
    model = _operation_model(service, operation)
    members = model.input_shape.members if model.input_shape else {}
    words = ["aws", _CLI_SERVICE.get(service, service), xform_name(operation, "-")]
    paging = _paging_params(service, operation)
    for name, value in (params or {}).items():
        if name in paging:
            continue
        if name not in members:
            raise CliMappingError(f"{service}:{operation} has no parameter {name}")
        words.extend(_flag(service, name, members[name].type_name, value))
    return " ".join(shlex.quote(w) for w in words)


def _paging_params(service: str, operation: str) -> frozenset[str]:
    """The page-size and page-token parameters of a paginated operation.

    The server follows every page itself (as the CLI does), and the CLI replaces these
    parameters by its own `--max-items`/`--starting-token`, so they are left out.
    """
    try:
        config = get_session().get_paginator_model(service).get_paginator(operation)
    except (UnknownServiceError, ValueError, DataNotFoundError):
        return frozenset()
    tokens = config.get("input_token") or []
    names = [tokens] if isinstance(tokens, str) else list(tokens)
    if config.get("limit_key"):
        names.append(config["limit_key"])
    return frozenset(names)


def _flag(service: str, name: str, type_name: str, value: Any) -> list[str]:
    """The CLI words for one parameter."""
    flag = xform_name(name, "-")
    if type_name == "boolean":
        word = flag if value else f"no-{flag}"
        return [f"--{_RENAMED.get((service, word), word)}"]
    return [f"--{_RENAMED.get((service, flag), flag)}", _value(value)]


def _value(value: Any) -> str:
    """A scalar as text, a timestamp in ISO 8601, anything else as JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot pass {type(value).__name__} to the AWS CLI")


@functools.cache
def _service_model(service: str) -> ServiceModel:
    try:
        return get_session().get_service_model(service)
    except UnknownServiceError as exc:
        raise CliMappingError(f"unknown AWS service {service}") from exc


def _operation_model(service: str, operation: str) -> OperationModel:
    model = _service_model(service)
    if operation not in model.operation_names:
        raise CliMappingError(f"unknown operation {service}:{operation}")
    return model.operation_model(operation)
