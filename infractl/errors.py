"""Exit codes and the bad-input error shared by every infractl command.

0-2 hold for every command. The operations commands add their own outcomes above them, so a
script can tell "the traffic went back" from "someone else was moving it" from "AWS stopped
answering half-way" without reading the output (README.md has a table per command).
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A shift saw an alarm or unhealthy targets and restored the weights it started from.
EXIT_ROLLED_BACK = 3
# Another run holds the lease on the listener or rule: nothing was changed.
EXIT_LEASE_HELD = 4
# Someone else moved the weights (or took the lease) during a shift: it stopped without writing.
EXIT_CONFLICT = 5
# An AWS call failed after the command had started changing things; the output says what is live.
EXIT_AWS_FAILED = 6
# SIGINT/SIGTERM end a run with 128 + the signal number (130, 143), as shells report it.
EXIT_SIGNAL_BASE = 128


class UsageError(Exception):
    """Bad input (missing program, bad config, unknown ARN...): printed without a traceback, exit code 2."""
