"""The `kgs` command line: everything the studio does to a file, headless.

Each subcommand imports only what it needs, so `kgs validate` and `kgs summary`
never import keras, torch or Qt.
"""
