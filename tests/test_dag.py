"""The Airflow DAG ``xxgk_yearly_load``: its shape, and one real run over the samples.

Airflow runs in subprocesses with a temporary AIRFLOW_HOME (SQLite metadata) and a
temporary warehouse, so the tests touch neither ~/airflow nor the project's warehouse/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def airflow_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
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
    "schedule": str(dag.schedule) if dag else None,
    "catchup": dag.catchup if dag else None,
    "params": {{k: dag.params[k] for k in dag.params}} if dag else None,
    "outlets": [o.uri for o in dag.get_task("publish").outlets] if dag else None,
    "doc": bool(dag.doc_md) if dag else None,
}}))
"""


def test_dag_shape(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SHAPE.format(dags=PROJECT / "dags")],
                            env=airflow_env(tmp_path), capture_output=True, text=True, timeout=300)
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
    }
    assert shape["mapped"] == ["extract"]
    assert shape["retries"] == [2]
    assert shape["schedule"] == "@yearly"
    assert shape["catchup"] is False
    assert shape["params"] == {"inbox": str(PROJECT / "samples" / "inbox")}
    assert shape["outlets"] == [f"file://{tmp_path / 'warehouse' / 'xxgk.duckdb'}"]
    assert shape["doc"] is True


@pytest.mark.slow
def test_dag_run_publishes_the_samples(tmp_path: Path) -> None:
    env = airflow_env(tmp_path)
    migrate = subprocess.run(["airflow", "db", "migrate"], env=env, capture_output=True,
                             text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]

    run = subprocess.run(["airflow", "dags", "test", "xxgk_yearly_load"], env=env,
                         capture_output=True, text=True, timeout=1200)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-6000:]
    assert "state=success" in log
    assert log.count("starting task_id=extract") == 9       # one mapped task per document

    published = tmp_path / "warehouse" / "xxgk.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dim_report").fetchone() == (9,)
        schemas = {r[0] for r in con.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts"}

        def cell(org: str, year: int, row: str, applicant: str) -> Decimal | None:
            rows = con.execute(
                "select a.value from marts.fct_applications a "
                "join marts.dim_report r using (document_id) "
                "where r.org_name = ? and r.report_year = ? "
                "and a.row_code = ? and a.applicant_code = ?",
                [org, year, row, applicant]).fetchall()
            assert len(rows) == 1, (org, year, row, applicant, rows)
            return rows[0][0]

        assert cell("平潭综合实验区", 2023, "new_received", "natural_person") == 80
        assert cell("平潭综合实验区", 2023, "new_received", "total") == 81
        assert cell("平潭综合实验区", 2021, "new_received", "total") == 70
        assert cell("中山市大涌镇", 2022, "new_received", "natural_person") == 4
    finally:
        con.close()
    # The build database and the records stay in the warehouse; nothing is left half-written.
    leftovers = [p.name for p in (tmp_path / "warehouse").iterdir() if ".tmp" in p.name]
    assert leftovers == []
