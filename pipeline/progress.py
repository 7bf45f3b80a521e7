"""How ``xxgk run`` shows its progress: a bar in a terminal, log lines elsewhere, nothing when quiet.

A terminal (standard error is a TTY) gets a rich progress bar; a log (a file, a pipe, an Airflow
task, where ``AIRFLOW_CTX_DAG_ID`` is set) gets a line every tenth of the documents or every
30 seconds, whichever comes first, so 100 000 documents make a few dozen lines, not 100 000.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from types import TracebackType
from typing import Any

from pipeline.pool import Done

log = logging.getLogger(__name__)

LOG_EVERY_S = 30.0


def in_terminal() -> bool:
    return sys.stderr.isatty() and not os.environ.get("AIRFLOW_CTX_DAG_ID")


class ExtractionProgress:
    """A context manager; call it with each ``pool.Done``."""

    def __init__(self, total: int, *, quiet: bool = False, bar: bool | None = None) -> None:
        self.total = total
        self.quiet = quiet
        self.bar = in_terminal() if bar is None else bar
        self.counts: Counter[str] = Counter()
        self._rich: Any = None
        self._task: Any = None
        self._last_log = time.monotonic()
        self._last_logged = 0

    def __enter__(self) -> ExtractionProgress:
        if not self.quiet and self.bar and self.total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._rich = Progress(
                TextColumn("extract"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._rich.start()
            self._task = self._rich.add_task("extract", total=self.total, detail="")
        return self

    def __call__(self, done: Done) -> None:
        self.counts["extracted" if done.extracted else "already extracted"] += 1
        n = sum(self.counts.values())
        if self._rich is not None:
            self._rich.update(self._task, completed=n, detail=self._detail())
            return
        if self.quiet:
            return
        now = time.monotonic()
        step = max(1, self.total // 10)
        if n == self.total or n - self._last_logged >= step or now - self._last_log >= LOG_EVERY_S:
            log.info("extract: %d of %d documents (%s)", n, self.total, self._detail())
            self._last_log, self._last_logged = now, n

    def _detail(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._rich is not None:
            self._rich.stop()
