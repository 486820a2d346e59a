"""The PySide6 desktop app (issue 8): canvas, palette, inspector, panels.

It observes a `graph.ModelGraph` through its events and edits it only through undo
commands; it may import graph and codegen, never the other way round.

The code lives in rooms: `canvas/` (scene, items, view, gestures), `document/`
(the document, undo commands, autosave), `panels/` (palette, quick-add, inspector,
problems, summary, code) and `training/` (form, run, plots, results). Here at the
top are the window and what it puts together (app, mainwindow, menus, prompts,
theme, icons, templates) and the small shared services the rooms may use (jobs,
gc_guard, visibility, mime, exporting). tests/test_import_direction.py states
which way imports run.
"""
