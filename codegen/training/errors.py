"""Errors of a training run that a user can act on (keras-free, so any caller can catch them)."""

from __future__ import annotations

# DataError lives with the self-contained data checks that generated scripts carry.
from codegen.training.arrays import DataError

__all__ = ["DataError", "NonFiniteLossError"]


class NonFiniteLossError(ArithmeticError):
    """The training loss became NaN or infinite; training was stopped."""
