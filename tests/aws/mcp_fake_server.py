"""A stand-in MCP server with the awslabs tool names that answers slowly (for timeouts).

Run as `python mcp_fake_server.py`; FAKE_MCP_DELAY_S sets how long each tool call sleeps.
With FAKE_MCP_REVOKED_FILE, call_aws answers AWS's ExpiredToken error while the access key
id the server was started with is listed in that file, and otherwise echoes the key id.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
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
def call_aws(cli_command: str) -> dict[str, Any]:
    """Sleep, then answer like a call_aws item (an expired-token error if the key is revoked)."""
    time.sleep(DELAY_S)
    key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    revoked = os.environ.get("FAKE_MCP_REVOKED_FILE")
    if revoked and key in Path(revoked).read_text().split():
        error = (
            "An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: "
            "The security token included in the request is expired"
        )
        return [
            {"cli_command": cli_command, "response": {"error": error, "error_code": "ExpiredToken"}}
        ]
    body = json.dumps({"Account": key}) if revoked else "{}"
    return {"result": [{"cli_command": cli_command, "response": {"as_json": body}}]}


if __name__ == "__main__":
    server.run()
