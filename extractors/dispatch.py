"""Pick the reader for a document by its content and build its record."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from extractors import solve
from extractors.agreement import as_cells, reconcile
from extractors.layout import RowText, find_layout
from extractors.metadata import detect_version, find_metadata
from extractors.html import html_text
from extractors.limits import TimeLimitExceeded, time_limit
from extractors.pdf import read_pdf
from extractors.problems import ReaderProblem
from extractors.word import doc_to_docx, docx_text
from extractors.text import DocText
from extractors.version import EXTRACTOR_VERSION
from xxgk import identities, template
from xxgk.record import Basis, Cell, Problem, Report, Source, rejected

log = logging.getLogger(__name__)

# Real reports take well under a second; a file that takes this long is malformed.
TIME_LIMIT_S = 60.0


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
        source = Source(str(path), hashlib.sha256(data).hexdigest(), sniff_format(data) if data else "unknown")
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
        return rejected(source, "timeout", f"{path}: extraction took longer than {time_limit_s:.0f} s "
                        "and was stopped; the file may be malformed")
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
    raise ReaderProblem("format_unsupported", f"a {source.format} file is not a report format "
                        "xxgk reads (PDF, Word, web page, text)")


def extract_text(doc: DocText, source: Source) -> Report:
    """The record of a document whose text (with provenance per line) is known."""
    meta = find_metadata(doc)
    version, how = detect_version(doc, meta.year)
    report = Report(source=source, org_name=meta.org_name, year=meta.year, template=version)
    if meta.year is None:
        report.problems.append(Problem("year_unknown", "warning",
                                       "no title with the report year was found", []))
    if version is None:
        return _reject(report, "not_a_report",
                       "no annual-report tables and no year: this does not look like a "
                       "政府信息公开工作年度报告")
    layout = find_layout(doc, version)
    if not layout.found_s3 and not any(r.table.startswith("s2") for r in layout.rows):
        return _reject(report, "table_missing",
                       "none of the tables of sections 二, 三, 四 was found" +
                       ("" if meta.org_name else "; this may not be an annual report"))
    report.problems.extend(layout.problems)
    grid, problems = solve.choose(layout.rows, version)
    report.problems.extend(problems)
    report.problems.extend(solve.impute(grid, version))
    values = {cid: (t.value if t else None) for cid, t in grid.tokens.items()}
    report.problems.extend(identities.check(values, version))
    blank = sorted(cid for cid, v in values.items() if v is None)
    if blank:
        report.problems.append(Problem("blank_cell", "warning",
                                       f"{len(blank)} cell(s) blank or unreadable", blank))
    report.cells = _cells(grid, layout.rows, doc, version)
    needs_review = blank or grid.imputed or any(p.severity == "error" for p in report.problems)
    report.status = "needs_review" if needs_review else "ok"
    log.debug("%s: %s %s %s, %d cells, %s", source.path, report.org_name, report.year, version,
              len(report.cells), report.status)
    return report


def _cells(grid: solve.Grid, rows: list[RowText], doc: DocText, version: template.Version) -> list[Cell]:
    row_where = {}
    for row in rows:
        row_where[(row.table, row.row)] = row.where
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
        cells.append(Cell(table, row, col, value, where, imputed=cid in grid.imputed,
                          basis=_basis(cid, grid, value)))
    order = {template.cell_id(t.code, r.code, c.code): i
             for i, (t, r, c) in enumerate((t, r, c) for t in template.tables(version)
                                           for r in t.rows for c in t.columns)}
    cells.sort(key=lambda c: order.get(c.id, len(order)))
    return cells


def _basis(cid: str, grid: solve.Grid, value: object) -> Basis:
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
