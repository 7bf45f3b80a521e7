"""A per-document time limit, so one malformed file cannot stall a batch."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(Exception):
    pass


@contextmanager
def time_limit(seconds: float, cpu: bool = False) -> Iterator[None]:
    """Stop the block after ``seconds`` of wall time, or with ``cpu`` of the process's CPU
    time (all its threads): a limit that a busy machine does not shorten (OCR)."""
    # The signals work only in the main thread; elsewhere (a thread pool) the
    # caller's own timeout applies.
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded()

    sig, timer = (signal.SIGPROF, signal.ITIMER_PROF) if cpu else (signal.SIGALRM, signal.ITIMER_REAL)
    previous = signal.signal(sig, expire)
    signal.setitimer(timer, seconds)
    try:
        yield
    finally:
        signal.setitimer(timer, 0)
        signal.signal(sig, previous)
