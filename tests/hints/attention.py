"""Sampling hints for the attention specs."""

from tests.spec_oracle import RANKS

RANKS.update({"MultiHeadAttention": (3, 4), "Attention": (3,)})
