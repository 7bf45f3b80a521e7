"""The positioned PDF reading (issue 11): the grid builder on text boxes, and PDFs end to end.

The grid builder is fed boxes made here by hand (as OCR words will feed it), so each
rule is checked on its own: a blank cell keeps its place, two cells' digits never join,
a cell printed ``12 5`` stays one field, a label wrapped over two lines stays one row,
a merged cell spanning rows is its own line, a header repeated after a page break goes.
End to end: two generated PDFs the stream reader got wrong, and a PDF whose text stream
disagrees with its positions (the number is then unread, never published).
"""

from __future__ import annotations

import io
from collections.abc import Sequence, Set
from pathlib import Path
from typing import Any

import pytest

from extractors import extract_path
from extractors.grid import PageLine, Rule, TextBox, drop_repeated_headers, page_lines, read_pages
from generator.pdf import FONT, font_available

H = 8.0  # text height of the boxes below


def chars(text: str, x: float, top: float, width: float = H) -> list[TextBox]:
    """One box per character, touching, as pdfium's loose boxes are; a space leaves a gap."""
    out, space = [], False
    for ch in text:
        if ch == " ":
            space = True
            x += width / 2
            continue
        w = width if ord(ch) > 0x2E80 else width / 2
        out.append(TextBox(ch, x, top, x + w, top + H, space))
        x, space = x + w, False
    return out


def grid_rules(
    xs: Sequence[float], ys: Sequence[float], skip_v: Set[tuple[int, int]] = frozenset()
) -> list[Rule]:
    """A full grid; ``skip_v`` = (column edge, row) pairs where the vertical rule is missing."""
    rules = [Rule(xs[0], y - 0.25, xs[-1], y + 0.25) for y in ys]
    for i, x in enumerate(xs):
        for r in range(len(ys) - 1):
            if (i, r) not in skip_v:
                rules.append(Rule(x - 0.25, ys[r], x + 0.25, ys[r + 1]))
    return rules


def rows(lines: list[PageLine]) -> list[str]:
    return [line.text for line in lines]


def test_ruled_table_keeps_a_blank_cell_in_its_place():
    xs, ys = [50, 200, 250, 300, 350], [100, 114, 128]
    boxes = (
        chars("规章", 52, 103)
        + chars("1", 222, 103)
        + chars("11", 320, 103)
        + chars("行政规范性文件", 52, 117)
        + chars("8", 222, 117)
        + chars("26", 270, 117)
        + chars("66", 320, 117)
    )
    assert rows(page_lines(boxes, grid_rules(xs, ys))) == ["规章\t1\t\t11", "行政规范性文件\t8\t26\t66"]


def test_digits_of_two_cells_never_join_even_when_they_touch():
    # "12" ends exactly where "5" of the next cell starts: the rule between them cuts.
    xs, ys = [50, 200, 213, 260], [100, 114]
    boxes = chars("重复申请", 52, 103) + chars("12", 205, 103) + chars("5", 213, 103)
    assert rows(page_lines(boxes, grid_rules(xs, ys))) == ["重复申请\t12\t5"]
    # Unruled: the words are apart, so are the cells.
    boxes = chars("重复申请", 52, 103) + chars("12", 205, 103) + chars("5", 240, 103)
    assert rows(page_lines(boxes, [])) == ["重复申请\t12\t5"]


def test_a_cell_printed_with_two_numbers_stays_one_field():
    xs, ys = [50, 200, 250, 300], [100, 114]
    boxes = chars("行政规范性文件", 52, 103) + chars("12 5", 210, 103) + chars("3", 270, 103)
    (line,) = page_lines(boxes, grid_rules(xs, ys))
    assert line.cells == ["行政规范性文件", "12 5", "3"]


def test_an_unruled_row_printed_as_one_run_is_one_field():
    # `1 0 0 0 0 0 1` printed `10 0 0 0 01` in one cell spanning the value columns (generator
    # R6, no rules): its words stand closer than columns do, so they are one cell, not numbers
    # in the columns they happen to fall in (an earlier reader put 10 and 0 0 in two columns
    # and blanks around them, which the identities then filled: a false alarm).
    boxes: list[TextBox] = []
    for i, (label, cells) in enumerate(
        [("一、本年新收", ["3", "1", "4"]), ("二、上年结转", ["1", "0", "1"])]
    ):
        boxes += chars(label, 52, 100 + 16 * i)
        for x, cell in zip((210, 260, 310), cells):
            boxes += chars(cell, x, 100 + 16 * i)
    boxes += chars("2.重复申请", 52, 132) + chars("10 0 0 0 01", 236, 132)
    assert rows(page_lines(boxes, [])) == [
        "一、本年新收\t3\t1\t4",
        "二、上年结转\t1\t0\t1",
        "2.重复申请\t10 0 0 0 01",
    ]


def test_a_label_wrapped_over_two_lines_stays_one_row_ruled_and_unruled():
    label = [chars("（二）部分公开（区分处理的，只计", 52, 103), chars("这一情形）", 52, 113)]
    values = chars("447", 210, 108) + chars("7", 262, 108)
    after = chars("1.属于国家秘密", 52, 131) + chars("2", 210, 131) + chars("0", 262, 131)
    boxes = label[0] + label[1] + values + after
    expected = ["（二）部分公开（区分处理的，只计这一情形）\t447\t7", "1.属于国家秘密\t2\t0"]
    assert rows(page_lines(boxes, grid_rules([50, 200, 250, 300], [100, 124, 142]))) == expected
    assert rows(page_lines(boxes, [])) == expected


def test_unruled_blank_cell_is_placed_by_the_columns_of_the_other_rows():
    boxes: list[TextBox] = []
    # None: the cell is blank.
    table: list[tuple[str, list[str | None]]] = [
        ("一、本年新收", ["3", "1", "4"]),
        ("1.属于国家秘密", ["2", None, "2"]),
        ("2.重复申请", [None, "1", "1"]),
    ]
    for i, (label, cells) in enumerate(table):
        top = 100 + 16 * i
        boxes += chars(label, 52, top)
        for x, cell in zip((210, 260, 310), cells):
            if cell:
                boxes += chars(cell, x, top)
    assert rows(page_lines(boxes, [])) == [
        "一、本年新收\t3\t1\t4",
        "1.属于国家秘密\t2\t\t2",
        "2.重复申请\t\t1\t1",
    ]


def test_a_label_merged_over_rows_is_its_own_line_before_its_first_row():
    xs, ys = [50, 90, 200, 250], [100, 114, 128]
    # （三）不予公开 spans both rows: no rule between them in its column.
    rules = [
        Rule(xs[0], ys[0], xs[-1], ys[0]),
        Rule(xs[0], ys[2], xs[-1], ys[2]),
        Rule(xs[1], ys[1], xs[-1], ys[1]),
    ]
    rules += [Rule(x, ys[0], x, ys[2]) for x in xs]
    boxes = (
        chars("（三）不予", 52, 110)
        + chars("1.属于国家秘密", 92, 103)
        + chars("2", 222, 103)
        + chars("2.其他法律行政法规", 92, 117)
        + chars("0", 222, 117)
    )
    assert rows(page_lines(boxes, rules)) == ["（三）不予", "1.属于国家秘密\t2", "2.其他法律行政法规\t0"]


def test_a_header_repeated_after_a_page_break_is_dropped():
    def table(top: float, first: int) -> list[TextBox]:
        boxes = chars("申请人情况", 52, top) + chars("自然人", 210, top + 12) + chars("其他", 260, top + 12)
        for i in range(2):
            boxes += (
                chars(f"{first + i}.某项申请", 52, top + 28 + 14 * i)
                + chars("1", 215, top + 28 + 14 * i)
                + chars("0", 265, top + 28 + 14 * i)
            )
        return boxes

    pages = [page_lines(table(600, 1), []), page_lines(table(60, 3), [])]
    first, second = drop_repeated_headers(pages)
    assert rows(first)[:2] == ["申请人情况", "自然人 其他"]
    # 其他 alone would read as the row 3.其他: the repeated header must not reach the row reader.
    assert rows(second) == ["3.某项申请\t1\t0", "4.某项申请\t1\t0"]


def test_word_boxes_on_pages_as_ocr_gives_them():
    # OCR yields words, not characters, each with its page: the same builder reads them.
    def word(text: str, x: float, top: float, page: int) -> TextBox:
        return TextBox(text, x, top, x + 4.0 * len(text), top + H, False, page)

    boxes = [
        word("申请人情况", 52, 60, 1),
        word("自然人", 210, 72, 1),
        word("其他", 260, 72, 1),
        word("1.某项申请", 52, 90, 1),
        word("1", 215, 90, 1),
        word("0", 265, 90, 1),
        word("申请人情况", 52, 60, 2),
        word("自然人", 210, 72, 2),
        word("其他", 260, 72, 2),
        word("2.某项申请", 52, 90, 2),
        word("12", 213, 90, 2),
        word("3", 265, 90, 2),
    ]
    pages = read_pages(boxes)
    assert [rows(p) for p in pages] == [
        ["申请人情况", "自然人 其他", "1.某项申请\t1\t0"],
        ["2.某项申请\t12\t3"],
    ]


# --- PDFs end to end -----------------------------------------------------------------------

needs_font = pytest.mark.skipif(not font_available(), reason="CJK font missing: PDFs cannot be generated")


def _generated(name: str, count: int, seed: int, formats: tuple[str, ...]) -> tuple[bytes, dict]:
    from generator import build
    from generator import plan as planning

    plan = next(p for p in planning.plan_corpus(count, seed, formats) if p.filename == name)
    generated = build(plan)
    return generated.data, generated.key.to_dict()


@needs_font
@pytest.mark.parametrize(
    "name",
    [
        # P3: 其他 of the header repeated inside （六）其他处理 was read as the row 3.其他.
        "00068_city_gov_2021.pdf",
        # P1 in an unruled PDF: the stream loses the blank cells' places (ambiguous_values).
        "00170_county_gov_2024.pdf",
    ],
)
def test_generated_pdfs_the_stream_reader_got_wrong(tmp_path, name):
    from generator.score import score

    data, key = _generated(name, 1000, 1, ("pdf", "docx", "html", "txt"))
    path = tmp_path / name
    path.write_bytes(data)
    s = score(extract_path(path).to_dict(), key)
    assert s.exact, s.describe()


def _draw_rules(c: Any, page: Any) -> None:
    """The page's ruling lines drawn again on a reportlab canvas (y grows down, as pdfium's)."""
    from extractors.pdf import _rules

    for r in _rules(page):
        if r.horizontal:
            c.line(r.x0, -(r.top + r.bottom) / 2, r.x1, -(r.top + r.bottom) / 2)
        else:
            c.line((r.x0 + r.x1) / 2, -r.top, (r.x0 + r.x1) / 2, -r.bottom)


def _redraw(data: bytes, row_label: str | None = None, shift: float = 3.0) -> bytes:
    """The same pages drawn again, rule by rule and word by word at the same places.

    In the row ``row_label`` the first value is drawn ``shift`` up and the second as much
    down, both still inside their ruled cells, and the second before the first in the
    page's content: the grid reads them by place, the text stream in content order."""
    import pypdfium2 as pdfium
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    from extractors.grid import words
    from extractors.pdf import _chars
    from generator.pdf import _setup

    _setup()
    src = pdfium.PdfDocument(data)
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for i in range(len(src)):
        page = src[i]
        c.setPageSize(page.get_size())
        c.setLineWidth(0.5)
        _draw_rules(c, page)
        textpage = page.get_textpage()
        for line in words(_chars(textpage, textpage.get_text_range())):
            draws = []
            for word in line:
                size = round(word.height * 0.8, 1)
                draws.append([word.x0, -word.bottom - pdfmetrics.getDescent(FONT, size), word.text, size])
            if line[0].text == row_label:
                first, second = draws[1], draws[2]
                first[1] += shift
                second[1] -= shift
                draws = [draws[0], second, first] + draws[3:]
            for x, y, text, size in draws:
                c.setFont(FONT, size)
                c.drawString(x, y, text)
        c.showPage()
    c.save()
    src.close()
    return out.getvalue()


@needs_font
def test_readings_that_disagree_leave_the_cells_unread(tmp_path):
    from extractors.pdf import read_pdf

    data, key = _generated("00003_city_dept_2021.pdf", 60, 3, ("pdf",))
    row = "s2.art20_1/normative_documents"
    assert [
        v["value"] for v in key["cells"] if v["table"] == "s2.art20_1" and v["row"] == "normative_documents"
    ] == [16, 9, 154]

    # Redrawn unchanged: the two readings agree, the record is right and ok.
    same = tmp_path / "same.pdf"
    same.write_bytes(_redraw(data))
    record = extract_path(same)
    # The document prints one section-三 row blank, which the identities fill (its key says so).
    assert (record.status, [p.code for p in record.problems]) == ("needs_review", ["imputed_value"])
    assert [c.value for c in record.cells if c.id.startswith(row)] == [16, 9, 154]

    moved = tmp_path / "moved.pdf"
    moved.write_bytes(_redraw(data, "行政规范性文件"))
    reading = read_pdf(moved.read_bytes())
    assert "行政规范性文件\t16\t9\t154" in reading.grid.text.split("\n")
    assert "行政规范性文件 9\n16 154" in reading.stream.text

    record = extract_path(moved)
    by_id = {c.id: c for c in record.cells}
    problems = [p for p in record.problems if p.code == "readings_disagree"]
    assert [p.cells for p in problems] == [[f"{row}/issued_this_year"], [f"{row}/repealed_this_year"]]
    assert all(p.severity == "error" for p in problems)
    assert "grid reads 16" in problems[0].message and "stream reads 9" in problems[0].message
    assert [
        (by_id[f"{row}/{c}"].value, by_id[f"{row}/{c}"].basis)
        for c in ("issued_this_year", "repealed_this_year", "currently_valid")
    ] == [(None, "unread"), (None, "unread"), (154, "printed")]
    assert by_id[f"{row}/issued_this_year"].where["candidates"] == ["16", "9"]
    assert record.status == "needs_review"


def test_a_real_report_whose_stream_reads_one_number_otherwise():
    # huaian-2024.pdf with its text stream altered in one cell: 一、本年新收 … 其他 4 → 5.
    from extractors.agreement import as_cells, reconcile
    from extractors.dispatch import extract_text
    from extractors.pdf import read_pdf
    from xxgk.record import Source

    reading = read_pdf((Path(__file__).parent / "fixtures" / "real" / "huaian-2024.pdf").read_bytes())
    assert reading.stream_raw.count("3001 53 0 0 61 4 3119") == 1
    altered = reading.stream_raw.replace("3001 53 0 0 61 4 3119", "3001 53 0 0 61 5 3119")
    report = extract_text(reading.grid, Source("huaian-2024.pdf", "-", "pdf"))
    # Checked through a name: asserting report.status itself would let mypy assume it stays
    # "ok" after reconcile, which changes it.
    status_before = report.status
    assert status_before == "ok"
    assert reconcile(report, as_cells(altered, reading.stream_where)) == ["s3/new_received/other_org"]
    cell = next(c for c in report.cells if c.id == "s3/new_received/other_org")
    assert (cell.value, cell.basis, cell.where["candidates"]) == (None, "unread", ["4", "5"])
    assert report.status == "needs_review"
    assert [p.code for p in report.problems] == ["readings_disagree"]


@needs_font
def test_a_row_the_stream_cannot_read_is_no_disagreement(tmp_path):
    # The stream counts only where it gives one number per cell with no other reading;
    # a row it cannot read that way is left out of the comparison.
    from extractors.agreement import as_cells, stream_cells
    from extractors.pdf import read_pdf

    data, _ = _generated("00003_city_dept_2021.pdf", 60, 3, ("pdf",))
    reading = read_pdf(data)
    sure = stream_cells(as_cells(reading.stream_raw, reading.stream_where), "v2021")
    assert sure["s2.art20_1/normative_documents/issued_this_year"][0].value == 16
    # Drop the row's values from the stream entirely: the stream no longer reads the row.
    lines = [
        ("行政规范性文件" if line.startswith("行政规范性文件") else line)
        for line in reading.stream.text.split("\n")
    ]
    blind = as_cells("\n".join(lines), reading.stream_where)
    assert not any(cid.startswith("s2.art20_1/normative_documents/") for cid in stream_cells(blind, "v2021"))


@pytest.mark.slow
@needs_font
def test_an_image_only_pdf_is_read_by_ocr(tmp_path):
    """A scan is read by OCR (tests/test_ocr.py has the tables); this one prints only titles."""
    import random

    from generator.pdf import image_only_pdf

    path = tmp_path / "scan.pdf"
    path.write_bytes(image_only_pdf(["南溪县商务局2025年政府信息公开工作年度报告"] * 10, random.Random(1)))
    record = extract_path(path)
    assert record.status == "rejected"
    assert [p.code for p in record.problems] == ["table_missing"]
    assert record.source.ocr is not None and record.source.ocr["engine"] == "rapidocr"


def _turned(data: bytes, turn: int) -> bytes:
    """Each page drawn again turned ``turn`` degrees counter-clockwise on a page of the turned
    size, as landscape tables are printed on portrait pages."""
    import pypdfium2 as pdfium
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    from extractors.grid import words
    from extractors.pdf import _chars
    from generator.pdf import _setup

    _setup()
    src = pdfium.PdfDocument(data)
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for i in range(len(src)):
        page = src[i]
        w, h = page.get_size()
        c.setPageSize((h, w) if turn in (90, 270) else (w, h))
        c.saveState()
        c.translate(*{0: (0, 0), 90: (h, 0), 180: (w, h), 270: (0, w)}[turn])
        c.rotate(turn)
        c.setLineWidth(0.5)
        _draw_rules(c, page)
        textpage = page.get_textpage()
        for line in words(_chars(textpage, textpage.get_text_range())):
            for word in line:
                size = round(word.height * 0.8, 1)
                c.setFont(FONT, size)
                c.drawString(word.x0, -word.bottom - pdfmetrics.getDescent(FONT, size), word.text)
        c.restoreState()
        c.showPage()
    c.save()
    src.close()
    return out.getvalue()


@needs_font
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_table_printed_turned_is_read_upright(tmp_path, turn):
    data, _ = _generated("00003_city_dept_2021.pdf", 60, 3, ("pdf",))
    upright, turned = tmp_path / "upright.pdf", tmp_path / f"turned{turn}.pdf"
    upright.write_bytes(_turned(data, 0))
    turned.write_bytes(_turned(data, turn))
    a, b = extract_path(upright), extract_path(turned)
    # Both as the document is: one section-三 row printed blank, filled by the identities.
    for record in (a, b):
        assert (record.status, [p.code for p in record.problems]) == ("needs_review", ["imputed_value"])
    assert [(c.id, c.value, c.basis) for c in b.cells] == [(c.id, c.value, c.basis) for c in a.cells]


def _turned_as_forms(data: bytes, pages: Set[int]) -> bytes:
    """The document with the given pages (0-based) placed upside down: each page is drawn as a
    form XObject turned 180° (as a page scanned or imposed upside down is), rules included."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(data)
    dest = pdfium.PdfDocument.new()
    for i in range(len(src)):
        w, h = src[i].get_size()
        form = src.page_as_xobject(i, dest).as_pageobject()
        if i in pages:
            form.transform(pdfium.PdfMatrix().rotate(180).translate(w, h))
        page = dest.new_page(w, h)
        page.insert_obj(form)
        page.gen_content()
    out = io.BytesIO()
    dest.save(out)
    return out.getvalue()


@needs_font
@pytest.mark.parametrize(
    ("name", "pages"),
    [
        # A ruled table; 减少12 in a v2019 section 二 (pdfium gives the upside-down line right to
        # left, piece by piece: an earlier reader split 减少 from 12 and published 12).
        ("00055_township_2019.pdf", {0, 1, 2}),
        # A page of narrative only after the tables (read from the stream, backwards).
        ("00060_city_dept_2024.pdf", {0, 1, 2, 3}),
        # Only the page with section 三 turned.
        ("00111_township_2019.pdf", {1}),
    ],
)
def test_pages_turned_upside_down_are_read_as_the_document_is(tmp_path, name, pages):
    from generator.score import score

    data, key = _generated(name, 120, 5, ("pdf", "docx", "html", "txt"))
    path = tmp_path / name
    path.write_bytes(_turned_as_forms(data, pages))
    record = extract_path(path).to_dict()
    s = score(record, key)
    assert not s.silent, s.describe()
    assert s.exact, s.describe()
