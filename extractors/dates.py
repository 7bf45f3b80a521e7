"""When a report was published, and where, as the document itself says.

Two sources, in this order: the web page's own line (``发布时间: 2024-03-08 15:34``,
``发布日期：2024年3月8日``) near the top, and the 落款 date that closes a document (a line
holding only a date, or the body's name and a date, among its last lines; in Chinese
numerals too: ``二〇二四年一月二十日``). A date the document does not print is never
guessed: ``published_on`` is then absent. The source URL is the page's ``原文链接`` /
``网址`` / ``来源`` line when it prints one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from extractors.text import DocText
from xxgk.settings import READER

_NUMERIC = r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
_PAGE_DATE = re.compile(r"(?:发布|发表|发稿|成文|发文|印发|公开)(?:日期|时间)\s*[:：]?\s*" + _NUMERIC)
_DATE = re.compile(_NUMERIC)
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "О": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
_CN = "〇○零ОO一二三四五六七八九十"
_CN_DATE = re.compile(rf"(?P<y>[{_CN}]{{4}})\s*年\s*(?P<m>[{_CN}]{{1,2}})\s*月\s*(?P<d>[{_CN}]{{1,3}})\s*日")
_URL_LINE = re.compile(
    r"(?:原文链接|原文地址|网址|链接|来源|URL|url)\s*[:：]\s*(?P<url>https?://[^\s<>\"'，。]+)"
)


@dataclass(frozen=True)
class Published:
    on: date
    basis: str  # "page": the page's 发布时间 line; "signature": the document's 落款
    where: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.on.isoformat(), "basis": self.basis, "where": self.where}


def find_published(doc: DocText, report_year: int | None) -> Published | None:
    """The publication date the document prints, or None."""
    lines = doc.text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for i, line in enumerate(lines[: READER.title_lines]):
        m = _PAGE_DATE.search(line)
        if m and (d := _as_date(m)) and _plausible(d, report_year):
            return Published(d, "page", _where(doc, offsets[i] + m.start(), m.group(0)))
    # The 落款: among the last non-empty lines, one that is short and ends with a date.
    tail = [i for i, line in enumerate(lines) if line.strip()][-READER.signature_lines :]
    for i in reversed(tail):
        line = lines[i].strip()
        if len(line) > READER.signature_max_chars:
            continue
        m = _DATE.search(line) or _CN_DATE.search(line)
        if m is None or line[m.end() :].strip(" 。."):
            continue
        d = _as_date(m) if m.re is _DATE else _cn_date(m)
        if d and _plausible(d, report_year):
            start = offsets[i] + lines[i].index(line) + m.start()
            return Published(d, "signature", _where(doc, start, m.group(0)))
    return None


def find_source_url(doc: DocText) -> str | None:
    for line in doc.text.split("\n")[: READER.title_lines]:
        if m := _URL_LINE.search(line):
            return m.group("url")
    return None


def _plausible(d: date, report_year: int | None) -> bool:
    # A report on year Y is published in Y+1 (or, late, after); a date inside Y is the
    # statistical period ("统计期限自2023年1月1日起至2023年12月31日止"), not a publication.
    return report_year is None or report_year < d.year <= report_year + 5


def _as_date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _cn_number(text: str) -> int | None:
    """二〇二四 → 2024 (digit by digit); 二十 → 20, 十一 → 11, 三十一 → 31."""
    if "十" not in text:
        digits = [_CN_DIGITS.get(ch) for ch in text]
        if any(d is None for d in digits):
            return None
        return int("".join(str(d) for d in digits))
    tens, _, units = text.partition("十")
    t = _CN_DIGITS.get(tens) if tens else 1
    u = _CN_DIGITS.get(units) if units else 0
    return None if t is None or u is None else t * 10 + u


def _cn_date(m: re.Match[str]) -> date | None:
    y, mo, d = (_cn_number(m.group(k)) for k in ("y", "m", "d"))
    if y is None or mo is None or d is None:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _where(doc: DocText, pos: int, raw: str) -> dict[str, Any]:
    where = doc.where(pos)
    where["raw"] = raw.strip()
    return where
