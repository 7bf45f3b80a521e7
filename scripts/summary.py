"""Print what the published database holds (scripts/demo calls this after the DAG run)."""

from __future__ import annotations

import duckdb

from pipeline import steps
from warehouse import paths

EXAMPLE = (
    "select r.body_name, r.report_year, a.value from marts.fct_applications a "
    "join marts.dim_report r using (document_id) "
    "where a.row_code = 'new_received' and a.col_code = 'total' order by all"
)


def main() -> None:
    db = paths.published_db()
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = con.execute(
            "select count(*), count(*) filter (where passed_gate), "
            "count(*) filter (where not passed_gate and 'published' in (s2_verdict, s3_verdict, s4_verdict)) "
            "from marts.dim_report"
        ).fetchone()
        if counts is None:  # an aggregate always returns a row; DuckDB's type says it may not
            raise SystemExit(f"{db}: marts.dim_report returned no row of counts; run the pipeline again")
        n_reports, n_passed, n_in_part = counts
        document_ids = [r[0] for r in con.execute("select document_id from marts.dim_report").fetchall()]
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
    finally:
        con.close()
    print(f"published database: {db}")
    print(
        f"reports: {n_reports} loaded, {n_passed} passed the gate whole, {n_in_part} published in part "
        f"(sections held back: xxgk quarantine; the others were rejected)"
    )
    # The same count of causes as `xxgk run`'s summary (pipeline.steps.cause_lines).
    held = steps.quarantined(document_ids)
    print(f"quarantined: {len(held)} document(s)")
    for line in steps.cause_lines(held):
        print(line)
    if held:
        print("next:        xxgk quarantine  (every report held back: its causes, cells and pages)")
    print(f"tables: {', '.join('marts.' + t for t in tables)}")
    print(f"example query: {EXAMPLE}")
    run = f"import duckdb; duckdb.connect('{db}', read_only=True).sql(\\\"{EXAMPLE}\\\").show()"
    print(f'run it:        .venv/bin/python -c "{run}"')


if __name__ == "__main__":
    main()
