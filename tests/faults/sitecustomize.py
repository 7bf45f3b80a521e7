"""Installs the tests' fault injection (``crash_once``, ``slow_document``) in every Python process
started with this folder on PYTHONPATH, when ``XXGK_TEST_CRASH_ONCE``, ``XXGK_TEST_BATCH_DELAY_S``
or ``XXGK_TEST_SLOW_DOCUMENT`` is set: it wraps ``pipeline.steps`` as soon as that module is
imported.  Test-only: nothing of this is shipped or imported by the product.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

TARGET = "pipeline.steps"


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Finds ``pipeline.steps`` with the other finders, then installs the fault after it runs."""

    def __init__(self, install: Callable[[ModuleType], None]) -> None:
        self.install = install

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader = spec.loader
        run_module = loader.exec_module
        install = self.install

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            install(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if os.environ.get("XXGK_TEST_CRASH_ONCE") or os.environ.get("XXGK_TEST_BATCH_DELAY_S"):
    import crash_once  # beside this file, on PYTHONPATH

    sys.meta_path.insert(0, _WrapOnImport(crash_once.install))

if os.environ.get("XXGK_TEST_SLOW_DOCUMENT"):
    import slow_document  # beside this file, on PYTHONPATH

    sys.meta_path.insert(0, _WrapOnImport(slow_document.install))
