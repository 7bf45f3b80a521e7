"""The yearly load of the xxgk warehouse, as an Airflow 3 DAG.

The work is done by ``xxgk.pipeline`` (the same functions ``xxgk run`` calls);
this file only says in which order, with what retries and which asset it
produces, so it reads as the pipeline's table of contents.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset, Param, dag, task

from warehouse import paths
from xxgk import pipeline

# The file analysts open; consumers can schedule on it.
PUBLISHED = Asset(name="xxgk_published_marts", uri=f"file://{paths.published_db()}")

DOC_MD = """
### xxgk yearly load

Loads a folder of 政府信息公开工作年度报告 (government information disclosure annual
reports) into the warehouse and publishes the checked marts.

1. **discover**: list the documents of the inbox (param `inbox`, default the bundled samples).
2. **extract** (one mapped task per document): write `<warehouse>/records/<sha256>.json`.
   A bad document becomes a *rejected* record; it never fails the task.
3. **load**: stage the records in the build database (documents already staged are skipped).
4. **transform_staging**: `dbt build` of the staging and intermediate models.
5. **gate**: Great Expectations checks the balancing identities of every report.
6. **transform_marts**: `dbt build` of the marts, from what the gate passed.
7. **publish**: copy the marts to a new file and rename it over `<warehouse>/xxgk.duckdb`
   (asset `xxgk_published_marts`); readers of the old file are never blocked.

The warehouse directory is `XXGK_WAREHOUSE_DIR` (default `warehouse/` in the project).
See `docs/architecture.md`.
"""


@dag(
    dag_id="xxgk_yearly_load",
    doc_md=DOC_MD,
    schedule="@yearly",
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    # One load at a time: every step after extract writes the same build database.
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={"inbox": Param(str(paths.sample_inbox()), type="string",
                           description="folder of report documents to load")},
    tags=["xxgk"],
)
def xxgk_yearly_load() -> None:

    @task
    def discover(inbox: str) -> list[str]:
        return pipeline.discover(Path(inbox))

    @task
    def extract(path: str) -> str:
        return pipeline.extract_to_file(path)

    @task
    def load(record_paths: list[str]) -> dict[str, int]:
        # A slice fetches every mapped result in one call (iterating probes past the end).
        return pipeline.load(list(record_paths[:]))

    @task
    def transform_staging() -> None:
        pipeline.transform(pipeline.BEFORE_GATE)

    @task
    def gate() -> dict[str, int]:
        result = pipeline.gate()
        return {"checked": result.n_checked, "passed": result.n_passed}

    @task
    def transform_marts() -> None:
        pipeline.transform(pipeline.AFTER_GATE)

    @task(outlets=[PUBLISHED])
    def publish() -> str:
        return str(pipeline.publish())

    records = extract.expand(path=discover(inbox="{{ params.inbox }}"))
    load(records) >> transform_staging() >> gate() >> transform_marts() >> publish()


xxgk_yearly_load()
