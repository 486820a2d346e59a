"""Running Python in a fresh process, for tests about what a process imports or prints."""

from __future__ import annotations

import subprocess
import sys


def python_output(code: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """The last line `code` prints in a fresh interpreter; fails the test if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
