"""Plain-text reports in the layouts of the seed texts (template.md "Seeds").

* ``tabs``: one table row per line, cells separated by tabs (seeds 000, 002);
* ``cell_lines``: one cell per line, each starting with a tab, a blank line
  ends the row, NBSP spacer cells (seed 001, P15);
* ``web_lines``: one cell per line, blank lines between (seed 003, a web page
  copied as text);
* ``markdown``: markdown headings, ``<b>`` captions, tab rows (seed 004);
* ``pipes``: markdown pipe tables (a PDF converted to markdown).

R7 (web-page residue): the breadcrumb ``当前位置：…`` on top and Word's list marker
``<!--[if !supportLists]-->`` left as text before headings and list paragraphs.
"""

from __future__ import annotations

import random

from generator.document import Document
from generator.tables import GTable, dense

LAYOUTS = ("tabs", "cell_lines", "web_lines", "markdown", "pipes")
NBSP = "\u00a0"
RESIDUE = "<!--[if !supportLists]-->"
BREADCRUMB = "当前位置：首页 > 政务公开 > 政府信息公开 > 政府信息公开年报"


def render_txt(doc: Document, rng: random.Random) -> bytes:
    plan = doc.plan
    layout = plan.features.get("layout", "tabs")
    markup = "P18" in plan.pitfalls
    lines: list[str] = []
    page = 1
    if plan.features.get("chrome") == "yes":
        # Seed 003: the page's chrome copied with the text.
        lines += ["无障碍版 长者助手 登录", "您当前的位置: 首页 > 政务公开 > 信息公开年度报告", ""]
    residue = "R7" in plan.pitfalls
    if residue:
        lines += [BREADCRUMB, ""]
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            lines += _table(block.table, layout, markup, rng)
            continue
        if block.kind == "pagebreak":
            page += 1
            if plan.features.get("page_numbers") == "yes":
                lines += ["", f"- {page} -", ""]
            continue
        text = block.text
        if residue and (block.kind == "heading" or (block.kind == "para" and text.startswith("（"))):
            text = RESIDUE + text
        if block.kind == "heading" and layout in ("markdown", "pipes"):
            text = "#" * rng.randint(2, 4) + " " + (f"**{text}**" if markup and rng.random() < 0.3 else text)
        elif block.kind == "subheading" and markup:
            text = f"**{text}**"
        elif block.kind == "para" and markup and layout == "markdown" and text.startswith("（"):
            text = "- " + text
        elif block.kind == "para" and markup and rng.random() < 0.08:
            text = "[bookmark: _GoBack]" + text
        lines.append(text)
        if layout != "cell_lines" or block.kind != "title":
            lines.append("")
    text = "\n".join(lines) + "\n"
    return encode(text, plan.features.get("encoding", "utf-8"))


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    if encoding == "gbk":
        # GB18030 is GBK for every character GBK has, and also encodes NBSP.
        return text.encode("gb18030")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with a BOM, little-endian
    return text.encode("utf-8")


def _cell_text(text: str) -> str:
    return text.replace("\n", " ")


def _table(table: GTable, layout: str, markup: bool, rng: random.Random) -> list[str]:
    rows = dense(table)
    out: list[str] = []
    if layout in ("tabs", "markdown"):
        for grow, cells in zip(table.rows, rows):
            cells = [_cell_text(c) for c in cells]
            if markup and layout == "markdown" and grow.kind == "caption":
                cells[0] = f"<b>{cells[0]}</b>"
            out.append("\t".join(cells))
        out.append("")
        return out
    if layout == "pipes":
        for i, cells in enumerate(rows):
            out.append("| " + " | ".join(_cell_text(c) for c in cells) + " |")
            if i == 0:
                out.append("|" + "---|" * len(cells))
        out.append("")
        return out
    if layout == "cell_lines":
        for grow, cells in zip(table.rows, rows):
            for c in cells:
                if not c:
                    # P15: empty cells are a tab, or a tab and a no-break space.
                    out.append("\t" + (NBSP if grow.kind != "data" and rng.random() < 0.5 else ""))
                    continue
                first, *more = c.split("\n")
                out.append("\t" + first)
                out.extend(more)  # untabbed lines continue the cell
            out.append("")
        return out
    # web_lines: every non-empty cell on its own line, blank lines between.
    for grow, cells in zip(table.rows, rows):
        for c in cells:
            if c or grow.kind == "data":
                for part in c.split("\n"):
                    out += [part, ""]
    return out
