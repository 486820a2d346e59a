"""The JSON nesting pre-check (graph.jsontext.too_deep) on 64 MiB files, against
json.loads of the same text.

The pre-check runs before every graph, autosave and `.keras` config is parsed, so it
must stay linear on what an attacker writes, and cheap beside the parse it guards.
Texts of 64 MiB (the `.keras` config cap), each timed with too_deep and json.loads:
  - a real graph file's text repeated in one JSON array (what users have, scaled up),
  - an unterminated string of `\\"` pairs (quadratic before: 40 KB took 13 s),
  - strings of backslashes and quotes mixed with brackets,
  - 32 Mi nested brackets (json.loads is not run on it: it would overflow the stack).
Goal: linear on every text (no text much slower than a normal one of its size), and
on a normal file no slower than json.loads, the parse it guards.

Run: .venv/bin/python bench/jsontext_bench.py
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.jsontext import too_deep  # noqa: E402

SIZE = 64 * 2**20
TEMPLATE = Path(__file__).resolve().parents[1] / "resources/templates/customer_tickets.graph.json"


def normal() -> str:
    one = TEMPLATE.read_text()
    return "[" + ",".join([one] * (SIZE // (len(one) + 1))) + "]"


def texts() -> dict[str, str]:
    return {
        "graph files in an array": normal(),
        'unterminated string of \\" pairs': '"' + '\\"' * (SIZE // 2),
        "quotes, backslashes, brackets": "[" + '["\\\\", {"a": "\\"["}], ' * (SIZE // 23) + "1]",
        "nested brackets": "[" * (SIZE // 2) + "]" * (SIZE // 2),
    }


def seconds(function, text: str) -> float:
    """CPU seconds of `function(text)`, the best of two (process time: the figures
    hold on a loaded machine). A text json refuses still counts its time."""
    times = []
    for _ in range(2):
        start = time.process_time()
        with contextlib.suppress(ValueError):
            function(text)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    print(f"{'text (64 MiB)':36} {'too_deep':>10} {'json.loads':>11} {'ratio':>7}")
    for name, text in texts().items():
        check = seconds(too_deep, text)
        if name == "nested brackets":
            print(f"{name:36} {check:9.3f}s {'(not run)':>11}")
            continue
        parse = seconds(json.loads, text)
        print(f"{name:36} {check:9.3f}s {parse:10.3f}s {check / parse:6.2f}x")


if __name__ == "__main__":
    main()
