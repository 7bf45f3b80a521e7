"""Pick the reader for a document by its content and build its record."""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

import charset_normalizer

from extractors import ocr, ocr_evidence, solve
from extractors.agreement import as_cells, reconcile
from extractors.claims import find_claims
from extractors.dates import find_published, find_source_url
from extractors.html import html_text
from extractors.layout import RowText, find_layout
from extractors.limits import TimeLimitExceeded, time_limit
from extractors.metadata import detect_version, find_metadata
from extractors.narrative import find_sections
from extractors.pdf import read_pdf
from extractors.problems import ReaderProblem
from extractors.scan import ScanReading, picture_size, read_images, read_scan
from extractors.text import DocText
from extractors.values import Number
from extractors.version import EXTRACTOR_VERSION
from extractors.word import DocxParts, Picture, doc_to_docx, docx_parts, picture_bytes
from xxgk import identities, template
from xxgk.names import display_path
from xxgk.record import Basis, Cell, Problem, Report, Source, Status, rejected
from xxgk.settings import READER

log = logging.getLogger(__name__)

TIME_LIMIT_S = READER.time_limit_s


def sniff_format(data: bytes) -> str:
    """What the bytes are, whatever the file is called."""
    head = data[:2048]
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    text = decode_text(head).lower()
    if "<html" in text or "<!doctype html" in text or "<table" in text or "<body" in text:
        return "html"
    return "txt"


_DECLARED = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})|<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{2,40})""",
    re.IGNORECASE,
)
# The declared Chinese encodings name subsets of these codecs (GB2312 ⊂ GBK ⊂ GB18030, Big5 ⊂ Big5-HKSCS).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs"}


def decode_text(data: bytes) -> str:
    """Text by BOM, then UTF-8, then the page's own charset declaration, then the detector.

    One stray byte does not change the encoding: a declaration or a detection is taken when it
    decodes the text with at most a handful of bad bytes, and the last resort is whichever of
    UTF-8 and GB18030 leaves fewer of them.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data[:200].count(b"\x00") > 20:
        # UTF-16 without a BOM: every ASCII character carries a zero byte.
        le = data[1:200:2].count(b"\x00") > data[0:200:2].count(b"\x00")
        return data.decode("utf-16-le" if le else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3:  # a multi-byte character cut by truncation
            return data[: err.start].decode("utf-8")
    tolerated = max(3, len(data) // 5000)
    declared = _declared_encoding(data)
    if declared is not None and _damage(data, declared) <= tolerated:
        return data.decode(declared, errors="replace")
    damage = {e: _damage(data, e) for e in ("utf-8", "gb18030")}
    detected = charset_normalizer.from_bytes(data[: READER.sniff_bytes * 4]).best()
    # The detector's answer, unless it leaves more bad bytes than the two usual encodings.
    if detected is not None and _damage(data, detected.encoding) <= min(tolerated, *damage.values()):
        return data.decode(_codec(detected.encoding) or detected.encoding, errors="replace")
    encoding = min(damage, key=lambda e: damage[e])
    return data.decode(encoding, errors="replace")


def _codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, codec)


def _declared_encoding(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    if match is None:
        return None
    return _codec((match.group(1) or match.group(2)).decode("ascii"))


def _damage(data: bytes, encoding: str) -> int:
    """How many bytes ``encoding`` cannot decode (the replacement characters it needs)."""
    codec = _codec(encoding)
    if codec is None or codec.startswith("utf-16") or codec.startswith("utf-32"):
        return len(data)
    return data.decode(codec, errors="replace").count("\ufffd")


def _binary_share(text: str) -> float:
    """The share of control characters and undecodable bytes in the start of a text."""
    sample = text[: READER.sniff_bytes]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f\v\x1a"))
    return bad / len(sample)


def extract_path(path: Path, time_limit_s: float = TIME_LIMIT_S) -> Report:
    """The record of one document; never raises for a bad document (only MemoryError)."""
    path = Path(path)
    name = display_path(path)
    try:
        report = _read_and_extract(path, name, time_limit_s)
    except MemoryError:  # not a bug: the caller records it (worker_died) or its worker dies
        raise
    except Exception as exc:  # noqa: BLE001 - an extractor bug becomes a record, the batch goes on
        log.error("the extractor raised on %s: %s", name, exc, exc_info=True)
        report = rejected(
            Source(name, unreadable_sha256(name), "unknown"),
            "extractor_crash",
            f"{name}: the extractor raised {type(exc).__name__}: {exc} "
            "(a bug in xxgk: report it with the file)",
        )
    report.extractor_version = EXTRACTOR_VERSION
    return report


def unreadable_sha256(name: str) -> str:
    """A stable identity for a document whose bytes cannot be read, so its record is kept."""
    return hashlib.sha256(f"unreadable:{name}".encode()).hexdigest()


def _read_and_extract(path: Path, name: str, time_limit_s: float) -> Report:
    try:
        # Not a plain file (a FIFO would block the read for ever; a device never ends).
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            return rejected(
                Source(name, unreadable_sha256(name), "unknown"),
                "unreadable",
                f"{name}: not a regular file ({special_kind(mode)}): give the report file itself",
            )
        data = path.read_bytes()
    except OSError as err:
        return rejected(
            Source(name, unreadable_sha256(name), "unknown"),
            "unreadable",
            f"{name}: cannot be read ({err.strerror or err}): check that the file exists and its permissions",
        )
    source = Source(name, hashlib.sha256(data).hexdigest(), sniff_format(data) if data else "unknown")
    return _extract_within(path, name, data, source, time_limit_s)


def special_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _extract_within(path: Path, name: str, data: bytes, source: Source, time_limit_s: float) -> Report:
    if not data:
        return rejected(source, "empty_file", f"{name}: the file is empty (0 bytes)")
    try:
        with time_limit(time_limit_s):
            return _extract(path, data, source)
    except TimeLimitExceeded:
        return rejected(
            source,
            "timeout",
            f"{name}: extraction took longer than {time_limit_s:.0f} s "
            "and was stopped; the file may be malformed",
        )
    except ReaderProblem as err:
        limit = max(time_limit_s, READER.ocr_time_limit_s)
        if isinstance(err, PicturedTables) and ocr.available():
            return _extract_pictures(name, err, source, limit)
        if err.code == "ocr_needed" and source.format == "pdf" and ocr.available():
            return _extract_scan(path, name, data, source, limit, err)
        return rejected(source, err.code, f"{name}: {err.message}")


class PicturedTables(ReaderProblem):
    """A Word file whose text does not hold the tables and whose pictures may: read by OCR."""

    def __init__(self, parts: DocxParts, pictures: list[tuple[Picture, bytes]]) -> None:
        super().__init__(
            "ocr_needed",
            f"the Word file's tables are not in its text and {len(pictures)} picture(s) in it may hold "
            "them, but the OCR engine is not installed: install the project's pinned packages "
            "(rapidocr, onnxruntime) and extract again",
        )
        self.parts, self.pictures = parts, pictures


def _extract_pictures(name: str, found: PicturedTables, source: Source, time_limit_s: float) -> Report:
    """A Word file whose tables are pictures: the pictures read by OCR (``extractors.scan``) in
    their places in the text, the numbers published as a scan's are (``ocr_evidence``)."""
    log.info("%s: the tables are not in the text; reading %d picture(s) by OCR", name, len(found.pictures))
    parts = DocxParts(found.parts.lines, found.parts.where, [p for p, _ in found.pictures])
    return _read_by_ocr(
        name,
        source,
        time_limit_s,
        lambda: read_images([(p.name, b, p.shown_width_pt) for p, b in found.pictures], time_limit_s),
        lambda reading: parts.with_pictures(reading.grid, reading.unit),
        f"OCR of the pictures took more than {time_limit_s:.0f} CPU seconds (or one more than "
        f"{READER.ocr_page_time_limit_s:.0f}) and was stopped; the file may be malformed",
    )


def _extract_scan(
    path: Path, name: str, data: bytes, source: Source, time_limit_s: float, why: ReaderProblem
) -> Report:
    """A PDF without a usable text layer, read by OCR (``extractors.scan``)."""
    log.info("%s: %s; reading it by OCR", name, why.message)
    return _read_by_ocr(
        name,
        source,
        time_limit_s,
        lambda: read_scan(data, time_limit_s),
        lambda reading: reading.grid,
        f"OCR of the scanned pages took more than {time_limit_s:.0f} CPU seconds (or one page more "
        f"than {READER.ocr_page_time_limit_s:.0f}) and was stopped; the file may be malformed "
        "(pages of a huge size)",
    )


def _read_by_ocr(
    name: str,
    source: Source,
    time_limit_s: float,
    read: Callable[[], ScanReading],
    text_of: Callable[[ScanReading], DocText],
    timeout_message: str,
) -> Report:
    """OCR under its own, longer time limit (OCR takes seconds a page), in CPU seconds: a machine
    shared by several workers makes OCR slower, not the document worse. Then the text read as
    any other, and the numbers published only as the OCR evidence allows."""
    try:
        with time_limit(time_limit_s, cpu=True):
            reading = read()
            source.ocr = reading.source_info()
            report = extract_text(text_of(reading), source)
            ocr_evidence.apply(report, reading)
            if report.status != "rejected":
                report.status = _status(report)
            return report
    except TimeLimitExceeded:
        return rejected(source, "timeout", f"{name}: {timeout_message}")
    except ReaderProblem as err:
        return rejected(source, err.code, f"{name}: {err.message}")


def _as_text(path: Path, data: bytes, source: Source) -> DocText:
    """The text of a text or web-page file, once it is known to be text of a report's size."""
    if len(data) > READER.max_text_bytes:
        raise ReaderProblem(
            "too_large",
            f"{len(data) / 1e6:.0f} MB of text is far more than any report "
            f"(limit {READER.max_text_bytes / 1e6:.0f} MB): check that this is the report",
        )
    head = decode_text(data[: READER.sniff_bytes])
    if _binary_share(head) > READER.max_binary_share:
        named = path.suffix.lower().lstrip(".")
        raise ReaderProblem(
            "format_unsupported",
            "the bytes are binary data, not text, a PDF, a Word file or a web page"
            + (
                f" (it is named .{named} but does not start as one)"
                if named and named != source.format
                else ""
            )
            + ": download the report again",
        )
    text = decode_text(data)
    return html_text(text) if source.format == "html" else DocText.from_raw(text)


def _extract(path: Path, data: bytes, source: Source) -> Report:
    if source.format in ("txt", "html"):
        return extract_text(_as_text(path, data, source), source)
    if source.format == "pdf":
        # Tables read cell by cell from the characters' positions; the text stream is
        # the second, independent reading: a printed number needs both to agree.
        reading = read_pdf(data)
        report = extract_text(reading.grid, source)
        reconcile(report, as_cells(reading.stream_raw, reading.stream_where))
        return report
    if source.format in ("docx", "doc"):
        docx = data if source.format == "docx" else doc_to_docx(data, path.name)
        parts = docx_parts(docx)
        doc = parts.text()
        # A Word file whose text holds the tables is read as it is: its pictures (a logo, the
        # stamp) cost nothing.  Otherwise the pictures that could hold a table are read by OCR.
        if parts.pictures and not _tables_in_text(doc):
            pictures = _table_pictures(docx, parts.pictures)
            if pictures:
                raise PicturedTables(parts, pictures)
        return extract_text(doc, source)
    raise ReaderProblem(
        "format_unsupported",
        f"a {source.format} file is not a report format xxgk reads (PDF, Word, web page, text)",
    )


def _tables_in_text(doc: DocText) -> bool:
    """Whether the text holds the tables of sections 二, 三 and 四."""
    meta = find_metadata(doc)
    version, _ = detect_version(doc, meta.year)
    if version is None:
        return False
    layout = find_layout(doc, version)
    return layout.found_s3 and layout.found_s4 and any(r.table.startswith("s2") for r in layout.rows)


def _table_pictures(docx: bytes, pictures: list[Picture]) -> list[tuple[Picture, bytes]]:
    """The pictures big enough to hold a table (not a logo or a stamp), with their bytes."""
    out = []
    for picture in pictures:
        if picture.shown_width_pt is not None and picture.shown_width_pt < READER.ocr_min_picture_shown_pt:
            continue
        data = picture_bytes(docx, picture.name)
        size = picture_size(data) if data else None
        if data is None or size is None:
            continue  # not a raster picture (EMF, WMF) or not in the file
        width, height = size
        big_enough = min(width, height) >= READER.ocr_min_picture_px
        if big_enough and width * height <= READER.ocr_max_picture_pixels:
            out.append((picture, data))
    return out


def extract_text(doc: DocText, source: Source) -> Report:
    """The record of a document whose text (with provenance per line) is known."""
    meta = find_metadata(doc)
    version, _ = detect_version(doc, meta.year)
    report = Report(source=source, org_name=meta.org_name, year=meta.year, template=version)
    if doc.controls_removed:
        report.problems.append(
            Problem(
                "control_characters",
                "warning",
                f"{doc.controls_removed} control character(s) (NUL, escape codes) were removed from "
                "the text before it was read: check the body's name and the numbers against the file",
            )
        )
    if version is None:
        return _reject(
            report,
            "not_a_report",
            "no annual-report tables and no year: this does not look like a "
            "政府信息公开工作年度报告; if it is one, check that the file is complete",
        )
    layout = find_layout(doc, version)
    if not layout.found_s3 and not any(r.table.startswith("s2") for r in layout.rows):
        if meta.year is None or meta.org_name is None:
            return _reject(
                report,
                "not_a_report",
                "no title naming the body and the year, and none of the tables of "
                "sections 二, 三, 四: this is not a 政府信息公开工作年度报告",
            )
        return _reject(
            report,
            "table_missing",
            "none of the tables of sections 二, 三, 四 was found; the tables may have "
            "been published separately (an attachment or image): add them and extract again",
        )
    if not _has_numbers(layout.rows):
        return _reject(
            report,
            "not_a_report",
            "the tables are printed but hold no numbers at all: this is the blank "
            "national template, not a filled-in report",
        )
    if meta.year is None or meta.org_name is None:
        missing = " and ".join(
            w
            for w, v in (("the publishing body", meta.org_name), ("the report year", meta.year))
            if v is None
        )
        return _reject(
            report,
            "not_a_report",
            f"no title naming {missing} was found (a report's title reads "
            "“<body><year>年政府信息公开工作年度报告”): the record could not be placed; "
            "if this is a report, give it its title line and extract again",
        )
    report.problems.extend(layout.problems)
    _read_narrative(report, doc)
    grid, problems = solve.choose(layout.rows, version)
    report.problems.extend(problems)
    report.problems.extend(solve.impute(grid, version))
    values = {cid: (t.value if t else None) for cid, t in grid.tokens.items()}
    report.problems.extend(identities.check(values, version))
    report.problems.extend(identities.soft_check(values, version))
    report.problems.extend(_zero_totals(values))
    blank = sorted(cid for cid, v in values.items() if v is None)
    if blank:
        report.problems.append(
            Problem("blank_cell", "warning", f"{len(blank)} cell(s) blank or unreadable", blank)
        )
    report.cells = _cells(grid, layout.rows, doc, version)
    report.status = _status(report)
    log.debug(
        "%s: %s %s %s, %d cells, %s",
        source.path,
        report.org_name,
        report.year,
        version,
        len(report.cells),
        report.status,
    )
    return report


def _read_narrative(report: Report, doc: DocText) -> None:
    """Sections 一, 五, 六, the numbers they state, the publication date and URL (record /3)."""
    sections = find_sections(doc)
    report.narrative = [s.to_dict() for s in sections]
    report.claims = find_claims(doc, sections)
    published = find_published(doc, report.year)
    report.published = published.to_dict() if published else None
    report.source_url = find_source_url(doc)


def _status(report: Report) -> Status:
    """Only printed and proven values publish as ok: a blank, an imputed value or any error
    (an unread cell, a broken identity, a cut-short search) sends the report to review."""
    needs_review = any(c.basis in ("unread", "imputed") for c in report.cells) or any(
        p.severity == "error" for p in report.problems
    )
    return "needs_review" if needs_review else "ok"


def _has_numbers(rows: list[RowText]) -> bool:
    """Whether any row of the tables prints a number (the blank template prints none)."""
    return any(row.raw and any(ch.isdigit() for ch in row.raw) for row in rows)


def _zero_totals(values: Mapping[str, Number | None]) -> list[Problem]:
    """Totals printed 0 beside non-zero parts (a whole 总计 column, or the whole （七）
    row): the identity failures say so cell by cell; this names the pattern once.
    The printed zeros are kept: a printed number is never corrected."""
    problems = []
    rows = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    column = [f"s3/{r}/total" for r in sorted(rows)]
    parts = [c for c in values if c.startswith("s3/") and not c.endswith("/total")]
    if all(values.get(c) == 0 for c in column) and any(values.get(c) for c in parts):
        problems.append(
            Problem(
                "total_printed_zero",
                "warning",
                "the 总计 column of section 三 is printed 0 in every row beside "
                "non-zero applicant counts (H2 fails; the zeros are kept as printed)",
                column,
            )
        )
    seventh = [c for c in values if c.startswith("s3/total_processed/")]
    leaves = [
        c
        for c in values
        if c.startswith("s3/")
        and "/total_processed/" not in c
        and c.split("/")[1] not in ("new_received", "carried_over_from_last_year", "carried_to_next_year")
    ]
    if seventh and all(values[c] == 0 for c in seventh) and any(values.get(c) for c in leaves):
        problems.append(
            Problem(
                "total_printed_zero",
                "warning",
                "the （七）总计 row of section 三 is printed 0 in every column beside "
                "non-zero outcome rows (H3 fails; the zeros are kept as printed)",
                seventh,
            )
        )
    return problems


def _cells(grid: solve.Grid, rows: list[RowText], doc: DocText, version: template.Version) -> list[Cell]:
    row_where = {(r.table, r.row): r.where for r in rows}
    cells = []
    for cid, token in grid.tokens.items():
        table, row, col = cid.split("/")
        if token is not None and token.pos >= 0:
            where = doc.where(token.pos)
            where["raw"] = token.raw
            if token.unit:
                where["unit"] = token.unit
            elif col == "procurement_total_amount":
                where["unit_unknown"] = True  # template.md §1.2: 采购总金额 has no stated unit
        else:
            where = dict(row_where.get((table, row), row_where.get((table, "*"), {})))
            where["raw"] = ""
        value = solve.as_decimal_if_needed(token.value if token else None, col)
        cells.append(
            Cell(table, row, col, value, where, imputed=cid in grid.imputed, basis=_basis(cid, grid, value))
        )
    order = {
        template.cell_id(t.code, r.code, c.code): i
        for i, (t, r, c) in enumerate(
            (t, r, c) for t in template.tables(version) for r in t.rows for c in t.columns
        )
    }
    cells.sort(key=lambda c: order.get(c.id, len(order)))
    return cells


def _basis(cid: str, grid: solve.Grid, value: object) -> Basis:
    """The evidence of a cell (xxgk.record.Basis)."""
    if value is None:
        return "unread"
    if cid in grid.imputed:
        return "imputed"
    return "decided" if cid in grid.decided else "printed"


def _reject(report: Report, code: str, message: str) -> Report:
    report.status = "rejected"
    report.cells = []
    report.problems.append(Problem(code, "error", f"{report.source.path}: {message}", []))
    return report
