"""Human-readable diffs of the configuration an action changes."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any


def config_diff(name: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """A unified diff of two JSON views of the same resource."""
    old = json.dumps(before, indent=2, sort_keys=True, default=str).splitlines()
    new = json.dumps(after, indent=2, sort_keys=True, default=str).splitlines()
    lines = difflib.unified_diff(old, new, f"{name} (now)", f"{name} (after)", lineterm="")
    return "\n".join(lines)


def added(name: str, item: Mapping[str, Any]) -> str:
    """The diff of a resource or rule that does not exist yet."""
    body = json.dumps(item, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join([f"--- {name} (now: absent)", f"+++ {name} (after)", *("+" + b for b in body)])
