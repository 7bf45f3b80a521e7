"""Export a published table or a query's result as CSV, XLSX or Parquet (``xxgk export``).

Always from the published database, opened read-only, so an export never blocks a load and
never sees a half-written one.  CSV is UTF-8 with a byte-order mark, which Excel needs to show
Chinese; XLSX has the Chinese labels (``warehouse.labels``) as headers; Parquet is DuckDB's own
``COPY``.  XLSX is written with XlsxWriter: DuckDB's excel extension would need a download.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from warehouse import labels, paths

FORMATS = ("csv", "xlsx", "parquet")
SCHEMA = "marts"
BOM = "\ufeff"
# Excel's limit on rows per sheet (the header is one of them).
XLSX_MAX_ROWS = 1_048_576
_TABLE_NAME = re.compile(r"^(?:marts\.)?([A-Za-z_][A-Za-z0-9_]*)$")


class ExportError(RuntimeError):
    """The export could not be made; the message says why and what to do."""


def connect(database: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The published database, read-only."""
    db = database or paths.published_db()
    if not db.exists():
        raise ExportError(f"{db} does not exist: run `xxgk run` first (it publishes the marts)")
    return duckdb.connect(str(db), read_only=True)


def table_query(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """``select * from marts.<table>``, for a table that exists (else an error listing them)."""
    match = _TABLE_NAME.match(table)
    names = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [SCHEMA]
        ).fetchall()
    ]
    if match is None or match.group(1) not in names:
        raise ExportError(f"no table {table!r} in schema {SCHEMA}; the tables are: {', '.join(names)}")
    return f'select * from {SCHEMA}."{match.group(1)}"'


def export(sql: str, fmt: str, out: Path, database: Path | None = None) -> int:
    """Write the result of ``sql`` on the published database to ``out``; the number of rows.

    The file is written beside ``out`` under a temporary name and renamed when complete.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = out.resolve()
    if not out.parent.is_dir():
        raise ExportError(f"folder {out.parent} does not exist: create it or choose another --out")
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    con = connect(database)
    try:
        try:
            relation = con.sql(sql)
        except duckdb.Error as err:
            raise ExportError(f"the query failed: {_first_line(err)}") from None
        if relation is None:
            raise ExportError("the query returns no rows (use a SELECT)")
        try:
            if fmt == "parquet":
                n = _parquet(con, sql, tmp)
            else:
                columns = list(relation.columns)
                rows = relation.fetchall()
                n = len(rows)
                if fmt == "csv":
                    _csv(columns, rows, tmp)
                else:
                    _xlsx(columns, rows, tmp)
        except duckdb.Error as err:
            raise ExportError(f"the query failed: {_first_line(err)}") from None
        os.replace(tmp, out)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
    return n


def _parquet(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"copy ({sql}) to {literal} (format parquet, compression zstd)")
    return int(con.execute(f"select count(*) from read_parquet({literal})").fetchall()[0][0])


def _csv(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], path: Path) -> None:
    # utf-8-sig writes the byte-order mark Excel needs to read UTF-8 (else it shows mojibake).
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _xlsx(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], path: Path) -> None:
    import xlsxwriter

    if len(rows) + 1 > XLSX_MAX_ROWS:
        raise ExportError(
            f"{len(rows)} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS - 1} at most): "
            "narrow the query or export CSV or Parquet"
        )
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    try:
        sheet = book.add_worksheet("data")
        bold = book.add_format({"bold": True, "text_wrap": True})
        datetime_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        for c, name in enumerate(columns):
            sheet.write_string(0, c, labels.column_label(name) or name, bold)
            sheet.write_comment(0, c, name)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, int) and abs(value) < 2**53:
                    sheet.write_number(r, c, value)
                elif isinstance(value, float | Decimal):
                    sheet.write_number(r, c, float(value))
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value.replace(tzinfo=None), datetime_format)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, list | tuple):
                    sheet.write_string(r, c, "; ".join(str(v) for v in value))
                else:
                    sheet.write_string(r, c, str(value))
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    finally:
        book.close()


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
