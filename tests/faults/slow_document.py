"""Fault injection for the pool's tests, kept out of the product: ``XXGK_TEST_SLOW_DOCUMENT``.

``<seconds>:sleep`` or ``<seconds>:spin`` makes every document a worker extracts take that long
first, idle (a worker stuck in a call that waits) or burning CPU (one stuck in a loop);
``:ocr=<CPU seconds>`` after it makes the document announce OCR with that budget first, as
``extractors.scan.read_pages`` does for a scan, so a test sees the pool's limits for a scan
without running the engine (seconds a page).  The variable is read at each document, in the
worker (the pool hands its workers the run's ``XXGK_*`` environment).

It wraps ``pipeline.steps.extract_to_file``: ``sitecustomize`` installs it when that module is
imported in a process started with this folder on PYTHONPATH and the variable set (the pool's
fork server, which every worker is forked from).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

ENV = "XXGK_TEST_SLOW_DOCUMENT"


def install(steps: Any) -> None:  # the module pipeline.steps
    if not getattr(steps.extract_to_file, "slowed", False):
        steps.extract_to_file = slowed(steps.extract_to_file)


def slowed(extract: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(extract)
    def wrapped(*args: Any, **kwargs: Any) -> str:
        spec = os.environ.get(ENV, "")
        if spec:
            seconds, how, *rest = spec.split(":")
            for option in rest:
                if option.startswith("ocr="):
                    from extractors import scan

                    scan.announce(scan.OcrStarted(pages=1, cpu_budget_s=float(option[4:])))
            until = time.monotonic() + float(seconds)
            if how == "spin":
                while time.monotonic() < until:
                    pass
            else:
                time.sleep(float(seconds))
        return extract(*args, **kwargs)

    wrapped.slowed = True  # type: ignore[attr-defined]
    return wrapped
