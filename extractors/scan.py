"""Scanned pages: PDF pages and pictures in Word files, read by OCR into the same table grid.

A PDF whose text layer is missing or unusable (``extractors.pdf`` raises ``ocr_needed``),
and a Word file whose tables are pictures (``extractors.word.docx_parts``), come here.  Every
page is first read at a low resolution (``ocr_scout_dpi``): its skew is measured and undone,
and a first OCR pass gives the narrative text (title, year, body) and tells which pages hold
the report's tables (ruling lines, or the tables' words).  Only those pages are read again at
full resolution (``ocr_dpi``).  A page's ruling lines are found in the image (long thin runs
of dark pixels), its words come from ``extractors.ocr``, and ``extractors.grid`` builds the
tables from both, exactly as from a PDF's characters and path objects.

Pages share the process's one engine.  They are read one after the other with the engine's
threads on this process's cores (``ocr.cores()``: a share of the machine under ``xxgk run
--jobs N``), or, with more cores than one page uses well, several at once, one thread each,
as many as the memory ceiling holds (``page_plan``).  Each page logs a progress line; a page
that takes more CPU time than ``ocr_page_time_limit_s`` stops the document (``timeout``), and
so does the document's own limit (CPU time: a busy machine slows OCR down, it does not make
the document malformed).  Whoever listens (``on_ocr``: ``pipeline.pool``'s worker, which tells
its pool so that the pool's wall-clock limit does not stop a scan within its CPU budget) hears
when a document's OCR begins.
"""

from __future__ import annotations

import io
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
# Page units are PDF points; a picture that says nothing of its size is taken as an A4 page's
# width (a scanned page pasted into a Word file).
A4_WIDTH_PT = 595.0

# dpi → the page as a grayscale image, and its pixels per page unit
Render = Callable[[float], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class PageImage:
    """One page to read: a PDF page, or a picture in a Word file (``unit`` "image")."""

    number: int  # 1-based, in the document's order
    render: Render
    media: str = ""  # the picture's name in the Word file (word/media/image1.png)


@dataclass
class ScanReading:
    """Pages read by OCR: the tables cell by cell, like ``PdfReading.grid``."""

    grid: DocText
    # (page, line) of a grid line → the engine's confidence of each of its fields (None: no
    # number in it)
    field_scores: dict[tuple[int, int], list[float | None]]
    pages: int
    table_pages: list[int] = field(default_factory=list)
    skew_deg: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0
    # What a page is in ``grid.line_where``: "page" of a PDF, "image" of a Word file.
    unit: str = "page"
    # (pages read at once, onnxruntime threads per page)
    plan: tuple[int, int] = (1, 1)
    # The resolution the table pages were read at (a picture coarser than ``ocr_dpi``: its own).
    dpi: float = READER.ocr_dpi

    def source_info(self) -> dict[str, object]:
        """What ``Source.ocr`` says about the reading."""
        kind = "pages" if self.unit == "page" else "images"
        return {
            **ocr.info().as_dict(),
            "dpi": round(self.dpi),
            kind: self.pages,
            f"table_{kind}": list(self.table_pages),
            f"deskewed_{kind}": {str(p): round(a, 2) for p, a in self.skew_deg.items() if a},
        }


@dataclass(frozen=True)
class OcrStarted:
    """A document's pages go to OCR: how many, and the CPU seconds they may take in all."""

    pages: int
    cpu_budget_s: float


OcrListener = Callable[[OcrStarted], None]
_listener: OcrListener | None = None


def on_ocr(listener: OcrListener | None) -> None:
    """Call ``listener`` whenever OCR of a document's pages begins in this process (None: stop).

    A hook rather than an import: the extractors know nothing of who runs them.
    """
    global _listener
    _listener = listener


def announce(started: OcrStarted) -> None:
    """Tell the listener, if any, that OCR begins (``read_pages`` does, before the first page)."""
    if _listener is not None:
        _listener(started)


def page_plan(pages: int, cores: int | None = None) -> tuple[int, int]:
    """(pages read at once, onnxruntime threads per page) on this process's cores.

    Up to ``ocr_threads`` cores go to one page's engine threads (on 2 cores, one page with two
    threads is as fast as two pages with one each, and holds less memory).  More cores read
    several pages at once, one thread each (a page's CPU time is then its thread's), as many as
    fit under the memory ceiling: each page in flight adds ``ocr_page_memory_mb``.
    """
    share = max(1, ocr.cores() if cores is None else cores)
    if share <= READER.ocr_threads or pages <= 1:
        return 1, min(share, READER.ocr_threads)
    room = ocr.memory_ceiling_mb() - READER.ocr_engine_memory_mb
    fit = 1 + max(0, room // READER.ocr_page_memory_mb)
    at_once = max(1, min(share, fit, pages))
    return (at_once, 1) if at_once > 1 else (1, min(share, READER.ocr_threads))


def read_scan(
    data: bytes, time_limit_s: float = READER.ocr_time_limit_s, plan: tuple[int, int] | None = None
) -> ScanReading:
    """OCR every page of a PDF (table pages at full resolution) into the positioned grid."""
    ocr.require()
    pdf = open_pdf(data)
    lock = threading.Lock()  # pdfium is not thread-safe: one page rendered at a time

    def page(index: int) -> Render:
        def render(dpi: float) -> tuple[np.ndarray, float]:
            with lock:
                p = pdf[index]
                try:
                    return _render(p, dpi / 72), dpi / 72
                finally:
                    p.close()

        return render

    try:
        return read_pages([PageImage(i + 1, page(i)) for i in range(len(pdf))], time_limit_s, "page", plan)
    finally:
        with lock:
            pdf.close()


def read_images(
    images: Sequence[tuple[str, bytes, float | None]],
    time_limit_s: float = READER.ocr_time_limit_s,
    plan: tuple[int, int] | None = None,
) -> ScanReading:
    """OCR pictures (name, bytes, the width they are shown at in points or None), each a page."""
    ocr.require()
    pages = [PageImage(i + 1, _picture(data, width), name) for i, (name, data, width) in enumerate(images)]
    return read_pages(pages, time_limit_s, "image", plan)


def picture_size(data: bytes) -> tuple[int, int] | None:
    """A picture's pixels (width, height), None when it is not a raster image PIL reads."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _picture(data: bytes, shown_width_pt: float | None) -> Render:
    """A picture as a page: its size in points from its own resolution (a scanner writes it),
    else the width the document shows it at, else an A4 page's width."""

    def render(dpi: float) -> tuple[np.ndarray, float]:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            gray = image.convert("L")
            dpi_x = (image.info.get("dpi") or (0, 0))[0]
        width_px = gray.size[0]
        width_pt = width_px / float(dpi_x) * 72 if dpi_x else 0.0
        if not 100 <= width_pt <= 1200:  # no resolution, or a camera's meaningless 72 dpi
            width_pt = shown_width_pt if shown_width_pt and shown_width_pt >= 100 else A4_WIDTH_PT
        native = width_px / width_pt  # pixels per point
        wanted = dpi / 72
        if native > wanted * 1.05:  # finer than asked: scale down (never up: no detail to gain)
            shrink = wanted / native
            size = (max(1, round(gray.size[0] * shrink)), max(1, round(gray.size[1] * shrink)))
            gray = gray.resize(size, Image.Resampling.LANCZOS)
            native = size[0] / width_pt
        return np.array(gray, dtype=np.uint8), native

    return render


@dataclass
class _Page:
    boxes: list[ocr.OcrBox]
    rules: list[Rule]
    angle: float
    is_table: bool
    dpi: float  # the resolution it was read at


def read_pages(
    pages: Sequence[PageImage],
    time_limit_s: float = READER.ocr_time_limit_s,
    unit: str = "page",
    plan: tuple[int, int] | None = None,
) -> ScanReading:
    """OCR pages (table pages at full resolution) into the positioned grid."""
    started = time.monotonic()
    cpu_started = time.process_time()  # CPU seconds of the process (every thread)
    # Before the engine loads (seconds of CPU, within the budget): the pool measures from here on.
    announce(OcrStarted(len(pages), time_limit_s))
    at_once, threads = plan or page_plan(len(pages))
    ocr.engine(threads)
    log.info(
        "OCR of %d %s(s): %d at a time, %d onnxruntime thread(s) each", len(pages), unit, at_once, threads
    )
    stop = threading.Event()
    n = len(pages)

    def one(p: PageImage) -> _Page:
        # Alone, a page's CPU time is the process's (the engine's threads); one of several at
        # once runs its engine on its own thread.
        clock = time.process_time if at_once == 1 else time.thread_time
        t0, cpu0 = time.monotonic(), clock()

        def check() -> None:
            if stop.is_set() or time.process_time() - cpu_started > time_limit_s:
                raise TimeLimitExceeded()
            if clock() - cpu0 > READER.ocr_page_time_limit_s:
                raise TimeLimitExceeded()

        check()
        out = _read_page(p, check)
        took, cpu = time.monotonic() - t0, clock() - cpu0
        log.info(
            "OCR %s %d/%d: %s, %d words, skew %.2f°, %.1f s (%.1f CPU s)",
            unit,
            p.number,
            n,
            f"table {unit} at {out.dpi:.0f} dpi" if out.is_table else f"text {unit} at {out.dpi:.0f} dpi",
            len(out.boxes),
            out.angle,
            took,
            cpu,
        )
        check()
        return out

    if at_once == 1:
        done = [one(p) for p in pages]
    else:
        executor = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="xxgk-ocr")
        try:
            done = list(executor.map(one, pages))
        finally:
            # A limit or an error stops the pages not begun; those under way end at their next step.
            stop.set()
            executor.shutdown(wait=True, cancel_futures=True)
    table_pages = [p.number for p, d in zip(pages, done) if d.is_table]
    skews = {p.number: d.angle for p, d in zip(pages, done)}
    reading = _assemble(pages, done, table_pages, skews, started, unit, (at_once, threads))
    reading.dpi = max((d.dpi for d in done if d.is_table), default=READER.ocr_dpi)
    return reading


def _read_page(p: PageImage, check: Callable[[], None]) -> _Page:
    image, scale = p.render(READER.ocr_scout_dpi)
    angle = skew_angle(image)
    if angle:
        image = rotate(image, angle)
    boxes = ocr.read_image(image, scale, p.number)
    rules = find_rules(image, scale)
    is_table = holds_table(boxes, rules)
    if is_table:
        check()
        full, full_scale = p.render(READER.ocr_dpi)
        if full_scale > scale * 1.05:  # a picture coarser than the first pass is read once
            image, scale = full, full_scale
            if angle:
                image = rotate(image, angle)
            boxes = ocr.read_image(image, scale, p.number)
            rules = find_rules(image, scale)
    return _Page(boxes, rules, angle, is_table, scale * 72)


def _assemble(
    pages: Sequence[PageImage],
    done: list[_Page],
    table_pages: list[int],
    skews: dict[int, float],
    started: float,
    unit: str,
    plan: tuple[int, int],
) -> ScanReading:
    lines: list[str] = []
    where: list[dict[str, object]] = []
    scores: dict[tuple[int, int], list[float | None]] = {}
    laid_out = [page_lines(list(d.boxes), d.rules) for d in done]
    for page, d, page_lines_ in zip(pages, done, drop_repeated_headers(laid_out)):
        ordered = sorted(page_lines_, key=lambda line: line.top)
        for number, line in enumerate(ordered, 1):
            lines.append(line.text)
            here: dict[str, object] = {unit: page.number, "line": number}
            if page.media:
                here["media"] = page.media
            where.append(here)
            if line.cells is not None:
                # The row's band ends where the next row begins (text between, such as a
                # label set vertically, belongs to no row).
                below = [o.top for o in ordered if o.top > line.top and o.cells is not None]
                scores[(page.number, number)] = field_scores(line, d.boxes, min(below, default=math.inf))
    return ScanReading(
        DocText.from_raw("\n".join(lines), where),
        scores,
        len(pages),
        table_pages,
        skews,
        time.monotonic() - started,
        unit,
        plan,
    )


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
