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


#: The category listed first; the others follow alphabetically.
FIRST_CATEGORY = "Core"
#: The layers most models use, offered near the top of an empty quick-add after the
#: model inputs (which every model begins with).
COMMON = ("Dense", "Conv2D", "Dropout", "Flatten", "Concatenate", "Add", "Embedding")
#: How many of the layers used most and recently an empty quick-add lists first.
RECENT_SHOWN = 6


def takes_input(spec: LayerSpec) -> bool:
    """Whether a layer of `spec` has an input port (a wire can feed it; an Input cannot)."""
    return spec.ports.variadic or bool(spec.ports.names)


def category_key(category: str) -> tuple[bool, str]:
    """Sort key of layer categories: FIRST_CATEGORY, then alphabetical."""
    return category != FIRST_CATEGORY, category


def start_groups(specs: Iterable[LayerSpec], recent: Iterable[str]) -> list[tuple[str, list[str]]]:
    """What an empty quick-add lists, as (heading, layer types) groups: the `recent`
    ones (best first), the input types and the COMMON ones, then every other layer by
    category; each type once, and only types among `specs`."""
    specs = list(specs)
    known = {spec.type for spec in specs}
    recent_types = [t for t in dict.fromkeys(recent) if t in known][:RECENT_SHOWN]
    inputs = [spec.type for spec in specs if spec.is_input]
    common = [t for t in (*inputs, *COMMON) if t in known and t not in recent_types]
    listed = {*recent_types, *common}
    by_category: dict[str, list[str]] = {}
    for spec in specs:
        if spec.type not in listed:
            by_category.setdefault(spec.category, []).append(spec.type)
    groups = [("Recent", recent_types), ("Common", common)]
    groups += [(c, by_category[c]) for c in sorted(by_category, key=category_key)]
    return [(heading, types) for heading, types in groups if types]
