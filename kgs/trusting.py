"""--trust-code on the command line: the files the user trusts, as they are now."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codegen.trusted_code import Trust


def read_trust(command: str, files: Sequence[str] | None) -> Trust | None:
    """The trust `--trust-code` gives (each file hashed now), or None after saying
    which file of `kgs COMMAND` cannot be read."""
    from codegen.trusted_code import Trust

    try:
        return Trust.of_files(files or ())
    except OSError as e:
        print(f"kgs {command}: --trust-code {e.filename}: {e.strerror}", file=sys.stderr)
        return None
