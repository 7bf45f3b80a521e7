"""PDF: the text layer, page by page, with page and line provenance.

pypdfium2 reads a page's text in 1–2 ms, in reading order, with table cells
separated by spaces and rows by line breaks; that is all the row reader
needs.  pdfplumber's table finder (~50 ms a page) is kept for the pages whose
text does not add up (see ``extractors.dispatch``).
"""

from __future__ import annotations


import pypdfium2 as pdfium

from extractors.problems import ReaderProblem
from extractors.text import DocText

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
