"""Exit codes shared by the kgs commands."""

EXIT_OK = 0
#: A graph is invalid, or some file of a batch failed.
EXIT_INVALID = 1
#: A file could not be read as a graph at all, a setup is unusable, or an output
#: location cannot be created or written.
EXIT_UNREADABLE = 2
