"""Fixtures shared by the test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse import paths

# The settings a test's own environment may hold that change how a load runs.
LOAD_SETTINGS = (
    "XXGK_BATCH_SIZE",
    "XXGK_DOCUMENT_ATTEMPTS",
    "XXGK_LOAD_CHUNK",
    "XXGK_TEST_CRASH_ONCE",
    "XXGK_REHASH",
    "XXGK_HASH_CACHE_RACY_S",
)


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty warehouse of the test's own (``XXGK_WAREHOUSE_DIR``), the load settings at their defaults."""
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / "wh"))
    for name in LOAD_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return paths.warehouse_dir()
