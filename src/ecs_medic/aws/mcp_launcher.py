"""Start the AWS API MCP server without its start-up download (run by the server's Python).

awslabs.aws-api-mcp-server refuses to start when it cannot download AWS's service-reference
list, which it uses to classify operations as reads that its bundled metadata does not know.
Offline (the lab, tests, CI, the demo) this launcher replaces that one fetch with an empty
list: the bundled metadata still classifies every read ecs-medic makes, and an operation it
does not know is refused, which is the safe side with READ_OPERATIONS_ONLY=true. Online it
tries the download first and only falls back when it fails.

This file is executed by path with the server's own interpreter, so it imports nothing from
ecs-medic. The patch targets names inside one server version; other versions are refused.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

PACKAGE = "awslabs.aws-api-mcp-server"
PATCHED_VERSIONS = frozenset({"1.5.6"})
OFFLINE_ENV = "ECS_MEDIC_MCP_OFFLINE"


def _patch_read_only_index() -> Any:
    """The server module, its read-only index taken from bundled metadata when offline.

    The awslabs imports exist only in the server's environment, where this file runs.
    """
    from awslabs.aws_api_mcp_server import server  # type: ignore[import-not-found]  # noqa: PLC0415
    from awslabs.aws_api_mcp_server.core.metadata import (  # type: ignore[import-not-found]  # noqa: PLC0415
        read_only_operations_list as listing,
    )

    online = server.get_read_only_operations
    offline = os.environ.get(OFFLINE_ENV, "").lower() in {"1", "true", "yes"}

    def read_only_operations() -> Any:
        if not offline:
            try:
                return online()
            except RuntimeError:
                pass
        return listing.ReadOnlyOperations({})

    server.get_read_only_operations = read_only_operations
    return server


def main() -> int:
    """Check the version, patch the fetch, hand over to the server's own entry point."""
    try:
        found = version(PACKAGE)
    except PackageNotFoundError:
        sys.stderr.write(f"ecs-medic launcher: {PACKAGE} is not installed in {sys.prefix}.\n")
        return 2
    if found not in PATCHED_VERSIONS:
        sys.stderr.write(
            f"ecs-medic launcher: {PACKAGE} {found} is not a version it knows how to start "
            f"offline ({', '.join(sorted(PATCHED_VERSIONS))}); run the server directly.\n"
        )
        return 2
    _patch_read_only_index().main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
