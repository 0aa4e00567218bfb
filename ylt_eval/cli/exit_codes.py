"""Exit codes of ``ylt-eval``."""

#: Success.
EXIT_OK = 0
#: Some reports failed, or the data have blocking errors.
EXIT_FAILED = 1
#: The command was called wrongly, or the input cannot be used at all.
EXIT_USAGE = 2
