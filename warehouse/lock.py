"""One load at a time on a warehouse: ``<warehouse>/.run.lock``, held by the running command.

DuckDB's own lock on the build database is taken and dropped step by step, so two loads
would interleave and one of them would fail on DuckDB's raw "Could not set lock on file".
A load (``xxgk run``, ``xxgk reextract``, ``xxgk publish``) holds this lock from start to end
instead; the file says who holds it (PID, command, start, host), so a second one can wait
with a message naming the running process or refuse at once.  The kernel drops an ``flock``
when its process dies, so a killed load never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from warehouse import paths

LOCK_NAME = ".run.lock"


class RunLocked(RuntimeError):
    """Another load holds the warehouse (``--no-wait``)."""


def lock_path() -> os.PathLike[str]:
    return paths.warehouse_dir() / LOCK_NAME


def describe_holder(text: str) -> str:
    """The holder's line of the lock file, as a person reads it."""
    try:
        holder = json.loads(text)
        return (
            f"process {holder['pid']} ({holder['command']}), started {holder['started_at']} "
            f"on {holder['host']}"
        )
    except (ValueError, KeyError, TypeError):
        return "another process (it has not said which yet)"


def _announce(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def run_lock(
    command: str, *, wait: bool = True, announce: Callable[[str], None] = _announce
) -> Iterator[None]:
    """Hold the warehouse's run lock; wait for it (saying for whom) or raise ``RunLocked``."""
    path = lock_path()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe_holder(os.pread(fd, 4096, 0).decode("utf-8", errors="replace"))
            if not wait:
                raise RunLocked(
                    f"another load is running on this warehouse ({paths.warehouse_dir()}): {holder}. "
                    "Run again when it has finished, or without --no-wait to wait for it"
                ) from None
            announce(
                f"waiting for the load running on this warehouse ({paths.warehouse_dir()}): {holder} "
                "(--no-wait refuses instead of waiting)"
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        me = {
            "pid": os.getpid(),
            "command": command,
            "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "host": socket.gethostname(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
