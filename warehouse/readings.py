"""Readings of a document: which record of a document's bytes is the one to keep.

A document is its bytes (its SHA-256), but what the warehouse knows about it is a *reading*:
the record one version of the extractor made of it.  When the extractor improves (its version,
``extractors.version.EXTRACTOR_VERSION``, is bumped), a document already loaded is read again
and the new reading supersedes the old one; staging keeps both (``staging.readings``,
``staging.superseded_cells``) and lists every cell that changed (``staging.reading_changes``).

This module holds the rules both the extract step and the loader apply: how versions compare
and when two records are the same reading.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

_NUMBERS = re.compile(r"\d+")


@functools.lru_cache(maxsize=64)  # a reload compares every record's version: a few distinct ones
def version_key(version: str | None) -> tuple[int, ...]:
    """``"2.10.1"`` → ``(2, 10, 1)``; no version (a schema-1 record) sorts before every version."""
    if not version:
        return ()
    return tuple(int(n) for n in _NUMBERS.findall(version))


def is_older(version: str | None, than: str | None) -> bool:
    """True when a record made by ``version`` predates the extractor ``than``."""
    return version_key(version) < version_key(than)


def record_digest(record: dict[str, Any]) -> str:
    """A fingerprint of what a record says about its document.

    The path the document was read from is left out: the same bytes read under another name
    are the same reading.
    """
    content = {**record, "source": {k: v for k, v in record.get("source", {}).items() if k != "path"}}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
