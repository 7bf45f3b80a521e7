"""The gate: only reports whose balancing identities hold are published.

``run_gate`` reads the residuals of every equation (``intermediate.int_identity_residuals``),
the labelled cells and the documents from the build database into pandas, validates them with
the suites of ``expectations.suites`` in an ephemeral Great Expectations context (pandas frames:
GX over duckdb-engine is broken upstream), maps every unexpected row back to its document and
writes the verdict to ``staging.gate_results`` / ``staging.gate_failures``, which the marts read.

DuckDB is opened once to read and once to write, and closed in between, so the gate holds no
lock while Great Expectations runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import (
    DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig)

from expectations.suites import Frame, GateSuite, gate_suites
from warehouse import paths, staging

log = logging.getLogger(__name__)

# Not rejected: a rejected record has no usable tables, so there is nothing to check or publish.
_READS: Mapping[Frame, str] = {
    "documents": """
        select
            documents.document_id,
            documents.org_name,
            documents.report_year,
            documents.template_version,
            documents.status,
            count(residuals.equation_id) as n_equations
        from intermediate.int_documents as documents
        left join intermediate.int_identity_residuals as residuals
            on documents.document_id = residuals.document_id
        where documents.status <> 'rejected'
        group by all
        order by documents.document_id
    """,
    "residuals": """
        select residuals.*
        from intermediate.int_identity_residuals as residuals
        order by residuals.document_id, residuals.equation_id
    """,
    "cells": """
        select
            document_id,
            cell_id,
            col_kind,
            value,
            value = trunc(value) as is_integer
        from intermediate.int_cells_labelled
        where status <> 'rejected'
        order by document_id, cell_id
    """,
}


class GateError(RuntimeError):
    """The gate could not decide (an expectation raised instead of answering)."""


@dataclass(frozen=True)
class GateFailure:
    """One failing check of a document, as written to ``staging.gate_failures``."""

    document_id: str
    identity_id: str
    equation_id: str
    cells: str
    lhs_value: Decimal | None
    rhs_value: Decimal | None
    difference: Decimal | None


@dataclass
class GateResult:
    n_checked: int
    n_passed: int
    failures: list[GateFailure]
    # True when every Great Expectations validation succeeded (then n_passed == n_checked).
    success: bool
    # The GX validation result of each suite, by suite name (e.g. "xxgk_identity_H1").
    validations: dict[str, Any] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        return self.n_checked - self.n_passed

    @property
    def failed_documents(self) -> set[str]:
        return {f.document_id for f in self.failures}


def run_gate(build_db: Path | None = None) -> GateResult:
    """Validate every non-rejected document and record which passed."""
    db = Path(build_db) if build_db is not None else paths.build_db()
    with duckdb.connect(str(db), read_only=True) as con:
        frames = {name: con.sql(sql).df() for name, sql in _READS.items()}
    suites = gate_suites()
    validations = _validate(frames, suites)
    failing = _failing_checks(frames, suites, validations)
    checked = list(frames["documents"]["document_id"])
    failures = _write(db, checked, failing)
    n_passed = len(set(checked) - {f.document_id for f in failures})
    result = GateResult(n_checked=len(checked), n_passed=n_passed, failures=failures,
                        success=all(v.success for v in validations.values()), validations=validations)
    log.info("gate: %d checked, %d passed, %d failing checks", result.n_checked, result.n_passed,
             len(result.failures))
    return result


def _validate(frames: Mapping[Frame, pd.DataFrame], suites: Iterable[GateSuite]) -> dict[str, Any]:
    """Run each suite on its slice of its frame; results by suite name."""
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False)))
    source = context.data_sources.add_pandas("xxgk_build")
    batches: dict[Frame, Any] = {}
    results: dict[str, Any] = {}
    for gs in suites:
        if gs.frame not in batches:
            asset = source.add_dataframe_asset(gs.frame)
            batches[gs.frame] = asset.add_batch_definition_whole_dataframe(f"{gs.frame}_whole")
        frame = frames[gs.frame]
        for column, value in gs.rows.items():
            frame = frame[frame[column] == value]
        definition = context.validation_definitions.add(gx.ValidationDefinition(
            name=gs.name, data=batches[gs.frame], suite=context.suites.add(gs.suite)))
        results[gs.name] = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(gs.keys)})
    return results


def _failing_checks(frames: Mapping[Frame, pd.DataFrame], suites: Iterable[GateSuite],
                    validations: Mapping[str, Any]) -> pd.DataFrame:
    """(document_id, identity_id, equation_id, cells) of every unexpected row, one per check."""
    cells_of = {(d, e): c for d, e, c in
                frames["residuals"][["document_id", "equation_id", "cells"]].itertuples(index=False)}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for gs in suites:
        for res in validations[gs.name].results:
            if _raised(res.exception_info):
                raise GateError(f"{gs.name}: {res.expectation_config.type} raised: "
                                f"{_message(res.exception_info)}")
            if res.success:
                continue
            meta = res.expectation_config.meta or {}
            for key in res.result.get("unexpected_index_list") or []:
                document_id = str(key["document_id"])
                if gs.frame == "residuals":
                    equation_id = str(key["equation_id"])
                    cells = cells_of[(document_id, equation_id)]
                elif gs.frame == "cells":
                    cells = str(key["cell_id"])
                    equation_id = f"H7:{cells}"
                else:
                    equation_id, cells = f"DQ:{meta['check']}", ""
                rows.setdefault((document_id, equation_id), {
                    "document_id": document_id, "identity_id": str(meta["identity_id"]),
                    "equation_id": equation_id, "cells": cells})
    return pd.DataFrame(list(rows.values()),
                        columns=["document_id", "identity_id", "equation_id", "cells"])


def _write(db: Path, checked: list[str], failing: pd.DataFrame) -> list[GateFailure]:
    """Replace the gate rows of the checked documents; return their failures as written."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    failed = set(failing["document_id"])
    results = pd.DataFrame({"document_id": checked,
                            "passed": [d not in failed for d in checked],
                            "checked_at": [now] * len(checked)})
    checked_frame = pd.DataFrame({"document_id": checked})
    with staging.connect(db) as con:
        con.register("checked", checked_frame)
        con.register("results", results)
        con.register("failing", failing)
        con.execute("begin")
        try:
            con.execute("delete from staging.gate_failures where document_id in (select document_id from checked)")
            con.execute("delete from staging.gate_results where document_id in (select document_id from checked)")
            con.execute("insert into staging.gate_results select document_id, passed, checked_at from results")
            # Both sides come from DuckDB as loaded (exact decimals), not from the float frames
            # GX saw; for H7 the offending value is reported as the left-hand side.
            con.execute("""
                insert into staging.gate_failures
                    (document_id, identity_id, equation_id, lhs_value, rhs_value, difference, cells)
                select
                    failing.document_id,
                    failing.identity_id,
                    failing.equation_id,
                    coalesce(residuals.lhs_value, cells.value),
                    residuals.rhs_value,
                    residuals.difference,
                    failing.cells
                from failing
                left join intermediate.int_identity_residuals as residuals
                    on failing.document_id = residuals.document_id
                    and failing.equation_id = residuals.equation_id
                left join intermediate.int_cells_labelled as cells
                    on failing.identity_id = 'H7'
                    and failing.document_id = cells.document_id
                    and failing.cells = cells.cell_id
            """)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        rows = con.execute("""
            select document_id, identity_id, equation_id, cells, lhs_value, rhs_value, difference
            from staging.gate_failures
            where document_id in (select document_id from checked)
            order by document_id, identity_id, equation_id
        """).fetchall()
    return [GateFailure(*row) for row in rows]


def _raised(info: Any) -> bool:
    # GX reports an expectation that raised either directly or keyed by metric.
    if not isinstance(info, Mapping):
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(_raised(v) for v in info.values())


def _message(info: Any) -> str:
    if isinstance(info, Mapping):
        if info.get("exception_message"):
            return str(info["exception_message"])
        return "; ".join(m for m in (_message(v) for v in info.values()) if m)
    return ""
