"""Publish the marts: the only database analysts open.

The marts of the build database are copied into a brand-new DuckDB file beside
the published one, which is then renamed over ``<warehouse>/xxgk.duckdb``.  A
rename is atomic, so a reader that has the old file open keeps reading the old
file (its inode lives on until it closes) and never sees a mix, and it holds no
lock the loader needs: the loader never writes to a file a reader has open.

A reader that opens the path again after a publish gets the new file.  (Within
one Python process DuckDB caches open database instances by path, so close an
old connection before opening the path again to see the new file.)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from warehouse import paths

log = logging.getLogger(__name__)

SCHEMA = "marts"


def publish(build_db: Path | None = None) -> Path:
    """Copy schema ``marts`` of the build DB to the published database; return its path."""
    source = build_db or paths.build_db()
    if not source.exists():
        raise FileNotFoundError(f"build database {source} does not exist: run the load first")
    target = paths.published_db()
    # Same directory as the target, so os.replace is a rename on one file system.
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        n_tables = _copy_marts(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    log.info("published %d %s tables from %s to %s", n_tables, SCHEMA, source, target)
    return target


def _copy_marts(source: Path, dest: Path) -> int:
    con = duckdb.connect(str(dest))
    try:
        # Read-only: publishing never takes the build database's write lock.
        con.execute(f"attach {_literal(str(source))} as build (read_only)")
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'build' and table_schema = ? order by table_name",
            [SCHEMA]).fetchall()]
        if not names:
            raise RuntimeError(f"build database {source} has no {SCHEMA} tables: "
                               "run the dbt marts build first")
        con.execute(f"create schema {SCHEMA}")
        for name in names:
            # Views are materialised too: the published file must not depend on
            # staging or intermediate, which it does not contain.
            ident = _identifier(name)
            con.execute(f"create table {SCHEMA}.{ident} as select * from build.{SCHEMA}.{ident}")
        con.execute("detach build")
        # Everything into the main file now, so no .wal is left beside it to be renamed away from.
        con.execute("checkpoint")
    finally:
        con.close()
    return len(names)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
