"""Fault injection for the tests, kept out of the product: ``XXGK_TEST_CRASH_ONCE=<flag>[:exit]``.

The first extraction batch to start its second document (in any process of a test run) creates
the flag file and raises, or with ``:exit`` ends its process at once like a killed worker;
every later attempt goes on.  It does so by wrapping ``pipeline.steps.journal_event``, the
batch journal's writer: the crash comes before the journal records the start of that
document, as a crash between two documents would.

``XXGK_TEST_BATCH_DELAY_S=<seconds>`` makes each batch wait that long before its first document,
so that batches overlap in time and a test can see them spread over several workers.

In-process, a test calls ``install(steps)``; in subprocesses (Airflow tasks), this folder on
PYTHONPATH makes ``sitecustomize`` install it when ``pipeline.steps`` is imported.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV = "XXGK_TEST_CRASH_ONCE"
DELAY_ENV = "XXGK_TEST_BATCH_DELAY_S"
FOLDER = Path(__file__).resolve().parent

log = logging.getLogger("pipeline.steps")


def pythonpath(existing: str | None) -> str:
    """PYTHONPATH for a subprocess that should carry the fault injection."""
    return os.pathsep.join(p for p in (str(FOLDER), existing) if p)


def install(steps: Any) -> None:  # the module pipeline.steps
    """Wrap ``steps.journal_event`` when ``XXGK_TEST_CRASH_ONCE`` or ``XXGK_TEST_BATCH_DELAY_S`` is set."""
    spec = os.environ.get(ENV, "")
    delay = float(os.environ.get(DELAY_ENV) or 0)
    if (spec or delay) and not getattr(steps.journal_event, "crashes_once", False):
        steps.journal_event = crashing(steps.journal_event, spec, delay)


def crashing(
    journal_event: Callable[[Path, dict[str, Any], bool], None], spec: str, delay: float = 0.0
) -> Callable[[Path, dict[str, Any], bool], None]:
    flag = spec.removesuffix(":exit")
    finished: set[Path] = set()  # journals this process has finished a document in
    started: set[Path] = set()

    @functools.wraps(journal_event)
    def wrapped(journal: Path, event: dict[str, Any], durable: bool = True) -> None:
        if event.get("event") == "start" and delay and Path(journal) not in started:
            started.add(Path(journal))
            time.sleep(delay)
        if spec and event.get("event") == "start" and Path(journal) in finished:
            _crash_once(flag, Path(journal).with_suffix(".json"), spec.endswith(":exit"))
        journal_event(journal, event, durable)
        if event.get("event") == "done":
            finished.add(Path(journal))

    wrapped.crashes_once = True  # type: ignore[attr-defined]
    return wrapped


def _crash_once(flag: str, batch_file: Path, exit_process: bool) -> None:
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return
    os.write(fd, f"{batch_file}\n".encode())
    os.close(fd)
    log.error("XXGK_TEST_CRASH_ONCE: crashing in %s", batch_file.name)
    if exit_process:
        os._exit(3)
    raise RuntimeError(f"XXGK_TEST_CRASH_ONCE: simulated crash in {batch_file.name}")
