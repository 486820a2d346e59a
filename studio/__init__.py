"""The PySide6 desktop app (issue 8): canvas, palette, inspector, panels.

It observes a `graph.ModelGraph` through its events and edits it only through undo
commands; it may import graph and codegen, never the other way round.
"""
