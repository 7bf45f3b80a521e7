"""The national template's tables as grids of merged cells, with the layout pitfalls.

Each table is a list of rows of cells with a start column, a colspan and a
rowspan, as HTML and Word store them.  Renderers turn the grid into
``<td colspan rowspan>``, ``w:gridSpan``/``w:vMerge``, reportlab ``SPAN`` or
tab-separated text (``dense``: a merged cell's text in its first position,
empty cells elsewhere, as a Word table converted to text reads).

Row and column labels come from ``xxgk.template``; the group headings of
section 三 (三、本年度办理结果, （三）不予公开 …) and the header texts carry no
cells, so the template module does not define them: they are here.

Layout pitfalls handled at this level: P2 (a label wrapped onto a phantom
row), P3 (split with a repeated header), P4/P5 (one cell too many/few, from
``Printed``), P7 (header variants), P8 (misplaced caption), P14 (half-width
punctuation), P16 (spaces inside header cells), P17 (header cells split in
two), P20 (row omitted, from ``Values``), P21 (unit variant in the header),
P24 (ASCII quotes); R4 (label typos: 先行有效件数, 钩稽关系, 行政法复议) and the runs of
R3/R6/R8 (a row's numbers printed as one text in one cell over its value columns).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from generator.model import DocPlan, Printed, Values
from xxgk import template

CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_GROUP = "申请人情况"
ORG_GROUP = "法人或其他组织"
RESULTS_GROUP = "三、本年度办理结果"
# Section-三 groups whose heading sits in the second label column (template.md §2.2).
GROUP_HEADINGS: dict[str, str] = {
    "denied": "（三）不予公开",
    "unable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
}
S4_REVIEW = "行政复议"
S4_LITIGATION = "行政诉讼"
CAPTION_ITEM = "信息内容"

# R4: typos seen in real reports, (right, as printed).
TYPOS: tuple[tuple[str, str], ...] = (
    ("现行有效件数", "先行有效件数"),
    ("勾稽关系", "钩稽关系"),
    ("行政复议", "行政法复议"),
)

_HALF = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";"})


@dataclass
class GCell:
    text: str
    col: int
    colspan: int = 1
    rowspan: int = 1
    role: str = "label"  # caption | header | corner | group | label | value | phantom
    vertical: bool = False  # printed one character per line (PDF)
    cell_id: str | None = None  # for value cells


@dataclass
class GRow:
    cells: list[GCell]
    kind: str  # caption | header | data | phantom
    row: str | None = None  # "table/row" for data rows
    label_col0: bool = False  # P6: label moved into column 0 (text layouts)


@dataclass
class GTable:
    name: str  # s2 | s3 | s4
    ncols: int
    rows: list[GRow]
    header_rows: int = 0  # leading rows that form the header (repeated on a split)
    widths: tuple[float, ...] = ()
    continued: bool = False  # second part of a split table


@dataclass
class Style:
    """Typography of one document (P14, P16, P24)."""

    half_width: bool = False  # P14: (一) instead of （一）
    label_space: bool = False  # P14 as in seeds 000/002: "(一) 予以公开"
    ascii_quotes: bool = False  # P24
    header_spaces: bool = False  # P16: "结果 维持"
    split_headers: bool = False  # P17: "商业" / "企业" as two lines of a cell
    typos: bool = False  # R4

    def typo(self, text: str) -> str:
        if self.typos:
            for right, wrong in TYPOS:
                text = text.replace(right, wrong)
        return text

    def label(self, text: str) -> str:
        text = self.typo(text)
        if self.ascii_quotes:
            text = text.replace("“", '"').replace("”", '"')
        if self.half_width:
            text = text.translate(_HALF)
        if self.label_space:
            text = re.sub(r"^([（(][一二三四五六七八九十][）)])", r"\1 ", text.translate(_HALF))
        return text

    def header(self, text: str) -> str:
        text = self.typo(text)
        if self.half_width:
            text = text.translate(_HALF)
        if self.header_spaces and len(text) == 4 and text.isalpha():
            text = text[:2] + " " + text[2:]
        if self.split_headers and len(text) in (4, 6) and text.isalpha() and "总计" not in text:
            half = len(text) // 2
            text = text[:half] + "\n" + text[half:]
        return text


def style_of(plan: DocPlan) -> Style:
    p14 = plan.pitfalls.get("P14")
    return Style(
        half_width=p14 == "half",
        label_space=p14 == "mixed",
        ascii_quotes="P24" in plan.pitfalls,
        header_spaces="P16" in plan.pitfalls,
        split_headers="P17" in plan.pitfalls,
        typos="R4" in plan.pitfalls,
    )


# --- section 二 ------------------------------------------------------------------------------


def s2_table(plan: DocPlan, values: Values, printed: Printed, style: Style) -> GTable:
    rows: list[GRow] = []
    captions: dict[str, GRow] = {}
    for t in template.tables(plan.version):
        if t.section != "s2":
            continue
        caption = GRow([GCell(style.label(t.caption), 0, 4, role="caption")], "caption")
        captions[t.code] = caption
        rows.append(caption)
        header = [GCell(style.header(CAPTION_ITEM), 0, role="header")]
        spans = _s2_spans(len(t.columns))
        col = 1
        for c, span in zip(t.columns, spans):
            label = c.label
            if c.code == "fee_amount_wan_cny" and plan.pitfalls.get("P21") == "four_places":
                label = "本年收费金额（单位：万元，保留4位小数）"
            header.append(
                GCell(
                    style.header(label) if len(label) <= 6 else style.label(label), col, span, role="header"
                )
            )
            col += span
        rows.append(GRow(header, "header"))
        for r in t.rows:
            if f"{t.code}/{r.code}" in values.rows_omitted:
                continue
            cells = [GCell(style.label(r.label), 0)]
            col = 1
            run = printed.runs.get(f"{t.code}/{r.code}")
            if run is not None:
                cells.append(GCell(run, 1, 3, role="value"))
                rows.append(GRow(cells, "data", f"{t.code}/{r.code}"))
                continue
            for c, span in zip(t.columns, spans):
                cid = template.cell_id(t.code, r.code, c.code)
                cells.append(GCell(printed.text.get(cid) or "", col, span, role="value", cell_id=cid))
                col += span
            rows.append(GRow(cells, "data", f"{t.code}/{r.code}"))
    if "P8" in plan.pitfalls:
        # Seed 001: the （五） caption is missing above its table and turns up after the last one.
        caption = captions["s2.art20_5"]
        rows.remove(caption)
        rows.append(caption)
    return GTable("s2", 4, rows, 0, (1.3, 1.0, 1.0, 1.0))


def _s2_spans(n: int) -> list[int]:
    """Column spans of n value columns in the 3 value columns of the section-二 table."""
    return {1: [3], 2: [1, 2], 3: [1, 1, 1]}[n]


# --- section 三 ------------------------------------------------------------------------------


def _s3_header(plan: DocPlan, style: Style, variant: str) -> list[GRow]:
    """Header rows; P7 variants as in seeds 004 (其他 shifted, 社会组织) and 000 (总计 on row 2)."""
    names = [style.header(c.label) for c in template.APPLICANTS]
    corner = GCell(style.label(CORNER), 0, 3, 3, role="corner")
    if variant == "social_org":
        names[3] = style.header("社会组织")
    if variant == "total_row2":
        # 总计 printed on the second header row, 自然人 spans down.
        return [
            GRow([corner, GCell(style.header(APPLICANT_GROUP), 3, 7, role="header")], "header"),
            GRow(
                [
                    GCell(names[0], 3, 1, 2, role="header"),
                    GCell(style.header(ORG_GROUP), 4, 5, role="header"),
                    GCell(names[6], 9, role="header"),
                ],
                "header",
            ),
            GRow(
                [GCell(n, 4 + i, role="header") for i, n in enumerate(names[1:6])]
                + [GCell("", 9, role="header")],
                "header",
            ),
        ]
    if variant == "other_shifted":
        # 其他 on the second row beside 法人或其他组织, four org columns below.
        return [
            GRow(
                [
                    corner,
                    GCell(style.header(APPLICANT_GROUP), 3, 6, role="header"),
                    GCell(names[6], 9, 1, 3, role="header"),
                ],
                "header",
            ),
            GRow(
                [
                    GCell(names[0], 3, 1, 2, role="header"),
                    GCell(style.header(ORG_GROUP), 4, 4, role="header"),
                    GCell(names[5], 8, role="header"),
                ],
                "header",
            ),
            GRow(
                [GCell(n, 4 + i, role="header") for i, n in enumerate(names[1:5])]
                + [GCell("", 8, role="header")],
                "header",
            ),
        ]
    return [
        GRow([corner, GCell(style.header(APPLICANT_GROUP), 3, 7, role="header")], "header"),
        GRow(
            [
                GCell(names[0], 3, 1, 2, role="header"),
                GCell(style.header(ORG_GROUP), 4, 5, role="header"),
                GCell(names[6], 9, 1, 2, role="header"),
            ],
            "header",
        ),
        GRow([GCell(n, 4 + i, role="header") for i, n in enumerate(names[1:6])], "header"),
    ]


@dataclass
class _Logical:
    """One printed row of section 三 before spans are worked out."""

    level0: str | None  # the 三、本年度办理结果 group, if inside it
    level1: str | None  # the （三）/（四）/… group, if inside one
    label: str
    row: str | None  # template row code; None for a phantom row
    values: list[GCell] = field(default_factory=list)
    label_col0: bool = False


def _s3_logical(plan: DocPlan, printed: Printed, style: Style, rng: random.Random) -> list[_Logical]:
    version = plan.version
    out: list[_Logical] = []
    for r in template.s3_rows(version):
        level0 = RESULTS_GROUP if r.group not in ("flow_in", "flow_out") else None
        level1 = GROUP_HEADINGS.get(r.group) if r.level == 2 else None
        ids = [template.cell_id("s3", r.code, c) for c in template.APPLICANT_CODES]
        vals = [
            GCell(printed.text.get(i) or "", 3 + k, role="value", cell_id=i)
            for k, i in enumerate(ids)
            if i not in printed.missing
        ]
        run = printed.runs.get(f"s3/{r.code}")
        if run is not None:
            out.append(
                _Logical(level0, level1, style.label(r.label), r.code, [GCell(run, 3, 7, role="value")])
            )
            continue
        extra = printed.extra.get(f"s3/{r.code}")
        if extra is not None:
            pos, text = extra
            vals.insert(pos, GCell(text, 0, role="value"))
        for k, cell in enumerate(vals):
            cell.col = 3 + k
        out.append(_Logical(level0, level1, style.label(r.label), r.code, vals))
    if "P2" in plan.pitfalls:
        _wrap_label(out, plan, rng)
    if "P6" in plan.pitfalls:
        for lr in rng.sample([x for x in out if x.level1 is not None], k=3):
            lr.label_col0 = True
    return out


def _wrap_label(rows: list[_Logical], plan: DocPlan, rng: random.Random) -> None:
    """P2 (seed 001): the end of a long label wraps onto a row of its own with empty cells.

    The split falls after the label's key (``template.Row.key``), so the row is still
    found by its label; the fragment (定” …) then stands alone on the phantom row.
    """
    keys = {r.code: r.key for r in template.s3_rows(plan.version)}
    choices: list[tuple[int, str]] = []  # (index in rows, row code)
    for i, lr in enumerate(rows):
        if lr.row is None:
            continue
        m = re.search(keys[lr.row], _compact(lr.label))
        if m and len(_compact(lr.label)) - m.end() >= 2:
            choices.append((i, lr.row))
    if not choices:
        return
    i, code = rng.choice(choices)
    lr = rows[i]
    m = re.search(keys[code], _compact(lr.label))
    assert m is not None
    cut = rng.randint(m.end(), len(_compact(lr.label)) - 1)
    head, tail = _compact(lr.label)[:cut], _compact(lr.label)[cut:]
    lr.label = head
    phantom = _Logical(lr.level0, lr.level1, tail, None, [GCell("", 3 + k, role="value") for k in range(7)])
    rows.insert(i + 1, phantom)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _s3_rows_from_logical(
    rows: list[_Logical],
    style: Style,
    vertical: bool,
    continued: tuple[str | None, str | None] = (None, None),
) -> list[GRow]:
    """Work out the rowspans of the two group columns.

    ``continued`` gives the text of the group cells of the first row when the table
    continues from a previous page (None: the group's own heading).
    """
    out: list[GRow] = []
    for i, lr in enumerate(rows):
        cells: list[GCell] = []
        if lr.level0 is not None and (i == 0 or rows[i - 1].level0 != lr.level0):
            text = continued[0] if i == 0 and continued[0] is not None else style.label(lr.level0)
            cells.append(
                GCell(text, 0, 1, _run(rows, i, lambda x: x.level0), role="group", vertical=vertical)
            )
        if lr.level1 is not None and (i == 0 or rows[i - 1].level1 != lr.level1):
            text = continued[1] if i == 0 and continued[1] is not None else style.label(lr.level1)
            cells.append(GCell(text, 1, 1, _run(rows, i, lambda x: x.level1), role="group"))
        start = 0 if lr.level0 is None else 1 if lr.level1 is None else 2
        cells.append(GCell(lr.label, start, 3 - start, role="phantom" if lr.row is None else "label"))
        cells.extend(lr.values)
        out.append(
            GRow(
                cells,
                "phantom" if lr.row is None else "data",
                f"s3/{lr.row}" if lr.row else None,
                lr.label_col0,
            )
        )
    return out


def _run(rows: list[_Logical], i: int, attr: Callable[[_Logical], str | None]) -> int:
    """How many rows from ``i`` on share row ``i``'s group (the merged cell's rowspan)."""
    j = i
    while j < len(rows) and attr(rows[j]) == attr(rows[i]):
        j += 1
    return j - i


def s3_tables(
    plan: DocPlan, printed: Printed, style: Style, rng: random.Random, vertical: bool = False
) -> list[GTable]:
    """Section 三: one table, or two when P3 splits it with a repeated header."""
    header = _s3_header(plan, style, plan.pitfalls.get("P7", "standard"))
    logical = _s3_logical(plan, printed, style, rng)
    widths = (0.45, 1.0, 3.2) + (0.72,) * 7
    if "P3" not in plan.pitfalls:
        return [GTable("s3", 10, header + _s3_rows_from_logical(logical, style, vertical), 3, widths)]
    # Seed 004 / huaian: the break falls inside the （三）不予公开 block (or another group).
    inside = [
        i
        for i, lr in enumerate(logical)
        if i > 0 and lr.level1 is not None and logical[i - 1].level1 == lr.level1
    ]
    at = rng.choice(inside)
    first, second = logical[:at], logical[at:]
    part1 = header + _s3_rows_from_logical(first, style, vertical)
    if vertical:
        # A PDF cuts the merged cells between pages, as huaian-2024.pdf does:
        # 三、本年度 | 办理结果 and （三）不 | 予公开.
        results, group = style.label(RESULTS_GROUP), style.label(second[0].level1 or "")
        k0 = max(2, round(len(results) * len(first) / (len(logical) + 2)))
        k1 = max(1, len(group) // 2)
        _retext_group(part1, 0, results[:k0])
        _retext_group(part1, 1, group[:k1], last=True)
        cont: tuple[str | None, str | None] = (results[k0:], group[k1:])
    else:
        # Text layouts (seed 004): the continued group cells are empty.
        cont = ("", "")
    repeat = _s3_header(plan, style, "standard")  # seed 004: the repeated header is the correct one
    part2 = repeat + _s3_rows_from_logical(second, style, vertical, cont)
    return [GTable("s3", 10, part1, 3, widths), GTable("s3", 10, part2, 3, widths, continued=True)]


def _retext_group(rows: list[GRow], col: int, text: str, last: bool = False) -> None:
    """Set the text of the first (or last) group cell in column ``col``."""
    cells = [c for r in rows for c in r.cells if c.role == "group" and c.col == col]
    if cells:
        (cells[-1] if last else cells[0]).text = text


# --- section 四 ------------------------------------------------------------------------------


def s4_table(plan: DocPlan, printed: Printed, style: Style) -> GTable:
    results = [style.header(c.label) for c in template.S4_COLUMNS]
    direct, after = (r.label.split(" › ")[-1] for r in template.S4_ROWS[1:])
    rows = [
        GRow(
            [
                GCell(style.header(S4_REVIEW), 0, 5, role="header"),
                GCell(style.header(S4_LITIGATION), 5, 10, role="header"),
            ],
            "header",
        ),
        GRow(
            [GCell(t, i, 1, 2, role="header") for i, t in enumerate(results)]
            + [
                GCell(style.header(direct), 5, 5, role="header"),
                GCell(style.header(after), 10, 5, role="header"),
            ],
            "header",
        ),
        GRow([GCell(t, 5 + i, role="header") for i, t in enumerate(results * 2)], "header"),
    ]
    values: list[GCell] = []
    for r in template.S4_ROWS:
        for c in template.S4_COLUMNS:
            cid = template.cell_id("s4", r.code, c.code)
            values.append(GCell(printed.text.get(cid) or "", len(values), role="value", cell_id=cid))
    rows.append(GRow(values, "data", "s4/*"))
    return GTable("s4", 15, rows, 3, (1.0,) * 15)


# --- views -----------------------------------------------------------------------------------


def covered(table: GTable) -> list[set[int]]:
    """Per row, the columns covered by a rowspan from a row above."""
    out: list[set[int]] = [set() for _ in table.rows]
    for i, row in enumerate(table.rows):
        for cell in row.cells:
            for k in range(1, cell.rowspan):
                if i + k < len(out):
                    out[i + k].update(range(cell.col, cell.col + cell.colspan))
    return out


def dense(table: GTable) -> list[list[str]]:
    """Each row as a list of cell texts, a merged cell's text in its first position.

    P6 (``label_col0``): the label moves to column 0 and its own column is left
    empty, as seed 000 prints ``3.危及…`` and ``(四) 无法提供`` at the start of the line.
    """
    out = []
    for row in table.rows:
        width = max([table.ncols] + [c.col + c.colspan for c in row.cells])
        line = [""] * width
        for cell in row.cells:
            line[cell.col] = cell.text
        if row.label_col0:
            label_at = next((c.col for c in row.cells if c.role in ("label", "group") and c.col > 0), None)
            if label_at is not None:
                line[0], line[label_at] = line[label_at], ""
        out.append(line)
    return out
