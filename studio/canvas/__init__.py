"""The canvas room: the picture of a graph and the gestures on it.

The scene and its items draw the graph and follow its events; the view navigates;
the controller and the connect gesture turn mouse and keyboard into undo commands
from `studio.document`. Nothing here knows about panels or training.
"""
