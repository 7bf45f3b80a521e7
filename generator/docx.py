"""Word reports written into the blank national template (generator/assets/blank-template-v2021.docx).

The template's package is kept whole (styles, fonts, page set-up, numbering of
parts); its body is rewritten: title, headings and narrative paragraphs are
copies of the template's own paragraphs with new text, and the three tables
keep the template's table properties and column grid while their rows are
rebuilt from the grid model (``generator.tables``).  For an unchanged
v2021 report the rebuilt rows have exactly the template's merged cells
(``w:gridSpan``, ``w:vMerge``; ``tests/test_generate.py`` checks this), with
values filled in and the section-四 data row present; v2019 reports get the
v2019 rows in the same grids, and the layout pitfalls change the rows as a
publisher's edits would (a phantom row, a split table, a cell too many …).
"""

from __future__ import annotations

import copy
import io
import random
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as ET

from generator.document import Block, Document
from generator.tables import GTable, covered

# The generator's own copy of the template (source in generator/assets/SOURCES.md): a package
# does not read the tests folder.
TEMPLATE = Path(__file__).resolve().parent / "assets" / "blank-template-v2021.docx"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed timestamps: the same seed gives the same bytes


@lru_cache(maxsize=1)
def _template() -> tuple[dict[str, bytes], str]:
    with zipfile.ZipFile(TEMPLATE) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    for prefix, uri in re.findall(r'xmlns:(\w+)="([^"]+)"', xml[:5000]):
        ET.register_namespace(prefix, uri)
    return parts, xml


def _text_of(el: ET.Element) -> str:
    return "".join(t.text or "" for t in el.iter(W + "t"))


class _Prototypes:
    """Elements of the template reused as models."""

    def __init__(self, body: ET.Element) -> None:
        els = list(body)
        paragraphs = [e for e in els if e.tag == W + "p"]
        self.title = next(p for p in paragraphs if _text_of(p) == "政府信息公开工作年度报告格式模板")
        self.heading = next(p for p in paragraphs if _text_of(p) == "一、总体情况")
        self.para = next(p for p in paragraphs if _text_of(p) == "（文字描述）")
        self.empty = next(p for p in paragraphs if not _text_of(p))
        tables = [e for e in els if e.tag == W + "tbl"]
        self.tables = {"s2": tables[0], "s3": tables[1], "s4": tables[2]}
        self.sect = els[-1] if els[-1].tag == W + "sectPr" else None
        # The run properties of a table label (宋体, 10 pt) for every table cell.
        first_run = next(self.tables["s3"].iter(W + "r"))
        self.cell_rpr = copy.deepcopy(first_run.find(W + "rPr"))


def _paragraph(proto: ET.Element, text: str, align: str | None = None) -> ET.Element:
    p = copy.deepcopy(proto)
    runs = p.findall(W + "r")
    for r in runs[1:]:
        p.remove(r)
    if runs:
        run = runs[0]
        for child in list(run):
            if child.tag != W + "rPr":
                run.remove(child)
    else:
        run = ET.SubElement(p, W + "r")
    t = ET.SubElement(run, W + "t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    if align:
        ppr = p.find(W + "pPr")
        if ppr is not None:
            jc = ppr.find(W + "jc")
            if jc is None:
                jc = ET.SubElement(ppr, W + "jc")
            jc.set(W + "val", align)
    return p


def _page_break() -> ET.Element:
    p = ET.Element(W + "p")
    r = ET.SubElement(p, W + "r")
    ET.SubElement(r, W + "br", {W + "type": "page"})
    return p


def _cell(
    text: str, width: int, colspan: int, vmerge: str | None, rpr: ET.Element | None, center: bool
) -> ET.Element:
    tc = ET.Element(W + "tc")
    pr = ET.SubElement(tc, W + "tcPr")
    ET.SubElement(pr, W + "tcW", {W + "w": str(width), W + "type": "dxa"})
    if colspan > 1:
        ET.SubElement(pr, W + "gridSpan", {W + "val": str(colspan)})
    if vmerge == "restart":
        ET.SubElement(pr, W + "vMerge", {W + "val": "restart"})
    elif vmerge == "continue":
        ET.SubElement(pr, W + "vMerge")
    borders = ET.SubElement(pr, W + "tcBorders")
    for side in ("top", "left", "bottom", "right"):
        ET.SubElement(
            borders, W + side, {W + "val": "single", W + "color": "auto", W + "sz": "4", W + "space": "0"}
        )
    ET.SubElement(pr, W + "vAlign", {W + "val": "center"})
    # A cell's lines (a header wrapped by the publisher, P17) are separate paragraphs.
    for line in text.split("\n") if text else [""]:
        p = ET.SubElement(tc, W + "p")
        ppr = ET.SubElement(p, W + "pPr")
        ET.SubElement(ppr, W + "jc", {W + "val": "center" if center else "left"})
        if line:
            r = ET.SubElement(p, W + "r")
            if rpr is not None:
                r.append(copy.deepcopy(rpr))
            t = ET.SubElement(r, W + "t")
            t.text = line
    return tc


def _child(parent: ET.Element, tag: str) -> ET.Element:
    """A child the blank template's element must have (the table's w:tblPr, the body …)."""
    el = parent.find(W + tag)
    if el is None:
        raise ValueError(
            f"{TEMPLATE}: a w:{parent.tag.removeprefix(W)} has no w:{tag}; "
            "the file is damaged: copy it again from its source (generator/assets/SOURCES.md)"
        )
    return el


def _table(table: GTable, proto: ET.Element, rpr: ET.Element | None) -> ET.Element:
    tbl = ET.Element(W + "tbl")
    tbl.append(copy.deepcopy(_child(proto, "tblPr")))
    grid = copy.deepcopy(_child(proto, "tblGrid"))
    tbl.append(grid)
    widths = [int(g.get(W + "w", "600")) for g in grid.findall(W + "gridCol")]
    while len(widths) < table.ncols:
        widths.append(widths[-1] if widths else 600)
    cover = covered(table)
    # The cell that covers a position from above, to repeat its gridSpan on the continuation.
    spans_from_above: dict[tuple[int, int], int] = {}
    for i, row in enumerate(table.rows):
        for cell in row.cells:
            for k in range(1, cell.rowspan):
                spans_from_above[(i + k, cell.col)] = cell.colspan
    for i, row in enumerate(table.rows):
        tr = ET.SubElement(tbl, W + "tr")
        trpr = ET.SubElement(tr, W + "trPr")
        ET.SubElement(trpr, W + "jc", {W + "val": "center"})
        starts = {c.col: c for c in row.cells}
        col = 0
        last = max([table.ncols] + [c.col + c.colspan for c in row.cells])
        while col < last:
            if col in starts:
                cell = starts[col]
                width = sum(widths[min(k, len(widths) - 1)] for k in range(cell.col, cell.col + cell.colspan))
                tr.append(
                    _cell(
                        cell.text,
                        width,
                        cell.colspan,
                        "restart" if cell.rowspan > 1 else None,
                        rpr,
                        cell.role != "label",
                    )
                )
                col += cell.colspan
            elif col in cover[i]:
                span = spans_from_above.get((i, col), 1)
                width = sum(widths[min(k, len(widths) - 1)] for k in range(col, col + span))
                tr.append(_cell("", width, span, "continue", rpr, True))
                col += span
            else:
                # A position no cell covers (a row one cell short, P5): nothing is written.
                col += 1
    return tbl


def render_docx(doc: Document, rng: random.Random) -> bytes:
    parts, xml = _template()
    root = ET.fromstring(xml)
    body = _child(root, "body")
    proto = _Prototypes(body)
    out: list[ET.Element] = []
    for block in doc.blocks:
        out.extend(_block(block, proto, rng))
    for el in list(body):
        body.remove(el)
    for el in out:
        body.append(el)
    if proto.sect is not None:
        body.append(proto.sect)
    new_xml = ET.tostring(root, encoding="unicode")
    # Keep the template's root tag: it declares every namespace mc:Ignorable names.
    opening = re.search(r"<w:document[^>]*>", xml)
    if opening is None:
        raise ValueError(
            f"{TEMPLATE}: word/document.xml has no <w:document> root tag; restore the template file"
        )
    original_open = opening.group(0)
    new_xml = re.sub(r"^<w:document[^>]*>", lambda _m: original_open, new_xml, count=1)
    new_xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + new_xml
    core = parts.get("docProps/core.xml", b"").decode("utf-8")
    core = re.sub(r"<dc:title>.*?</dc:title>", f"<dc:title>{doc.title}</dc:title>", core)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name == "word/document.xml":
                data = new_xml.encode("utf-8")
            elif name == "docProps/core.xml" and core:
                data = core.encode("utf-8")
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buffer.getvalue()


def _block(block: Block, proto: _Prototypes, rng: random.Random) -> list[ET.Element]:
    if block.kind == "table" and block.table is not None:
        return [
            _table(block.table, proto.tables[block.table.name], proto.cell_rpr),
            copy.deepcopy(proto.empty),
        ]
    if block.kind == "pagebreak":
        return [_page_break()]
    if block.kind == "title":
        return [_paragraph(proto.title, block.text)]
    if block.kind in ("heading", "subheading"):
        return [_paragraph(proto.heading, block.text)]
    if block.kind in ("signature", "date"):
        return [_paragraph(proto.para, block.text, align="right")]
    return [_paragraph(proto.para, block.text)]
