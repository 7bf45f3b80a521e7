"""PDF: the text layer read twice, from where the characters are and as a stream.

pypdfium2 gives each character's box and the page's ruling lines (path
objects); ``extractors.grid`` builds the tables' cells from them, so a row is
one line with each cell in its place (the primary reading).  The same text
page also gives the plain text stream, in content order with cells separated
by spaces (the second, independent reading: ``extractors.dispatch`` compares
the two).  Both come from one pass over the pages, a few ms a page.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extractors.grid import (
    RULE_MIN_LENGTH,
    RULE_THICKNESS,
    PageLine,
    Rule,
    TextBox,
    drop_repeated_headers,
    page_lines,
)
from extractors.problems import ReaderProblem
from extractors.text import DocText
from xxgk.settings import READER

# Words of the report tables' headers and rows (section 二, 三, 四).
TABLE_WORDS = re.compile(
    r"第二十条第|信息内容|本年新收|上年结转|申请人情况|予以公开|不予公开|无法提供|不予处理|"
    r"其他处理|总计|结转下年度|行政复议|行政诉讼|复议后起诉|直接起诉|行政许可|行政处罚|规章"
)
NUMBERS_IN_A_ROW = re.compile(r"\d[\d,.]*[ \t]+\d[\d,.]*[ \t]+\d")
# Fewer visible characters than this per page on average: an image-only scan.
MIN_CHARS_PER_PAGE = 30
# Characters a report's text layer is made of: CJK ideographs and punctuation, ASCII,
# full-width forms.  A font without a Unicode map gives control, private-use or
# replacement codes instead (or "(cid:123)" where another tool wrote the text out).
_READABLE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\x21-\x7e\u2010-\u2027\u00b7]")
_CID = re.compile(r"\(cid:\d+\)")


@dataclass
class PdfReading:
    grid: DocText  # tables cell by cell (primary)
    stream_raw: str  # the text layer in content order (cross-check)
    stream_where: list[dict[str, int]]  # page and line of each of its lines
    pages: int

    @cached_property
    def stream(self) -> DocText:
        return DocText.from_raw(self.stream_raw, self.stream_where)


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        text = str(err).lower()
        if "password" in text:
            raise ReaderProblem(
                "encrypted",
                "the PDF is password-protected; ask the publisher for an open copy or remove the password",
            ) from err
        raise ReaderProblem(
            "corrupt",
            f"the PDF cannot be opened ({err}); the file may be truncated or damaged: download it again",
        ) from err


def read_pdf(data: bytes) -> PdfReading:
    """Both readings of a PDF; ``ocr_needed`` when it has no text layer."""
    pdf = open_pdf(data)
    try:
        stream_lines: list[str] = []
        stream_where: list[dict[str, int]] = []
        grid_pages: list[list[PageLine]] = []
        visible = readable = 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                raw_text = textpage.get_text_range()
                text = raw_text.replace("\r\n", "\n").replace("\r", "\n")
                direction = _text_direction(textpage)
                upright = _UPRIGHT[direction]
                rules = _rules(page, upright)
                # A turned page's stream is not in reading order (pdfium gives an upside-down
                # line right to left, piece by piece): read it by position too.
                if rules or direction or _may_hold_a_table(text):
                    grid_pages.append(page_lines(_chars(textpage, raw_text, upright), rules))
                else:
                    # Narrative only: its lines are the stream's (no table to place).
                    grid_pages.append([PageLine(float(i), line) for i, line in enumerate(text.split("\n"))])
            finally:
                textpage.close()
                page.close()
            visible += sum(1 for ch in text if not ch.isspace())
            readable += len(_READABLE.findall(_CID.sub("", text)))
            for number, line in enumerate(text.split("\n"), 1):
                stream_lines.append(line)
                stream_where.append({"page": index + 1, "line": number})
        if len(pdf) == 0 or visible < MIN_CHARS_PER_PAGE * len(pdf):
            raise ReaderProblem(
                "ocr_needed",
                f"the PDF has no text layer ({visible} characters on {len(pdf)} pages): it is a scan",
            )
        if readable < READER.ocr_min_readable_share * visible:
            raise ReaderProblem(
                "ocr_needed",
                f"the PDF's text layer is not readable ({visible - readable} of {visible} "
                "characters map to no text: a font without a Unicode map)",
            )
        grid_lines: list[str] = []
        grid_where: list[dict[str, int]] = []
        for index, lines in enumerate(drop_repeated_headers(grid_pages)):
            for number, line in enumerate(lines, 1):
                grid_lines.append(line.text)
                grid_where.append({"page": index + 1, "line": number})
        return PdfReading(
            DocText.from_raw("\n".join(grid_lines), grid_where),
            "\n".join(stream_lines),
            stream_where,
            len(pdf),
        )
    finally:
        pdf.close()


def _may_hold_a_table(text: str) -> bool:
    """A page without rules is read by position only when it may hold a report table:
    words of the tables' headers or rows, or three numbers in a row."""
    return bool(TABLE_WORDS.search(re.sub(r"\s", "", text)) or NUMBERS_IN_A_ROW.search(text))


def pdf_text(data: bytes) -> DocText:
    """The text stream alone (the second reading)."""
    return read_pdf(data).stream


def pdf_grid_text(data: bytes) -> DocText:
    """The positioned reading alone (the primary reading)."""
    return read_pdf(data).grid


# Page space (y upwards) to the text upright (y downwards), by the direction the text runs
# (counter-clockwise from +x): (x0, y0, x1, y1) -> (left, top, right, bottom).
_Box = tuple[float, float, float, float]
_UPRIGHT: dict[int, Callable[[float, float, float, float], _Box]] = {
    0: lambda x0, y0, x1, y1: (x0, -y1, x1, -y0),
    90: lambda x0, y0, x1, y1: (y0, x0, y1, x1),
    180: lambda x0, y0, x1, y1: (-x1, y0, -x0, y1),
    270: lambda x0, y0, x1, y1: (-y1, -x1, -y0, -x0),
}


def _text_direction(textpage: pdfium.PdfTextPage) -> int:
    """0, 90, 180 or 270: how most of the page's text is turned (a landscape table drawn
    turned on a portrait page runs at 90)."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    turns: dict[int, int] = {}
    for i in range(0, n, max(1, n // 60)):
        angle = pdfium_c.FPDFText_GetCharAngle(raw, i)
        if angle >= 0:
            k = round(angle / (math.pi / 2)) % 4
            turns[k] = turns.get(k, 0) + 1
    # pdfium measures the angle clockwise; the table below is keyed counter-clockwise.
    return 90 * ((4 - max(turns, key=lambda k: (turns[k], k == 0))) % 4) if turns else 0


def _chars(
    textpage: pdfium.PdfTextPage,
    text: str,
    upright: Callable[[float, float, float, float], _Box] = _UPRIGHT[0],
) -> list[TextBox]:
    """Every visible character with its box (the font's, not the glyph's: neighbours touch)."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    if len(text) != n:  # one text character per pdfium character, as get_text_range gives
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, i)) for i in range(n))
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    loose = pdfium_c.FPDFText_GetLooseCharBox
    out: list[TextBox] = []
    add = out.append
    space = False
    identity = upright is _UPRIGHT[0]
    if not identity:
        return _turned_chars(textpage, text, upright)
    for i, ch in enumerate(text):
        # Spaces and line breaks (pdfium's own or printed) only end words.
        if ch.isspace() or ch == "\x00":
            space = True
            continue
        if not loose(raw, i, ref):
            continue
        add(TextBox(ch, rect.left, -rect.top, rect.right, -rect.bottom, space))
        space = False
    return out


def _turned_chars(
    textpage: pdfium.PdfTextPage, text: str, upright: Callable[[float, float, float, float], _Box]
) -> list[TextBox]:
    """The characters of a turned page (upside down, or sideways) in upright coordinates.

    pdfium gives such a page's text in pieces whose order need not be the reading order
    (a line upside down comes right to left, piece by piece), with a space of no width of
    its own between pieces, also between two characters that touch.  So only a printed
    space (one with a width) marks a word break here, before the character on its right;
    gaps between pieces end words by themselves (``grid.WORD_GAP``).
    """
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    loose = pdfium_c.FPDFText_GetLooseCharBox
    out: list[TextBox] = []
    spaces: list[_Box] = []
    for i, ch in enumerate(text):
        if not loose(raw, i, ref):
            continue
        box = upright(rect.left, rect.bottom, rect.right, rect.top)
        if ch.isspace() or ch == "\x00":
            if box[2] - box[0] > 0.5:
                spaces.append(box)
            continue
        out.append(TextBox(ch, *box))
    if spaces:
        by_line: dict[int, list[TextBox]] = {}
        for b in out:
            by_line.setdefault(round(b.cy), []).append(b)
        for _x0, top, x1, bottom in spaces:
            cy = round((top + bottom) / 2)
            near = [b for k in (cy - 1, cy, cy + 1) for b in by_line.get(k, ())]
            after = [b for b in near if b.x0 >= x1 - 0.5]
            if after:
                min(after, key=lambda b: b.x0).space_before = True
    return out


def _rules(
    page: pdfium.PdfPage, upright: Callable[[float, float, float, float], _Box] = _UPRIGHT[0]
) -> list[Rule]:
    """Ruling lines: thin path objects, and the sides of stroked rectangles (forms included)."""
    out: list[Rule] = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    box = [ctypes.byref(v) for v in (left, bottom, right, top)]
    fill, stroke = ctypes.c_int(), ctypes.c_int()

    matrix = pdfium_c.FS_MATRIX()

    def visit(count: int, get: Callable[[int], object], depth: int, into: _Matrix | None) -> None:
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 8:
                # The bounds of a form's objects are in the form's space: its matrix (a page
                # drawn turned or scaled as a form XObject) maps them onto the page.
                form: _Matrix | None = None
                if pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
                    m = matrix
                    form = (m.a, m.b, m.c, m.d, m.e, m.f)
                    form = _compose(into, form) if into else form
                visit(
                    pdfium_c.FPDFFormObj_CountObjects(obj),
                    partial(pdfium_c.FPDFFormObj_GetObject, obj),
                    depth + 1,
                    form if form is not None else into,
                )
                continue
            if kind != pdfium_c.FPDF_PAGEOBJ_PATH or not pdfium_c.FPDFPageObj_GetBounds(obj, *box):
                continue
            x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
            if into is not None:
                x0, y0, x1, y1 = _map_box(into, x0, y0, x1, y1)
            w, h = x1 - x0, y1 - y0
            if (w <= RULE_THICKNESS and h >= RULE_MIN_LENGTH) or (
                h <= RULE_THICKNESS and w >= RULE_MIN_LENGTH
            ):
                out.append(Rule(*upright(x0, y0, x1, y1)))
            elif (
                w >= RULE_MIN_LENGTH
                and h >= RULE_MIN_LENGTH
                and pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))
                and stroke.value
                and pdfium_c.FPDFPath_CountSegments(obj) <= 5
            ):
                out.extend(
                    [
                        Rule(*upright(x0, y1, x1, y1)),
                        Rule(*upright(x0, y0, x1, y0)),
                        Rule(*upright(x0, y0, x0, y1)),
                        Rule(*upright(x1, y0, x1, y1)),
                    ]
                )

    raw = page.raw
    visit(pdfium_c.FPDFPage_CountObjects(raw), lambda k: pdfium_c.FPDFPage_GetObject(raw, k), 0, None)
    return out


# A PDF matrix (a, b, c, d, e, f): x' = a x + c y + e, y' = b x + d y + f.
_Matrix = tuple[float, float, float, float, float, float]


def _compose(outer: _Matrix, inner: _Matrix) -> _Matrix:
    """The matrix that applies ``inner`` first, then ``outer``."""
    a1, b1, c1, d1, e1, f1 = outer
    a2, b2, c2, d2, e2, f2 = inner
    return (
        a2 * a1 + b2 * c1,
        a2 * b1 + b2 * d1,
        c2 * a1 + d2 * c1,
        c2 * b1 + d2 * d1,
        e2 * a1 + f2 * c1 + e1,
        e2 * b1 + f2 * d1 + f1,
    )


def _map_box(m: _Matrix, x0: float, y0: float, x1: float, y1: float) -> _Box:
    a, b, c, d, e, f = m
    xs = [a * x + c * y + e for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
    ys = [b * x + d * y + f for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
    return min(xs), min(ys), max(xs), max(ys)


__all__ = ["PdfReading", "open_pdf", "pdf_grid_text", "pdf_text", "read_pdf", "PageLine"]
