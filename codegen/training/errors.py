"""Errors of a training run that a user can act on (keras-free, so any caller can catch them)."""

from __future__ import annotations


class DataError(Exception):
    """Training data cannot be used; the message lists every problem with file and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the training data does not fit the model:\n{lines}")


class NonFiniteLossError(ArithmeticError):
    """The training loss became NaN or infinite; training was stopped."""
