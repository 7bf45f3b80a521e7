"""Reviewers' corrections of printed values: read from a CSV file, staged beside the source.

A section (二, 三, 四) of a report that the gate holds back is quarantined
(``marts.quarantine``: an unread cell, a cell the extractor left out, an identity that does not
hold).  When a reviewer has found the right number (in the source, from the body, in a later
re-publication, or among the extractor's candidate readings), they record it as one row of the
corrections file; the next load stages the file into ``staging.corrections``, dbt applies the
corrections that can be applied (``intermediate.int_cells_corrected``: a corrected cell's
basis is ``corrected``), and the gate decides on the corrected section again.  Any cell of the
document's template version can be set, including one the extractor left out (it is added)
or left unread.  The source values are never overwritten: ``staging.cells`` keeps what was
extracted, and every fact keeps ``printed_value`` and ``extracted_basis`` beside ``value`` with
``is_corrected`` and ``correction_reason``; ``marts.corrections`` lists every correction with
its status, who made it and why.

The file (``corrections/corrections.csv`` in the project, or ``XXGK_CORRECTIONS``) is UTF-8 CSV
with a header row:

============== ========= ===================================================================
column         required  meaning
============== ========= ===================================================================
document       yes       the document: its SHA-256 (``dim_report.document_id``), or its
                         source file name (``report.pdf``) or source path as loaded
cell           yes       ``table/row/col``, e.g. ``s3/new_received/natural_person``
value          yes*      the corrected number (*may be empty when ``candidate`` is given)
reason         yes       why, with the evidence (e.g. "narrative l.12 says 80 applications")
corrected_by   yes       who decided
corrected_at   yes       when (ISO date or date-time, e.g. 2024-05-01 or 2024-05-01T10:30)
printed_value  no        the value the reviewer saw printed; when given, the correction applies
                         only while the staged value is that (a guard against correcting the
                         wrong document or a value that has since been re-extracted)
candidate      no        choose the extractor's candidate reading number N (1, 2, …) of the
                         problem about this cell (``marts.problems.candidates_json``) instead
                         of typing the value; with ``value`` too, both must agree
============== ========= ===================================================================

A malformed file (not CSV, a required column missing) fails the load: it is a systemic
problem, and silently ignoring every correction would be worse.  A malformed or inapplicable
row only fails itself: it is staged with a status saying why and the section stays held back.
Statuses: ``applied``; ``invalid`` (a value, cell id or date that cannot be read, an empty
reason or reviewer); ``unknown_document`` (no staged document matches; it applies once the
document is loaded); ``ambiguous_document`` (a file name matching several documents: use the
SHA-256); ``cell_not_in_template`` (the cell is not one of the document's template version);
``printed_value_mismatch``; ``no_such_candidate`` (no problem of the document offers that
reading of the cell, or it disagrees with ``value``); ``superseded`` (a later correction of the
same cell, by ``corrected_at`` then by position in the file, applies instead).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse import paths
from warehouse.csv_input import read_csv
from xxgk import template

log = logging.getLogger(__name__)

CORRECTIONS_ENV = "XXGK_CORRECTIONS"
REQUIRED_COLUMNS: tuple[str, ...] = ("document", "cell", "value", "reason", "corrected_by", "corrected_at")
OPTIONAL_COLUMNS: tuple[str, ...] = ("printed_value", "candidate")

DDL = """
create schema if not exists staging;
create table if not exists staging.corrections (
    correction_seq          integer not null,  -- line of the row in the corrections file
    document_ref            varchar,           -- as written: sha256, file name or path
    cell_id                 varchar,
    table_code              varchar,
    row_code                varchar,
    col_code                varchar,
    corrected_value         decimal(38, 6),
    expected_printed_value  decimal(38, 6),    -- the file's printed_value, when given
    reason                  varchar,
    corrected_by            varchar,
    corrected_at            timestamp,
    document_id             varchar,           -- the staged document it resolved to
    printed_value           decimal(38, 6),    -- the staged (extracted) value of the cell
    status                  varchar not null,
    message                 varchar,
    source_file             varchar not null
);
"""

_SHA256 = re.compile(r"[0-9a-f]{64}")


class CorrectionsError(ValueError):
    """The corrections file cannot be used at all (not CSV, a required column missing)."""


@dataclass(frozen=True)
class Correction:
    """One row of the corrections file, as read (``problem`` says what is wrong with it)."""

    line: int
    document: str
    cell: str
    value: Decimal | None
    printed_value: Decimal | None
    reason: str
    corrected_by: str
    corrected_at: datetime | None
    problem: str | None = None
    candidate: int | None = None  # the extractor's candidate reading chosen (1-based)


def corrections_path() -> Path:
    """``XXGK_CORRECTIONS``, or ``corrections/corrections.csv`` in the project."""
    configured = os.environ.get(CORRECTIONS_ENV)
    return Path(configured) if configured else paths.PROJECT_DIR / "corrections" / "corrections.csv"


def read_corrections(path: Path) -> list[Correction]:
    """The rows of a corrections file; a missing file has none."""
    found = read_csv(path)
    if found is None:
        return []
    header, reader = found
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CorrectionsError(
            f"corrections file {path}: missing column(s) {', '.join(missing)} "
            f"(header: {', '.join(header) or 'none'}; required: "
            f"{', '.join(REQUIRED_COLUMNS)})"
        )
    reader.fieldnames = header
    out = []
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # blank line
        if None in row:
            out.append(_bad(line, row, "more fields than the header has columns"))
            continue
        out.append(_parse(line, {k: (v or "").strip() for k, v in row.items()}))
    for c in out:
        if c.problem is not None:
            # The row fails alone (staged as invalid); the reviewer needs its line to fix it.
            log.warning("corrections file %s, line %d: %s: the row is not applied", path, c.line, c.problem)
    return out


def _parse(line: int, row: dict[str, str]) -> Correction:
    problems = []
    cell = row["cell"]
    if not row["document"]:
        problems.append("document is empty")
    if not _is_template_cell(cell):
        problems.append(f"cell {cell!r} is not a cell of the template (table/row/col)")
    value = _number(row["value"])
    candidate_text = row.get("candidate", "")
    candidate = int(candidate_text) if candidate_text.isdigit() and int(candidate_text) >= 1 else None
    if candidate_text and candidate is None:
        problems.append(f"candidate {candidate_text!r} is not a reading number (1, 2, …)")
    if value is None and not (candidate_text and row["value"] == ""):
        problems.append(f"value {row['value']!r} is not a number{_why_not(row['value'])}")
    printed = _number(row.get("printed_value", ""))
    if row.get("printed_value") and printed is None:
        problems.append(
            f"printed_value {row['printed_value']!r} is not a number{_why_not(row['printed_value'])}"
        )
    if not row["reason"]:
        problems.append("reason is empty")
    if not row["corrected_by"]:
        problems.append("corrected_by is empty")
    corrected_at = _timestamp(row["corrected_at"])
    if corrected_at is None:
        problems.append(f"corrected_at {row['corrected_at']!r} is not an ISO date or date-time")
    return Correction(
        line,
        row["document"],
        cell,
        value,
        printed,
        row["reason"],
        row["corrected_by"],
        corrected_at,
        "; ".join(problems) or None,
        candidate,
    )


def _bad(line: int, row: dict[Any, Any], problem: str) -> Correction:
    def text(key: str) -> str:
        value = row.get(key)
        return value.strip() if isinstance(value, str) else ""

    return Correction(
        line, text("document"), text("cell"), None, None, text("reason"), text("corrected_by"), None, problem
    )


# The staged columns are decimal(38, 6): 32 digits before the point.
MAX_ABS_VALUE = Decimal(10) ** 32


def _number(text: str) -> Decimal | None:
    """A number the warehouse can hold, else None (the row is ``invalid``, the load goes on)."""
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    # 1e400 is a finite Decimal, but no count or sum of money is that large.
    return value if value.is_finite() and abs(value) < MAX_ABS_VALUE else None


def _why_not(text: str) -> str:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return ""
    return " the warehouse can hold (at most 32 digits before the point)" if value.is_finite() else ""


def _timestamp(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    # Stored as UTC-naive like every timestamp of the warehouse.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _as_version(value: str | None) -> template.Version | None:
    """A staged document's template version; None (either version) when it is not a known one."""
    return next((v for v in template.VERSIONS if v == value), None)


def _is_template_cell(cell: str) -> bool:
    parts = cell.split("/")
    return len(parts) == 3 and template.has_cell(None, *parts)


def _candidate_value(
    con: duckdb.DuckDBPyConnection, document_id: str, cell: str, candidate: int
) -> tuple[Decimal | None, str | None]:
    """The value reading ``candidate`` of the document's problems gives the cell, or why none.

    A problem's ``candidates`` is a list of readings, each either a list of values in the order
    of the problem's cells or an object {cell id: value}.
    """
    rows = con.execute(
        "select problem_seq, cells, candidates from staging.problems where document_id = ? "
        "and candidates is not null and list_contains(cells, ?) order by problem_seq",
        [document_id, cell],
    ).fetchall()
    if not rows:
        return None, f"no problem of the document offers candidate readings of {cell}"
    seq, cells, candidates_json = rows[0]
    try:
        readings = json.loads(candidates_json)
    except ValueError:
        return None, f"problem {seq}: its candidate readings cannot be read"
    if not isinstance(readings, list) or not 1 <= candidate <= len(readings):
        n = len(readings) if isinstance(readings, list) else 0
        return None, f"problem {seq} offers {n} reading(s) of {cell}, not a reading {candidate}"
    reading = readings[candidate - 1]
    if isinstance(reading, dict) and "values" in reading and cell not in reading:
        reading = reading["values"]  # {"values": [...] or {...}, ...}: the values of a reading
    value: Any = None
    if isinstance(reading, dict):
        value = reading.get(cell)
    elif isinstance(reading, list):
        value = reading[list(cells).index(cell)] if len(reading) == len(cells) else None
    elif len(cells) == 1:
        value = reading
    number = _number(str(value)) if value is not None else None
    if number is None:
        return None, f"problem {seq}: reading {candidate} gives no number for {cell}"
    return number, None


def stage(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> dict[str, int]:
    """Rewrite ``staging.corrections`` from the corrections file; return counts by status.

    Call it after the documents are staged: corrections are resolved against them.
    """
    source = Path(path) if path is not None else corrections_path()
    rows = read_corrections(source)
    con.execute(DDL)
    resolved = _resolve(con, rows, source)
    frame = pd.DataFrame(
        resolved,
        columns=[
            "correction_seq",
            "document_ref",
            "cell_id",
            "table_code",
            "row_code",
            "col_code",
            "corrected_value",
            "expected_printed_value",
            "reason",
            "corrected_by",
            "corrected_at",
            "document_id",
            "printed_value",
            "status",
            "message",
            "source_file",
        ],
    )
    for column in ("corrected_value", "expected_printed_value", "printed_value"):
        frame[column] = frame[column].map(lambda v: None if v is None else str(v)).astype(object)
    con.execute("begin")
    try:
        con.execute("delete from staging.corrections")
        if len(frame):
            con.register("incoming_corrections", frame)
            con.execute("""
                insert into staging.corrections
                select correction_seq, document_ref, cell_id, table_code, row_code, col_code,
                       cast(corrected_value as decimal(38, 6)),
                       cast(expected_printed_value as decimal(38, 6)),
                       reason, corrected_by, cast(corrected_at as timestamp), document_id,
                       cast(printed_value as decimal(38, 6)), status, message, source_file
                from incoming_corrections""")
            con.unregister("incoming_corrections")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    counts: dict[str, int] = {}
    for r in resolved:
        counts[r[13]] = counts.get(r[13], 0) + 1
    for r in resolved:
        if r[13] not in ("applied", "superseded", "unknown_document"):
            log.warning("correction on line %d of %s not applied (%s): %s", r[0], source, r[13], r[14])
    if rows:
        log.info(
            "corrections from %s: %s",
            source,
            ", ".join(f"{n} {status}" for status, n in sorted(counts.items())),
        )
    return counts


def _resolve(con: duckdb.DuckDBPyConnection, rows: Sequence[Correction], source: Path) -> list[tuple]:
    if not rows:  # no corrections: nothing to resolve (the look-up below reads every document)
        return []
    # Every name a document was seen under finds it (the same bytes loaded from two places).
    documents = con.execute(
        "select document_id, source_path from staging.documents "
        "union select document_id, source_path from staging.document_paths"
    ).fetchall()
    versions = dict(con.execute("select document_id, template_version from staging.documents").fetchall())
    by_id = {d for d, _ in documents}
    by_name: dict[str, set[str]] = {}
    for document_id, source_path in documents:
        for key in {source_path, Path(source_path).name}:
            by_name.setdefault(key, set()).add(document_id)

    out: list[list[Any]] = []
    for c in rows:
        parts: Sequence[str | None] = c.cell.split("/") if c.problem is None else (None, None, None)
        table_code, row_code, col_code = parts if len(parts) == 3 else (None, None, None)
        record: list[Any] = [
            c.line,
            c.document,
            c.cell,
            table_code,
            row_code,
            col_code,
            c.value,
            c.printed_value,
            c.reason,
            c.corrected_by,
            c.corrected_at,
            None,
            None,
            "invalid",
            c.problem,
            str(source),
        ]
        out.append(record)
        if c.problem is not None:
            continue
        ref = c.document.lower() if _SHA256.fullmatch(c.document.lower()) else None
        if ref is not None:
            matches = {ref} if ref in by_id else set()
        else:
            matches = by_name.get(c.document, set())
        if not matches:
            record[13:15] = ["unknown_document", f"no loaded document is {c.document!r}"]
            continue
        if len(matches) > 1:
            record[13:15] = [
                "ambiguous_document",
                f"{len(matches)} loaded documents are named {c.document!r}: give the SHA-256 instead",
            ]
            continue
        document_id = next(iter(matches))
        record[11] = document_id
        version = versions.get(document_id)
        if not template.has_cell(_as_version(version), str(table_code), str(row_code), str(col_code)):
            record[13:15] = [
                "cell_not_in_template",
                f"{c.cell} is not a cell of the document's template ({version or 'unknown version'})",
            ]
            continue
        found = con.execute(
            "select value from staging.cells where document_id = ? and table_code = ? "
            "and row_code = ? and col_code = ?",
            [document_id, table_code, row_code, col_code],
        ).fetchall()
        # A cell the extractor left out is added by the correction (printed_value stays null).
        printed = found[0][0] if found else None
        record[12] = printed
        if c.printed_value is not None and printed != c.printed_value:
            record[13:15] = [
                "printed_value_mismatch",
                f"printed_value is {c.printed_value} but the staged value is "
                f"{'blank' if printed is None else printed}"
                + ("" if found else " (the extractor left the cell out)"),
            ]
            continue
        if c.candidate is not None:
            chosen, why = _candidate_value(con, document_id, c.cell, c.candidate)
            if chosen is None or (c.value is not None and chosen != c.value):
                record[13:15] = [
                    "no_such_candidate",
                    why or f"reading {c.candidate} gives {chosen}, not the value {c.value}",
                ]
                continue
            record[6] = chosen
        record[13:15] = ["applied", None]

    # The latest correction of a cell applies (corrected_at, then line); earlier ones are superseded.
    latest: dict[tuple[str, str], list[Any]] = {}
    for record in out:
        if record[13] != "applied":
            continue
        key = (record[11], record[2])
        previous = latest.get(key)
        if previous is None or (record[10], record[0]) > (previous[10], previous[0]):
            if previous is not None:
                previous[13:15] = ["superseded", f"line {record[0]} corrects the same cell later"]
            latest[key] = record
        else:
            record[13:15] = ["superseded", f"line {previous[0]} corrects the same cell later"]
    return [tuple(r) for r in out]
