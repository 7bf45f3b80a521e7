"""File names as text that can be stored anywhere (JSON, DuckDB, a terminal) and opened again.

A file name is bytes on Linux; Python holds one that is not UTF-8 as a string with lone
surrogates (``os.fsdecode``), which neither UTF-8 JSON nor DuckDB accepts.  Stored names show
such bytes as ``\\xNN`` (``display_path``); ``fs_path`` turns a stored name back into one the
file system knows.
"""

from __future__ import annotations

import os
import re

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def display_path(path: str | bytes | os.PathLike[str]) -> str:
    """The name as valid UTF-8 text: bytes that are not UTF-8 become ``\\xNN``."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


def fs_path(text: str) -> str:
    """A stored name (``display_path``) as the file system's name, when that file exists."""
    if os.path.lexists(text) or "\\x" not in text:
        return text
    candidate = os.fsdecode(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8")))
    return candidate if os.path.lexists(candidate) else text
