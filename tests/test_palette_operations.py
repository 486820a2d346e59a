"""The palette offers the operation specs as nodes, in their own category."""

from graph.operation import operation_specs
from studio.panels.palette import TYPE_ROLE, LayerPalette


def test_operations_are_offered_under_operations(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    (category,) = [c for c in palette.tree.category_items() if c.text(0) == "Operations"]
    offered = [category.child(i).data(0, TYPE_ROLE) for i in range(category.childCount())]
    assert offered == [s.type for s in operation_specs()]
    for wanted in ("ops.add", "ops.multiply", "ops.mean", "ops.max", "ops.concatenate",
                   "ops.reshape", "ops.transpose", "ops.matmul", "ops.get_item"):  # fmt: skip
        assert wanted in offered
    tip = category.child(offered.index("ops.get_item")).toolTip(0)
    assert tip.startswith("Slicing, x[key]")
