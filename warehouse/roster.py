"""The office's roster: the bodies it expects a report from (``marts.mart_filing_status``).

The file (``roster/roster.csv`` in the project, or ``XXGK_ROSTER``) is UTF-8 CSV with a header:

    body_name,body_kind,parent_name,admin_code,from_year,to_year

``body_name`` is required, as the body calls itself (variants resolve as ``dim_body`` does:
the seed ``body_aliases`` and the name rules). ``body_kind`` is ``department`` (部门),
``government`` (县级以上人民政府), ``township`` (乡镇) or ``subdistrict`` (街道) — it sets the
deadline (``xxgk.settings.OFFICE``); empty, the kind is read from the name. ``parent_name``
(the office or government it reports to) and ``admin_code`` (the 12-digit 统计用区划代码, or
its first 6 digits) are optional. ``from_year`` / ``to_year`` bound the years the body is
expected to report (a body set up or merged); outside them it has nothing to report.
The file is staged on every load, so an edited roster takes effect on the next load.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import paths
from warehouse.csv_input import read_csv
from xxgk.settings import OFFICE

ROSTER_ENV = "XXGK_ROSTER"
COLUMNS = ("body_name", "body_kind", "parent_name", "admin_code", "from_year", "to_year")
KINDS = {
    "department": "department",
    "部门": "department",
    "government": "government",
    "政府": "government",
    "township": "township",
    "乡镇": "township",
    "subdistrict": "subdistrict",
    "街道": "subdistrict",
    "": "",
}

DDL = """
create schema if not exists staging;
create table if not exists staging.roster (
    roster_seq   integer not null,   -- the row's line in the file
    body_name    varchar not null,
    body_kind    varchar,            -- department, government, township, subdistrict; null: from the name
    parent_name  varchar,
    admin_code   varchar,
    from_year    integer,
    to_year      integer
);
-- The legal deadline per kind of body (xxgk.settings.OFFICE; 条例 第四十九条), rewritten on every load:
-- the report on year Y is due by month/day of Y+1.
create table if not exists staging.deadlines (
    body_kind  varchar not null,
    month      integer not null,
    day        integer not null
);
"""


class RosterError(ValueError):
    """The roster file cannot be used (not CSV, no body_name column, a bad value)."""


def roster_path() -> Path:
    configured = os.environ.get(ROSTER_ENV)
    return Path(configured) if configured else paths.PROJECT_DIR / "roster" / "roster.csv"


def read_roster(path: Path) -> list[dict[str, object]]:
    """The rows of a roster file; a missing or empty file has none."""
    found = read_csv(path)
    if found is None:
        return []
    header, reader = found
    if "body_name" not in header:
        raise RosterError(
            f"{path}: the roster has no body_name column (header: {', '.join(header) or 'none'}); "
            f"the header must be {','.join(COLUMNS)}"
        )
    rows: list[dict[str, object]] = []
    for line, raw in enumerate(reader, 2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not row.get("body_name"):
            continue
        kind = row.get("body_kind", "")
        if kind not in KINDS:
            raise RosterError(
                f"{path}, line {line}: body_kind {kind!r} is not one of department, government, "
                "township, subdistrict (or 部门, 政府, 乡镇, 街道, or empty); fix the row and load again"
            )
        years: dict[str, int | None] = {}
        for col in ("from_year", "to_year"):
            value = row.get(col, "")
            if value and not value.isdigit():
                raise RosterError(
                    f"{path}, line {line}: {col} {value!r} is not a year; fix the row and load again"
                )
            years[col] = int(value) if value else None
        rows.append(
            {
                "roster_seq": line,
                "body_name": row["body_name"],
                "body_kind": KINDS[kind] or None,
                "parent_name": row.get("parent_name") or None,
                "admin_code": row.get("admin_code") or None,
                **years,
            }
        )
    return rows


def stage(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> int:
    """Rewrite ``staging.roster`` from the roster file; the number of bodies on it."""
    rows = read_roster(Path(path) if path is not None else roster_path())
    con.execute(DDL)
    con.execute("delete from staging.roster")
    con.execute("delete from staging.deadlines")
    con.executemany(
        "insert into staging.deadlines values (?, ?, ?)",
        [
            ("department", *OFFICE.deadline_department),
            ("other", *OFFICE.deadline_department),
            ("government", *OFFICE.deadline_government),
            ("township", *OFFICE.deadline_township),
            ("subdistrict", *OFFICE.deadline_township),
        ],
    )
    if rows:
        frame = pd.DataFrame(rows, columns=["roster_seq", *COLUMNS])
        con.register("incoming_roster", frame)
        con.execute(
            "insert into staging.roster select cast(roster_seq as integer), body_name, body_kind, "
            "parent_name, admin_code, cast(from_year as integer), cast(to_year as integer) "
            "from incoming_roster"
        )
        con.unregister("incoming_roster")
    return len(rows)
