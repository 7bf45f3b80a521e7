"""warehouse.publish: copy the marts to a new file and rename it over the published one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from warehouse import paths
from warehouse import publish as publish_module
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
        con.execute(
            "create or replace table intermediate.int_reports as "
            "select * from (select unnest(?) as org_name) order by org_name",
            [orgs],
        )
        con.execute(
            "create or replace table marts.dim_report as "
            "select row_number() over (order by org_name) as report_id, org_name "
            "from intermediate.int_reports"
        )
        con.execute(
            "create or replace table marts.fct_cells as "
            "select report_id, 's3' as table_code, 10 * report_id as value "
            "from marts.dim_report"
        )
        # A view in marts reads another schema: the published copy must not depend on it.
        con.execute(
            "create or replace view marts.v_report_names as select org_name from intermediate.int_reports"
        )
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tables(db: Path) -> list[tuple[str, str, str]]:
    return query(
        db, "select table_schema, table_name, table_type from information_schema.tables order by all"
    )


def test_publish_copies_only_the_marts(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["平潭综合实验区", "中山市大涌镇"])

    published = publish()

    assert published == warehouse / "xxgk.duckdb"
    assert tables(published) == [
        ("marts", "data_dictionary", "BASE TABLE"),
        ("marts", "dim_report", "BASE TABLE"),
        ("marts", "fct_cells", "BASE TABLE"),
        ("marts", "v_report_names", "BASE TABLE"),
    ]
    assert query(published, "select org_name from marts.dim_report order by report_id") == [
        ("中山市大涌镇",),
        ("平潭综合实验区",),
    ]
    assert query(published, "select sum(value) from marts.fct_cells") == [(30,)]
    # Nothing left beside it: no temporary file, no write-ahead log; the publication is kept,
    # with the marts as Parquet.
    assert sorted(p.name for p in warehouse.iterdir()) == [
        "build",
        "parquet",
        "publications",
        "xxgk-bi.duckdb",
        "xxgk.duckdb",
    ]


def test_publishing_again_changes_nothing_and_duplicates_nothing(warehouse: Path) -> None:
    make_build_db(paths.build_db(), ["a", "b", "c"])
    first = {
        t: query(publish(), f"select * from marts.{t} order by all")
        for t in ("dim_report", "fct_cells", "v_report_names")
    }
    second = {
        t: query(publish(), f"select * from marts.{t} order by all")
        for t in ("dim_report", "fct_cells", "v_report_names")
    }
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
    assert sorted(p.name for p in warehouse.iterdir()) == [
        "build",
        "parquet",
        "publications",
        "xxgk-bi.duckdb",
        "xxgk.duckdb",
    ]
    assert len([p for p in (warehouse / "publications").iterdir() if not p.name.startswith(".")]) == 1


def test_the_bi_copy_has_the_tables_and_comments_and_follows_a_rollback(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["old"])
    with duckdb.connect(str(build)) as con:
        con.execute("comment on table marts.dim_report is 'One row per report.'")
        con.execute("comment on column marts.dim_report.org_name is 'The name as printed.'")
    publish()
    make_build_db(build, ["new1", "new2"])
    publish()
    bi = publish_module.bi_db()
    assert bi == warehouse / "xxgk-bi.duckdb"
    assert query(bi, "select org_name from marts.dim_report order by 1") == [("new1",), ("new2",)]

    publish_module.rollback()
    assert query(bi, "select org_name from marts.dim_report") == [("old",)]
    for db in (warehouse / "xxgk.duckdb", bi):
        assert query(db, "select comment from duckdb_tables() where table_name = 'dim_report'") == [
            ("One row per report.",)
        ]
        assert query(
            db,
            "select data_type, description, label_zh from marts.data_dictionary "
            "where table_name = 'dim_report' and column_name = 'org_name'",
        ) == [("VARCHAR", "The name as printed.", None)]
    # DuckDB 1.4 opening it through duckdb-engine: tests/test_analyst_questions.py


def test_the_bi_copy_and_the_parquet_files_hold_the_published_tables(warehouse: Path) -> None:
    """One write of the marts: the BI copy is the publication's database itself (DuckDB 1.x's
    storage), and every Parquet file holds its table's rows, column for column."""
    build = paths.build_db()
    make_build_db(build, ["平潭综合实验区", "中山市大涌镇", "old"])
    with duckdb.connect(str(build)) as con:
        con.execute("comment on table marts.dim_report is 'One row per report.'")
    publish()
    current = publish_module.current()
    assert current is not None
    assert os.path.samefile(current.database, current.bi_database)
    assert os.path.samefile(warehouse / "xxgk-bi.duckdb", current.database)
    names = [n for _, n, _ in tables(current.database)]
    assert sorted(p.stem for p in current.parquet.iterdir()) == names
    with duckdb.connect(str(current.database), read_only=True) as con:
        for name in names:
            rows = con.execute(f"select * from marts.{name} order by all").fetchall()
            columns = con.execute(f"select * from marts.{name} limit 0").description
            parquet = f"read_parquet('{current.parquet / (name + '.parquet')}')"
            assert con.execute(f"select * from {parquet} order by all").fetchall() == rows
            assert con.execute(f"select * from {parquet} limit 0").description == columns
        assert con.execute("select count(*) from marts.dim_report").fetchall() == [(3,)]
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_report'"
        ).fetchall() == [("One row per report.",)]
    # Nothing of the build database's other schemas, no write-ahead log in the publication.
    assert sorted(p.name for p in current.path.iterdir()) == [
        "manifest.json",
        "parquet",
        "xxgk-bi.duckdb",
        "xxgk.duckdb",
    ]


def test_publishing_bounds_duckdbs_memory(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy runs in DuckDB bounded by XXGK_DUCKDB_MEMORY_LIMIT (as dbt and the gate do)."""
    make_build_db(paths.build_db(), ["a"])
    seen: list[str] = []
    real = publish_module._connect

    def spy() -> duckdb.DuckDBPyConnection:
        con = real()
        seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return con

    monkeypatch.setattr(publish_module, "_connect", spy)
    monkeypatch.setenv("XXGK_DUCKDB_MEMORY_LIMIT", "300MB")
    publish()
    with duckdb.connect(config={"memory_limit": "300MB"}) as con:
        bounded = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    with duckdb.connect() as con:
        assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] != bounded
    assert seen == [bounded, bounded]  # the copy of the marts, the Parquet files


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

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().split() == ["before", "old1,old2"]

        make_build_db(build, ["new1", "new2", "new3"])
        assert publish() == published  # no lock error while the reader holds the file

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


# --- kept publications, Parquet, rollback, a publication killed midway ------------------------

import hashlib  # noqa: E402
import signal  # noqa: E402

from warehouse import publish as publication  # noqa: E402

XXGK = str(Path(sys.executable).parent / "xxgk")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parquet_names(warehouse: Path) -> list[tuple[str]]:
    con = duckdb.connect()
    try:
        return con.execute(
            f"select org_name from read_parquet('{warehouse / 'parquet' / 'dim_report.parquet'}') "
            "order by org_name"
        ).fetchall()
    finally:
        con.close()


def published_state(warehouse: Path) -> tuple[str, list[tuple], list[tuple], str]:
    """Bytes, content and Parquet of the published marts, and the publication they are."""
    db = warehouse / "xxgk.duckdb"
    return (
        sha256(db),
        query(db, "select org_name from marts.dim_report order by org_name"),
        parquet_names(warehouse),
        os.readlink(warehouse / "parquet"),
    )


def test_the_marts_are_also_published_as_parquet(warehouse: Path) -> None:
    make_build_db(paths.build_db(), ["平潭综合实验区", "中山市大涌镇"])
    publish()
    parquet = warehouse / "parquet"
    assert parquet.is_symlink()
    assert sorted(p.name for p in parquet.iterdir()) == [
        "data_dictionary.parquet",
        "dim_report.parquet",
        "fct_cells.parquet",
        "v_report_names.parquet",
    ]
    assert parquet_names(warehouse) == [("中山市大涌镇",), ("平潭综合实验区",)]
    # The Parquet link and the database are the same publication.
    current = publication.current()
    assert current is not None and (warehouse / "parquet").resolve() == current.parquet.resolve()
    assert os.path.samefile(current.database, warehouse / "xxgk.duckdb")
    assert current.manifest()["tables"] == {
        "data_dictionary": 13,
        "dim_report": 2,
        "fct_cells": 2,
        "v_report_names": 2,
    }


def test_the_last_publications_are_kept(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_PUBLICATIONS_KEEP", "3")
    for n in range(5):
        make_build_db(paths.build_db(), [f"load{n}"])
        publish()
    kept = publication.list_publications()
    assert len(kept) == 3
    assert [query(p.database, "select org_name from marts.dim_report") for p in kept] == [
        [("load2",)],
        [("load3",)],
        [("load4",)],
    ]
    assert publication.current() == kept[-1]


def test_rollback_restores_the_previous_publication(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["first1", "first2"])
    publish()
    first = published_state(warehouse)
    make_build_db(build, ["second"])
    publish()
    second = published_state(warehouse)
    assert second[1] == [("second",)] and second[0] != first[0]

    restored = publication.rollback()

    assert published_state(warehouse) == first  # the same bytes, content and Parquet
    assert publication.current() == restored == publication.list_publications()[0]
    # Nothing older is kept: a second rollback says so and changes nothing.
    with pytest.raises(publication.PublicationError, match="no publication before"):
        publication.rollback()
    assert published_state(warehouse) == first
    # The next publication is published as usual.
    make_build_db(build, ["third"])
    publish()
    assert published_state(warehouse)[1] == [("third",)]


def test_rollback_does_not_disturb_a_reader(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["old1", "old2"])
    published = publish()
    make_build_db(build, ["new1"])
    publish()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().split() == ["before", "new1"]
        publication.rollback()
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == ["after", "new1"]
        assert reader.wait(timeout=30) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    assert query(published, "select org_name from marts.dim_report order by 1") == [("old1",), ("old2",)]


def test_publish_command_lists_and_rolls_back(warehouse: Path) -> None:
    build = paths.build_db()
    make_build_db(build, ["a"])
    publish()
    make_build_db(build, ["b"])
    publish()
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(warehouse)}

    listed = subprocess.run([XXGK, "publish", "--list"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("* ") and lines[0].startswith("  ")

    rolled = subprocess.run(
        [XXGK, "publish", "--rollback"], env=env, capture_output=True, text=True, timeout=120
    )
    assert rolled.returncode == 0, rolled.stderr
    assert f"published:   {warehouse / 'xxgk.duckdb'}" in rolled.stdout
    assert query(warehouse / "xxgk.duckdb", "select org_name from marts.dim_report") == [("a",)]

    again = subprocess.run(
        [XXGK, "publish", "--rollback"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 1
    assert "no publication before" in again.stderr
    assert query(warehouse / "xxgk.duckdb", "select org_name from marts.dim_report") == [("a",)]


# Publishes in a subprocess that stops (and says so) in the middle of one step, to be killed there.
SLOW_PUBLISH = textwrap.dedent("""
    import sys, time
    from warehouse import publish
    step = sys.argv[1]
    original = getattr(publish, step)
    calls = []
    def stalled(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:          # one table done, the next started: midway
            print("midway", flush=True)
            time.sleep(600)
        return result
    setattr(publish, step, stalled)
    publish.publish()
""")


@pytest.mark.parametrize("step", ["_copy_table", "_write_parquet_table"])
def test_a_publication_killed_midway_leaves_the_old_one_intact(warehouse: Path, step: str) -> None:
    build = paths.build_db()
    make_build_db(build, ["old1", "old2"])
    publish()
    before = published_state(warehouse)
    make_build_db(build, ["new1", "new2", "new3"])

    env = {
        **os.environ,
        "XXGK_WAREHOUSE_DIR": str(warehouse),
        "PYTHONPATH": os.pathsep.join([str(paths.PROJECT_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    killed = subprocess.Popen(
        [sys.executable, "-c", SLOW_PUBLISH, step],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert killed.stdout is not None
        assert killed.stdout.readline().strip() == "midway", killed.stderr.read() if killed.stderr else ""
        leftovers = [p.name for p in (warehouse / "publications").iterdir() if p.name.startswith(".tmp-")]
        assert len(leftovers) == 1  # it was writing its publication
        os.kill(killed.pid, signal.SIGKILL)
        assert killed.wait(timeout=30) == -signal.SIGKILL
    finally:
        if killed.poll() is None:
            killed.kill()

    # The old publication is still the published one, readable and unchanged to the byte.
    assert published_state(warehouse) == before
    assert len(publication.list_publications()) == 1
    # The next publication clears what the killed one left and publishes.
    publish()
    assert published_state(warehouse)[1] == [("new1",), ("new2",), ("new3",)]
    assert parquet_names(warehouse) == [("new1",), ("new2",), ("new3",)]
    assert not [p for p in (warehouse / "publications").iterdir() if p.name.startswith(".tmp-")]
    assert sorted(p.name for p in warehouse.iterdir()) == [
        "build",
        "parquet",
        "publications",
        "xxgk-bi.duckdb",
        "xxgk.duckdb",
    ]
