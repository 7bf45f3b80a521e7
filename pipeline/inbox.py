"""Which files of an inbox are documents: the walk that ``xxgk extract``, ``xxgk run`` and the DAG share."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

# Checksums and manifests that travel with downloaded reports are not reports.
SUFFIXES_SKIPPED = {".md5", ".sha256", ".tsv"}


def iter_documents(paths_given: Sequence[Path]) -> Iterator[Path]:
    """Files in the order given; folders walked in sorted path order."""
    for path in paths_given:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not child.name.startswith(".") and child.suffix.lower() not in SUFFIXES_SKIPPED:
                    yield child
        else:
            yield path


def discover(inbox: Path) -> list[str]:
    """The documents of an inbox folder, sorted by path (strings, for XCom); never empty."""
    if not inbox.exists():
        raise FileNotFoundError(f"inbox {inbox}: no such file or folder")
    documents = [str(p) for p in iter_documents([inbox])]
    if not documents:
        # An empty inbox is a wrong path or a failed delivery, not a quiet year.
        raise ValueError(f"inbox {inbox}: no documents")
    log.info("discovered %d documents in %s", len(documents), inbox)
    return documents
