"""The errors of the graph package.

Every failure to load, build or edit a graph raises `GraphError` or a subclass, and
each message names what it is about: the file and field, or the node. Messages follow
one template, as Keras's do: what is wrong, what was expected, what was received.
"""

from __future__ import annotations


class GraphError(Exception):
    """Base class: a graph could not be loaded, saved, built or edited."""


class GraphFileError(GraphError):
    """A graph file is unreadable or malformed; the message names the file and field."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        self.detail = message
        super().__init__(f"{self.path}: {message}")


class GraphEditError(GraphError):
    """An edit was refused because it would break a structural rule of the graph."""


class NodeNotFoundError(GraphEditError):
    """An edit named a node id that is not in the graph."""


class CycleError(GraphEditError):
    """A connection was refused because it would close a cycle."""


class PortError(GraphEditError):
    """A connection was refused: the port does not exist or is already taken."""


class LayerNameError(GraphEditError):
    """A layer name was refused: not a valid Keras name, or already taken."""


class ParamError(GraphEditError):
    """A parameter value was refused; the message names the parameter and the rule."""


class ShapeError(Exception):
    """A layer's shape rule cannot produce an output for the given inputs.

    Raised by specs' shape rules and turned into validation problems by `validate()`,
    which prefixes the layer's type and name; the message itself says what was
    expected and what was received. `index` is the position, among the rule's input
    shapes, of the one input at fault when the rule can tell (a Concatenate input
    that matches none of the others), so the canvas can mark that connection alone
    and a quick fix can act on it; None when no single input is to blame.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index
