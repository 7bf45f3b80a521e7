"""PDF: the text layer, page by page, with page and line provenance.

pypdfium2 reads a page's text in 1–2 ms, in reading order, with table cells
separated by spaces and rows by line breaks; that is all the row reader
needs.  pdfplumber's table finder (~50 ms a page) is kept for the pages whose
text does not add up (see ``extractors.dispatch``).
"""

from __future__ import annotations


import io
import re

import pdfplumber
import pypdfium2 as pdfium

from extractors.problems import ReaderProblem
from extractors.text import DocText

# A page holds report tables when its text has one of these.
TABLE_PAGE = re.compile(r"第二十条第|信息内容|本年新收|申请人情况|结转下年度|复议后起诉|直接起诉")
# Fewer visible characters than this per page on average: an image-only scan.
MIN_CHARS_PER_PAGE = 30


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        text = str(err).lower()
        if "password" in text:
            raise ReaderProblem("encrypted", "the PDF is password-protected; "
                             "ask the publisher for an open copy or remove the password") from err
        raise ReaderProblem("corrupt", f"the PDF cannot be opened ({err}); the file may be "
                         "truncated or damaged: download it again") from err


def pdf_text(data: bytes) -> DocText:
    pdf = open_pdf(data)
    try:
        lines: list[str] = []
        where: list[dict[str, int]] = []
        visible = 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            textpage.close()
            page.close()
            visible += sum(1 for ch in text if not ch.isspace())
            for number, line in enumerate(text.split("\n"), 1):
                lines.append(line)
                where.append({"page": index + 1, "line": number})
        if len(pdf) == 0 or visible < MIN_CHARS_PER_PAGE * len(pdf):
            raise ReaderProblem("ocr_needed", f"the PDF has no text layer ({visible} characters on "
                             f"{len(pdf)} pages): it is a scan; run OCR (e.g. ocrmypdf) first")
        return DocText.from_raw("\n".join(lines), where)
    finally:
        pdf.close()


def table_pages(doc: DocText) -> list[int]:
    """Pages (1-based) whose text shows report tables: pdfplumber looks only at these."""
    pages: dict[int, str] = {}
    for line, where in zip(doc.text.split("\n"), doc.line_where):
        pages[where["page"]] = pages.get(where["page"], "") + line
    return [p for p, text in pages.items() if TABLE_PAGE.search(re.sub(r"\s", "", text))]


def pdf_tables_text(data: bytes, doc: DocText) -> DocText:
    """The text again, with the table pages read by pdfplumber's table finder.

    Ruled tables come out cell by cell, so rows whose numbers the text layer
    interleaved with wrapped labels are whole again.  Text outside the tables
    (section titles) is kept in its place by vertical position.
    """
    wanted = set(table_pages(doc))
    lines: list[str] = []
    where: list[dict[str, int]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            if number not in wanted:
                for line, w in zip(doc.text.split("\n"), doc.line_where):
                    if w["page"] == number:
                        lines.append(line)
                        where.append(w)
                continue
            blocks: list[tuple[float, str]] = []
            outside = page
            for table in page.find_tables():
                outside = outside.outside_bbox(table.bbox)
                for row, cells in zip(table.rows, table.extract()):
                    text = "\t".join("".join((c or "").split()) for c in cells)
                    blocks.append((row.bbox[1], text))
            blocks += [(line["top"], line["text"]) for line in outside.extract_text_lines()]
            for i, (_, text) in enumerate(sorted(blocks, key=lambda b: b[0]), 1):
                lines.append(text)
                where.append({"page": number, "line": i})
    return DocText.from_raw("\n".join(lines), where)
