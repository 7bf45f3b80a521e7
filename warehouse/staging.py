"""Load report records into the DuckDB staging tables of the build database.

A document is identified by the SHA-256 of its bytes: loading a record whose
document is already staged changes nothing, so a reload is idempotent.  The
document tables (``documents``, ``cells``, ``problems``) are append-only: a load
inserts the documents it has not seen and never updates or deletes a row, so a
load of one year never touches another, and a corrected re-publication (a
different file, hence a different hash) is kept beside the report it corrects.
``loaded_at`` (one timestamp per load) and ``load_seq`` (the record's position in
that load) order the versions of a body's report for a year; dbt derives which one
is current from them (``intermediate.int_report_versions``).

The template tables are rewritten from ``xxgk.template`` on every load, which is
how dbt and the expectation suites see the one template definition; so is
``staging.corrections``, from the reviewers' corrections file (``warehouse.corrections``).
Corrections never touch ``staging.cells``: dbt applies them on top
(``intermediate.int_cells_corrected``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse import corrections
from xxgk import template

log = logging.getLogger(__name__)

DDL = """
create schema if not exists staging;
create table if not exists staging.documents (
    document_id      varchar primary key,   -- sha256 of the source bytes
    source_path      varchar not null,
    source_format    varchar,
    org_name         varchar,
    region           varchar[],
    report_year      integer,
    template_version varchar,
    status           varchar not null,
    n_cells          integer not null,
    n_problems       integer not null,
    loaded_at        timestamp not null,   -- one timestamp per load: the load's identity
    load_seq         integer               -- position of the record in its load (1, 2, …)
);
-- Build databases created before load_seq existed get the column (null for their rows).
alter table staging.documents add column if not exists load_seq integer;
create table if not exists staging.cells (
    document_id varchar not null,
    table_code  varchar not null,
    row_code    varchar not null,
    col_code    varchar not null,
    value       decimal(38, 6),
    is_imputed  boolean not null,
    page        integer,
    line        integer,
    raw_text    varchar,
    where_json  varchar,
    basis       varchar,   -- the evidence of the value (xxgk.record.BASES): printed, decided, imputed, unread, ocr
    primary key (document_id, table_code, row_code, col_code)
);
alter table staging.cells add column if not exists basis varchar;
create table if not exists staging.problems (
    document_id varchar not null,
    problem_seq integer not null,
    code        varchar not null,
    severity    varchar not null,
    message     varchar,
    cells       varchar[],
    candidates  varchar,   -- JSON: the candidate readings of the cells, when the extractor gave them
    raw         varchar,   -- the printed text the problem is about, when the extractor gave it
    primary key (document_id, problem_seq)
);
alter table staging.problems add column if not exists candidates varchar;
alter table staging.problems add column if not exists raw varchar;
create table if not exists staging.gate_results (
    document_id varchar primary key,
    passed      boolean not null,   -- every section published and the report-level checks held
    checked_at  timestamp not null,
    is_publishable boolean          -- at least one section published
);
alter table staging.gate_results add column if not exists is_publishable boolean;
-- The gate's verdict per report × section (s2 二, s3 三, s4 四).
create table if not exists staging.gate_sections (
    document_id varchar not null,
    section     varchar not null,   -- s2, s3, s4
    verdict     varchar not null,   -- published, held_back, absent (a section 二 the report does not print)
    cause       varchar,            -- the first cause of a held-back section (see gate_failures.cause)
    reason      varchar,            -- the first cause in words
    n_cells     integer not null,
    checked_at  timestamp not null,
    primary key (document_id, section)
);
create table if not exists staging.gate_failures (
    document_id varchar not null,
    identity_id varchar not null,
    equation_id varchar not null,
    lhs_value   decimal(38, 6),
    rhs_value   decimal(38, 6),
    difference  decimal(38, 6),
    cells       varchar not null
);
-- The true cause first: the section a failing check holds back (null: the whole report), what
-- kind of cause it is and its rank (extractor problems, then cells missing or unread, then
-- identities that cannot be checked, then identities that do not hold), and a message.
alter table staging.gate_failures add column if not exists section varchar;
alter table staging.gate_failures add column if not exists cause varchar;
alter table staging.gate_failures add column if not exists cause_rank integer;
alter table staging.gate_failures add column if not exists message varchar;
-- One row: the gate's last run, and how far the last run that did not stop the load reached.
-- The documents loaded after that are "the load" whose failing share the systemic threshold
-- looks at.
create table if not exists staging.gate_state (
    last_run_at       timestamp not null,
    accepted_through  timestamp,          -- latest loaded_at covered by a run without a systemic failure
    n_documents       integer not null,   -- documents of the load at the last run
    n_not_passed      integer not null,
    problems          varchar             -- the systemic problems of the last run, if any
);
-- Soft identities (S1–S3) that do not hold: one row per report involved in a failing check.
create table if not exists staging.gate_warnings (
    document_id        varchar not null,  -- a report the check involves
    identity_id        varchar not null,  -- S1, S2, S3
    equation_id        varchar not null,  -- e.g. S1:total
    check_id           varchar not null,  -- equation and the year it is anchored on, e.g. S1:total@2021
    anchor_document_id varchar not null,  -- the report of year_offset 0
    document_ids       varchar not null,  -- every report involved, comma-separated, by year
    report_years       varchar not null,  -- their years, in the same order
    relation           varchar not null,  -- = or >=
    lhs_value          decimal(38, 6),
    rhs_value          decimal(38, 6),
    difference         decimal(38, 6),
    cells              varchar not null,  -- year:table/row/col of every term, lhs first
    description        varchar
);
"""


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute(DDL)
    con.execute(corrections.DDL)
    return con


def template_frames() -> dict[str, pd.DataFrame]:
    """The template definition as the tables dbt reads (``source('staging', …)``)."""
    rows, cols, terms, groups = [], [], [], []
    for version in template.VERSIONS:
        for t in template.tables(version):
            for order, r in enumerate(t.rows, 1):
                rows.append({"template_version": version, "table_code": t.code, "section": t.section,
                             "row_code": r.code, "row_label": r.label, "row_label_en": r.label_en,
                             "row_group": r.group, "row_level": r.level, "is_leaf": r.leaf,
                             "row_order": order})
            for order, c in enumerate(t.columns, 1):
                cols.append({"template_version": version, "table_code": t.code, "col_code": c.code,
                             "col_label": c.label, "col_label_en": c.label_en, "col_kind": c.kind,
                             "col_order": order})
        for eq in template.equations(version):
            for side, ids in (("lhs", eq.lhs), ("rhs", eq.rhs)):
                for cid in ids:
                    table_code, row_code, col_code = cid.split("/")
                    terms.append({"template_version": version, "identity_id": eq.identity,
                                  "equation_id": eq.id, "side": side, "table_code": table_code,
                                  "row_code": row_code, "col_code": col_code,
                                  "is_optional": cid in eq.optional})
    for order, (code, label_en) in enumerate(template.ROW_GROUPS.items(), 1):
        groups.append({"row_group": code, "row_group_label_en": label_en, "row_group_order": order})
    return {"template_rows": pd.DataFrame(rows), "template_columns": pd.DataFrame(cols),
            "identity_terms": pd.DataFrame(terms), "template_row_groups": pd.DataFrame(groups),
            "soft_identity_terms": soft_identity_terms_frame()}


def soft_identity_terms_frame() -> pd.DataFrame:
    """The soft identities S1–S3 expanded into equations, one row per term (template.md §4)."""
    described = {i.id: i for i in template.SOFT_IDENTITIES}
    terms = []
    for eq in template.soft_equations():
        seq = 0
        for side, side_terms in (("lhs", eq.lhs), ("rhs", eq.rhs)):
            for year_offset, cid, sign in side_terms:
                seq += 1
                table_code, row_code, col_code = cid.split("/")
                terms.append({"identity_id": eq.identity, "equation_id": eq.id, "term_seq": seq,
                              "description": described[eq.identity].description,
                              "relation": eq.relation, "template_versions": ",".join(eq.versions),
                              "side": side, "sign": sign, "year_offset": year_offset,
                              "table_code": table_code, "row_code": row_code, "col_code": col_code})
    return pd.DataFrame(terms)


def write_template(con: duckdb.DuckDBPyConnection) -> None:
    for name, frame in template_frames().items():
        con.register("frame", frame)
        con.execute(f"create or replace table staging.{name} as select * from frame")
        con.unregister("frame")


def load_records(con: duckdb.DuckDBPyConnection, records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Insert records whose document is not staged yet; return counts."""
    write_template(con)
    known = {r[0] for r in con.execute("select document_id from staging.documents").fetchall()}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    docs, cells, problems = [], [], []
    seen = skipped = 0
    for rec in records:
        seen += 1
        doc_id = rec["source"]["sha256"]
        if doc_id in known:
            skipped += 1
            continue
        known.add(doc_id)
        docs.append({"document_id": doc_id, "source_path": rec["source"]["path"],
                     "source_format": rec["source"]["format"], "org_name": rec.get("org_name"),
                     "region": rec.get("region") or [], "report_year": rec.get("year"),
                     "template_version": rec.get("template"), "status": rec["status"],
                     "n_cells": len(rec["cells"]), "n_problems": len(rec["problems"]),
                     "loaded_at": now, "load_seq": seen})
        for c in rec["cells"]:
            where = c.get("where") or {}
            cells.append({"document_id": doc_id, "table_code": c["table"], "row_code": c["row"],
                          "col_code": c["col"],
                          "value": None if c["value"] is None else str(c["value"]),
                          "is_imputed": bool(c.get("imputed")), "page": where.get("page"),
                          "line": where.get("line"), "raw_text": where.get("raw"),
                          "where_json": json.dumps(where, ensure_ascii=False),
                          "basis": cell_basis(c)})
        for seq, p in enumerate(rec["problems"], 1):
            problems.append({"document_id": doc_id, "problem_seq": seq, "code": p["code"],
                             "severity": p["severity"], "message": p.get("message"),
                             "cells": p.get("cells") or [],
                             "candidates": None if p.get("candidates") is None
                             else json.dumps(p["candidates"], ensure_ascii=False),
                             "raw": p.get("raw")})
    con.execute("begin")
    try:
        _insert(con, "documents", docs, casts={"load_seq": "integer"})
        _insert(con, "cells", cells, casts={"value": "decimal(38, 6)", "page": "integer", "line": "integer",
                                            "basis": "varchar"})
        _insert(con, "problems", problems, casts={"candidates": "varchar", "raw": "varchar"})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    log.info("staged %d new documents (%d cells), %d already staged", len(docs), len(cells), skipped)
    # Corrections are resolved against the staged documents, so they are staged after them, on
    # every load: an edited corrections file takes effect on the next load.
    corrections.stage(con)
    return {"records": seen, "new_documents": len(docs), "already_staged": skipped,
            "new_cells": len(cells)}


def cell_basis(cell: dict[str, Any]) -> str:
    """The cell's ``basis``; a record without one (schema 1) gets what its flags imply.

    Schema-1 records predate the evidence rule: their printed values were not proven, but they
    are re-read by a newer extractor (``extractor_version``); until then a value counts as
    printed, a blank as unread.
    """
    basis = cell.get("basis")
    if isinstance(basis, str) and basis:
        return basis
    if cell.get("imputed"):
        return "imputed"
    return "unread" if cell.get("value") is None else "printed"


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
            casts: dict[str, str] | None = None) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    select = ", ".join(f"cast({c} as {casts[c]}) as {c}" if casts and c in casts else c
                       for c in frame.columns)
    con.register("incoming", frame)
    con.execute(f"insert into staging.{table} ({', '.join(frame.columns)}) select {select} from incoming")
    con.unregister("incoming")


def read_records(paths: Iterable[Path]) -> Iterable[dict[str, Any]]:
    for path in paths:
        yield json.loads(Path(path).read_text(encoding="utf-8"))
