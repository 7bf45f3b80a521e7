"""Who published the report, for which year, on which template version."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.text import DocText
from xxgk import template
from xxgk.settings import READER

# "…2019年度政府信息公开工作年度报告", "… 2023 年政府信息公开…", "…2019年度政府信息公开\n年报"
_TITLE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?:的)?\s*(?:政府)?\s*(?:信息公开|政务公开)")
# The body's name holds no sentence punctuation: "2022年，我县认真贯彻落实《…政府信息公开条例》"
# opens a paragraph, it is not a title.
_YEAR_FIRST = re.compile(
    r"^(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?P<org>[^\d\s度,，。;；:：《》、][^,，。;；:：《》、]*?)\s*(?:政府信息公开|政务公开)"
)
_TITLE_PREFIX = re.compile(r"^(?:标题|题目|title)\s*[:：]\s*", re.IGNORECASE)
_ORG_JUNK = re.compile(r"[\s#*\"'《》<>|]+")
# A page's breadcrumb before the title ("当前位置：首页 > 政务公开 > 年报 > 某县2022年…",
# or the path run together: "当前位置： 首页政务公开年报 平潭综合实验区2021年度…").
_BREADCRUMB = re.compile(r"^.*?(?:当前位置|您的位置|您当前的位置|您现在的位置|所在位置)\s*[:：]\s*")
_CRUMB_SEP = re.compile(r"[>»›/|\s]+")


# Misprints of the version markers seen in real reports (先行 for 现行).
V2021_MARKER_TYPOS = ("先行有效件数",)


@dataclass
class Metadata:
    org_name: str | None
    year: int | None
    title_line: int | None


def find_metadata(doc: DocText) -> Metadata:
    lines = doc.text.split("\n")
    for i, line in enumerate(lines[: READER.title_lines]):
        text = _TITLE_PREFIX.sub("", line.strip())
        crumb = _BREADCRUMB.match(text)
        if crumb:
            # Only the last step of the path can be the title.
            rest = text[crumb.end() :]
            title = _TITLE.search(rest) or _YEAR_FIRST.search(rest)
            head = rest[: title.start()] if title else rest
            steps = _CRUMB_SEP.split(head)
            text = (steps[-1] if steps else "") + (rest[title.start() :] if title else "")
        if year_first := _YEAR_FIRST.match(text):
            # "2024 年上海市科委政府信息公开工作年度报告": the year comes first.
            return Metadata(_ORG_JUNK.sub("", year_first.group("org")), int(year_first.group("year")), i + 1)
        m = _TITLE.search(text)
        if not m or len(text) > 80 and "报告" not in text[: m.end() + 20]:
            continue
        org = _ORG_JUNK.sub("", text[: m.start()])
        if not org:
            # The body on its own line above the year (seed 004's cover page).
            previous = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
            org = _ORG_JUNK.sub("", _TITLE_PREFIX.sub("", previous.strip()))
        return Metadata(org or None, int(m.group("year")), i + 1)
    return Metadata(None, None, None)


def detect_version(doc: DocText, year: int | None) -> tuple[template.Version | None, str]:
    """template.md §0: markers first, the year when there are none."""
    v2021 = sum(doc.compact.count(m) for m in template.V2021_MARKERS + V2021_MARKER_TYPOS)
    v2019 = sum(doc.compact.count(m) for m in template.V2019_MARKERS)
    if v2021 > v2019:
        return "v2021", "markers"
    if v2019 > v2021:
        return "v2019", "markers"
    if year is not None:
        return ("v2019" if year <= 2020 else "v2021"), "year"
    return None, "unknown"
