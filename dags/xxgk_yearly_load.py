"""The yearly load of the xxgk warehouse, as an Airflow 3 DAG.

The work is done by ``pipeline.steps`` (the same functions ``xxgk run`` calls);
this file only says in which order, on which pool, with what retries and which
asset it produces, so it reads as the pipeline's table of contents.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, Param, dag, task
from airflow.sdk.types import DagRunProtocol

from pipeline import steps as pipeline
from pipeline.inbox import confined
from warehouse import paths

# The file analysts open; consumers can schedule on it.
PUBLISHED = Asset(name="xxgk_published_marts", uri=f"file://{paths.published_db()}")

# One slot: every task that writes the build database waits for it (deploy/pools.json).
WRITER = "xxgk_duckdb_writer"

DOC_MD = """
### xxgk yearly load

Loads one year of 政府信息公开工作年度报告 (government information disclosure annual
reports) into the warehouse and publishes the checked marts.

1. **discover**: the year is param `year`, by default the year before the run's date
   (reports are due by 31 January). The inbox is `<inbox_root>/<year>` when that folder exists,
   else param `inbox`; either must lie inside the configured inbox root (`XXGK_INBOX_ROOT`,
   `XXGK_INBOX`), or the task fails saying so. Its documents are split into batch files of
   `XXGK_BATCH_SIZE` (200).
2. **extract** (one mapped task per batch, spread over the workers): write
   `<warehouse>/records/<sha256>.json` per document; no database is touched. A bad document
   becomes a *rejected* record; a retried batch resumes where it stopped, and a document
   that killed its worker twice is reported as rejected (`worker_died`) instead of retried.
3. **load**: stage the records in the build database (a document already staged is staged again
   only when a newer extractor read it differently: the new reading supersedes the old one).
4. **transform_staging**: `dbt build` of the staging and intermediate models.
5. **gate**: Great Expectations checks the balancing identities of every report.
6. **transform_marts**: `dbt build` of the marts, from what the gate passed.
7. **publish**: copy the marts to a new file and rename it over `<warehouse>/xxgk.duckdb`
   (asset `xxgk_published_marts`); readers of the old file are never blocked.

Steps 3–7 write the build database and run in pool `xxgk_duckdb_writer` (1 slot), so there
is one writer at a time. Every step can be run again: records are keyed by SHA-256 and
a reading is staged once by it. Past years: `airflow backfill create --dag-id xxgk_yearly_load
--from-date 2020-01-01 --to-date 2024-12-31` (one run a year, each loading the year before).
See `docs/architecture.md` and the README's Deploy section.
"""


@dag(
    dag_id="xxgk_yearly_load",
    doc_md=DOC_MD,
    # Yearly, on 1 March: the reports of the year before are due by 31 January.
    schedule="0 3 1 3 *",
    start_date=pendulum.datetime(2020, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    # One load at a time; the pool also keeps backfills and manual runs to one writer.
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=int(os.environ.get("XXGK_RETRY_DELAY_SECONDS", "30"))),
    },
    params={
        "year": Param(
            None,
            type=["null", "integer"],
            description="report year to load (default: the year before the run's date)",
        ),
        "inbox_root": Param(
            os.environ.get("XXGK_INBOX_ROOT", ""),
            type="string",
            description="folder of one sub-folder per year (<inbox_root>/<year>)",
        ),
        "inbox": Param(
            os.environ.get("XXGK_INBOX", str(paths.sample_inbox())),
            type="string",
            description="folder loaded when <inbox_root>/<year> does not exist",
        ),
    },
    tags=["xxgk"],
)
def xxgk_yearly_load() -> None:

    @task
    def discover(params: dict[str, Any] | None = None, dag_run: DagRunProtocol | None = None) -> list[str]:
        # Airflow fills both from the task's context; None means it was called outside a DAG run.
        if params is None or dag_run is None:
            raise RuntimeError(
                "discover runs as a task of the xxgk_yearly_load DAG (no params or dag_run given)"
            )
        year = params["year"] or pipeline.default_year(dag_run.logical_date or dag_run.run_after)
        # The params are the triggering user's: the folder must lie in the configured inbox root.
        inbox = confined(pipeline.resolve_inbox(year, params["inbox_root"], params["inbox"]))
        return pipeline.plan_batches(inbox, run_key=dag_run.run_id)

    @task
    def extract(batch: str) -> str:
        return pipeline.extract_batch(batch)

    @task(pool=WRITER)
    def load(batch_results: Sequence[str]) -> dict[str, int]:
        # A slice fetches every mapped result in one call (iterating probes past the end).
        return pipeline.load_batches(list(batch_results[:]))

    @task(pool=WRITER)
    def transform_staging() -> None:
        pipeline.transform(pipeline.BEFORE_GATE)

    @task(pool=WRITER)
    def gate() -> dict[str, int]:
        result = pipeline.gate()
        return {"checked": result.n_checked, "passed": result.n_passed}

    @task(pool=WRITER)
    def transform_marts() -> None:
        pipeline.transform(pipeline.AFTER_GATE)

    @task(pool=WRITER, outlets=[PUBLISHED])
    def publish() -> str:
        return str(pipeline.publish())

    @task
    def site() -> str:
        # Reads only the published database (never the build DB): no writer slot needed.
        return str(pipeline.build_site())

    batch_results = extract.expand(batch=discover())
    # Airflow's Task type gives the call load's own parameters; TaskFlow passes the mapped
    # XComArg, resolved to the results' sequence when the task runs (airflow.sdk Task docstring).
    (
        load(batch_results)  # type: ignore[arg-type]
        >> transform_staging()
        >> gate()
        >> transform_marts()
        >> publish()
        >> site()
    )


xxgk_yearly_load()
