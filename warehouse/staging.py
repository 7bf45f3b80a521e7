"""Load report records into the DuckDB staging tables of the build database.

A document is identified by the SHA-256 of its bytes; what is staged about it is a *reading*,
the record one extractor version made of it (``warehouse.readings``).  Loading a record that is
the staged reading changes nothing, so a reload is idempotent.  A load inserts the documents it
has not seen, so a load of one year never touches another, and a corrected re-publication (a
different file, hence a different hash) is kept beside the report it corrects.  A record that
reads a staged document differently (a newer extractor, ``xxgk reextract``) is a new reading:
it replaces the document's row, cells and problems in ``documents`` / ``cells`` / ``problems``,
which hold the current reading, while the earlier reading stays in ``readings``,
``superseded_cells`` and ``superseded_problems`` and the cells it changed are listed in
``reading_changes``.  Every path a document was seen under is kept in ``document_paths``.
``loaded_at`` (one timestamp per load) and ``load_seq`` (the record's position in
that load) say when a document was first loaded; they order the versions of a body's report
for a year, and a re-reading keeps them; dbt derives which version is current from them
(``intermediate.int_report_versions``).

The template tables are rewritten from ``xxgk.template`` on every load, which is
how dbt and the expectation suites see the one template definition; so is
``staging.corrections``, from the reviewers' corrections file (``warehouse.corrections``).
Corrections never touch ``staging.cells``: dbt applies them on top
(``intermediate.int_cells_corrected``).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse import corrections, gazetteer, narratives, readings, roster
from xxgk import template
from xxgk.names import clean_text

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
    load_seq         integer,              -- position of the record in its load (1, 2, …)
    extractor_version varchar,             -- of the current reading (null: a schema-1 record)
    record_digest    varchar,              -- readings.record_digest of the current reading
    reading_seq      integer,              -- the current reading: 1, then 2 after a re-read, …
    read_at          timestamp             -- when the current reading was staged
);
-- Build databases created before these columns existed get them (null for their rows).
alter table staging.documents add column if not exists load_seq integer;
alter table staging.documents add column if not exists extractor_version varchar;
alter table staging.documents add column if not exists record_digest varchar;
alter table staging.documents add column if not exists reading_seq integer;
alter table staging.documents add column if not exists read_at timestamp;
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
    basis       varchar,   -- the evidence of the value (xxgk.record.BASES)
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
-- Every name and path a document was seen under (the same bytes under a second name are one
-- document: the record is made once, every path is kept).
create table if not exists staging.document_paths (
    document_id   varchar not null,
    source_path   varchar not null,
    first_seen_at timestamp not null,   -- the load that first saw the document at this path
    primary key (document_id, source_path)
);
-- Every record file staged, with its stat then and the reading it held: a load finds a file
-- whose stat is unchanged and whose reading is still the document's current one without
-- opening it (at 100 000 documents, parsing every staged record was most of a load).  Keyed
-- by the stat, whose inode and device name the file wherever it is reached from (a warehouse
-- moved, or reached through a link, is not read again).
create table if not exists staging.record_files (
    record_stat   varchar primary key,   -- size:mtime_ns:ctime_ns:inode:device (pipeline.hashes)
    record_path   varchar not null,      -- absolute, when staged
    document_id   varchar not null,
    record_digest varchar not null,      -- readings.record_digest of the file's record
    staged_at     timestamp not null
);
-- Every reading of every document: the first, and one more each time a newer extractor (or
-- `xxgk reextract`) read it differently.  The current reading is the one in staging.documents;
-- the cells and problems of the superseded ones move to staging.superseded_*.
create table if not exists staging.readings (
    document_id       varchar not null,
    reading_seq       integer not null,
    extractor_version varchar,
    record_schema     varchar,
    record_digest     varchar,
    read_at           timestamp not null,
    superseded_at     timestamp,          -- null for the current reading
    source_path       varchar,
    status            varchar not null,
    org_name          varchar,
    report_year       integer,
    template_version  varchar,
    n_cells           integer not null,
    n_problems        integer not null,
    primary key (document_id, reading_seq)
);
create table if not exists staging.superseded_cells (
    document_id varchar not null,
    reading_seq integer not null,
    table_code  varchar not null,
    row_code    varchar not null,
    col_code    varchar not null,
    value       decimal(38, 6),
    is_imputed  boolean not null,
    page        integer,
    line        integer,
    raw_text    varchar,
    where_json  varchar,
    basis       varchar,
    primary key (document_id, reading_seq, table_code, row_code, col_code)
);
create table if not exists staging.superseded_problems (
    document_id varchar not null,
    reading_seq integer not null,
    problem_seq integer not null,
    code        varchar not null,
    severity    varchar not null,
    message     varchar,
    cells       varchar[],
    candidates  varchar,
    raw         varchar,
    primary key (document_id, reading_seq, problem_seq)
);
-- The cells a re-reading changed: value or basis different, or the cell added or gone.
create table if not exists staging.reading_changes (
    document_id                varchar not null,
    reading_seq                integer not null,   -- the new reading
    previous_reading_seq       integer not null,
    table_code                 varchar not null,
    row_code                   varchar not null,
    col_code                   varchar not null,
    change                     varchar not null,   -- changed, added, removed
    previous_value             decimal(38, 6),
    value                      decimal(38, 6),
    previous_basis             varchar,
    basis                      varchar,
    previous_extractor_version varchar,
    extractor_version          varchar,
    read_at                    timestamp not null,
    primary key (document_id, reading_seq, table_code, row_code, col_code)
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
-- What the verdict was made from (expectations.inputs): the digest of the report's rows as the
-- gate read them, and of the gate's code; a report whose digests still match is not validated again.
alter table staging.gate_results add column if not exists input_digest varchar;
alter table staging.gate_results add column if not exists gate_version varchar;
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
-- What the copied-text check (C1, expectations.text_memory) computed, so that a run computes it
-- only for texts and pairs of texts it has not met: per text (a narrative section, by a digest
-- of its characters) its length without digits and punctuation and its MinHash signature, and
-- per pair of texts compared their exact Jaccard similarity. similarity_version is a digest of
-- the code and settings that computed them: another version's rows are never read.
create table if not exists staging.text_signatures (
    text_digest        ubigint not null,  -- md5_number_lower of the text
    similarity_version varchar not null,
    n_chars            integer not null,  -- similarity.cleaned(text): Han characters only
    n_shingles         integer not null,
    signature          blob               -- num_perm × uint32; null without shingles
);
create table if not exists staging.text_pair_similarity (
    text_digest_a      ubigint not null,  -- the smaller digest
    text_digest_b      ubigint not null,
    similarity_version varchar not null,
    jaccard            double not null
);
"""


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute(DDL)
    con.execute(corrections.DDL)
    con.execute(narratives.DDL)
    con.execute(roster.DDL)
    return con


def template_frames() -> dict[str, pd.DataFrame]:
    """The template definition as the tables dbt reads (``source('staging', …)``)."""
    rows, cols, terms, groups = [], [], [], []
    for version in template.VERSIONS:
        for t in template.tables(version):
            for order, r in enumerate(t.rows, 1):
                rows.append(
                    {
                        "template_version": version,
                        "table_code": t.code,
                        "section": t.section,
                        "row_code": r.code,
                        "row_label": r.label,
                        "row_label_en": r.label_en,
                        "row_group": r.group,
                        "row_level": r.level,
                        "is_leaf": r.leaf,
                        "row_order": order,
                    }
                )
            for order, c in enumerate(t.columns, 1):
                cols.append(
                    {
                        "template_version": version,
                        "table_code": t.code,
                        "col_code": c.code,
                        "col_label": c.label,
                        "col_label_en": c.label_en,
                        "col_kind": c.kind,
                        "col_order": order,
                    }
                )
        for eq in template.equations(version):
            for side, ids in (("lhs", eq.lhs), ("rhs", eq.rhs)):
                for cid in ids:
                    table_code, row_code, col_code = cid.split("/")
                    terms.append(
                        {
                            "template_version": version,
                            "identity_id": eq.identity,
                            "equation_id": eq.id,
                            "side": side,
                            "table_code": table_code,
                            "row_code": row_code,
                            "col_code": col_code,
                            "is_optional": cid in eq.optional,
                        }
                    )
    for order, (code, label_en) in enumerate(template.ROW_GROUPS.items(), 1):
        groups.append({"row_group": code, "row_group_label_en": label_en, "row_group_order": order})
    return {
        "template_rows": pd.DataFrame(rows),
        "template_columns": pd.DataFrame(cols),
        "identity_terms": pd.DataFrame(terms),
        "template_row_groups": pd.DataFrame(groups),
        "soft_identity_terms": soft_identity_terms_frame(),
    }


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
                terms.append(
                    {
                        "identity_id": eq.identity,
                        "equation_id": eq.id,
                        "term_seq": seq,
                        "description": described[eq.identity].description,
                        "relation": eq.relation,
                        "template_versions": ",".join(eq.versions),
                        "side": side,
                        "sign": sign,
                        "year_offset": year_offset,
                        "table_code": table_code,
                        "row_code": row_code,
                        "col_code": col_code,
                    }
                )
    return pd.DataFrame(terms)


def write_template(con: duckdb.DuckDBPyConnection) -> None:
    for name, frame in template_frames().items():
        con.register("frame", frame)
        con.execute(f"create or replace table staging.{name} as select * from frame")
        con.unregister("frame")


@dataclass(frozen=True)
class RecordRead:
    """A record read for staging, and where it was read from."""

    record: dict[str, Any]
    # The JSON file DuckDB reads the record's cells from; None: spooled to a temporary one.
    cells_from: Path | None = None
    # The record file (absolute) and its stat, remembered in staging.record_files when both are
    # given (``unchanged_record_files``).
    path: str | None = None
    stat: str | None = None


def load_records(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[dict[str, Any]],
    seen_as: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, int]:
    """Stage records held in memory as one load (each record's cells spooled to a file)."""
    return load_record_files(con, (RecordRead(rec) for rec in records), seen_as)


def load_record_files(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[RecordRead],
    seen_as: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, int]:
    """One load of one chunk: ``prepare_load``, ``stage_record_files``, ``stage_references``."""
    prepare_load(con)
    counts = stage_record_files(con, records, seen_as)
    stage_references(con)
    return counts


def prepare_load(con: duckdb.DuckDBPyConnection) -> None:
    """What a load does once before its chunks: the template tables, rewritten from
    ``xxgk.template``, and the readings of documents staged before readings were kept."""
    write_template(con)
    con.execute("begin")
    try:
        _record_first_readings(con)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def stage_references(con: duckdb.DuckDBPyConnection) -> None:
    """What a load does once after its chunks: what is resolved against every staged document.

    Corrections are resolved against the staged documents, so they are staged after them, on
    every load: an edited corrections file takes effect on the next load.  The gazetteer reads
    the names staged and the roster's codes: after both.  Each reads the whole warehouse (3.8 s
    at 109 000 documents), which is why it is not done per chunk.
    """
    corrections.stage(con)
    roster.stage(con)
    gazetteer.stage(con)


def unchanged_record_files(con: duckdb.DuckDBPyConnection, stats: Mapping[str, str]) -> dict[str, str]:
    """Of these record files (absolute path → stat), those staged with this stat, wherever from,
    whose reading is still their document's current one: path → document id.  Staging them
    again changes nothing."""
    if not stats:
        return {}
    frame = pd.DataFrame({"record_path": list(stats), "record_stat": list(stats.values())}, dtype=object)
    con.register("listed_record_files", frame)
    try:
        return dict(
            con.execute("""
                select l.record_path, f.document_id
                from listed_record_files l
                join staging.record_files f on f.record_stat = l.record_stat
                join staging.documents d
                  on d.document_id = f.document_id and d.record_digest = f.record_digest
            """).fetchall()
        )
    finally:
        con.unregister("listed_record_files")


def stage_record_files(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[RecordRead],
    seen_as: Mapping[str, Iterable[str]] | None = None,
    unchanged: Iterable[str] = (),
) -> dict[str, int]:
    """Stage a chunk of records, in one transaction: new documents, new readings of staged ones,
    and every path seen.

    The document-level rows are made here; the cells, most of a record, are read by DuckDB from
    the record files (``read_json``, ``_insert_cells``), so a record's thousands of cells never
    become Python objects.

    A record of a document not staged yet is inserted.  A record of a staged document is the
    same reading (nothing changes), a new reading (a newer extractor or ``xxgk reextract`` read
    it differently: it supersedes the staged reading, see ``_supersede``), or a stale one (made
    by an older extractor than the staged reading: ignored).  ``unchanged`` are documents whose
    record file was not read because it is the one staged (``unchanged_record_files``): only
    their paths are kept.  ``seen_as`` gives, by document id, further paths the document was
    found under in this load; each is kept in ``staging.document_paths`` with the record's own
    path.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    docs, rereads, problems, sightings, files = [], [], [], [], []
    seen = skipped = 0
    handled: set[str] = set()
    for doc_id in unchanged:
        seen += 1
        skipped += 1
        handled.add(doc_id)
        sightings += [(doc_id, clean_text(path)) for path in (seen_as or {}).get(doc_id, ())]
    staged = _StagedReadings(con, (seen_as or {}).keys())
    schemas: dict[str, str | None] = {}
    # New readings: their narrative parts (warehouse.narratives), and the files their cells are in.
    staged_records: list[dict[str, Any]] = []
    cell_files: dict[str, Path | None] = {}
    spool = _Spool()
    for read in records:
        rec = _storable(read.record)
        seen += 1
        doc_id = rec["source"]["sha256"]
        sightings += [
            (doc_id, clean_text(path)) for path in [rec["source"]["path"], *(seen_as or {}).get(doc_id, ())]
        ]
        if doc_id in handled:
            skipped += 1
            continue
        handled.add(doc_id)
        digest = readings.record_digest(rec)
        if read.path is not None and read.stat is not None:
            files.append(
                {
                    "record_path": read.path,
                    "record_stat": read.stat,
                    "document_id": doc_id,
                    "record_digest": digest,
                    "staged_at": now,
                }
            )
        version = rec.get("extractor_version")
        row = _document_row(rec, digest, now)
        current = staged.get(doc_id)
        if current is None:
            docs.append({**row, "loaded_at": now, "load_seq": seen, "reading_seq": 1})
        else:
            staged_version, staged_digest, reading_seq = current
            same = digest == staged_digest or (staged_digest is None and version == staged_version)
            if same or readings.is_older(version, staged_version):
                if not same:
                    log.warning(
                        "%s: record by extractor %s is older than the staged reading "
                        "(extractor %s): kept the staged one",
                        rec["source"]["path"],
                        version,
                        staged_version,
                    )
                skipped += 1
                continue
            rereads.append({**row, "reading_seq": reading_seq + 1})
        schemas[doc_id] = rec.get("schema")
        staged_records.append({k: rec.get(k) for k in _NARRATIVE_KEYS} | {"source": rec["source"]})
        cell_files[doc_id] = read.cells_from if read.cells_from is not None else spool.add(rec)
        problems += [
            {
                "document_id": doc_id,
                "problem_seq": seq,
                "code": p["code"],
                "severity": p["severity"],
                "message": p.get("message"),
                "cells": p.get("cells") or [],
                "candidates": None
                if p.get("candidates") is None
                else json.dumps(p["candidates"], ensure_ascii=False),
                "raw": p.get("raw"),
            }
            for seq, p in enumerate(rec["problems"], 1)
        ]
    con.execute("begin")
    try:
        reread_ids = [r["document_id"] for r in rereads]
        _supersede(con, rereads, now)
        _insert(con, "documents", docs, casts={"load_seq": "integer", "reading_seq": "integer"})
        n_cells = _insert_cells(con, cell_files)
        expected = sum(int(r["n_cells"]) for r in (*docs, *rereads))
        if n_cells != expected:  # a record file rewritten since it was read (a newer extractor)
            raise RuntimeError(
                f"staged {n_cells} cells where the records read have {expected}: a record file "
                f"changed during the load ({_paths_hint(cell_files)}); run the load again"
            )
        _insert(con, "problems", problems, casts={"candidates": "varchar", "raw": "varchar"})
        narratives.stage(con, staged_records)
        _record_readings(con, schemas)
        n_changed = _record_changes(con, reread_ids, now)
        n_paths = _record_paths(con, sightings, now)
        _remember_record_files(con, files)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        spool.close()
    log.info(
        "staged %d new documents (%d cells), %d new readings of staged documents "
        "(%d cells changed), %d already staged, %d new paths",
        len(docs),
        n_cells,
        len(rereads),
        n_changed,
        skipped,
        n_paths,
    )
    return {
        "records": seen,
        "new_documents": len(docs),
        "already_staged": skipped,
        "new_cells": n_cells,
        "reread_documents": len(rereads),
        "changed_cells": n_changed,
        "new_paths": n_paths,
    }


class _StagedReadings:
    """The staged reading of documents (extractor version, digest, reading number), fetched at
    once for the chunk's expected documents and one by one for any other: at 100 000 documents,
    fetching every document's for each chunk of 1 000 was a tenth of a load."""

    _SQL = (
        "select document_id, extractor_version, record_digest, coalesce(reading_seq, 1) "
        "from staging.documents"
    )

    def __init__(self, con: duckdb.DuckDBPyConnection, expected: Iterable[str]) -> None:
        self._con = con
        self._known: dict[str, tuple[str | None, str | None, int] | None] = dict.fromkeys(expected)
        if self._known:
            for r in con.execute(
                self._SQL + " where document_id in (select unnest(?))", [list(self._known)]
            ).fetchall():
                self._known[r[0]] = (r[1], r[2], r[3])

    def get(self, document_id: str) -> tuple[str | None, str | None, int] | None:
        if document_id not in self._known:
            found = self._con.execute(self._SQL + " where document_id = ?", [document_id]).fetchall()
            self._known[document_id] = (found[0][1], found[0][2], found[0][3]) if found else None
        return self._known[document_id]


def _remember_record_files(con: duckdb.DuckDBPyConnection, files: list[dict[str, Any]]) -> None:
    if not files:
        return
    # One row per file: the same file reached by two paths (a hard link) has one stat.
    frame = pd.DataFrame(list({f["record_stat"]: f for f in files}.values()))
    con.register("read_record_files", frame)
    try:
        con.execute("""
            insert or replace into staging.record_files
                (record_stat, record_path, document_id, record_digest, staged_at)
            select record_stat, record_path, document_id, record_digest, staged_at
            from read_record_files
        """)
    finally:
        con.unregister("read_record_files")


def _storable(rec: dict[str, Any]) -> dict[str, Any]:
    """The record with its file name and messages as valid UTF-8 (DuckDB takes nothing else).

    A file name that is not UTF-8 reaches here with lone surrogates (``xxgk.names``): the path
    and any message quoting it are stored with those bytes shown as ``\\xNN``.
    """
    source = rec["source"]
    problems = rec.get("problems") or []
    if clean_text(source["path"]) == source["path"] and all(
        clean_text(p.get("message") or "") == (p.get("message") or "") for p in problems
    ):
        return rec
    return {
        **rec,
        "source": {**source, "path": clean_text(source["path"])},
        "problems": [
            {**p, "message": clean_text(p["message"]) if p.get("message") else None} for p in problems
        ],
    }


def _document_row(rec: dict[str, Any], digest: str, now: datetime) -> dict[str, Any]:
    """The columns of ``staging.documents`` that a reading decides."""
    return {
        "document_id": rec["source"]["sha256"],
        "source_path": rec["source"]["path"],
        "source_format": rec["source"]["format"],
        "org_name": rec.get("org_name"),
        "region": rec.get("region") or [],
        "report_year": rec.get("year"),
        "template_version": rec.get("template"),
        "status": rec["status"],
        "n_cells": len(rec["cells"]),
        "n_problems": len(rec["problems"]),
        "extractor_version": rec.get("extractor_version"),
        "record_digest": digest,
        "read_at": now,
    }


# What warehouse.narratives.stage reads of a record besides its source.
_NARRATIVE_KEYS = ("narrative", "claims", "published", "source_url")

# The parts of a record file the cells are read from; DuckDB ignores the rest of the record.
_CELL_COLUMNS = {
    "source": "STRUCT(sha256 VARCHAR)",
    "cells": 'STRUCT("table" VARCHAR, "row" VARCHAR, col VARCHAR, value JSON, basis VARCHAR, '
    'imputed BOOLEAN, "where" JSON)[]',
}
# A record of a long report with many candidates is under a few MB (51 KB at most in 1 000
# generated ones).  DuckDB sizes its read buffers from this limit (1 GB asked for 2 GB a file).
_MAX_RECORD_BYTES = 32 << 20


def _insert_cells(con: duckdb.DuckDBPyConnection, files: Mapping[str, Path | None]) -> int:
    """Insert the cells of these documents (id -> its record file) from the files; return how many.

    A value printed as a JSON string is that string's number; ``where_json`` is the cell's
    ``where`` as compact JSON.  A cell without a basis (schema-1 records, which predate the
    evidence rule and are re-read by a newer extractor) gets what its flags imply: imputed, else
    printed when it has a value, else unread.
    """
    if not files:
        return 0
    sources = sorted({str(f) for f in files.values() if f is not None})
    con.execute("set enable_progress_bar = false")  # stdout is the run's summary
    value = "case json_type(c.value) when 'VARCHAR' then c.value ->> '$' else cast(c.value as varchar) end"
    rows = con.execute(
        f"""
        insert into staging.cells (document_id, table_code, row_code, col_code, value, is_imputed,
                                   page, line, raw_text, where_json, basis)
        select r.source.sha256, c."table", c."row", c.col, cast({value} as decimal(38, 6)),
               coalesce(c.imputed, false),
               cast(c."where" -> '$.page' as integer), cast(c."where" -> '$.line' as integer),
               c."where" ->> '$.raw', coalesce(cast(c."where" as varchar), '{{}}'),
               case when coalesce(c.basis, '') <> '' then c.basis
                    when coalesce(c.imputed, false) then 'imputed'
                    when c.value is null or json_type(c.value) = 'NULL' then 'unread'
                    else 'printed' end
          from read_json($files, columns = $columns, format = 'unstructured',
                         maximum_object_size = {_MAX_RECORD_BYTES}) r,
               unnest(r.cells) as u(c)
         where r.source.sha256 in (select unnest($ids::varchar[]))
        """,
        {"files": sources, "columns": _CELL_COLUMNS, "ids": list(files)},
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def _paths_hint(files: Mapping[str, Path | None]) -> str:
    folders = sorted({str(f.parent) for f in files.values() if f is not None})
    return ", ".join(folders[:2]) or "no file"


class _Spool:
    """Records given in memory, written to a temporary JSON file for ``_insert_cells``."""

    def __init__(self) -> None:
        self._file: Any = None

    def add(self, rec: dict[str, Any]) -> Path:
        if self._file is None:
            self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed (deleted) by close()
                "w", suffix=".json", prefix="xxgk-records-", encoding="utf-8", errors="backslashreplace"
            )
        self._file.write(
            json.dumps(
                {"source": {"sha256": rec["source"]["sha256"]}, "cells": rec["cells"]}, ensure_ascii=False
            )
        )
        self._file.write("\n")
        self._file.flush()
        return Path(self._file.name)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # deletes it
            self._file = None


def _record_first_readings(con: duckdb.DuckDBPyConnection) -> None:
    """Documents staged before readings were kept get their reading 1 and their path."""
    con.execute("""
        update staging.documents set reading_seq = 1, read_at = loaded_at
        where reading_seq is null
    """)
    con.execute("""
        insert into staging.document_paths (document_id, source_path, first_seen_at)
        select document_id, source_path, loaded_at from staging.documents
        where document_id not in (select document_id from staging.document_paths)
    """)
    _record_readings(con, None)


def _record_readings(con: duckdb.DuckDBPyConnection, schemas: Mapping[str, str | None] | None) -> None:
    """Add the current reading of documents to staging.readings.

    ``schemas`` gives the documents (and their records' schema); None adds every document whose
    current reading is not recorded yet (staged before readings were kept, schema unknown).
    """
    frame = pd.DataFrame(
        {"document_id": list(schemas or {}), "record_schema": list((schemas or {}).values())}, dtype=object
    )
    con.register("schemas", frame)
    try:
        con.execute(
            """
            insert into staging.readings
            select d.document_id, d.reading_seq, d.extractor_version,
                   cast(s.record_schema as varchar), d.record_digest, d.read_at, null,
                   d.source_path, d.status, d.org_name, d.report_year, d.template_version,
                   d.n_cells, d.n_problems
            from staging.documents d
            left join schemas s on s.document_id = d.document_id
            where (? or s.document_id is not null)
              and not exists (select 1 from staging.readings r
                              where r.document_id = d.document_id and r.reading_seq = d.reading_seq)
        """,
            [schemas is None],
        )
    finally:
        con.unregister("schemas")


def _supersede(con: duckdb.DuckDBPyConnection, rereads: list[dict[str, Any]], now: datetime) -> None:
    """Make each new reading the current one; the old reading's cells and problems are kept.

    The document keeps its place among the versions of its body's report (``loaded_at``,
    ``load_seq``: when the file was first loaded); its gate verdict is dropped, because the gate
    must judge the new reading (a reading now rejected must not keep the old one's pass).
    """
    if not rereads:
        return
    frame = pd.DataFrame(rereads)
    con.register("rereads", frame)
    try:
        ids = "(select document_id from rereads)"
        con.execute(f"""
            insert into staging.superseded_cells
            select c.document_id, d.reading_seq, c.table_code, c.row_code, c.col_code, c.value,
                   c.is_imputed, c.page, c.line, c.raw_text, c.where_json, c.basis
            from staging.cells c join staging.documents d using (document_id)
            where c.document_id in {ids}
        """)
        con.execute(f"""
            insert into staging.superseded_problems
            select p.document_id, d.reading_seq, p.problem_seq, p.code, p.severity, p.message, p.cells,
                   p.candidates, p.raw
            from staging.problems p join staging.documents d using (document_id)
            where p.document_id in {ids}
        """)
        con.execute(
            f"""
            update staging.readings r set superseded_at = ?
            from staging.documents d
            where r.document_id = d.document_id and r.reading_seq = d.reading_seq
              and d.document_id in {ids}
        """,
            [now],
        )
        for table in ("cells", "problems", "gate_results", "gate_sections", "gate_failures"):
            con.execute(f"delete from staging.{table} where document_id in {ids}")
        con.execute("""
            update staging.documents d set
                source_path = r.source_path, source_format = r.source_format,
                org_name = r.org_name, region = cast(r.region as varchar[]),
                report_year = cast(r.report_year as integer),
                template_version = r.template_version, status = r.status,
                n_cells = cast(r.n_cells as integer), n_problems = cast(r.n_problems as integer),
                extractor_version = r.extractor_version, record_digest = r.record_digest,
                reading_seq = cast(r.reading_seq as integer), read_at = r.read_at
            from rereads r
            where d.document_id = r.document_id
        """)
    finally:
        con.unregister("rereads")


def _record_changes(con: duckdb.DuckDBPyConnection, document_ids: list[str], now: datetime) -> int:
    """List the cells the new readings of these documents changed; return how many."""
    if not document_ids:
        return 0
    before = con.execute("select count(*) from staging.reading_changes").fetchall()[0]
    con.execute(
        """
        with new_reading as (
            select c.*, d.reading_seq, d.extractor_version
            from staging.cells c join staging.documents d using (document_id)
            where d.document_id in (select unnest($ids))
        ),
        old_reading as (
            select c.*, r.extractor_version
            from staging.superseded_cells c
            join staging.documents d using (document_id)
            join staging.readings r
              on r.document_id = c.document_id and r.reading_seq = c.reading_seq
            where d.document_id in (select unnest($ids)) and c.reading_seq = d.reading_seq - 1
        ),
        documents as (
            select d.document_id, d.reading_seq, d.extractor_version, r.extractor_version as previous_version
            from staging.documents d
            join staging.readings r on r.document_id = d.document_id and r.reading_seq = d.reading_seq - 1
            where d.document_id in (select unnest($ids))
        )
        insert into staging.reading_changes
        select documents.document_id, documents.reading_seq, documents.reading_seq - 1,
               coalesce(n.table_code, o.table_code), coalesce(n.row_code, o.row_code),
               coalesce(n.col_code, o.col_code),
               case when o.document_id is null then 'added'
                    when n.document_id is null then 'removed'
                    else 'changed' end,
               o.value, n.value, o.basis, n.basis, documents.previous_version,
               documents.extractor_version, $now
        from new_reading n
        full outer join old_reading o
          on n.document_id = o.document_id and n.table_code = o.table_code
         and n.row_code = o.row_code and n.col_code = o.col_code
        join documents on documents.document_id = coalesce(n.document_id, o.document_id)
        -- a reading staged before bases were kept (basis null) changed no basis it knew
        where n.document_id is null or o.document_id is null
           or n.value is distinct from o.value
           or (o.basis is not null and n.basis is distinct from o.basis)
    """,
        {"ids": document_ids, "now": now},
    )
    after = con.execute("select count(*) from staging.reading_changes").fetchall()[0]
    return int(after[0]) - int(before[0])


def _record_paths(con: duckdb.DuckDBPyConnection, sightings: list[tuple[str, str]], now: datetime) -> int:
    """Keep every (document, path) seen; return how many were new."""
    rows = [{"document_id": d, "source_path": p} for d, p in dict.fromkeys(sightings)]
    if not rows:
        return 0
    con.register("sightings", pd.DataFrame(rows))
    try:
        before = con.execute("select count(*) from staging.document_paths").fetchall()[0]
        con.execute(
            """
            insert into staging.document_paths (document_id, source_path, first_seen_at)
            select s.document_id, s.source_path, ? from sightings s
            where not exists (select 1 from staging.document_paths p
                              where p.document_id = s.document_id and p.source_path = s.source_path)
        """,
            [now],
        )
        after = con.execute("select count(*) from staging.document_paths").fetchall()[0]
    finally:
        con.unregister("sightings")
    return int(after[0]) - int(before[0])


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    casts: dict[str, str] | None = None,
) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    select = ", ".join(
        f"cast({c} as {casts[c]}) as {c}" if casts and c in casts else c for c in frame.columns
    )
    con.register("incoming", frame)
    con.execute(f"insert into staging.{table} ({', '.join(frame.columns)}) select {select} from incoming")
    con.unregister("incoming")
