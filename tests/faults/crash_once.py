"""Fault injection for the tests, kept out of the product: ``XXGK_TEST_CRASH_ONCE=<flag>[:exit]``.

The first extraction batch to start its second document (in any process of a test run) creates
the flag file and raises, or with ``:exit`` ends its process at once like a killed worker;
every later attempt goes on.  It does so by wrapping ``pipeline.steps.journal_event``, the
batch journal's writer: the crash comes before the journal records the start of that
document, as a crash between two documents would.

In-process, a test calls ``install(steps)``; in subprocesses (Airflow tasks), this folder on
PYTHONPATH makes ``sitecustomize`` install it when ``pipeline.steps`` is imported.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV = "XXGK_TEST_CRASH_ONCE"
FOLDER = Path(__file__).resolve().parent

log = logging.getLogger("pipeline.steps")


def pythonpath(existing: str | None) -> str:
    """PYTHONPATH for a subprocess that should carry the fault injection."""
    return os.pathsep.join(p for p in (str(FOLDER), existing) if p)


def install(steps: Any) -> None:  # the module pipeline.steps
    """Wrap ``steps.journal_event`` when ``XXGK_TEST_CRASH_ONCE`` is set."""
    spec = os.environ.get(ENV)
    if spec and not getattr(steps.journal_event, "crashes_once", False):
        steps.journal_event = crashing(steps.journal_event, spec)


def crashing(
    journal_event: Callable[[Path, dict[str, Any]], None], spec: str
) -> Callable[[Path, dict[str, Any]], None]:
    flag = spec.removesuffix(":exit")
    finished: set[Path] = set()  # journals this process has finished a document in

    @functools.wraps(journal_event)
    def wrapped(journal: Path, event: dict[str, Any]) -> None:
        if event.get("event") == "start" and Path(journal) in finished:
            _crash_once(flag, Path(journal).with_suffix(".json"), spec.endswith(":exit"))
        journal_event(journal, event)
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
