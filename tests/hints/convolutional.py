"""Sampling hints for the convolutional specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

_RANK = {
    "Conv1D": 1,
    "Conv2D": 2,
    "Conv3D": 3,
    "Conv1DTranspose": 1,
    "Conv2DTranspose": 2,
    "Conv3DTranspose": 3,
    "DepthwiseConv1D": 1,
    "DepthwiseConv2D": 2,
    "SeparableConv1D": 1,
    "SeparableConv2D": 2,
}


def _per_axis(rank: int, entry: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(entry, st.tuples(*[entry] * rank))


for _type, _rank in _RANK.items():
    # The layer's own input rank (batch, spatial..., channels) most of the time.
    RANKS[_type] = (_rank + 2,)
    PARAM_STRATEGIES[(_type, "filters")] = st.integers(1, 8)
    PARAM_STRATEGIES[(_type, "kernel_size")] = _per_axis(_rank, st.integers(1, 4))
    # Favour 1 so that strides and dilation_rate are not nearly always both > 1
    # (which Keras refuses for Conv and ConvTranspose); larger values still come up.
    _step = st.one_of(st.just(1), st.integers(1, 3))
    PARAM_STRATEGIES[(_type, "strides")] = _per_axis(_rank, _step)
    PARAM_STRATEGIES[(_type, "dilation_rate")] = _per_axis(_rank, _step)
    PARAM_STRATEGIES[(_type, "output_padding")] = st.one_of(
        st.none(), _per_axis(_rank, st.integers(0, 2))
    )
    PARAM_STRATEGIES[(_type, "groups")] = st.sampled_from((1, 1, 1, 2, 3, 4))
    PARAM_STRATEGIES[(_type, "depth_multiplier")] = st.integers(1, 3)
