"""The layers a user can add, and the search the palette and quick-add share.

Hand-written specs come from `graph.builtin_specs()` at once; the Keras-backed ones
(`codegen.generic_spec.keras_backed_specs`) need keras imported (about 2 s), so they
are asked for separately and kept once listed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from graph import LayerSpec, builtin_specs


@functools.cache
def keras_backed_layers() -> tuple[LayerSpec, ...]:
    """The Keras-backed specs, listed once; imports keras the first time."""
    from codegen.generic_spec import install, keras_backed_specs

    install()  # the graph then knows these types (adding one to a graph needs it)
    return tuple(keras_backed_specs())


def all_layers() -> list[LayerSpec]:
    """Every layer a user can add: hand-written specs, then Keras-backed ones."""
    return [*builtin_specs(), *keras_backed_layers()]


def match_rank(layer_type: str, query: str) -> int | None:
    """How well `layer_type` matches the typed `query`, case-insensitively: 0 for the
    same name, 1 for a prefix, 2 for a substring, None for no match (an empty query
    matches everything as a substring)."""
    name, query = layer_type.casefold(), query.strip().casefold()
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    return 2 if query in name else None


def search(layer_types: Iterable[str], query: str) -> list[str]:
    """The layer types matching `query`, best match first, otherwise in the given order."""
    ranked = [
        (rank, i, t)
        for i, t in enumerate(layer_types)
        if (rank := match_rank(t, query)) is not None
    ]
    return [t for _, _, t in sorted(ranked, key=lambda r: r[:2])]
