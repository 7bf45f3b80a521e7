"""Where the warehouse lives on disk.

``XXGK_WAREHOUSE_DIR`` moves everything; the default is ``data/`` in the
project, apart from the code (``rm -rf data`` starts over).  Analysts only ever open
``published_db()``: the build database is the loader's private working copy, so a reader never
holds a writer's lock.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


class WarehouseUnavailable(RuntimeError):
    """The warehouse folder cannot be created or is not a folder."""


def warehouse_dir() -> Path:
    path = Path(os.environ.get("XXGK_WAREHOUSE_DIR", PROJECT_DIR / "data"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WarehouseUnavailable(
            f"the warehouse folder {path} cannot be created ({err.strerror or err}): set "
            "XXGK_WAREHOUSE_DIR to a folder you may write, or create this one"
        ) from err
    return path


def published_db() -> Path:
    return warehouse_dir() / "xxgk.duckdb"


def build_db() -> Path:
    path = warehouse_dir() / "build"
    path.mkdir(exist_ok=True)
    return path / "xxgk_build.duckdb"


def records_dir() -> Path:
    path = warehouse_dir() / "records"
    path.mkdir(exist_ok=True)
    return path


def sample_inbox() -> Path:
    return PROJECT_DIR / "samples" / "inbox"
