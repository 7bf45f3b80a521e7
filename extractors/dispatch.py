"""Pick the reader for a document by its content and build its record."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

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
from extractors.scan import read_scan
from extractors.text import DocText
from extractors.values import Number
from extractors.version import EXTRACTOR_VERSION
from extractors.word import doc_to_docx, docx_text
from xxgk import identities, template
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


def decode_text(data: bytes) -> str:
    """UTF-8, GB18030 (a superset of GBK) or UTF-16, by BOM and then by trial."""
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
    return data.decode("gb18030", errors="replace")


def extract_path(path: Path, time_limit_s: float = TIME_LIMIT_S) -> Report:
    """The record of one document; never raises for a bad document."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        report = rejected(Source(str(path), "", "unknown"), "unreadable", f"{path}: cannot read: {err}")
    else:
        source = Source(
            str(path), hashlib.sha256(data).hexdigest(), sniff_format(data) if data else "unknown"
        )
        report = _extract_within(path, data, source, time_limit_s)
    report.extractor_version = EXTRACTOR_VERSION
    return report


def _extract_within(path: Path, data: bytes, source: Source, time_limit_s: float) -> Report:
    if not data:
        return rejected(source, "empty_file", f"{path}: the file is empty (0 bytes)")
    try:
        with time_limit(time_limit_s):
            return _extract(path, data, source)
    except TimeLimitExceeded:
        return rejected(
            source,
            "timeout",
            f"{path}: extraction took longer than {time_limit_s:.0f} s "
            "and was stopped; the file may be malformed",
        )
    except ReaderProblem as err:
        if err.code == "ocr_needed" and source.format == "pdf" and ocr.available():
            return _extract_scan(path, data, source, max(time_limit_s, READER.ocr_time_limit_s), err)
        return rejected(source, err.code, f"{path}: {err.message}")


def _extract_scan(path: Path, data: bytes, source: Source, time_limit_s: float, why: ReaderProblem) -> Report:
    """A PDF without a usable text layer, read by OCR (``extractors.scan``); its own, longer
    time limit (OCR takes seconds a page), in CPU seconds: a machine shared by several
    workers makes OCR slower, not the document worse."""
    log.info("%s: %s; reading it by OCR", path, why.message)
    try:
        with time_limit(time_limit_s, cpu=True):
            reading = read_scan(data, time_limit_s)
            source.ocr = reading.source_info()
            report = extract_text(reading.grid, source)
            ocr_evidence.apply(report, reading)
            if report.status != "rejected":
                report.status = _status(report)
            return report
    except TimeLimitExceeded:
        return rejected(
            source,
            "timeout",
            f"{path}: OCR of the scanned pages took more than {time_limit_s:.0f} CPU seconds (or one "
            f"page more than {READER.ocr_page_time_limit_s:.0f}) and was stopped; the file may be "
            "malformed (pages of a huge size)",
        )
    except ReaderProblem as err:
        return rejected(source, err.code, f"{path}: {err.message}")


def _extract(path: Path, data: bytes, source: Source) -> Report:
    if source.format == "txt":
        return extract_text(DocText.from_raw(decode_text(data)), source)
    if source.format == "html":
        return extract_text(html_text(decode_text(data)), source)
    if source.format == "pdf":
        # Tables read cell by cell from the characters' positions; the text stream is
        # the second, independent reading: a printed number needs both to agree.
        reading = read_pdf(data)
        report = extract_text(reading.grid, source)
        reconcile(report, as_cells(reading.stream_raw, reading.stream_where))
        return report
    if source.format == "docx":
        return extract_text(docx_text(data), source)
    if source.format == "doc":
        return extract_text(docx_text(doc_to_docx(data, path.name)), source)
    raise ReaderProblem(
        "format_unsupported",
        f"a {source.format} file is not a report format xxgk reads (PDF, Word, web page, text)",
    )


def extract_text(doc: DocText, source: Source) -> Report:
    """The record of a document whose text (with provenance per line) is known."""
    meta = find_metadata(doc)
    version, _ = detect_version(doc, meta.year)
    report = Report(source=source, org_name=meta.org_name, year=meta.year, template=version)
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
