"""warehouse.publish: copy the marts to a new file and rename it over the published one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from warehouse import paths
from warehouse.publish import publish


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / "wh"))
    return paths.warehouse_dir()


def make_build_db(path: Path, orgs: list[str]) -> None:
    """A small build DB shaped like dbt's output: staging, intermediate and marts."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists staging")
        con.execute("create schema if not exists intermediate")
        con.execute("create schema if not exists marts")
        con.execute("create or replace table staging.documents as select 1 as x")
        con.execute("create or replace table intermediate.int_reports as "
                    "select * from (select unnest(?) as org_name) order by org_name", [orgs])
        con.execute("create or replace table marts.dim_report as "
                    "select row_number() over (order by org_name) as report_id, org_name "
                    "from intermediate.int_reports")
        con.execute("create or replace table marts.fct_cells as "
                    "select report_id, 's3' as table_code, 10 * report_id as value "
                    "from marts.dim_report")
        # A view in marts reads another schema: the published copy must not depend on it.
        con.execute("create or replace view marts.v_report_names as "
                    "select org_name from intermediate.int_reports")
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tables(db: Path) -> list[tuple[str, str, str]]:
    return query(db, "select table_schema, table_name, table_type from information_schema.tables "
                     "order by all")


def test_publish_copies_only_the_marts(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["平潭综合实验区", "中山市大涌镇"])

    published = publish()

    assert published == warehouse / "xxgk.duckdb"
    assert tables(published) == [("marts", "dim_report", "BASE TABLE"),
                                 ("marts", "fct_cells", "BASE TABLE"),
                                 ("marts", "v_report_names", "BASE TABLE")]
    assert query(published, "select org_name from marts.dim_report order by report_id") == [
        ("中山市大涌镇",), ("平潭综合实验区",)]
    assert query(published, "select sum(value) from marts.fct_cells") == [(30,)]
    # Nothing left beside it: no temporary file, no write-ahead log.
    assert sorted(p.name for p in warehouse.iterdir()) == ["build", "xxgk.duckdb"]


def test_publishing_again_changes_nothing_and_duplicates_nothing(warehouse: Path) -> None:
    make_build_db(paths.build_db(), ["a", "b", "c"])
    first = {t: query(publish(), f"select * from marts.{t} order by all")
             for t in ("dim_report", "fct_cells", "v_report_names")}
    second = {t: query(publish(), f"select * from marts.{t} order by all")
              for t in ("dim_report", "fct_cells", "v_report_names")}
    assert first == second
    assert len(second["dim_report"]) == 3


def test_a_failed_publish_keeps_the_old_database(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["a"])
    published = publish()
    con = duckdb.connect(str(build))
    con.execute("drop schema marts cascade")
    con.close()

    with pytest.raises(RuntimeError, match="no marts tables"):
        publish()

    assert query(published, "select org_name from marts.dim_report") == [("a",)]
    assert sorted(p.name for p in warehouse.iterdir()) == ["build", "xxgk.duckdb"]


def test_missing_build_database_is_named(warehouse: Path) -> None:
    with pytest.raises(FileNotFoundError, match="xxgk_build.duckdb"):
        publish()


READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    def names():
        return ",".join(r[0] for r in con.execute(
            "select org_name from marts.dim_report order by org_name").fetchall())
    print("before", names(), flush=True)
    sys.stdin.readline()          # the test publishes meanwhile
    print("after", names(), flush=True)
    con.close()
""")


def test_a_reader_holding_the_old_file_is_neither_blocked_nor_mixed(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["old1", "old2"])
    published = publish()

    reader = subprocess.Popen([sys.executable, "-c", READER, str(published)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().split() == ["before", "old1,old2"]

        make_build_db(build, ["new1", "new2", "new3"])
        assert publish() == published          # no lock error while the reader holds the file

        reader.stdin.write("go\n")
        reader.stdin.flush()
        # The reader still sees the complete old database, not a mix.
        assert reader.stdout.readline().split() == ["after", "old1,old2"]
        assert reader.wait(timeout=30) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    # A new reader sees the complete new database.
    assert query(published, "select count(*) from marts.dim_report") == [(3,)]
    assert query(published, "select count(*) from marts.fct_cells") == [(3,)]
