"""Publish the marts: the only database analysts open, and never a half-written one.

A publication is a folder ``<warehouse>/publications/<id>/`` holding a brand-new DuckDB file
with the schema ``marts`` of the build database (``xxgk.duckdb``), written with ``STORAGE_VERSION
'v1.4.0'`` so that DuckDB 1.x reads it too (the drivers of Superset, Metabase, Evidence, Rill and
DBeaver are DuckDB 1.x and cannot open a 2.0 file); ``xxgk-bi.duckdb``, the name BI tools are
given, is a hard link to the same file (a copy where there are none: the marts are written once); every
mart table as Parquet (``parquet/<table>.parquet``), a ``manifest.json`` (tables and row counts)
and ``marts-checked.parquet`` (every body of the marts with the digest of its rows that the marts
check passed, which the next publication's check reuses).  Both databases carry the dbt
descriptions as table and column comments and a table ``marts.data_dictionary`` listing every
column with its type, description and Chinese label.
It is written under a temporary name (``publications/.tmp-<id>``) and renamed into place only
when complete, then made the published one:

* ``<warehouse>/xxgk.duckdb`` is replaced by a hard link to the publication's database (a copy
  where the file system has no hard links) with ``os.replace``, an atomic rename: a reader that
  has the old file open keeps reading the old file (its inode lives on until it closes) and
  never sees a mix, and it holds no lock the loader needs;
* ``<warehouse>/xxgk-bi.duckdb`` is replaced the same way by a link to the publication's
  DuckDB 1.x copy;
* ``<warehouse>/parquet`` is a symbolic link to the publication's ``parquet`` folder, replaced
  the same way, so a BI tool sees one publication's tables, never half of two.

The last ``XXGK_PUBLICATIONS_KEEP`` (default 3) publications are kept (and always the published
one); ``rollback()`` (``xxgk publish --rollback``) makes the previous one the published one
again, atomically in the same way.  A publication killed midway leaves only its temporary
folder behind, which the next publication removes; the published one is untouched.  Publishing
and rolling back take a lock (``publications/.lock``), so two never interleave; readers never
take it.

Open the published file read-only (``duckdb.connect(path, read_only=True)``): it is the same
file as its copy in ``publications/``.  Within one Python process DuckDB caches open database
instances by path, so close an old connection before opening the path again to see a new
publication.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse import labels, paths
from xxgk.settings import duckdb_memory_limit

log = logging.getLogger(__name__)

SCHEMA = "marts"
KEEP_ENV = "XXGK_PUBLICATIONS_KEEP"
DEFAULT_KEEP = 3
DATABASE = "xxgk.duckdb"
# The copy DuckDB 1.x clients open.  v1.4.0 is the oldest storage DuckDB 2.0 writes that 1.4.x
# (duckdb-engine pins duckdb<2; Superset) as well as 1.5.x (Metabase, Evidence) read; v1.5.0
# is not enough for 1.4.4.
BI_DATABASE = "xxgk-bi.duckdb"
BI_STORAGE_VERSION = "v1.4.0"
DICTIONARY = "data_dictionary"
PARQUET = "parquet"
MANIFEST = "manifest.json"
MARTS_CHECKED = "marts-checked.parquet"
_TMP = ".tmp-"


@dataclass(frozen=True)
class Publication:
    """One kept publication."""

    id: str
    path: Path

    @property
    def database(self) -> Path:
        return self.path / DATABASE

    @property
    def bi_database(self) -> Path:
        return self.path / BI_DATABASE

    @property
    def parquet(self) -> Path:
        return self.path / PARQUET

    @property
    def marts_checked(self) -> Path:
        """The bodies its marts check passed, with their rows' digests (``expectations.gate``)."""
        return self.path / MARTS_CHECKED

    def manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        # A manifest that is not a JSON object is as unreadable as a broken one.
        return manifest if isinstance(manifest, dict) else {}


class PublicationError(RuntimeError):
    """A publication or rollback could not be made (the published one is unchanged)."""


def publications_dir() -> Path:
    path = paths.warehouse_dir() / "publications"
    path.mkdir(exist_ok=True)
    return path


def parquet_dir() -> Path:
    """``<warehouse>/parquet``: the published marts as Parquet files (a link to the publication's)."""
    return paths.warehouse_dir() / PARQUET


def bi_db() -> Path:
    """``<warehouse>/xxgk-bi.duckdb``: the published marts in a file DuckDB 1.x clients open."""
    return paths.warehouse_dir() / BI_DATABASE


def keep_count(keep: int | None = None) -> int:
    if keep is None:
        text = os.environ.get(KEEP_ENV, "").strip()
        try:
            keep = int(text) if text else DEFAULT_KEEP
        except ValueError:
            raise ValueError(f"{KEEP_ENV}={text!r} is not a whole number") from None
    if keep < 1:
        raise ValueError(f"{KEEP_ENV}={keep}: at least the published publication is kept")
    return keep


def publish(
    build_db: Path | None = None,
    keep: int | None = None,
    fingerprint: dict[str, Any] | None = None,
    marts_checked: pd.DataFrame | None = None,
) -> Path:
    """Copy schema ``marts`` of the build DB into a new publication and publish it; return
    ``<warehouse>/xxgk.duckdb``.  ``fingerprint`` (what the marts were built from,
    ``pipeline.fingerprint``) is kept in the manifest, ``marts_checked`` (the bodies the marts
    check passed, ``MartsCheck.bodies``) beside it."""
    source = build_db or paths.build_db()
    if not source.exists():
        raise FileNotFoundError(f"build database {source} does not exist: run the load first")
    keep = keep_count(keep)
    target = paths.published_db()
    folder = publications_dir()
    with _lock(folder):
        _remove_leftovers(folder)
        publication_id = _new_id(folder)
        tmp = folder / f"{_TMP}{publication_id}"
        tmp.mkdir()
        try:
            counts = _copy_marts(source, tmp / DATABASE)
            # The database is written in the storage DuckDB 1.x reads, so the BI copy is the same
            # file: one write of the marts, not two (bench/RESULTS.md, "Publish at scale").
            _link_or_copy(tmp / DATABASE, tmp / BI_DATABASE)
            _write_parquet(tmp / DATABASE, tmp / PARQUET, list(counts))
            _write_manifest(tmp, publication_id, source, counts, fingerprint)
            if marts_checked is not None:
                _write_marts_checked(marts_checked, tmp / MARTS_CHECKED)
            _fsync_tree(tmp)
            final = folder / publication_id
            os.rename(tmp, final)
            _fsync_dir(folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        publication = Publication(publication_id, final)
        _activate(publication)
        _prune(folder, keep)
    log.info(
        "published %d %s tables from %s to %s (publication %s, Parquet in %s)",
        len(counts),
        SCHEMA,
        source,
        target,
        publication_id,
        parquet_dir(),
    )
    return target


def list_publications() -> list[Publication]:
    """The kept publications, oldest first."""
    folder = publications_dir()
    return sorted(
        (
            Publication(p.name, p)
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / DATABASE).exists()
        ),
        key=lambda p: p.id,
    )


def current() -> Publication | None:
    """The publication ``<warehouse>/xxgk.duckdb`` is (None before the first one)."""
    target = paths.published_db()
    if not target.exists():
        return None
    publications = list_publications()
    for publication in publications:
        with contextlib.suppress(OSError):
            if os.path.samefile(publication.database, target):
                return publication
    # A copy (no hard links): the Parquet link names the publication.
    link = parquet_dir()
    if link.is_symlink():
        name = Path(os.readlink(link)).parent.name
        return next((p for p in publications if p.id == name), None)
    return None


def rollback() -> Publication:
    """Publish the publication before the current one again; return it."""
    folder = publications_dir()
    with _lock(folder):
        publications = list_publications()
        published = current()
        if published is None:
            raise PublicationError(
                f"nothing to roll back: {paths.published_db()} is not one of the "
                f"kept publications in {folder}"
            )
        index = next(i for i, p in enumerate(publications) if p.id == published.id)
        if index == 0:
            raise PublicationError(
                f"no publication before {published.id} is kept in {folder} "
                f"({KEEP_ENV} keeps the last {keep_count()})"
            )
        previous = publications[index - 1]
        _activate(previous)
    log.info("rolled back from publication %s to %s", published.id, previous.id)
    return previous


# ----------------------------------------------------------------------------- internals


def _activate(publication: Publication) -> None:
    """Make ``publication`` the published one: database first, then the Parquet link."""
    warehouse = paths.warehouse_dir()
    target = paths.published_db()
    tmp = warehouse / f".{DATABASE}{_TMP}{os.getpid()}"
    _remove(tmp)
    try:
        try:
            os.link(publication.database, tmp)
        except OSError:  # no hard links here: a copy does as well, only slower
            shutil.copyfile(publication.database, tmp)
            _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    _activate_bi(publication, warehouse)
    link = parquet_dir()
    if link.exists() and not link.is_symlink():
        raise PublicationError(
            f"{link} is not the link xxgk makes to the published Parquet files: move it away"
        )
    tmp_link = warehouse / f".{PARQUET}{_TMP}{os.getpid()}"
    _remove(tmp_link)
    try:
        os.symlink(os.path.relpath(publication.parquet, warehouse), tmp_link)
        os.replace(tmp_link, link)
    except BaseException:
        _remove(tmp_link)
        raise
    _fsync_dir(warehouse)


def _activate_bi(publication: Publication, warehouse: Path) -> None:
    """``<warehouse>/xxgk-bi.duckdb`` → the publication's DuckDB 1.x copy (gone for a
    publication made before there were copies, so it never shows another publication)."""
    target = bi_db()
    if not publication.bi_database.exists():
        _remove(target)
        return
    tmp = warehouse / f".{BI_DATABASE}{_TMP}{os.getpid()}"
    _remove(tmp)
    try:
        try:
            os.link(publication.bi_database, tmp)
        except OSError:
            shutil.copyfile(publication.bi_database, tmp)
            _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB bounded as dbt's and the gate's are (``XXGK_DUCKDB_MEMORY_LIMIT``): a
    copy of the marts streams through it, whatever their size."""
    return duckdb.connect(config={"memory_limit": duckdb_memory_limit()})


def _copy_marts(source: Path, dest: Path) -> dict[str, int]:
    """Copy every table and view of schema marts into a new database file (in the storage DuckDB
    1.x reads, ``BI_STORAGE_VERSION``); row counts by table."""
    con = _connect()
    try:
        con.execute(f"attach {_literal(str(dest))} as pub (storage_version {_literal(BI_STORAGE_VERSION)})")
        con.execute("use pub")
        # Read-only: publishing never takes the build database's write lock.
        con.execute(f"attach {_literal(str(source))} as build (read_only)")
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'build' and table_schema = ? order by table_name",
                [SCHEMA],
            ).fetchall()
        ]
        if not names:
            raise RuntimeError(
                f"build database {source} has no {SCHEMA} tables: run the dbt marts build first"
            )
        con.execute(f"create schema {SCHEMA}")
        counts = {name: _copy_table(con, name) for name in names}
        # Hundreds of comments: one commit, not one each (2 s of 7 at 1 000 documents).
        con.execute("begin")
        _copy_comments(con, "build", names)
        counts[DICTIONARY] = _write_dictionary(con)
        con.execute("commit")
        con.execute("detach build")
        # Everything into the file now, so no .wal is left beside it.
        con.execute("checkpoint pub")
        con.execute("use memory")
        con.execute("detach pub")
    finally:
        con.close()
    return counts


def _copy_table(con: duckdb.DuckDBPyConnection, name: str) -> int:
    # Views are materialised too: the published file must not depend on staging or
    # intermediate, which it does not contain.
    ident = _identifier(name)
    con.execute(f"create table {SCHEMA}.{ident} as select * from build.{SCHEMA}.{ident}")
    return int(con.execute(f"select count(*) from {SCHEMA}.{ident}").fetchall()[0][0])


def _copy_comments(con: duckdb.DuckDBPyConnection, source: str, names: list[str]) -> None:
    """The table and column comments (dbt's descriptions, persist_docs) of catalog ``source``."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = ? and schema_name = ? and comment is not null",
        [source, SCHEMA],
    ).fetchall()
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and comment is not null",
        [source, SCHEMA],
    ).fetchall()
    # Views are published as tables (_copy_table), so their comments are too.
    views = con.execute(
        "select view_name, comment from duckdb_views() "
        "where database_name = ? and schema_name = ? and comment is not null",
        [source, SCHEMA],
    ).fetchall()
    wanted = set(names)
    for table, comment in [*tables, *views]:
        if table in wanted and comment:
            con.execute(f"comment on table {SCHEMA}.{_identifier(table)} is {_literal(comment)}")
    for table, column, comment in columns:
        if table in wanted and comment:
            target = f"{SCHEMA}.{_identifier(table)}.{_identifier(column)}"
            con.execute(f"comment on column {target} is {_literal(comment)}")


def _write_dictionary(con: duckdb.DuckDBPyConnection) -> int:
    """``marts.data_dictionary``: every published column (its own too) with its type,
    description (the dbt docs) and Chinese label, for tools that do not read comments; its
    row count."""
    con.execute(f"""
        create table {SCHEMA}.{DICTIONARY} (
            table_name varchar not null, column_position integer not null,
            column_name varchar not null, data_type varchar not null,
            description varchar, label_zh varchar, table_description varchar)""")
    con.execute(
        f"comment on table {SCHEMA}.{DICTIONARY} is "
        + _literal(
            "Every column of every published table: its type, its description (the dbt docs, also the "
            "column's comment) and its Chinese label (the header of `xxgk export --format xlsx`)."
        )
    )
    for column, text in DICTIONARY_COLUMNS.items():
        con.execute(f"comment on column {SCHEMA}.{DICTIONARY}.{column} is {_literal(text)}")
    rows = con.execute(
        "select c.table_name, c.column_index, c.column_name, c.data_type, c.comment, t.comment "
        "from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name) "
        "where c.database_name = current_database() and c.schema_name = ? "
        "order by c.table_name, c.column_index",
        [SCHEMA],
    ).fetchall()
    con.executemany(
        f"insert into {SCHEMA}.{DICTIONARY} values (?, ?, ?, ?, ?, ?, ?)",
        [
            (table, position, column, data_type, comment, labels.column_label(column), table_comment)
            for table, position, column, data_type, comment, table_comment in rows
        ],
    )
    return len(rows)


DICTIONARY_COLUMNS = {
    "table_name": "The table, in schema marts.",
    "column_position": "Position of the column in the table (1 = first).",
    "column_name": "The column.",
    "data_type": "Its DuckDB type: counts BIGINT, money DECIMAL(18,4) with the unit in the name.",
    "description": "What it holds (the dbt docs; also the column's comment).",
    "label_zh": "Chinese label (中文名称), used as the header of XLSX exports; null when none is defined.",
    "table_description": "What the table holds, one row per what (the dbt docs).",
}


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:  # no hard links here: a copy does as well, only slower
        shutil.copyfile(source, dest)


def _write_parquet(database: Path, folder: Path, names: list[str]) -> None:
    folder.mkdir()
    con = _connect()
    try:
        con.execute(f"attach {_literal(str(database))} as pub (read_only)")
        con.execute("use pub")
        for name in names:
            _write_parquet_table(con, name, folder / f"{name}.parquet")
        con.execute("use memory")
        con.execute("detach pub")
    finally:
        con.close()


def _write_parquet_table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    con.execute(
        f"copy {SCHEMA}.{_identifier(name)} to {_literal(str(path))} (format parquet, compression zstd)"
    )


def _write_manifest(
    folder: Path,
    publication_id: str,
    source: Path,
    counts: dict[str, int],
    fingerprint: dict[str, Any] | None = None,
) -> None:
    manifest: dict[str, Any] = {
        "publication": publication_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_db": str(source),
        "schema": SCHEMA,
        "tables": counts,
    }
    if fingerprint is not None:
        manifest["fingerprint"] = fingerprint
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _write_marts_checked(bodies: pd.DataFrame, path: Path) -> None:
    con = _connect()
    try:
        con.register("marts_checked", bodies)
        con.execute(f"copy marts_checked to {_literal(str(path))} (format parquet)")
    finally:
        con.close()


def _new_id(folder: Path) -> str:
    # Sortable by time; unique even for two publications within one microsecond.
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    candidate, n = base, 1
    while (folder / candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _prune(folder: Path, keep: int) -> None:
    publications = list_publications()
    published = current()
    kept = {p.id for p in publications[-keep:]} | ({published.id} if published else set())
    for publication in publications:
        if publication.id not in kept:
            shutil.rmtree(publication.path, ignore_errors=True)
            log.info("removed publication %s (keeping the last %d)", publication.id, keep)


def _remove_leftovers(folder: Path) -> None:
    """Temporary files of publications that were killed midway (we hold the lock)."""
    warehouse = paths.warehouse_dir()
    for path in folder.glob(f"{_TMP}*"):
        log.warning("removing %s, left by a publication that did not finish", path)
        shutil.rmtree(path, ignore_errors=True)
    for pattern in (f".{DATABASE}{_TMP}*", f".{PARQUET}{_TMP}*", f"{DATABASE}.tmp-*"):
        for path in warehouse.glob(pattern):
            _remove(path)


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        if p.is_symlink() or p.is_file():
            p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            _fsync(path)
    for path in (folder / PARQUET, folder):
        _fsync_dir(path)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
