"""A stand-in MCP server with the awslabs tool names that answers slowly (for timeouts).

Run as `python mcp_fake_server.py`; FAKE_MCP_DELAY_S sets how long each tool call sleeps.
"""

from __future__ import annotations

import os
import time
from typing import Any

from mcp.server.fastmcp import FastMCP

server = FastMCP("fake-aws")
DELAY_S = float(os.environ.get("FAKE_MCP_DELAY_S", "30"))


@server.tool()
def ecs_resource_management(api_operation: str, api_params: dict[str, Any]) -> dict[str, Any]:
    """Sleep, then answer like an empty ECS response."""
    time.sleep(DELAY_S)
    return {}


@server.tool()
def call_aws(cli_command: str) -> list[dict[str, Any]]:
    """Sleep, then answer like an empty call_aws item."""
    time.sleep(DELAY_S)
    return [{"cli_command": cli_command, "response": {"as_json": "{}"}}]


if __name__ == "__main__":
    server.run()
