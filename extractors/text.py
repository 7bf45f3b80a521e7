"""Normalised document text with positions that map back to source lines.

Every extractor (plain text, web page, PDF, Word) ends in a ``DocText``: the
document's text with tabs between table cells and newlines between rows,
plus, per line, where it came from (page, paragraph, line).  Labels are
searched in a *compact* copy without whitespace, because real reports insert
spaces and line breaks inside labels (pitfalls P2, P14–P16); values are read
from the original text, where the separators still tell cells apart.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

_MARKUP = re.compile(
    r"\*\*|</?(?:b|strong|span|p|font)[^>]*>|\[bookmark:[^\]]*\]|^[ \t]*#+[ \t]*|^[ \t]*[-*][ \t]+(?=\S)",
    re.MULTILINE,
)
# Page numbers printed inside a table ("- 3 -", "第 3 页 共 6 页") would read as values.
_PAGE_NUMBER = re.compile(
    r"^[ \t]*[-—–][ \t]*\d{1,3}[ \t]*[-—–][ \t]*$"
    r"|^[ \t]*第[ \t]*\d+[ \t]*页(?:[ \t]*共[ \t]*\d+[ \t]*页)?[ \t]*$",
    re.MULTILINE,
)
# Web-page residue in text copied from a page (P18): Word's conditional comments
# (``<!--[if !supportLists]-->1.<!--[endif]-->``) and any other HTML comment; left in,
# "1." of a row label would stick to the previous row's digits.
_COMMENTS = re.compile(r"<!--.*?-->|<!\[(?:end)?if[^\]]*\]>", re.DOTALL)
_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u300c": '"', "\u300d": '"', "\u2018": "'", "\u2019": "'"}
)
# Control characters (C0 but tab, line break, carriage return and form feed; DEL; C1): no
# report prints one, and a NUL in a body's name would make a body no one can find.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \u00a0\u3000\u2002\u2003\u2009\u200b\ufeff\r]+")


# Markdown tables ("| a | b |") become tab rows; their "|---|" rules disappear.
_MD_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:\|?[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.MULTILINE)


def _md_row_to_tabs(match: re.Match[str]) -> str:
    return "\t".join(cell.strip() for cell in match.group(1).split("|"))


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), unified quotes, markup residue removed (P14, P18, P24)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _MARKUP.sub("", _PAGE_NUMBER.sub("", _COMMENTS.sub("", text)))
    text = _MD_RULE.sub("", _MD_ROW.sub(_md_row_to_tabs, text))
    # Keep tabs and newlines (they separate cells and rows); fold every other space.
    return "\n".join(_SPACES.sub(" ", line) for line in text.split("\n"))


@dataclass
class DocText:
    text: str
    # where[i] is the provenance of line i (0-based): e.g. {"line": 12} or {"page": 3, "line": 40}
    line_where: list[dict[str, Any]] = field(default_factory=list)
    # How many control characters were removed from the raw text (a warning in the record).
    controls_removed: int = 0

    def __post_init__(self) -> None:
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        if not self.line_where:
            self.line_where = [{"line": i + 1} for i in range(len(self._line_starts))]
        chars, index = [], []
        for pos, ch in enumerate(self.text):
            if not ch.isspace():
                chars.append(ch)
                index.append(pos)
        self.compact = "".join(chars)
        self._compact_index = index

    @classmethod
    def from_raw(cls, raw: str, line_where: list[dict[str, Any]] | None = None) -> DocText:
        removed = len(_CONTROLS.findall(raw))
        if removed:
            raw = _CONTROLS.sub("", raw)
        return cls(normalise(raw), list(line_where or []), removed)

    def to_text(self, compact_pos: int) -> int:
        """Offset in ``text`` of the compact character at ``compact_pos``."""
        if compact_pos >= len(self._compact_index):
            return len(self.text)
        return self._compact_index[compact_pos]

    def where(self, pos: int) -> dict[str, Any]:
        line = bisect.bisect_right(self._line_starts, pos) - 1
        if line >= len(self.line_where):
            # A reader that gave fewer provenance entries than lines (a line break inside a
            # source line): the last entry known is the nearest true one, not a crash.
            return dict(self.line_where[-1]) if self.line_where else {"line": line + 1}
        return dict(self.line_where[line])

    def line_start(self, pos: int) -> int:
        return self._line_starts[bisect.bisect_right(self._line_starts, pos) - 1]
