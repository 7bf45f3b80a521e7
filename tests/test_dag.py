"""The Airflow DAG ``xxgk_yearly_load``: its shape, and real runs over the samples.

Airflow runs in subprocesses with a temporary AIRFLOW_HOME (SQLite metadata) and a
temporary warehouse, so the tests touch neither ~/airflow nor the project's warehouse/.
The services of a deployment (PostgreSQL, api-server, scheduler) are tested in
test_deploy_native.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from faults import crash_once

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def airflow_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "XXGK_"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "XXGK_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }


SHAPE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="{dags}")
dag = bag.dags.get("xxgk_yearly_load")
print(json.dumps({{
    "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
    "tasks": {{t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}} if dag else None,
    "mapped": sorted(t.task_id for t in dag.tasks if getattr(t, "is_mapped", False)) if dag else None,
    "retries": sorted({{t.retries for t in dag.tasks}}) if dag else None,
    "pools": {{t.task_id: t.pool for t in dag.tasks}} if dag else None,
    "schedule": str(dag.schedule) if dag else None,
    "catchup": dag.catchup if dag else None,
    "params": {{k: dag.params[k] for k in dag.params}} if dag else None,
    "outlets": [o.uri for o in dag.get_task("publish").outlets] if dag else None,
    "doc": bool(dag.doc_md) if dag else None,
}}))
"""


def test_dag_shape(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SHAPE.format(dags=PROJECT / "dags")],
        env=airflow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shape = json.loads(result.stdout.strip().splitlines()[-1])
    assert shape["errors"] == {}
    # The pipeline's table of contents, in order.
    assert shape["tasks"] == {
        "discover": [],
        "extract": ["discover"],
        "load": ["extract"],
        "transform_staging": ["load"],
        "gate": ["transform_staging"],
        "transform_marts": ["gate"],
        "publish": ["transform_marts"],
        "site": ["publish"],
    }
    assert shape["mapped"] == ["extract"]  # one task per batch of documents
    assert shape["retries"] == [2]
    # One writer of the DuckDB build database at a time.
    assert shape["pools"] == {
        "discover": "default_pool",
        "extract": "default_pool",
        "load": "xxgk_duckdb_writer",
        "transform_staging": "xxgk_duckdb_writer",
        "gate": "xxgk_duckdb_writer",
        "transform_marts": "xxgk_duckdb_writer",
        "publish": "xxgk_duckdb_writer",
        "site": "default_pool",  # reads only the published database
    }
    # Yearly, after the reports of the year before are due (31 January).
    assert shape["schedule"] == "0 3 1 3 *"
    assert shape["catchup"] is False
    assert shape["params"] == {"year": None, "inbox_root": "", "inbox": str(PROJECT / "samples" / "inbox")}
    assert shape["outlets"] == [f"file://{tmp_path / 'warehouse' / 'xxgk.duckdb'}"]
    assert shape["doc"] is True


def test_the_pool_file_declares_the_dags_pool() -> None:
    pools = json.loads((PROJECT / "deploy" / "pools.json").read_text(encoding="utf-8"))
    assert pools["xxgk_duckdb_writer"]["slots"] == 1
    assert 'WRITER = "xxgk_duckdb_writer"' in (PROJECT / "dags" / "xxgk_yearly_load.py").read_text()


def marts_fingerprint(db: Path, ignore_load_times: bool = False) -> dict[str, str]:
    """A hash of every marts table's rows, leaving out when the gate last looked.

    ``ignore_load_times`` also leaves out every timestamp (when documents were loaded), to
    compare the marts of two warehouses that loaded the same documents.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = ? and column_name <> 'gate_checked_at' "
                    "and (not ? or data_type not like 'TIMESTAMP%') order by ordinal_position",
                    [table, ignore_load_times],
                ).fetchall()
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select} from marts."{table}" order by all').fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


def staged_documents(warehouse: Path) -> tuple[int, int]:
    con = duckdb.connect(str(warehouse / "build" / "xxgk_build.duckdb"), read_only=True)
    try:
        row = con.execute("select count(*), count(distinct document_id) from staging.documents").fetchone()
        assert row is not None  # an aggregate gives one row
        return int(row[0]), int(row[1])
    finally:
        con.close()


def migrated_env(tmp_path: Path) -> dict[str, str]:
    env = airflow_env(tmp_path)
    migrate = subprocess.run(
        ["airflow", "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    return env


@dataclass
class Loaded:
    env: dict[str, str]
    warehouse: Path
    crash_flag: Path
    log: str


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """One ``airflow dags test`` run over the samples in which an extract batch crashes once."""
    tmp_path = tmp_path_factory.mktemp("dag_run")
    # Batches of 4: the 9 samples make 3 mapped extract tasks; the first batch to extract a
    # document crashes once and is retried.
    env = {
        **migrated_env(tmp_path),
        "XXGK_BATCH_SIZE": "4",
        "XXGK_RETRY_DELAY_SECONDS": "1",
        "XXGK_TEST_CRASH_ONCE": str(tmp_path / "crashed"),
    }
    # The crash comes from the tests' own fault injection (tests/faults), not from the product.
    env["PYTHONPATH"] = crash_once.pythonpath(env.get("PYTHONPATH"))
    run = subprocess.run(
        ["airflow", "dags", "test", "xxgk_yearly_load"], env=env, capture_output=True, text=True, timeout=1200
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-6000:]
    return Loaded(env=env, warehouse=tmp_path / "warehouse", crash_flag=tmp_path / "crashed", log=log)


@pytest.mark.slow
def test_dag_run_survives_a_crashed_batch_and_a_second_run_changes_nothing(loaded: Loaded) -> None:
    log = loaded.log
    assert "state=success" in log
    assert loaded.crash_flag.exists()
    assert "XXGK_TEST_CRASH_ONCE: simulated crash" in log
    assert "new_state=up_for_retry" in log
    assert len(re.findall(r"starting task_id=extract map_index=\d", log)) == 4  # 3 + 1 retry

    warehouse = loaded.warehouse
    published = warehouse / "xxgk.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dim_report").fetchone() == (9,)
        schemas = {
            r[0]
            for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
        assert schemas == {"marts"}

        def cell(org: str, year: int, row: str, applicant: str) -> Decimal | None:
            rows = con.execute(
                "select a.value from marts.fct_applications a "
                "join marts.dim_report r using (document_id) "
                "where r.printed_body_name = ? and r.report_year = ? "
                "and a.row_code = ? and a.col_code = ?",
                [org, year, row, applicant],
            ).fetchall()
            assert len(rows) == 1, (org, year, row, applicant, rows)
            value: Decimal | None = rows[0][0]
            return value

        assert cell("平潭综合实验区", 2023, "new_received", "natural_person") == 80
        assert cell("平潭综合实验区", 2023, "new_received", "total") == 81
        assert cell("平潭综合实验区", 2021, "new_received", "total") == 70
        assert cell("中山市大涌镇", 2022, "new_received", "natural_person") == 4
    finally:
        con.close()
    # The build database and the records stay in the warehouse; nothing is left half-written.
    leftovers = [p.name for p in warehouse.iterdir() if ".tmp" in p.name]
    assert leftovers == []
    before = marts_fingerprint(published)
    assert staged_documents(warehouse) == (9, 9)

    # The same load again: nothing new is staged and the marts are the same.
    again = subprocess.run(
        ["airflow", "dags", "test", "xxgk_yearly_load"],
        env=loaded.env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-6000:]
    assert staged_documents(warehouse) == (9, 9)
    assert marts_fingerprint(published) == before
    assert len(list((warehouse / "records").glob("*.json"))) == 9


@pytest.mark.slow
def test_a_run_killed_midway_and_run_again_publishes_the_same_marts(loaded: Loaded, tmp_path: Path) -> None:
    env = migrated_env(tmp_path)
    log_path = tmp_path / "killed.log"
    with log_path.open("wb") as log:
        killed = subprocess.Popen(
            ["airflow", "dags", "test", "xxgk_yearly_load"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Killed (SIGKILL, no clean-up) as soon as the gate starts: after load and dbt staging.
        deadline = time.monotonic() + 600
        while "starting task_id=gate" not in log_path.read_text(errors="replace"):
            assert killed.poll() is None, log_path.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the run never reached the gate"
            time.sleep(0.2)
    finally:
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    warehouse = tmp_path / "warehouse"
    assert staged_documents(warehouse) == (9, 9)
    assert not (warehouse / "xxgk.duckdb").exists()

    again = subprocess.run(
        ["airflow", "dags", "test", "xxgk_yearly_load"], env=env, capture_output=True, text=True, timeout=1200
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-6000:]
    assert staged_documents(warehouse) == (9, 9)
    assert marts_fingerprint(warehouse / "xxgk.duckdb", ignore_load_times=True) == marts_fingerprint(
        loaded.warehouse / "xxgk.duckdb", ignore_load_times=True
    )
