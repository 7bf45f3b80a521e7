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


def clean_text(text: str) -> str:
    r"""Any text as valid UTF-8: a name's undecodable bytes as ``\xNN``, other lone
    surrogates as ``\udNNN`` (a message quoting a file name, an exception's text)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", errors="surrogateescape") if _fs_escaped(text) else None
        if raw is not None:
            return raw.decode("utf-8", errors="backslashreplace")
        return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def _fs_escaped(text: str) -> bool:
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def fs_path(text: str) -> str:
    """A stored name (``display_path``) as the file system's name, when that file exists."""
    if os.path.lexists(text) or "\\x" not in text:
        return text
    candidate = os.fsdecode(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8")))
    return candidate if os.path.lexists(candidate) else text
