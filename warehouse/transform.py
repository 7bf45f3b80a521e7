"""Run the dbt project (``dbt_project/``) against the build database.

The pipeline calls ``build("staging intermediate")`` before the gate and ``build("marts")``
after it.  dbt runs in-process through ``dbtRunner``; its target/ and logs/ go to the warehouse
directory so a run never dirties the checkout, and the DuckDB file is closed before returning
so the gate and the publisher can open it.

Every selection also builds the seeds (``dbt_project/seeds``: the user-edited body aliases), so
an edited seed takes effect on the next load.  The models whose rows belong each to one
document (the labelled cells, the identities' residuals, the facts and their history) are
incremental by document (``dbt_project/macros/by_document.sql``): a load computes the new
documents and those whose inputs changed, and their tests check those documents only;
``full_refresh=True`` (or ``XXGK_DBT_FULL_REFRESH=1``) rebuilds and tests everything from the
staging tables, which hold every version, e.g. after their columns changed.

dbt builds ``XXGK_DBT_THREADS`` (2) models at once, sharing DuckDB's memory limit; a build whose
only failures are DuckDB running out of it is retried once, one model at a time (``dbt retry
--threads 1``: what failed or was skipped).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warehouse import paths

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = paths.PROJECT_DIR / "dbt_project"
BUILD_DB_ENV = "XXGK_BUILD_DB"
FULL_REFRESH_ENV = "XXGK_DBT_FULL_REFRESH"
# Added to every selection: the seeds are inputs of the intermediate models.
SEEDS = "resource_type:seed"

# Statuses of dbt node results that mean the run failed ("warn" does not).
_FAILED = {"error", "fail", "runtime error"}
# How DuckDB says a query needed more than its memory_limit (duckdb.OutOfMemoryException).
_OUT_OF_MEMORY = "Out of Memory Error"


class TransformError(RuntimeError):
    """dbt failed; ``failures`` names the models and tests that did, with dbt's message."""

    def __init__(
        self,
        command: str,
        failures: Sequence[str],
        cause: BaseException | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.command = command
        self.failures = list(failures)
        detail = "\n  ".join(self.failures) or (repr(cause) if cause else "no details")
        where = f"\n(dbt log: {log_file})" if log_file else ""
        super().__init__(f"dbt {command} failed:\n  {detail}{where}")


def build(
    select: str | None = None,
    build_db: Path | None = None,
    *,
    full_refresh: bool = False,
    project_dir: Path | None = None,
) -> None:
    """``dbt build`` (seeds, models and their tests), limited to ``select`` (dbt selection syntax).

    ``full_refresh`` rebuilds the incremental models from scratch; ``project_dir`` runs another
    copy of the dbt project (tests use it to try an edited seed without touching the checkout).
    """
    args = ["build"]
    if select:
        # A test runs in the phase that builds all of its parents: a singular test on the marts
        # that also reads a staging view must not run in the staging phase, before the marts
        # exist.  (Tests declared in a folder's .yml are selected with the folder anyway.)
        args += ["--select", *select.split(), SEEDS, "--indirect-selection", "cautious"]
    db = Path(build_db) if build_db is not None else paths.build_db()
    # Beside the build database while a build of this selection runs, and after one failed: a
    # build tests only the documents it computes, and the failed one may have recorded documents
    # whose tests then failed, so the next build of the selection computes and tests them all.
    failed_before = db.with_name(f"{db.name}.failed-build-{'-'.join((select or 'all').split())}")
    if (
        full_refresh
        or os.environ.get(FULL_REFRESH_ENV, "").lower() in {"1", "true", "yes"}
        or ((select is None or "marts" in select.split()) and _history_predates_corrections(db))
    ):
        args.append("--full-refresh")
    elif failed_before.exists():
        log.warning("the last dbt build failed: rebuilding and testing every document (--full-refresh)")
        args.append("--full-refresh")
    failed_before.parent.mkdir(parents=True, exist_ok=True)
    failed_before.touch()
    _invoke(args, build_db, project_dir)
    failed_before.unlink()


# Columns the history facts gained with the reviewers' corrections (warehouse/corrections.py)
# and with the cells' basis.
_CORRECTION_COLUMNS = ("printed_value", "is_corrected", "correction_reason", "basis", "extracted_basis")
# ... and with one name per concept (dbt_project/README.md, "Names and types"): every fact names
# its cell table_code / row_code / col_code.
_NAMING_COLUMNS = ("table_code", "row_code", "col_code")
_HISTORY_TABLES = (
    "fct_applications_history",
    "fct_active_disclosure_history",
    "fct_review_litigation_history",
)


def _history_predates_corrections(db: Path) -> bool:
    """True for a build database whose history facts were built before corrections existed.

    Their incremental models fail on a schema change (``on_schema_change='fail'``), and the
    history is rebuilt from staging exactly, so such a database is rebuilt with a full refresh
    once instead of failing the load.
    """
    if not db.exists():
        return False
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name in (select unnest(?))",
            [list(_HISTORY_TABLES)],
        ).fetchall():
            columns.setdefault(table, set()).add(column)
    finally:
        con.close()
    stale = [t for t, cols in columns.items() if not {*_CORRECTION_COLUMNS, *_NAMING_COLUMNS} <= cols]
    if stale:
        log.warning(
            "%s predate the reviewers' corrections or the marts' naming rules: rebuilding the "
            "history facts from staging (dbt --full-refresh)",
            ", ".join(sorted(stale)),
        )
    return bool(stale)


def docs(build_db: Path | None = None, project_dir: Path | None = None) -> Path:
    """``dbt docs generate``; returns the folder holding index.html, manifest and catalog."""
    _invoke(["docs", "generate"], build_db, project_dir)
    return _dbt_dir() / "target"


def docs_static(build_db: Path | None = None, project_dir: Path | None = None) -> Path:
    """``dbt docs generate --static``: the target folder, with ``static_index.html`` (one file)."""
    _invoke(["docs", "generate", "--static"], build_db, project_dir)
    return _dbt_dir() / "target"


def _dbt_dir() -> Path:
    path = paths.warehouse_dir() / "dbt"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _invoke(args: list[str], build_db: Path | None, project_dir: Path | None = None) -> None:
    # dbt is imported here: it is slow to import and only this step needs it.
    from dbt.cli.main import dbtRunner

    db = Path(build_db) if build_db is not None else paths.build_db()
    project = Path(project_dir) if project_dir is not None else DBT_PROJECT_DIR
    dbt_dir = _dbt_dir()
    command = " ".join(args)
    options = [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(dbt_dir / "target"),
        "--log-path",
        str(dbt_dir / "logs"),
        # dbt's ~700 lines per build go to <warehouse>/dbt/logs/dbt.log, not the console; a
        # failure is raised as TransformError with the failed nodes and the log's path.
        "--log-level",
        "none",
        "--log-level-file",
        "info",
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
        "--no-use-colors",
    ]
    cli = [*args, *options]
    log.info("dbt %s (build db %s; log: %s)", command, db, dbt_dir / "logs" / "dbt.log")
    with _env(BUILD_DB_ENV, str(db)):
        try:
            result = dbtRunner().invoke(cli)
            if not result.success and args[0] == "build" and _out_of_memory_only(result.result):
                # The models built at once share DuckDB's memory limit: the first build of the
                # marts at 99 100 reports ran out of it once with 2 (bench/RESULTS.md).
                # One at a time, what failed or was skipped is built again (`dbt retry`).
                log.warning(
                    "dbt %s ran out of DuckDB's memory (%s): building what failed one model at a time",
                    command,
                    ", ".join(_failures(result.result)),
                )
                _close_duckdb()
                result = dbtRunner().invoke(["retry", "--threads", "1", *options])
        finally:
            _close_duckdb()
    if not result.success:
        raise TransformError(
            command, _failures(result.result), result.exception, dbt_dir / "logs" / "dbt.log"
        )


def _failures(results: Any) -> list[str]:
    """'model.xxgk.fct_x: error: message' for every failed node of a run result."""
    out = []
    for r in getattr(results, "results", None) or []:
        status = str(getattr(r.status, "value", r.status)).lower()
        if status in _FAILED:
            message = " ".join(str(r.message or "").split())
            out.append(f"{r.node.unique_id}: {status}: {message}")
    return out


def _out_of_memory_only(results: Any) -> bool:
    """True when dbt's run failed and every failed node ran out of DuckDB's memory."""
    failures = _failures(results)
    return bool(failures) and all(_OUT_OF_MEMORY in f for f in failures)


def _close_duckdb() -> None:
    # The profile sets keep_open: false, so dbt-duckdb closes the DuckDB file when the
    # invocation's last connection closes; closing the adapter's connections (its public class
    # method) also makes the next invocation open the file afresh instead of reusing an
    # environment that saw older data.
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # the adapter was never loaded
        return
    DuckDBConnectionManager.close_all_connections()


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old
