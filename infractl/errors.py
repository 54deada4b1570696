"""Exit codes and the bad-input error shared by every infractl command."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input (missing program, bad config, unknown ARN...): printed without a traceback, exit code 2."""
