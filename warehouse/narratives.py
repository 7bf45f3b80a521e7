"""Stage what a record says besides its tables (``xxgk.report/3``): the narrative sections
一, 五, 六, the numbers they state (S6 claims), the publication date and the source URL.

They follow the document's current reading: a new reading replaces them, like the cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import pandas as pd

DDL = """
create schema if not exists staging;
-- One row per narrative section (s1 一 总体情况, s5 五 存在的主要问题及改进情况, s6 六 其他需要报告的事项).
create table if not exists staging.narratives (
    document_id varchar not null,
    section     varchar not null,   -- s1, s5, s6
    heading     varchar not null,   -- the section's heading as docs/template.md names it
    body_text   varchar not null,   -- the section's text, lines of a paragraph joined
    page        integer,            -- where the text starts (PDF pages only)
    line        integer,
    page_to     integer,            -- where it ends, when on another page
    line_to     integer
);
-- One row per number the narrative states about a table (S6, xxgk/narrative.py).
create table if not exists staging.narrative_claims (
    document_id varchar not null,
    claim_seq   integer not null,
    claim_id    varchar not null,   -- e.g. S6:new_received
    section     varchar not null,
    value       decimal(38, 6) not null,
    cells       varchar[] not null, -- table/row/col whose sum the number states
    page        integer,
    line        integer,
    raw_text    varchar not null    -- the phrase the number was read from
);
-- One row per document that prints a publication date or a source URL.
create table if not exists staging.publication (
    document_id     varchar not null,
    published_on    date,
    published_basis varchar,        -- page (the page's 发布时间 line) or signature (the 落款)
    published_page  integer,
    published_line  integer,
    published_raw   varchar,
    source_url      varchar
);
"""


def stage(con: duckdb.DuckDBPyConnection, records: Iterable[dict[str, Any]]) -> None:
    """Replace the narrative rows of the given records' documents (inside the caller's transaction)."""
    records = list(records)
    if not records:
        return
    ids = [r["source"]["sha256"] for r in records]
    for table in ("narratives", "narrative_claims", "publication"):
        con.execute(f"delete from staging.{table} where document_id in (select unnest(?::varchar[]))", [ids])
    sections, claims, published = [], [], []
    for rec in records:
        doc_id = rec["source"]["sha256"]
        for s in rec.get("narrative") or []:
            w = s.get("where") or {}
            sections.append(
                {
                    "document_id": doc_id,
                    "section": s["section"],
                    "heading": s["heading"],
                    "body_text": s["text"],
                    "page": w.get("page"),
                    "line": w.get("line"),
                    "page_to": w.get("page_to"),
                    "line_to": w.get("line_to"),
                }
            )
        for seq, c in enumerate(rec.get("claims") or [], 1):
            w = c.get("where") or {}
            claims.append(
                {
                    "document_id": doc_id,
                    "claim_seq": seq,
                    "claim_id": c["claim"],
                    "section": c["section"],
                    "value": str(c["value"]),
                    "cells": list(c["cells"]),
                    "page": w.get("page"),
                    "line": w.get("line"),
                    "raw_text": w.get("raw", ""),
                }
            )
        pub = rec.get("published") or {}
        if pub or rec.get("source_url"):
            w = pub.get("where") or {}
            published.append(
                {
                    "document_id": doc_id,
                    "published_on": pub.get("date"),
                    "published_basis": pub.get("basis"),
                    "published_page": w.get("page"),
                    "published_line": w.get("line"),
                    "published_raw": w.get("raw"),
                    "source_url": rec.get("source_url"),
                }
            )
    ints = {"page": "integer", "line": "integer", "page_to": "integer", "line_to": "integer"}
    _insert(con, "narratives", sections, ints)
    _insert(con, "narrative_claims", claims, {**ints, "claim_seq": "integer", "value": "decimal(38, 6)"})
    _insert(
        con,
        "publication",
        published,
        {
            "published_on": "date",
            "published_page": "integer",
            "published_line": "integer",
            "published_basis": "varchar",
            "published_raw": "varchar",
            "source_url": "varchar",
        },
    )


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], casts: dict[str, str]
) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    select = ", ".join(f"cast({c} as {casts[c]}) as {c}" if c in casts else c for c in frame.columns)
    con.register("incoming_narrative", frame)
    con.execute(
        f"insert into staging.{table} ({', '.join(frame.columns)}) select {select} from incoming_narrative"
    )
    con.unregister("incoming_narrative")
