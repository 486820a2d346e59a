"""The graph IR of Keras Graph Studio: layer specs, the model graph, validation, files.

Imports neither keras, torch nor Qt (a test checks it), so it is fast to load and
usable headless.
"""

from graph import layers  # noqa: F401 - registers the built-in specs
from graph.errors import GraphError, GraphFileError, ShapeError
from graph.spec import LayerSpec, builtin_specs, get_spec

__all__ = [
    "GraphError",
    "GraphFileError",
    "LayerSpec",
    "ShapeError",
    "builtin_specs",
    "get_spec",
]
