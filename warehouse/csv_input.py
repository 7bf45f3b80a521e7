"""The CSV files people edit by hand (``corrections/corrections.csv``, ``roster/roster.csv``).

UTF-8 with or without a BOM (Excel writes one); header names are compared without the spaces a
spreadsheet may leave around them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def read_csv(path: Path) -> tuple[list[str], csv.DictReader[str]] | None:
    """The stripped header and a reader of the rows; None for a missing or empty file."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        return None
    reader = csv.DictReader(io.StringIO(text))
    return [h.strip() for h in reader.fieldnames or []], reader
