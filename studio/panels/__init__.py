"""The panels room: palette, quick-add, inspector, problems, summary and code.

Each panel shows the document's graph or its last validation report and edits it
only through `studio.document` commands; none knows about the canvas or training.
"""
