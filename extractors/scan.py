"""Scanned PDFs: pages as images, read by OCR into the same table grid as a text layer.

A PDF whose text layer is missing or unusable (``extractors.pdf`` raises ``ocr_needed``)
comes here.  Every page is rendered once at a low resolution (``ocr_scout_dpi``): its skew
is measured and undone, and a first OCR pass gives the narrative text (title, year, body)
and tells which pages hold the report's tables (ruling lines, or the tables' words).  Only
those pages are rendered again at full resolution (``ocr_dpi``) and read again.  A page's
ruling lines are found in the image (long thin runs of dark pixels), its words come from
``extractors.ocr``, and ``extractors.grid`` builds the tables from both, exactly as from a
PDF's characters and path objects.

Pages are read one after the other with the process's one engine (bounded memory); each
page logs a progress line; a page that takes more CPU time than ``ocr_page_time_limit_s``
stops the document (``timeout``), and so does the document's own limit (CPU time: a busy
machine slows OCR down, it does not make the document malformed).
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium

from extractors import ocr
from extractors.grid import WORD_GAP, PageLine, Rule, TextBox, drop_repeated_headers, is_number, page_lines
from extractors.limits import TimeLimitExceeded
from extractors.pdf import TABLE_WORDS, open_pdf
from extractors.text import DocText
from xxgk.settings import READER

log = logging.getLogger(__name__)

# Pixels darker than this (0–255) are ink when looking for ruling lines: a thin rule
# rendered or scanned at 150 dpi is grey, not black.
RULE_INK = 200
# Ruling lines are at least this long (page units): longer than a stroke of a 17 pt title
# character (一 is ~15 pt), shorter than the narrowest cell of section 四 (~30 pt).
H_RULE_MIN = 24.0
# Vertical rules: longer than a stroke of an 8 pt table character, shorter than one row.
V_RULE_MIN = 10.0
# A run of ink thicker than this (page units) is a filled shape, not a rule.
RULE_MAX_THICKNESS = 4.0
# A page holds a table when its image has this many horizontal and vertical rules, or its
# text this many distinct words of the tables' headers and rows.
TABLE_MIN_RULES = 3
TABLE_MIN_WORDS = 3


@dataclass
class ScanReading:
    """A scanned PDF read by OCR: the tables cell by cell, like ``PdfReading.grid``."""

    grid: DocText
    # (page, line) of a grid line → the engine's confidence of each of its fields (None: no
    # number in it)
    field_scores: dict[tuple[int, int], list[float | None]]
    pages: int
    table_pages: list[int] = field(default_factory=list)
    skew_deg: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0

    def source_info(self) -> dict[str, object]:
        """What ``Source.ocr`` says about the reading."""
        return {
            **ocr.info().as_dict(),
            "dpi": READER.ocr_dpi,
            "pages": self.pages,
            "table_pages": list(self.table_pages),
            "deskewed_pages": {str(p): round(a, 2) for p, a in self.skew_deg.items() if a},
        }


def read_scan(data: bytes, time_limit_s: float = READER.ocr_time_limit_s) -> ScanReading:
    """OCR every page (table pages at full resolution) into the positioned grid."""
    started = time.monotonic()
    cpu_started = time.process_time()  # CPU seconds of the process (every thread)
    engine = ocr.engine()  # ocr_needed here when the engine is not installed
    del engine
    pdf = open_pdf(data)
    try:
        n = len(pdf)
        pages: list[list[PageLine]] = []
        page_boxes: list[list[ocr.OcrBox]] = []
        table_pages: list[int] = []
        skews: dict[int, float] = {}
        for index in range(n):
            if time.process_time() - cpu_started > time_limit_s:
                raise TimeLimitExceeded()
            t0, cpu0 = time.monotonic(), time.process_time()
            page = pdf[index]
            try:
                scale = READER.ocr_scout_dpi / 72
                image = _render(page, scale)
                angle = skew_angle(image)
                if angle:
                    image = rotate(image, angle)
                boxes = ocr.read_image(image, scale, index + 1)
                rules = find_rules(image, scale)
                is_table = holds_table(boxes, rules)
                if is_table:
                    scale = READER.ocr_dpi / 72
                    image = _render(page, scale)
                    if angle:
                        image = rotate(image, angle)
                    boxes = ocr.read_image(image, scale, index + 1)
                    rules = find_rules(image, scale)
                    table_pages.append(index + 1)
            finally:
                page.close()
            skews[index + 1] = angle
            took, cpu = time.monotonic() - t0, time.process_time() - cpu0
            log.info(
                "OCR page %d/%d: %s, %d words, skew %.2f°, %.1f s (%.1f CPU s)",
                index + 1,
                n,
                f"table page at {READER.ocr_dpi:.0f} dpi" if is_table else "text page",
                len(boxes),
                angle,
                took,
                cpu,
            )
            if cpu > READER.ocr_page_time_limit_s:
                raise TimeLimitExceeded()
            pages.append(page_lines(list(boxes), rules))
            page_boxes.append(boxes)
        lines: list[str] = []
        where: list[dict[str, int]] = []
        scores: dict[tuple[int, int], list[float | None]] = {}
        for index, page_lines_ in enumerate(drop_repeated_headers(pages)):
            ordered = sorted(page_lines_, key=lambda line: line.top)
            for number, line in enumerate(ordered, 1):
                lines.append(line.text)
                where.append({"page": index + 1, "line": number})
                if line.cells is not None:
                    # The row's band ends where the next row begins (text between, such as a
                    # label set vertically, belongs to no row).
                    below = [o.top for o in ordered if o.top > line.top and o.cells is not None]
                    scores[(index + 1, number)] = field_scores(
                        line, page_boxes[index], min(below, default=math.inf)
                    )
        return ScanReading(
            DocText.from_raw("\n".join(lines), where),
            scores,
            n,
            table_pages,
            skews,
            time.monotonic() - started,
        )
    finally:
        pdf.close()


def _render(page: pdfium.PdfPage, scale: float) -> np.ndarray:
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return np.array(bitmap.to_numpy(), copy=True)
    finally:
        bitmap.close()


# --- the image: skew and ruling lines -------------------------------------------------------


def skew_angle(gray: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise) that makes the page's lines level, 0 when it
    is level within 0.05°: the rotation whose row profile of ink is the sharpest."""
    import cv2

    ink = (gray < 160).astype(np.uint8)
    if ink.sum() < 500:
        return 0.0
    small = cv2.resize(ink * 255, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
    h, w = small.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    limit = READER.ocr_max_skew_deg
    coarse = np.arange(-limit, limit + 1e-9, 0.2)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.2, best + 0.2 + 1e-9, 0.05)
    best = max(fine, key=sharpness)
    level = sharpness(0.0)
    # Keep the page as it is unless turning it is clearly better (noise decides nothing).
    if abs(best) < 0.05 or sharpness(best) < level * 1.02:
        return 0.0
    return float(round(best, 2))


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return np.asarray(
        cv2.warpAffine(
            gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255
        )
    )


def find_rules(gray: np.ndarray, scale: float) -> list[Rule]:
    """Ruling lines of a page image, in page units: long thin runs of ink, each drawn as an
    ideal line through its middle (a scanned rule is thicker and a little wavy)."""
    import cv2

    ink = np.where(gray < RULE_INK, 255, 0).astype(np.uint8)
    out: list[Rule] = []
    hs: list[Rule] = []
    for horizontal in (True, False):
        length = max(int((H_RULE_MIN if horizontal else V_RULE_MIN) * scale), 8)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
        runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for x, y, w, h, _area in stats[1:count]:
            thick, long_ = (h, w) if horizontal else (w, h)
            if long_ < length or thick > RULE_MAX_THICKNESS * scale + 2:
                continue
            if horizontal:
                mid = (y + h / 2) / scale
                hs.append(Rule(x / scale, mid - 0.25, (x + w) / scale, mid + 0.25))
                continue
            mid = (x + w / 2) / scale
            rule = Rule(mid - 0.25, y / scale, mid + 0.25, (y + h) / scale)
            # A vertical stroke of a large character is no rule: a rule meets a horizontal one.
            if any(
                h_.x0 - 2 <= mid <= h_.x1 + 2 and rule.top - 2 <= h_.top + 0.25 <= rule.bottom + 2
                for h_ in hs
            ):
                out.append(rule)
    return hs + out


def holds_table(boxes: list[ocr.OcrBox], rules: list[Rule]) -> bool:
    """Whether a page holds one of the report's tables: a grid of rules, or the tables' words."""
    horizontal = sum(1 for r in rules if r.horizontal)
    if horizontal >= TABLE_MIN_RULES and len(rules) - horizontal >= TABLE_MIN_RULES:
        return True
    text = "".join(b.text for b in sorted(boxes, key=lambda b: (round(b.cy / 5), b.x0)))
    return len(set(TABLE_WORDS.findall(re.sub(r"\s", "", text)))) >= TABLE_MIN_WORDS


# --- confidence of a row's fields -----------------------------------------------------------


def field_scores(line: PageLine, boxes: list[ocr.OcrBox], next_top: float) -> list[float | None]:
    """The engine's confidence of each field of a table row (None where it has no number).

    The row's number words (left to right, inside the row's band) are matched to its fields
    with a number from the right, where the values are; when the two do not line up one to
    one, each field gets the lowest confidence of the band's numbers (a doubt is never dropped).
    """
    assert line.cells is not None
    if line.bbox is not None:
        lo, hi = line.bbox[1], line.bbox[3]
    else:
        lo, hi = line.top - 1.0, next_top
    band = sorted(
        (b for b in boxes if lo <= b.cy < hi and is_number(b.text)),
        key=lambda b: b.x0,
    )
    # The value fields: every part a number ("12", "0", "12 5" when a cell holds two).
    numbered = [i for i, f in enumerate(line.cells) if f.split() and all(is_number(p) for p in f.split())]
    out: list[float | None] = [None] * len(line.cells)
    if not numbered:
        return out
    lowest = min((b.score for b in band), default=0.0)
    runs = _runs(band)
    parts = [(i, p) for i in numbered for p in line.cells[i].split()]
    tail = runs[len(runs) - len(parts) :] if len(runs) >= len(parts) else []
    if tail and [t for t, _ in tail] == [p for _, p in parts]:
        for (i, _), (_, score) in zip(parts, tail):
            current = out[i]
            out[i] = score if current is None else min(current, score)
    else:
        for i in numbered:
            out[i] = lowest
    return out


def _runs(band: list[ocr.OcrBox]) -> list[tuple[str, float]]:
    """Number words that stand next to each other (one cell's digits read as two words) as one."""
    out: list[tuple[str, float]] = []
    prev: TextBox | None = None
    for b in band:
        if prev is not None and out and b.x0 - prev.x1 <= WORD_GAP * max(b.height, prev.height):
            text, score = out[-1]
            out[-1] = (text + b.text, min(score, b.score))
        else:
            out.append((b.text, b.score))
        prev = b
    return out
