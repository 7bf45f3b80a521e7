"""The report's narrative: sections 一, 五 and 六 as text, with where they were printed.

The tables (sections 二–四) are read elsewhere; the narrative is kept so that an office can
check what the text states against the tables (S6, ``xxgk.narrative``) and find reports copied
from another year or another body (``expectations/narrative_checks.py``). A section is located
by its heading's words, not its number alone: the section-三 table prints "一、本年新收" and
"四、结转下年度" rows that are not headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from extractors.text import DocText


@dataclass(frozen=True)
class Heading:
    section: str  # s1 … s6
    label: str  # as docs/template.md §1 names it
    pattern: re.Pattern[str]


def _sp(words: str) -> str:
    # Spaces and line breaks may fall anywhere inside a heading (P2): one \s* between characters.
    return r"\s*".join(re.escape(ch) for ch in words)


def _heading(section: str, numeral: str, label: str, words: str, tail: str = "") -> Heading:
    """``words`` must follow the numeral; ``tail`` (a regex) is taken with the heading when printed."""
    return Heading(section, label, re.compile(rf"{numeral}\s*[、.，,．]?\s*{words}{tail}"))


HEADINGS: tuple[Heading, ...] = (
    # "一、总体情况", "一、总体工作开展情况" (v2019 reports), "一、概述"
    _heading(
        "s1",
        "(?:一|1(?!\\d))",
        "一、总体情况",
        rf"(?:{_sp('总体')}\s*(?:工作)?\s*(?:开展)?\s*{_sp('情况')}|{_sp('概述')})",
    ),
    _heading("s2", "(?:二|2(?!\\d))", "二、主动公开政府信息情况", _sp("主动公开政府信息"), r"\s*情\s*况"),
    _heading(
        "s3",
        "(?:三|3(?!\\d))",
        "三、收到和处理政府信息公开申请情况",
        _sp("收到和处理政府信息公开申请"),
        r"\s*情\s*况",
    ),
    _heading(
        "s4",
        "(?:四|4(?!\\d))",
        "四、政府信息公开行政复议、行政诉讼情况",
        _sp("政府信息公开行政复议"),
        rf"(?:[、，,]?\s*{_sp('行政诉讼情况')})?",
    ),
    _heading(
        "s5",
        "(?:五|5(?!\\d))",
        "五、存在的主要问题及改进情况",
        _sp("存在的主要问题"),
        rf"(?:\s*(?:及|和)\s*{_sp('改进情况')})?",
    ),
    _heading("s6", "(?:六|6(?!\\d))", "六、其他需要报告的事项", _sp("其他需要报告的事项")),
)
# The sections whose text is kept (the others are the tables).
NARRATIVE_SECTIONS = ("s1", "s5", "s6")


@dataclass(frozen=True)
class Section:
    section: str
    heading: str
    text: str
    where: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "heading": self.heading, "text": self.text, "where": self.where}


def find_sections(doc: DocText) -> list[Section]:
    """Sections 一, 五 and 六, each from its heading to the next section's heading.

    Headings are taken in order: each is the first match after the previous one found, so a
    heading quoted in the introduction before section 一 is not taken for a later one.
    """
    starts: list[tuple[str, str, int, int]] = []  # section, label, heading start, text start
    pos = 0
    for h in HEADINGS:
        m = h.pattern.search(doc.text, pos)
        if m is None:
            continue
        starts.append((h.section, h.label, m.start(), m.end()))
        pos = m.end()
    sections = []
    for i, (section, label, _head, begin) in enumerate(starts):
        if section not in NARRATIVE_SECTIONS:
            continue
        end = starts[i + 1][2] if i + 1 < len(starts) else len(doc.text)
        text = doc.text[begin:end]
        stripped = text.strip(" \t\n：:")
        if not stripped:
            continue
        first = begin + text.index(stripped[0])
        last = first + len(stripped) - 1
        sections.append(Section(section, label, _squash(stripped), _span(doc, first, last)))
    return sections


def _squash(text: str) -> str:
    # Lines of one paragraph joined; tabs (table cells) become spaces.
    return re.sub(r"[ \t]*\n[ \t]*", "\n", text.replace("\t", " ")).strip()


def _span(doc: DocText, first: int, last: int) -> dict[str, Any]:
    start, end = doc.where(first), doc.where(last)
    where: dict[str, Any] = {}
    if "page" in start:
        where["page"] = start["page"]
    where["line"] = start.get("line")
    if "page" in end and end.get("page") != start.get("page"):
        where["page_to"] = end["page"]
    where["line_to"] = end.get("line")
    return where
