"""The document room: one graph being edited, its undo commands and its autosave.

Everything that changes a graph in the studio is a command here, and commands call
only public `ModelGraph` methods. This room imports no other part of the studio,
so the canvas, the panels and the training room can all push its commands.
"""
