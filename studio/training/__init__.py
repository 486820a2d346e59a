"""The training room: the setup form, the run in its thread, live plots, results.

The form edits the graph's training setup through `studio.document` commands; the
run itself is codegen's Trainer, driven from a background thread.
"""
