"""SIGINT and SIGTERM end a shift only where it is safe to stop: never half-way through a write.

While the shift waits (a bake), a signal ends the wait at once. Anywhere else (an API call, a
write, a rollback) it is remembered and acted on at the next :meth:`Stop.check`, so the weights on
AWS are always a split the run wrote whole, and a rollback already under way completes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from . import common

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignalError(Exception):
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stop:
    def __init__(self) -> None:
        self.signum: int | None = None
        self.waiting = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        if self.waiting:
            self.waiting = False  # a second signal while this one unwinds is only recorded
            raise StopSignalError(signum)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handle both signals for the duration (only the main thread can receive them; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def check(self) -> None:
        if self.signum is not None:
            raise StopSignalError(self.signum)

    def sleep(self, clock: common.Clock, seconds: float) -> None:
        """Wait, ending at once on a signal (one that came just before the wait ends it too)."""
        self.waiting = True
        try:
            self.check()
            clock.sleep(seconds)
        finally:
            self.waiting = False
        self.check()
