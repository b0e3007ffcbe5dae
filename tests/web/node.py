"""Run a snippet of JavaScript in Node, as the browser would load the client's modules."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest


def run_module_script(script: str, what: str) -> Any:
    """Run `script` as an ES module and return what it printed, read as JSON. `what` names
    what Node is needed for, in the failure when it is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node is needed to read {what} (apt install nodejs)")
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(result.stdout)
