"""The graph IR of Keras Graph Studio: layer specs, the model graph, validation, files.

Imports neither keras, torch nor Qt (a test checks it), so it is fast to load and
usable headless.
"""

from graph import layers  # noqa: F401 - registers the built-in specs
from graph.errors import (
    CycleError,
    GraphEditError,
    GraphError,
    GraphFileError,
    LayerNameError,
    NodeNotFoundError,
    ParamError,
    PortError,
    ShapeError,
)
from graph.fileformat import dumps, load, loads, save
from graph.model import Layer, ModelGraph, Node
from graph.report import Problem, Report
from graph.spec import LayerSpec, builtin_specs, get_spec
from graph.validate import validate

__all__ = [
    "CycleError",
    "GraphEditError",
    "GraphError",
    "GraphFileError",
    "Layer",
    "LayerNameError",
    "LayerSpec",
    "ModelGraph",
    "Node",
    "NodeNotFoundError",
    "ParamError",
    "PortError",
    "Problem",
    "Report",
    "ShapeError",
    "builtin_specs",
    "dumps",
    "get_spec",
    "load",
    "loads",
    "save",
    "validate",
]
