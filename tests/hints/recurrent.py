"""Sampling hints for the recurrent specs."""

from hypothesis import strategies as st

from graph.params import NestedLayer
from graph.spec import get_spec
from tests.spec_oracle import KIND_STRATEGIES, RANKS, draw_params

RANKS.update({name: (3,) for name in ("LSTM", "GRU", "SimpleRNN", "Bidirectional")})


def _nested_layer(kind: NestedLayer) -> st.SearchStrategy:
    """A nested layer of one of the kind's types, its params drawn as for the layer itself."""
    return st.sampled_from(kind.types).flatmap(
        lambda t: draw_params(get_spec(t)).map(lambda p: {"type": t, "params": p})
    )


KIND_STRATEGIES[NestedLayer] = _nested_layer
