"""HTML and DOCX tables feed the cell model of ruled PDF tables (``extractors.grid``).

A table given as cells (HTML ``colspan``/``rowspan``, DOCX ``gridSpan``/``vMerge``) is placed
on a grid and written as the PDF reader writes a ruled table: one line per row with its cells
as tab fields, a blank cell an empty field in its place, a label spanning rows its own line
before its first row, a column covered from above no field.  The same table in HTML and in
DOCX reads the same.
"""

from __future__ import annotations

import io
import zipfile

from extractors.grid import DomCell, GridCell, dom_cells, dom_lines
from extractors.html import html_text
from extractors.word import docx_text


def test_a_cell_spanning_rows_covers_its_column_below():
    rows = [
        [DomCell("（三）不予公开", rowspan=2), DomCell("1.属于国家秘密"), DomCell("0"), DomCell("")],
        [DomCell("2.其他法律行政法规禁止公开"), DomCell("5"), DomCell("6")],
    ]
    cells = dom_cells(rows)
    assert [(c.row, c.col, c.rowspan, c.colspan, c.text) for c in cells] == [
        (0, 0, 2, 1, "（三）不予公开"),
        (0, 1, 1, 1, "1.属于国家秘密"),
        (0, 2, 1, 1, "0"),
        (0, 3, 1, 1, ""),
        (1, 1, 1, 1, "2.其他法律行政法规禁止公开"),  # right of the spanning label, not under it
        (1, 2, 1, 1, "5"),
        (1, 3, 1, 1, "6"),
    ]
    assert [line.text for line in dom_lines(rows)] == [
        "（三）不予公开",
        "1.属于国家秘密\t0\t",
        "2.其他法律行政法规禁止公开\t5\t6",
    ]


def test_a_vertical_merge_grows_the_cell_above():
    rows = [
        [DomCell("三、本年度办理结果"), DomCell("（一）予以公开"), DomCell("4")],
        [DomCell("", continued=True), DomCell("（二）部分公开"), DomCell("")],
    ]
    first = dom_cells(rows)[0]
    assert isinstance(first, GridCell) and (first.rowspan, first.text) == (2, "三、本年度办理结果")
    assert [line.text for line in dom_lines(rows)] == [
        "三、本年度办理结果",
        "（一）予以公开\t4",
        "（二）部分公开\t",
    ]


def test_a_cell_spanning_columns_is_one_field():
    rows = [
        [DomCell("行政规范性文件"), DomCell("12 5", colspan=3)],
        [DomCell("规章"), *(DomCell("0") for _ in range(3))],
    ]
    assert [line.text for line in dom_lines(rows)] == ["行政规范性文件\t12 5", "规章\t0\t0\t0"]


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(rows: list[list[tuple[str, int, str | None]]]) -> bytes:
    """A DOCX holding one table: each cell (text, gridSpan, vMerge value or None)."""

    def cell(text: str, span: int, merge: str | None) -> str:
        props = (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") + (
            f'<w:vMerge w:val="{merge}"/>' if merge == "restart" else "<w:vMerge/>" if merge else ""
        )
        return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    body = "".join("<w:tr>" + "".join(cell(*c) for c in row) + "</w:tr>" for row in rows)
    xml = f'<w:document xmlns:w="{W}"><w:body><w:tbl>{body}</w:tbl></w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return out.getvalue()


def test_the_same_table_reads_the_same_in_html_and_docx():
    html = """<table>
      <tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td>0</td><td>&nbsp;</td></tr>
      <tr><td>2.其他法律行政法规禁止公开</td><td colspan="2">5</td></tr>
    </table>"""
    docx = _docx(
        [
            [("（三）不予公开", 1, "restart"), ("1.属于国家秘密", 1, None), ("0", 1, None), ("", 1, None)],
            [("", 1, "continue"), ("2.其他法律行政法规禁止公开", 1, None), ("5", 2, None)],
        ]
    )
    expected = "(三)不予公开\n1.属于国家秘密\t0\t\n2.其他法律行政法规禁止公开\t5"
    assert html_text(html).text == expected
    assert docx_text(docx).text == expected
