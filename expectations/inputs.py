"""What the gate's verdict on a report depends on, as digests: a verdict is reused while they hold.

Every check of the gate is about one report (its document row, its cells after the reviewers'
corrections, its extractor problems), so its verdict is a function of those rows and of the
gate's own code and suites.  ``input_digests`` hashes the rows of each report as the gate reads
them, in the build database (one scan of the cells view, inside DuckDB); ``gate_version`` hashes
the code the verdict comes from.  Both are stored with the verdict (``staging.gate_results``),
and the gate validates only the reports whose digest or version differs: new reports, reports
read again, reports whose corrections or body (roster, aliases) changed, and every report once
the gate's code, the template, the year (the suites' upper bound on report_year) or Great
Expectations changed.  Soft identities and the office's checks span reports and are recomputed
on every run (``expectations.gate``).
"""

from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path

import duckdb
import great_expectations as gx

# Modules whose code decides a verdict; their source is part of the gate's version.
_VERDICT_MODULES = (
    "expectations.frames",
    "expectations.suites",
    "expectations.verdicts",
    "expectations.validation",
    "expectations.gate",
    "xxgk.template",
    "xxgk.identities",
)


def gate_version(today: date | None = None) -> str:
    """A digest of everything besides a report's rows that its verdict depends on."""
    import importlib

    digest = hashlib.sha256()
    for name in _VERDICT_MODULES:
        module = sys.modules.get(name) or importlib.import_module(name)
        digest.update(name.encode())
        digest.update(Path(str(module.__file__)).read_bytes())
    # DuckDB's hash() makes the input digests: another DuckDB, another digest.
    digest.update(
        f"year={(today or date.today()).year};gx={gx.__version__};duckdb={duckdb.__version__}".encode()
    )
    return digest.hexdigest()[:32]


# The digest of a group's rows, each a text ``row_json``: two 64-bit hashes of each summed
# (order-free, so no sort, and a fixed-size state per group: the aggregate's memory does not grow
# with the group's rows), with their count.  The gate's input digests and the marts check use it.
ROWS_DIGEST = "concat_ws(':', count(*), sum(hash(row_json)::hugeint), sum(hash(row_json, 'xxgk')::hugeint))"

# One digest per non-rejected report, over exactly the columns the gate reads (its ``_READS``
# and problems): to_json of a struct is injective (nulls stay null), a report's rows combined by
# ``ROWS_DIGEST``.
INPUT_DIGESTS = (
    """
    with cell_rows as (
        select document_id,
               to_json({c: cell_id, s: section, k: col_kind, v: value, b: basis, p: page, l: line})
                   as row_json
        from intermediate.int_cells_labelled
        where status <> 'rejected'
    ),
    cells as (
        select document_id,
               """
    + ROWS_DIGEST
    + """ as digest
        from cell_rows
        group by document_id
    ),
    problem_rows as (
        select document_id,
               to_json({q: problem_seq, c: problem_code, s: severity, m: message, i: cell_ids,
                        x: sections, j: candidates_json, r: raw_text}) as row_json
        from stg.stg_problems
    ),
    problems as (
        select document_id,
               """
    + ROWS_DIGEST
    + """ as digest
        from problem_rows
        group by document_id
    )
    select documents.document_id,
           md5(to_json({o: documents.org_name, b: documents.body_id, y: documents.report_year,
                        t: documents.template_version, s: documents.status,
                        c: cells.digest, p: problems.digest})) as input_digest
    from intermediate.int_documents as documents
    left join cells using (document_id)
    left join problems using (document_id)
    where documents.status <> 'rejected'
"""
)
