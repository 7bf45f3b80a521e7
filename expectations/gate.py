"""The gate: a section of a report is published only with evidence and balancing identities.

``run_gate`` reads the documents and their cells (after the reviewers' corrections,
``intermediate.int_cells_labelled``) and the extractor's problems from the build database into
pandas, derives the identity and section frames (``expectations.frames``, with the identity engine's
equations), validates them with the suites of ``expectations.suites`` in an ephemeral Great
Expectations context (pandas frames: GX over duckdb-engine is broken upstream), and turns every
unexpected row into a cause and a verdict per report × section (``expectations.verdicts``: the
true cause first).  It writes ``staging.gate_results`` (per report), ``staging.gate_sections``
(per section) and ``staging.gate_failures`` (the causes), which the marts read.

Then, with the verdicts written, it validates the soft identities S1–S3 among the current reports
(``intermediate.int_soft_identity_residuals``) and writes the failing ones to
``staging.gate_warnings``: those reports are published with a warning attached.

Every run writes a validation report, Great Expectations Data Docs, to
``<warehouse>/data_docs/index.html`` (``GateResult.data_docs``); the validation results behind
it are kept in ``<warehouse>/gx/validations`` for the last ``XXGK_DATA_DOCS_KEEP_RUNS`` runs.

A report failing the gate is quarantined, never fatal.  What is fatal (``SystemicGateError``,
raised by ``check_systemic``, which ``pipeline.steps.gate`` calls) is a load that is wrong as a
whole: more than ``XXGK_GATE_MAX_FAIL_SHARE`` (default 0.5) of the documents of the load not
passing (a section held back by the gate, or rejected by the extractor), once the load has at least
``XXGK_GATE_MIN_REPORTS`` (default 20) documents.  "The load" is every document loaded since the
gate's last run that did not stop the load (``staging.gate_state``), so a load staged in chunks
counts as one and a retry of a stopped load is stopped again.  ``check_marts`` checks the built
marts before publication (``MartsCheckError``).

DuckDB is opened to read and to write, and closed in between, so the gate holds no lock while
Great Expectations runs.  Memory does not grow with the warehouse: the reports to validate are
read in one pass into a spool of Parquet chunks (``expectations.spool``) and validated a chunk
at a time, as are the soft identities; counts are made in DuckDB (bounded by
``XXGK_DUCKDB_MEMORY_LIMIT``), and the result's verdicts, causes and warnings are a snapshot
read only when used (``StoredRows``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, overload

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from expectations import data_docs_offline, narrative_checks, spool
from expectations.frames import document_values, identity_frames, sections_frame
from expectations.inputs import INPUT_DIGESTS, ROWS_DIGEST, gate_version
from expectations.suites import (
    FACT_TABLES,
    Frame,
    GateSuite,
    gate_suites,
    marts_suites,
    missing_cells,
    section_of,
    soft_identity_suites,
)
from expectations.validation import Validator, merge_validations
from expectations.verdicts import Cause, SectionVerdict, check_causes, problem_causes, section_verdicts
from warehouse import paths, staging
from xxgk.settings import GATE
from xxgk.template import VERSIONS

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FAIL_SHARE_ENV = "XXGK_GATE_MAX_FAIL_SHARE"
DEFAULT_MAX_FAIL_SHARE = 0.5
MIN_REPORTS_ENV = "XXGK_GATE_MIN_REPORTS"
DEFAULT_MIN_REPORTS = 20
DATA_DOCS_KEEP_ENV = "XXGK_DATA_DOCS_KEEP_RUNS"
DEFAULT_DATA_DOCS_KEEP = 10
DATA_DOCS_SITE = "xxgk"
DUCKDB_MEMORY_ENV = "XXGK_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY = "1GB"

# Not rejected: a rejected record has no usable tables, so there is nothing to check or publish.
# Each read joins ``gate_todo`` (document_id, xxgk_chunk: the reports to validate and their
# chunk) and is spooled in one pass (``expectations.spool``); a chunk is read back in the order
# given here.
_READS: Mapping[Frame, tuple[str, str]] = {
    "documents": (
        """
        select
            document_id,
            documents.org_name,
            documents.body_id,
            documents.report_year,
            documents.template_version,
            documents.status,
            gate_todo.xxgk_chunk
        from intermediate.int_documents as documents
        inner join gate_todo using (document_id)
        where documents.status <> 'rejected'
        """,
        "document_id",
    ),
    # After the reviewers' corrections, including the cells a correction adds.
    "cells": (
        """
        select
            document_id,
            cells.cell_id,
            cells.section,
            cells.col_kind,
            cells.value,
            cells.value = trunc(cells.value) as is_integer,
            cells.basis,
            cells.page,
            cells.line,
            gate_todo.xxgk_chunk
        from intermediate.int_cells_labelled as cells
        inner join gate_todo using (document_id)
        where cells.status <> 'rejected'
        """,
        "document_id, cell_id",
    ),
}

# The extractor's problems: the true cause of a held-back section comes first.
_PROBLEMS_READ = (
    """
    select document_id, problems.problem_seq, problems.problem_code, problems.severity,
           problems.message, problems.cell_ids, problems.sections, problems.candidates_json,
           problems.raw_text, gate_todo.xxgk_chunk
    from stg.stg_problems as problems
    inner join gate_todo using (document_id)
    """,
    "document_id, problem_seq",
)

# The non-rejected reports whose stored verdict was not made from their rows as they stand by
# this version of the gate ($1: ``inputs.gate_version``; $2: every report, for ``revalidate``),
# and the digest of those rows.
_STALE_READ = f"""
    select inputs.document_id, inputs.input_digest
    from ({INPUT_DIGESTS}) as inputs
    left join staging.gate_results as results using (document_id)
    where $2 or not coalesce(
        results.input_digest = inputs.input_digest and results.gate_version = $1, false)
    order by inputs.document_id
"""
_N_CHECKED_READ = "select count(*) from intermediate.int_documents where status <> 'rejected'"

# The stored verdicts and causes of the checked (non-rejected) reports, judged now or before.
_CHECKED = "(select document_id from intermediate.int_documents where status <> 'rejected')"
_SECTIONS_READ = f"""
    select document_id, section, verdict, cause, reason, n_cells
    from staging.gate_sections
    where document_id in {_CHECKED}
    order by document_id, section
"""
_FAILURES_READ = f"""
    select document_id, identity_id, equation_id, cells, lhs_value, rhs_value, difference,
           section, cause, cause_rank, message
    from staging.gate_failures
    where document_id in {_CHECKED}
    order by document_id, cause_rank, section, equation_id
"""

# The soft identities' rows, numbered into chunks of ``GATE.soft_chunk_rows`` in their order
# (every expectation of theirs is about one row, so a chunk gets the rows' own results).
_SOFT_READ = (
    """
    select *,
           (row_number() over (order by anchor_document_id, check_id) - 1) // {size} as xxgk_chunk
    from intermediate.int_soft_identity_residuals
    """,
    "anchor_document_id, check_id",
)

# "The load": the documents whose current reading was staged after those the gate's last
# accepted run (one that did not stop the load) covered: new documents, and staged ones read
# again (`xxgk reextract`, a newer extractor: a re-reading is a load of its own, and a broken
# extractor shows there first).  ``read_at`` is when the current reading was staged (null only
# for rows of a build database older than readings: then when the document was loaded).  A load
# staged in chunks is one load; a retry after a systemic failure sees the same load again, so it
# fails again until the cause is fixed.  Only staging times are compared, never the gate's
# clock with the loader's.
_LOAD_READ = """
    select documents.document_id, documents.status,
           coalesce(documents.read_at, documents.loaded_at) as read_at
    from staging.documents as documents
    where coalesce(documents.read_at, documents.loaded_at) > coalesce(
        (select max(accepted_through) from staging.gate_state), '-infinity'::timestamp)
"""

# How the load fared, counted in DuckDB (a load can be the whole warehouse): its documents, the
# rejected ones, the others with a section held back; and per identity, the reports of the load
# failing it.
_HELD = f"""
    (select document_id from staging.gate_sections
     where verdict = 'held_back' and document_id in {_CHECKED})
"""
_LOAD_COUNTS = f"""
    with load as ({_LOAD_READ})
    select min(read_at),
           count(distinct document_id),
           count(distinct document_id) filter (where status = 'rejected'),
           count(distinct document_id) filter (
               where document_id in {_HELD}
               and document_id not in (select document_id from load where status = 'rejected'))
    from load
"""
_LOAD_IDENTITIES = f"""
    with load as ({_LOAD_READ})
    select identity_id, count(distinct document_id) as n_reports
    from staging.gate_failures
    where document_id in {_CHECKED} and document_id in (select document_id from load)
    group by identity_id
    order by n_reports desc, identity_id
"""
_N_HELD_READ = f"select count(distinct document_id) from {_HELD}"
_N_WARNINGS_READ = "select count(*), count(distinct document_id) from staging.gate_warnings"

_MARTS_READS: Mapping[Frame, str] = {
    "published_reports": """
        select document_id, body_id, report_year, template_version, is_publishable,
               s2_verdict, s3_verdict, s4_verdict
        from marts.dim_report
        where is_current
    """,
    "published_cells": """
        with current_sections as (
            select document_id, 's2' as section from marts.dim_report where s2_is_current
            union all select document_id, 's3' from marts.dim_report where s3_is_current
            union all select document_id, 's4' from marts.dim_report where s4_is_current
        ),
        facts as (
            select 'fct_applications' as fact_table, document_id, body_id, report_year,
                   table_code || '/' || row_code || '/' || col_code as cell_id
            from marts.fct_applications
            union all
            select 'fct_active_disclosure', document_id, body_id, report_year,
                   table_code || '/' || row_code || '/' || col_code
            from marts.fct_active_disclosure
            union all
            select 'fct_review_litigation', document_id, body_id, report_year,
                   table_code || '/' || row_code || '/' || col_code
            from marts.fct_review_litigation
        )
        select facts.*, current_sections.document_id is not null as is_current_report
        from facts
        left join current_sections
            on facts.document_id = current_sections.document_id
            and current_sections.section = case when facts.cell_id like 's2.%' then 's2'
                                                else split_part(facts.cell_id, '/', 1) end
    """,
}
# The order the marts' frames were validated in when they were validated whole: a problem's
# example is its first failing row in that order.
_MARTS_ORDER: Mapping[Frame, str] = {
    "published_reports": "document_id",
    "published_cells": "fact_table, document_id, cell_id",
}
# Every body of a current report or of a fact row (null: rows without one), its fact rows, and a
# digest of its rows in the reads (``expectations.inputs.ROWS_DIGEST``, as the gate's input
# digests).  Every marts expectation is about one body's rows, so a body whose digest (and the
# check's version) a publication's check passed need not be validated again: a new year costs its
# own bodies, not the warehouse.
_MARTS_BODIES = (
    "with rows as ("
    + " union all ".join(
        f"select body_id, '{name}' as frame, '{name}:' || to_json(read_row) as row_json "
        f"from ({sql}) as read_row"
        for name, sql in _MARTS_READS.items()
    )
    + """)
    select body_id,
           count(*) filter (where frame = 'published_cells') as n_rows,
           """
    + ROWS_DIGEST
    + """ as digest
    from rows
    group by body_id
    order by body_id nulls last
"""
)
# The bodies to validate: those no earlier check passed with the same rows and version.
_MARTS_TO_VALIDATE = """
    select bodies.body_id, bodies.n_rows
    from marts_bodies as bodies
    left join marts_checked as checked
        on bodies.body_id is not distinct from checked.body_id
        and bodies.digest = checked.digest
        and checked.check_version = $1
    where checked.digest is null
    order by bodies.body_id nulls last
"""
MARTS_CHECKED_COLUMNS = ("body_id", "n_rows", "digest", "check_version")
_MARTS_SECTION_PASSED = """
    select
        bool_or(s2_verdict = 'published'),
        bool_or(s3_verdict = 'published'),
        bool_or(s4_verdict = 'published')
    from marts.dim_report
    where is_current
"""


class GateError(RuntimeError):
    """The gate could not decide (an expectation raised instead of answering)."""


class SystemicGateError(RuntimeError):
    """The load is wrong as a whole (not one bad report): the run must fail, loudly."""


class MartsCheckError(RuntimeError):
    """The built marts break what the gate guarantees: they must not be published."""


@dataclass(frozen=True)
class GateFailure:
    """One cause a report (section) is held back, as written to ``staging.gate_failures``.

    ``identity_id`` is H1–H7, DQ (data quality, basis, completeness) or EX (an extractor
    problem, listed with the section it explains).
    """

    document_id: str
    identity_id: str
    equation_id: str
    cells: str
    lhs_value: Decimal | None
    rhs_value: Decimal | None
    difference: Decimal | None
    section: str | None = None
    cause: str | None = None
    cause_rank: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class GateWarning:
    """A soft identity that does not hold, attached to one report it involves (``staging.gate_warnings``)."""

    document_id: str
    identity_id: str
    check_id: str
    anchor_document_id: str
    document_ids: str
    cells: str
    lhs_value: Decimal | None
    rhs_value: Decimal | None
    difference: Decimal | None


@dataclass(frozen=True)
class LoadVerdict:
    """How the documents of the load fared (what the systemic threshold looks at).

    The load is every document loaded, or read again, after those the gate's last accepted
    run covered.
    """

    loaded_at: datetime | None  # when its first document (or reading of one) was staged
    n_documents: int
    n_rejected: int
    n_failed: int
    failing_identities: dict[str, int] = field(default_factory=dict)

    @property
    def n_not_passed(self) -> int:
        return self.n_rejected + self.n_failed

    @property
    def share_not_passed(self) -> float:
        return self.n_not_passed / self.n_documents if self.n_documents else 0.0


@dataclass
class GateResult:
    # Every non-rejected report (validated in this run or keeping its verdict).
    n_checked: int
    n_passed: int
    # The causes of every checked report, as ``staging.gate_failures`` held them at the end of
    # the run (``run_gate`` gives a ``StoredRows``: read when first used, not held meanwhile).
    failures: Sequence[GateFailure]
    # True when every Great Expectations validation of this run succeeded.
    success: bool
    # The GX validation result of each suite over the reports validated in this run (the
    # chunks' results merged), by suite name (e.g. "xxgk_identity_H1").
    validations: dict[str, Any] = field(default_factory=dict)
    # Soft identities (S1–S3) and the office's checks that do not hold, one per report involved;
    # and the soft identities' validations.
    warnings: Sequence[GateWarning] = field(default_factory=list)
    soft_validations: dict[str, Any] = field(default_factory=dict)
    load: LoadVerdict | None = None
    # What is wrong with the load as a whole (check_systemic raises on it); empty normally.
    systemic_problems: list[str] = field(default_factory=list)
    # The Data Docs index of this run (None when they could not be built).
    data_docs: Path | None = None

    # The verdict of every checked report × section (二, 三, 四).
    sections: Sequence[SectionVerdict] = field(default_factory=list)
    # Reports validated in this run (the others kept the verdict made from the same rows).
    n_validated: int = 0
    # Warnings, and reports warned, counted when the result was made (None: from ``warnings``).
    warning_counts: tuple[int, int] | None = None

    @property
    def n_failed(self) -> int:
        return self.n_checked - self.n_passed

    @property
    def failed_documents(self) -> set[str]:
        """Reports with at least one section held back (or held back as a whole)."""
        return {v.document_id for v in self.sections if v.verdict == "held_back"}

    def verdicts(self, document_id: str) -> dict[str, str]:
        """{section: verdict} of one report."""
        return {v.section: v.verdict for v in self.sections if v.document_id == document_id}

    @property
    def warned_documents(self) -> set[str]:
        return {w.document_id for w in self.warnings}

    @property
    def n_warnings(self) -> int:
        return self.warning_counts[0] if self.warning_counts is not None else len(self.warnings)

    @property
    def n_warned(self) -> int:
        return self.warning_counts[1] if self.warning_counts is not None else len(self.warned_documents)


class StoredRows(Sequence[T]):
    """Rows kept in a Parquet file (deleted with this object), made into objects when first used.

    The gate's result covers every checked report: at 100 000 reports its causes and verdicts
    are hundreds of thousands of objects, which a run (``pipeline.steps.gate``) never looks at.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, select: str, make: Callable[..., T]) -> None:
        fd, name = tempfile.mkstemp(prefix="xxgk-gate-", suffix=".parquet")
        os.close(fd)
        self._path = Path(name)
        weakref.finalize(self, self._path.unlink, missing_ok=True)
        target = name.replace("'", "''")
        con.execute(f"copy ({select}) to '{target}' (format parquet)")
        self._n = int(con.execute(f"select count(*) from read_parquet('{target}')").fetchall()[0][0])
        self._make = make
        self._rows: list[T] | None = None

    def _all(self) -> list[T]:
        if self._rows is None:
            target = str(self._path).replace("'", "''")
            with duckdb.connect() as con:
                self._rows = [
                    self._make(*row) for row in con.sql(f"select * from read_parquet('{target}')").fetchall()
                ]
        return self._rows

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self._all()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StoredRows({self._n} rows)"


_WARNINGS_READ = """
    select document_id, identity_id, check_id, anchor_document_id, document_ids, cells,
           lhs_value, rhs_value, difference
    from staging.gate_warnings
    order by document_id, check_id
"""


def _snapshot(db: Path, result: GateResult) -> None:
    """The verdicts, causes and warnings of every checked report, as they stand after this run."""
    with _read(db) as con:
        result.sections = StoredRows(con, _SECTIONS_READ, SectionVerdict)
        result.failures = StoredRows(con, _FAILURES_READ, GateFailure)
        result.warnings = StoredRows(con, _WARNINGS_READ, GateWarning)
        n_warnings, n_warned = con.execute(_N_WARNINGS_READ).fetchall()[0]
    result.warning_counts = (int(n_warnings), int(n_warned))


@dataclass
class MartsCheck:
    problems: list[str]
    validations: dict[str, Any] = field(default_factory=dict)
    data_docs: Path | None = None
    # Every body of the marts with the digest of its rows and the check's version
    # (``MARTS_CHECKED_COLUMNS``): kept with the publication, the evidence the next check reuses.
    bodies: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MARTS_CHECKED_COLUMNS))
    n_validated: int = 0


# ------------------------------------------------------------------------------------ the gate


def run_gate(
    build_db: Path | None = None,
    *,
    data_docs: bool = True,
    max_fail_share: float | None = None,
    min_reports: int | None = None,
    chunk_documents: int | None = None,
    revalidate: bool = False,
) -> GateResult:
    """Validate the non-rejected documents not yet judged as they stand, then warn on S1–S3.

    A report whose rows and the gate's code are those of its stored verdict keeps it
    (``expectations.inputs``; ``revalidate`` validates every report again).  The others are
    read and validated ``chunk_documents`` at a time (default ``xxgk.settings.GATE``), each
    chunk's verdicts written before the next is read.  The result covers every checked report,
    judged now or before.  ``result.systemic_problems`` says whether the load as a whole is
    wrong (thresholds from the arguments, else ``XXGK_GATE_MAX_FAIL_SHARE`` and
    ``XXGK_GATE_MIN_REPORTS``); ``check_systemic`` raises on them.
    """
    started = datetime.now(UTC).replace(tzinfo=None)
    share_limit, minimum = thresholds(max_fail_share, min_reports)
    size = chunk_documents if chunk_documents is not None else GATE.chunk_documents
    if size < 1:
        raise ValueError(f"chunk_documents={size} must be at least 1")
    db = Path(build_db) if build_db is not None else paths.build_db()
    version = gate_version()
    with staging.connect(db):
        pass  # a build database staged by an older version gets the gate's newer columns
    with _read(db) as con:
        n_checked = int(con.execute(_N_CHECKED_READ).fetchall()[0][0])
        stale = con.execute(_STALE_READ, [version, revalidate]).df()
    todo = [str(d) for d in stale["document_id"]]
    digests = dict(zip(todo, stale["input_digest"]))
    del stale

    run_id = _run_id("gate")
    # Chunks are validated in memory; what the Data Docs show is their merged results.
    validations: dict[str, Any] = {}
    soft = soft_identity_suites()
    with tempfile.TemporaryDirectory(prefix="gate-spool-", dir=db.parent) as tmp:
        for decided in decide_chunks(_read_chunks(db, todo, size, Path(tmp)), _context(False), run_id):
            # The verdicts come from each chunk's own results: the merged ones are the report.
            merge_validations(validations, decided.validations, keep=GATE.report_rows_kept)
            _write(db, decided.checked, decided.verdicts, decided.causes, digests, version)
            log.debug("gate: %d of %d reports validated", len(decided.checked), len(todo))
        # Soft identities: among the current reports, which depend on the verdicts just written.
        soft_validations, failing_soft = _validate_soft(db, soft, run_id, Path(tmp) / "soft")
        _write_warnings(db, failing_soft, Path(tmp) / "soft")
    with _read(db) as con:
        n_held = int(con.execute(_N_HELD_READ).fetchall()[0][0])
        load = _load_verdict(con)
    context = _context(data_docs)
    if data_docs:
        _store(context, {**validations, **soft_validations}, run_id)

    result = GateResult(
        n_checked=n_checked,
        n_passed=n_checked - n_held,
        failures=[],
        success=all(v.success for v in validations.values()),
        validations=validations,
        soft_validations=soft_validations,
        load=load,
        n_validated=len(todo),
    )
    _snapshot(db, result)
    result.systemic_problems = systemic_problems(result, share_limit, minimum)
    _write_state(db, started, result)
    if data_docs:
        result.data_docs = _build_data_docs(context)
    log.info(
        "gate: %d checked (%d validated now, %d unchanged since their verdict), %d passed, "
        "%d failing checks, %d warnings on %d reports",
        result.n_checked,
        result.n_validated,
        result.n_checked - result.n_validated,
        result.n_passed,
        len(result.failures),
        result.n_warnings,
        result.n_warned,
    )
    if result.data_docs:
        log.info("gate: validation report (Great Expectations Data Docs): %s", result.data_docs)
    return result


@dataclass
class Decided:
    """One chunk's validations, verdicts and causes (the true cause first)."""

    checked: list[str]
    validations: dict[str, Any]
    verdicts: list[SectionVerdict]
    causes: list[Cause]


Chunk = tuple[Mapping[Frame, pd.DataFrame], pd.DataFrame]


def decide(
    frames: Mapping[Frame, pd.DataFrame],
    problems: pd.DataFrame,
    context: Any = None,
    run_id: RunIdentifier | None = None,
    *,
    chunk_documents: int | None = None,
) -> tuple[dict[str, Any], list[SectionVerdict], list[Cause]]:
    """Validate the frames read (documents, cells) and decide on every report × section.

    Returns the GX validations by suite name, the verdicts and the causes listed against the
    held-back sections, the true cause first.  ``problems`` are the extractor's (stg_problems).
    With ``chunk_documents`` the documents are validated that many at a time and the results
    merged (what ``run_gate`` does); without, all at once.
    """
    n = len(frames["documents"])
    validations: dict[str, Any] = {}
    verdicts: list[SectionVerdict] = []
    causes: list[Cause] = []
    chunks = split_frames(frames, problems, chunk_documents or max(n, 1))
    for decided in decide_chunks(chunks, context, run_id):
        merge_validations(validations, decided.validations)
        verdicts += decided.verdicts
        causes += decided.causes
    return validations, verdicts, sorted(causes, key=_cause_order)


def decide_chunks(
    chunks: Iterable[Chunk], context: Any = None, run_id: RunIdentifier | None = None
) -> Iterator[Decided]:
    """Validate chunk after chunk (each holding whole documents) with the gate's suites.

    Every check is about one report, so a report's verdict does not depend on the chunk it is
    in; the suites are added to the GX context once.
    """
    validator: Validator | None = None
    for frames, problems in chunks:
        if validator is None:
            validator = Validator(
                context if context is not None else _context(False),
                gate_suites(),
                run_id or _run_id("gate"),
                "xxgk_build",
            )
        derived = with_derived_frames(frames)
        validations = validator.run(derived)
        checks = check_causes(_all_unexpected(validator.suites, validations), derived)
        verdicts, causes = section_verdicts(derived["sections"], checks, problem_causes(problems))
        checked = [str(d) for d in frames["documents"]["document_id"]]
        yield Decided(checked, validations, verdicts, causes)


def split_frames(frames: Mapping[Frame, pd.DataFrame], problems: pd.DataFrame, size: int) -> Iterator[Chunk]:
    """The frames (documents, cells) and problems cut into chunks of ``size`` whole documents."""
    ids = list(dict.fromkeys(str(d) for d in frames["documents"]["document_id"]))
    for start in range(0, max(len(ids), 1), size):
        chunk = set(ids[start : start + size])
        yield (
            {name: frame[frame["document_id"].astype(str).isin(chunk)] for name, frame in frames.items()},
            problems[problems["document_id"].astype(str).isin(chunk)],
        )


def _read_chunks(db: Path, document_ids: list[str], size: int, spool_dir: Path) -> Iterator[Chunk]:
    """The gate's frames of these documents, ``size`` documents at a time, from the build database.

    Every frame is spooled in one pass over its model (``expectations.spool``), the database
    closed, and then each chunk read from the spool: a chunk costs its own rows, not a scan of
    the warehouse, and no lock is held while Great Expectations runs.
    """
    if not document_ids:
        return
    todo = pd.DataFrame(
        {
            "document_id": pd.Series(document_ids, dtype=object),
            spool.CHUNK_COLUMN: [i // size for i in range(len(document_ids))],
        }
    )
    reads: dict[str, tuple[str, str]] = {**_READS, "problems": _PROBLEMS_READ}
    empty: dict[str, pd.DataFrame] = {}
    with _read(db, spool_dir) as con:
        con.register("gate_todo", todo)
        for name, (sql, _order) in reads.items():
            empty[name] = spool.spool(con, sql, spool_dir / name)
    for chunk in range(todo[spool.CHUNK_COLUMN].iloc[-1] + 1):
        read = {
            name: spool.read_chunk(spool_dir / name, chunk, empty[name], order)
            for name, (_sql, order) in reads.items()
        }
        problems = read.pop("problems")
        yield read, problems


def _validate_soft(
    db: Path, suites: list[GateSuite], run_id: RunIdentifier, spool_dir: Path
) -> tuple[dict[str, Any], pd.DataFrame]:
    """S1–S3 over every current report's soft checks, ``GATE.soft_chunk_rows`` rows at a time.

    Returns the merged validations (the report) and the failing checks (anchor, check_id).
    """
    sql, order = _SOFT_READ
    with _read(db, spool_dir.parent) as con:
        empty = spool.spool(con, sql.format(size=GATE.soft_chunk_rows), spool_dir)
    validator = Validator(_context(False), suites, run_id, "xxgk_build_soft")
    validations: dict[str, Any] = {}
    failing = []
    # One chunk even without rows: the suites' results (and the Data Docs) are there either way.
    for chunk in range(max(spool.n_chunks(spool_dir), 1)):
        frame = spool.read_chunk(spool_dir, chunk, empty, order)
        validated = validator.run({"soft_residuals": frame})
        failing.append(_failing_soft_checks(suites, validated))
        merge_validations(validations, validated, keep=GATE.report_rows_kept)
    # A check failing two soft identities is one row, as before chunks.
    merged = pd.concat(failing, ignore_index=True).drop_duplicates(ignore_index=True)
    return validations, merged


def _duckdb_memory() -> str:
    return os.environ.get(DUCKDB_MEMORY_ENV, "").strip().replace("'", "") or DEFAULT_DUCKDB_MEMORY


def _read(db: Path, temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The build database, read-only, with DuckDB's memory bounded as dbt's is.

    ``XXGK_DUCKDB_MEMORY_LIMIT`` (1 GB, dbt_project/profiles.yml): the scans of the cells view
    and the soft identities' joins over the whole warehouse spill beyond it instead of growing
    with the warehouse.
    """
    limit = _duckdb_memory()
    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": limit}
    if temp_directory is not None:  # where a sort or a join beyond the limit spills
        config["temp_directory"] = str(temp_directory / "duckdb-tmp")
    return duckdb.connect(str(db), read_only=True, config=config)


def _cause_order(c: Cause) -> tuple[str, int, str, str]:
    return (c.document_id, c.rank, c.section or "", c.equation_id)


def with_derived_frames(frames: Mapping[Frame, pd.DataFrame]) -> dict[Frame, pd.DataFrame]:
    """Add the identity frames, the sections frame and n_equations to the frames read."""
    out = dict(frames)
    values = document_values(frames["cells"])
    identity = identity_frames(frames["documents"], values)
    out.update(identity)
    out["sections"] = sections_frame(frames["documents"], values)
    counts: Counter[str] = Counter()
    for frame in identity.values():
        counts.update(frame["document_id"])
    documents = frames["documents"].copy()
    documents["n_equations"] = [counts.get(d, 0) for d in documents["document_id"]]
    # A printed name that resolves to no body (a name made only of characters the body
    # names drop) would be published under no body: it is held back, with the name. A report
    # with no name at all fails the org_name check instead (one cause, not two).
    documents["body_identified"] = documents["org_name"].isna() | documents["body_id"].notna()
    out["documents"] = documents
    return out


def _run_id(kind: str) -> RunIdentifier:
    now = datetime.now(UTC)
    return RunIdentifier(run_name=f"{kind}-{now:%Y%m%dT%H%M%S.%fZ}", run_time=now)


def _context(data_docs: bool) -> Any:
    """An ephemeral GX context; with data_docs, its validation results and site are files."""
    stores = dict(InMemoryStoreBackendDefaults().stores)
    sites: dict[str, Any] = {}
    if data_docs:
        warehouse = paths.warehouse_dir()
        stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(_validations_dir(warehouse)),
            },
        }
        sites[DATA_DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir(warehouse)),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    return gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            stores=stores,
            expectations_store_name="expectations_store",
            validation_results_store_name="validation_results_store",
            checkpoint_store_name="checkpoint_store",
            data_docs_sites=sites,
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )


def _store(context: Any, validations: Mapping[str, Any], run_id: RunIdentifier) -> None:
    """Keep the merged validation results of this run in the context's (Data Docs) store."""
    store = context.validation_results_store
    for name, result in validations.items():
        suite_id = ExpectationSuiteIdentifier(name=name)
        batch = (result.meta or {}).get("active_batch_definition")
        batch_id = getattr(batch, "id", None) or f"xxgk_build-{name}"
        store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=batch_id
            ),
            expectation_suite_identifier=suite_id,
        )


def _validate(
    context: Any,
    frames: Mapping[Frame, pd.DataFrame],
    suites: Iterable[GateSuite],
    run_id: RunIdentifier,
    source_name: str = "xxgk_build",
) -> dict[str, Any]:
    """Run each suite on its slice of its frame; results by suite name."""
    return Validator(context, suites, run_id, source_name).run(frames)


def _unexpected(gs: GateSuite, validation: Any) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    """(expectation meta, unexpected row keys) of every failing expectation of a suite."""
    for res in validation.results:
        if _raised(res.exception_info):
            raise GateError(
                f"{gs.name}: {res.expectation_config.type} raised: {_message(res.exception_info)}"
            )
        if res.success:
            continue
        meta = res.expectation_config.meta or {}
        for key in res.result.get("unexpected_index_list") or []:
            yield meta, key


def _all_unexpected(
    suites: Iterable[GateSuite], validations: Mapping[str, Any]
) -> Iterable[tuple[str, dict[str, Any], dict[str, Any]]]:
    for gs in suites:
        for meta, key in _unexpected(gs, validations[gs.name]):
            yield gs.frame, meta, key


def _write(
    db: Path,
    checked: list[str],
    verdicts: list[SectionVerdict],
    causes: list[Cause],
    digests: Mapping[str, str],
    version: str,
) -> None:
    """Replace the gate rows of the checked documents, with what their verdict was made from."""
    now = datetime.now(UTC).replace(tzinfo=None)
    held = {v.document_id for v in verdicts if v.verdict == "held_back"}
    publishing = {v.document_id for v in verdicts if v.verdict == "published"}
    report_level = {c.document_id for c in causes if c.section is None and c.holds_back}
    results = pd.DataFrame(
        {
            "document_id": checked,
            "passed": [d not in held for d in checked],
            "checked_at": [now] * len(checked),
            "is_publishable": [d in publishing and d not in report_level for d in checked],
            "input_digest": pd.Series([digests.get(d) for d in checked], dtype=object),
            "gate_version": [version] * len(checked),
        }
    )
    sections = pd.DataFrame(
        [(v.document_id, v.section, v.verdict, v.cause, v.reason, v.n_cells, now) for v in verdicts],
        columns=["document_id", "section", "verdict", "cause", "reason", "n_cells", "checked_at"],
    )
    failures = [
        GateFailure(
            c.document_id,
            c.identity_id,
            c.equation_id,
            c.cells,
            c.lhs_value,
            c.rhs_value,
            c.difference,
            c.section,
            c.cause,
            c.rank,
            c.message,
        )
        for c in causes
    ]
    failing = pd.DataFrame(
        [{**f.__dict__} for f in failures],
        columns=[
            "document_id",
            "identity_id",
            "equation_id",
            "cells",
            "lhs_value",
            "rhs_value",
            "difference",
            "section",
            "cause",
            "cause_rank",
            "message",
        ],
    )
    for column in ("lhs_value", "rhs_value", "difference"):
        failing[column] = failing[column].map(lambda v: None if v is None else str(v)).astype(object)
    # object dtype even when empty (a load of only rejected documents): an empty list would be
    # a float column, which DuckDB cannot compare with the VARCHAR document ids.
    checked_frame = pd.DataFrame({"document_id": pd.Series(checked, dtype=object)})
    with staging.connect(db) as con:
        con.register("checked", checked_frame)
        con.register("results", results)
        con.register("verdicts", sections)
        con.register("failing", failing)
        con.execute("begin")
        try:
            for table in ("gate_failures", "gate_results", "gate_sections"):
                con.execute(
                    f"delete from staging.{table} where document_id in (select document_id from checked)"
                )
            con.execute(
                "insert into staging.gate_results (document_id, passed, checked_at, is_publishable, "
                "input_digest, gate_version) select document_id, passed, checked_at, is_publishable, "
                "input_digest, gate_version from results"
            )
            con.execute(
                "insert into staging.gate_sections (document_id, section, verdict, cause, reason, "
                "n_cells, checked_at) select document_id, section, verdict, cause, reason, "
                "cast(n_cells as integer), checked_at from verdicts"
            )
            con.execute("""
                insert into staging.gate_failures
                    (document_id, identity_id, equation_id, lhs_value, rhs_value, difference, cells,
                     section, cause, cause_rank, message)
                select document_id, identity_id, equation_id, cast(lhs_value as decimal(38, 6)),
                       cast(rhs_value as decimal(38, 6)), cast(difference as decimal(38, 6)), cells,
                       cast(section as varchar), cause, cast(cause_rank as integer), message
                from failing
            """)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def _failing_soft_checks(suites: Iterable[GateSuite], validations: Mapping[str, Any]) -> pd.DataFrame:
    rows = {}
    for gs in suites:
        for _meta, key in _unexpected(gs, validations[gs.name]):
            anchor, check_id = str(key["anchor_document_id"]), str(key["check_id"])
            rows[(anchor, check_id)] = {"anchor_document_id": anchor, "check_id": check_id}
    return pd.DataFrame(list(rows.values()), columns=["anchor_document_id", "check_id"])


# The failing soft checks' rows, one per report involved: from the spool of ``_validate_soft``
# (``{spooled}``, a Parquet glob), for the view would compute every current report's equations
# again (~57 CPU s at 100 000 reports).
_SOFT_WARNINGS_INSERT = """
    insert into staging.gate_warnings
    select
        involved.document_id,
        residuals.identity_id,
        residuals.equation_id,
        residuals.check_id,
        residuals.anchor_document_id,
        residuals.document_ids,
        residuals.report_years,
        residuals.relation,
        residuals.lhs_value,
        residuals.rhs_value,
        residuals.difference,
        residuals.cells,
        residuals.description
    from failing_soft
    inner join read_parquet('{spooled}', hive_partitioning = true) as residuals
        on failing_soft.anchor_document_id = residuals.anchor_document_id
        and failing_soft.check_id = residuals.check_id
    cross join unnest(string_split(residuals.document_ids, ',')) as involved(document_id)
"""


def _write_warnings(db: Path, failing: pd.DataFrame, soft_spool: Path) -> None:
    """Replace every warning: they depend on which reports are current, which any load changes."""
    with staging.connect(db) as con:
        # The office's checks aggregate every current report's cells here: bounded as the reads.
        con.execute(f"set memory_limit = '{_duckdb_memory()}'")
        con.register("failing_soft", failing)
        spooled = str(soft_spool / "**" / "*.parquet").replace("'", "''")
        con.execute("begin")
        try:
            con.execute("delete from staging.gate_warnings")
            if len(failing):  # a failing check has its rows in the spool
                con.execute(_SOFT_WARNINGS_INSERT.format(spooled=spooled))
            # The office's checks (S6, copied text, identical numbers, lateness): same table.
            con.register("office_warnings", _decimals_as_text(narrative_checks.warnings_frame(con)))
            con.execute("insert into staging.gate_warnings by name select * from office_warnings")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def _decimals_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as text, which DuckDB casts to the table's decimal(38, 6) on insert.

    A frame of Decimal objects is given the type of its first values (DECIMAL(9, 6) for
    ``2.000000``), and a later ``1487.000000`` then fails the insert as out of range.
    """
    frame = frame.copy()
    for column in ("lhs_value", "rhs_value", "difference"):
        if column in frame.columns:
            frame[column] = pd.Series(
                [
                    None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                    for v in frame[column]
                ],
                index=frame.index,
                dtype=object,
            )
    return frame


def _write_state(db: Path, started: datetime, result: GateResult) -> None:
    """Remember this run; a run without systemic problems closes the load."""
    load = result.load or LoadVerdict(None, 0, 0, 0)
    with staging.connect(db) as con:
        previous = con.execute("select max(accepted_through) from staging.gate_state").fetchall()[0][0]
        latest = "select max(coalesce(read_at, loaded_at)) from staging.documents"
        loaded = con.execute(latest).fetchall()[0][0]
        accepted = previous if result.systemic_problems else (loaded or previous)
        con.execute("begin")
        try:
            con.execute("delete from staging.gate_state")
            con.execute(
                "insert into staging.gate_state values (?, ?, ?, ?, ?)",
                [
                    started,
                    accepted,
                    load.n_documents,
                    load.n_not_passed,
                    "\n".join(result.systemic_problems) or None,
                ],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def _load_verdict(con: duckdb.DuckDBPyConnection) -> LoadVerdict:
    """How the documents of the load fared (``_LOAD_COUNTS``), counted in DuckDB."""
    read_at, n_documents, n_rejected, n_failed = con.execute(_LOAD_COUNTS).fetchall()[0]
    if not n_documents:
        return LoadVerdict(None, 0, 0, 0)
    # Reports of the load failing each identity (or DQ, or EX: an extractor problem), most
    # frequent first.
    by_identity = {str(identity): int(n) for identity, n in con.execute(_LOAD_IDENTITIES).fetchall()}
    return LoadVerdict(
        pd.Timestamp(read_at).to_pydatetime(), int(n_documents), int(n_rejected), int(n_failed), by_identity
    )


# -------------------------------------------------------------------- systemic problems


def _env_number(name: str, default: float, kind: type) -> Any:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(
            f"{name}={text!r} is not a {'number' if kind is float else 'whole number'}"
        ) from None
    return value


def thresholds(max_fail_share: float | None = None, min_reports: int | None = None) -> tuple[float, int]:
    """(max share of a load that may fail, minimum size of a load for the share to count).

    Arguments win over ``XXGK_GATE_MAX_FAIL_SHARE`` and ``XXGK_GATE_MIN_REPORTS``.
    """
    share = (
        _env_number(MAX_FAIL_SHARE_ENV, DEFAULT_MAX_FAIL_SHARE, float)
        if max_fail_share is None
        else max_fail_share
    )
    if not 0 <= share <= 1:
        raise ValueError(f"{MAX_FAIL_SHARE_ENV}={share} must be between 0 and 1")
    minimum = _env_number(MIN_REPORTS_ENV, DEFAULT_MIN_REPORTS, int) if min_reports is None else min_reports
    if minimum < 1:
        raise ValueError(f"{MIN_REPORTS_ENV}={minimum} must be at least 1")
    return share, minimum


def systemic_problems(
    result: GateResult, max_fail_share: float | None = None, min_reports: int | None = None
) -> list[str]:
    """What is wrong with the load as a whole (empty when only single reports failed)."""
    share, minimum = thresholds(max_fail_share, min_reports)
    load = result.load
    problems = []
    if load is not None and load.n_documents >= minimum and load.share_not_passed > share:
        top = ", ".join(f"{identity} ({n})" for identity, n in list(load.failing_identities.items())[:5])
        problems.append(
            f"{load.n_not_passed} of the {load.n_documents} documents of this load did not "
            f"pass ({load.n_failed} had a section held back by the gate, {load.n_rejected} were "
            f"rejected by the extractor): {load.share_not_passed:.0%}, more than the {share:.0%} allowed "
            f"({MAX_FAIL_SHARE_ENV}, counted from {minimum} documents, {MIN_REPORTS_ENV}). "
            "A whole load failing points at the extractor, the template or the inbox, not at "
            "the reports." + (f" Failing checks by reports: {top}." if top else "")
        )
    return problems


def check_systemic(result: GateResult) -> None:
    """Raise ``SystemicGateError`` when the load as a whole is wrong (``result.systemic_problems``)."""
    problems = result.systemic_problems
    if problems:
        where = f"\nValidation report: {result.data_docs}" if result.data_docs else ""
        raise SystemicGateError("the gate stopped the load:\n  " + "\n  ".join(problems) + where)


# -------------------------------------------------------------------- before publication


def check_marts(
    build_db: Path | None = None,
    *,
    data_docs: bool = True,
    chunk_rows: int | None = None,
    checked: Path | None = None,
) -> MartsCheck:
    """Validate the built marts (``expectations.suites.marts_suites``); problems are systemic.

    The current reports and the fact rows are validated whole bodies at a time (about
    ``chunk_rows`` fact rows, default ``GATE.marts_chunk_rows``): every expectation is about one
    row, one report (a report is one body's) or one body's year, so a chunk of bodies gets the
    rows' own results.  ``checked`` is the Parquet file of the bodies an earlier check passed
    (``MartsCheck.bodies``, kept with the published publication): a body with the same rows and
    the same version of the check is not validated again.
    """
    db = Path(build_db) if build_db is not None else paths.build_db()
    rows = chunk_rows if chunk_rows is not None else GATE.marts_chunk_rows
    section_of_table = dict(zip(FACT_TABLES, ("s3", "s2", "s4")))
    suites = marts_suites()
    version = gate_version()
    run_id = _run_id("publication")
    validator = Validator(_context(False), suites, run_id, "xxgk_marts")
    validations: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="marts-spool-", dir=db.parent) as tmp:
        with _read(db, Path(tmp)) as con:
            counts = {t: con.execute(f"select count(*) from marts.{t}").fetchall()[0][0] for t in FACT_TABLES}
            passed = dict(zip(("s2", "s3", "s4"), con.execute(_MARTS_SECTION_PASSED).fetchall()[0]))
            con.execute(f"create temp table marts_bodies as {_MARTS_BODIES}")
            con.register("marts_checked", _checked_bodies(con, checked))
            bodies = _body_chunks(con.execute(_MARTS_TO_VALIDATE, [version]).fetchall(), rows)
            every_body = con.execute("select body_id, n_rows, digest from marts_bodies").df()
            con.register("marts_chunk", bodies)
            empty = {
                name: spool.spool(
                    con,
                    f"select spooled.*, marts_chunk.{spool.CHUNK_COLUMN} from ({sql}) as spooled "
                    "inner join marts_chunk on spooled.body_id is not distinct from marts_chunk.body_id",
                    Path(tmp) / name,
                )
                for name, sql in _MARTS_READS.items()
            }
        every_body["check_version"] = version
        log.info(
            "marts check: %d of %d bodies to validate (the others as checked before)",
            len(bodies),
            len(every_body),
        )
        # A fact table must hold rows when a current report's section of it passed the gate.
        tables = pd.DataFrame(
            {
                "table_name": list(counts),
                "n_rows": list(counts.values()),
                "is_empty_but_reports_passed": [
                    n == 0 and bool(passed[section_of_table[t]]) for t, n in counts.items()
                ],
            }
        )
        n_chunks = int(bodies[spool.CHUNK_COLUMN].max()) + 1 if len(bodies) else 1
        for chunk in range(n_chunks):
            frames = {
                name: spool.read_chunk(Path(tmp) / name, chunk, empty[name], _MARTS_ORDER[name])
                for name in _MARTS_READS
            }
            frames["published_reports"] = _with_missing_cells(
                frames["published_reports"], frames["published_cells"]
            )
            frames["published_tables"] = tables if chunk == 0 else tables.iloc[0:0]
            merge_validations(validations, validator.run(frames))
    problems = []
    for gs in suites:
        found: dict[str, list[dict[str, Any]]] = {}
        for meta, key in _unexpected(gs, validations[gs.name]):
            found.setdefault(str(meta["check"]), []).append(key)
        for what, keys in found.items():
            # The first failing row in the frame's order (chunks are bodies, not that order).
            first = (
                min(keys, key=lambda k: tuple(str(k[c]) for c in gs.keys))
                if gs.frame in _MARTS_ORDER
                else keys[0]
            )
            example = ", ".join(f"{k}={v}" for k, v in first.items())
            problems.append(f"{gs.name}: {what} fails for {len(keys)} row(s), e.g. {example}")
    check = MartsCheck(problems, validations, bodies=every_body, n_validated=len(bodies))
    if data_docs:
        context = _context(True)
        _store(context, validations, run_id)
        check.data_docs = _build_data_docs(context)
    if problems:
        log.error("the marts break what the gate guarantees:\n  %s", "\n  ".join(problems))
    return check


def _checked_bodies(con: duckdb.DuckDBPyConnection, checked: Path | None) -> pd.DataFrame:
    """The bodies of an earlier check (none when there is none, or it cannot be read)."""
    if checked is not None and checked.exists():
        try:
            return con.execute(
                "select body_id, digest, check_version from read_parquet(?)", [str(checked)]
            ).df()
        except duckdb.Error as exc:  # evidence that cannot be read is no evidence: validate all
            log.warning("marts check: %s cannot be read (%s); every body is validated", checked, exc)
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("body_id", "digest", "check_version")})


def _body_chunks(bodies: list[tuple[str | None, int]], rows: int) -> pd.DataFrame:
    """(body_id, xxgk_chunk): bodies in order, a chunk closed once it holds ``rows`` fact rows."""
    chunks, chunk, filled = [], 0, 0
    for _body, n in bodies:
        if filled and filled + n > rows:
            chunk, filled = chunk + 1, 0
        chunks.append(chunk)
        filled += n
    return pd.DataFrame(
        {
            "body_id": pd.Series([b for b, _ in bodies], dtype=object),
            spool.CHUNK_COLUMN: pd.Series(chunks, dtype="int64"),
        }
    )


def _with_missing_cells(reports: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """The reports with n_missing_cells: cells of their published sections the facts lack."""
    present = cells.groupby("document_id")["cell_id"].agg(frozenset).to_dict() if len(cells) else {}
    reports = reports.copy()
    # Only the published sections of a report are in the facts: each must be complete.
    reports["n_missing_cells"] = pd.Series(
        [
            len(
                [
                    c
                    for c in missing_cells(
                        version if version in VERSIONS else None, present.get(doc, frozenset())
                    )
                    if row[f"{section_of(c)}_verdict"] == "published"
                ]
            )
            for (_, row), doc, version in zip(
                reports.iterrows(), reports["document_id"], reports["template_version"]
            )
        ],
        index=reports.index,
        dtype="int64",
    )
    return reports


def require_marts(build_db: Path | None = None, checked: Path | None = None) -> MartsCheck:
    """``check_marts``, raising ``MartsCheckError`` when the marts must not be published."""
    check = check_marts(build_db, checked=checked)
    if check.problems:
        where = f"\nValidation report: {check.data_docs}" if check.data_docs else ""
        raise MartsCheckError(
            "the marts were not published, they break what the gate guarantees:\n  "
            + "\n  ".join(check.problems)
            + where
        )
    return check


# ---------------------------------------------------------------------------- Data Docs


def data_docs_dir(warehouse: Path | None = None) -> Path:
    return (warehouse or paths.warehouse_dir()) / "data_docs"


def _validations_dir(warehouse: Path) -> Path:
    return warehouse / "gx" / "validations"


def _build_data_docs(context: Any) -> Path | None:
    """Prune old validation results, build the site; the index path, or None if it failed.

    The Data Docs are a report about the verdicts, not the verdicts: failing to build them is
    logged, never fatal.
    """
    warehouse = paths.warehouse_dir()
    try:
        _prune_validations(warehouse, _env_number(DATA_DOCS_KEEP_ENV, DEFAULT_DATA_DOCS_KEEP, int))
        built = context.build_data_docs(site_names=[DATA_DOCS_SITE])
        # GX's pages load jQuery, Bootstrap, … from CDNs: served from local copies instead
        data_docs_offline.make_offline(data_docs_dir(warehouse))
        index = data_docs_dir(warehouse) / "index.html"
        log.debug("data docs built: %s", built)
        return index if index.exists() else None
    except Exception as exc:  # noqa: BLE001 - a report, not a verdict
        log.error("could not build the Data Docs in %s: %s", data_docs_dir(warehouse), exc, exc_info=True)
        return None


def _prune_validations(warehouse: Path, keep: int) -> None:
    """Keep the results (and pages) of the last ``keep`` runs of each suite."""
    store = _validations_dir(warehouse)
    if not store.exists():
        return
    site = data_docs_dir(warehouse) / "validations"
    for suite in (p for p in store.iterdir() if p.is_dir()):
        runs = sorted((p for p in suite.iterdir() if p.is_dir()), key=lambda p: p.name)
        for old in runs[: max(len(runs) - max(keep, 1), 0)]:
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(site / suite.name / old.name, ignore_errors=True)


# ------------------------------------------------------------------------------- helpers


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
