"""Generate the synthetic support tickets of resources/templates/customer_tickets.graph.json.

The book's ticket model (chapter 7) trains on random arrays, which teach nothing.
These tickets carry a signal the model can learn, deterministically from a seed:
each ticket belongs to one of 4 departments, and its title, body and tags draw part
of their words from that department's own vocabulary; its priority (0..1) sets how
many "urgent" words its body holds. Inputs are multi-hot rows (uint8, 1 where a
word or tag occurs): `title` (N, 10000), `text_body` (N, 10000), `tags` (N, 100);
targets are `priority` (N, 1) float32 and `department` (N,) int32.

    .venv/bin/python scripts/make_ticket_data.py  # writes resources/data/tickets.npz
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "resources" / "data" / "tickets.npz"
SAMPLES = 1024
VOCABULARY = 10_000
TAGS = 100
DEPARTMENTS = 4
TOPIC_WORDS = 50  # words of each department's own vocabulary: d * 50 ... d * 50 + 49
URGENT_WORDS = np.arange(9_000, 9_020)  # words that make a ticket urgent


def multi_hot(rng, rows: int, width: int, count: int, topic_of_row, topic_size: int, share):
    """Rows of `count` words each: a `share` of them from the row's topic, the rest random."""
    out = np.zeros((rows, width), dtype=np.uint8)
    for row in range(rows):
        from_topic = rng.random(count) < share
        topic = topic_of_row[row] * topic_size + rng.integers(0, topic_size, count)
        noise = rng.integers(0, width, count)
        out[row, np.where(from_topic, topic, noise)] = 1
    return out


def main() -> None:
    rng = np.random.default_rng(7)
    department = rng.integers(0, DEPARTMENTS, SAMPLES).astype(np.int32)
    priority = rng.random(SAMPLES).astype(np.float32)
    title = multi_hot(rng, SAMPLES, VOCABULARY, 6, department, TOPIC_WORDS, 0.2)
    text_body = multi_hot(rng, SAMPLES, VOCABULARY, 40, department, TOPIC_WORDS, 0.05)
    tags = multi_hot(rng, SAMPLES, TAGS, 3, department, 5, 0.2)
    for row, level in enumerate(priority):
        urgent = rng.choice(URGENT_WORDS, size=int(round(level * 8)), replace=False)
        text_body[row, urgent] = 1
    noisy = np.clip(priority + rng.normal(0, 0.03, SAMPLES), 0, 1).astype(np.float32)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        title=title,
        text_body=text_body,
        tags=tags,
        priority=noisy[:, np.newaxis],
        department=department,
    )


if __name__ == "__main__":
    main()
