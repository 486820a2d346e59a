"""Sampling hints for the reshaping specs."""

from hypothesis import strategies as st

from graph.params import IntTuple
from tests.spec_oracle import PARAM_STRATEGIES, RANKS, kind_strategy

RANKS.update({"Flatten": (2, 3, 4), "Reshape": (2, 3, 4), "Permute": (3, 4), "RepeatVector": (2,)})
for _rank in (1, 2, 3):
    for _kind in ("UpSampling", "ZeroPadding", "Cropping"):
        RANKS[f"{_kind}{_rank}D"] = (_rank + 2,)

# Small target entries (and -1) so that sizes match the input's often enough to
# reach the success path; the generic strategy keeps the mismatches coming.
PARAM_STRATEGIES[("Reshape", "target_shape")] = st.one_of(
    st.lists(st.sampled_from((-1, 1, 2, 3, 4)), max_size=4).map(tuple),
    kind_strategy(IntTuple(extra=(-1,))),
)
# Mostly true permutations of 1..n, n = 2..3 above all (ranks 3 and 4 are favoured),
# sometimes anything, which Keras must refuse unless it is a permutation.
_permutations = st.sampled_from((1, 2, 2, 3, 3, 4)).flatmap(
    lambda n: st.permutations(range(1, n + 1))
)
PARAM_STRATEGIES[("Permute", "dims")] = st.one_of(
    _permutations.map(tuple), _permutations.map(tuple), kind_strategy(IntTuple())
)
