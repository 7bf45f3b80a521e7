"""Reviewers' corrections: a quarantined report is released by a correction, visibly.

Fast tests read and stage corrections files on a small build database (no dbt).  The slow
module loads one report per kind of identity break (H1, H2, H3 of a v2019 report, H4, H5, H6,
H7) beside a clean one, as the pipeline does (load, dbt, gate, dbt, publish), and checks that
each is quarantined and named; then a corrections file releases them all, with the printed
values kept beside the corrected ones; then one correction is withdrawn and another reworded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import records

from expectations.gate import GateResult, run_gate
from pipeline import cli
from pipeline import steps as pipeline
from warehouse import corrections, paths, staging, transform

HEADER = "document,cell,value,reason,corrected_by,corrected_at,printed_value\n"


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


doc_id = records.doc_id


# --- reading and staging the file (fast) ------------------------------------------------


def test_the_default_file_is_in_the_project_and_env_moves_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XXGK_CORRECTIONS", raising=False)
    default = corrections.corrections_path()
    assert default == paths.PROJECT_DIR / "corrections" / "corrections.csv"
    # The shipped file is a header only: it documents the columns and corrects nothing.
    assert default.read_text(encoding="utf-8").splitlines() == [HEADER.strip()]
    assert corrections.read_corrections(default) == []
    monkeypatch.setenv("XXGK_CORRECTIONS", str(tmp_path / "mine.csv"))
    assert corrections.corrections_path() == tmp_path / "mine.csv"
    assert corrections.read_corrections(tmp_path / "mine.csv") == []  # missing: nothing to correct


def test_a_file_without_a_required_column_fails_loudly(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "c.csv",
        "x,s3/new_received/total,5,r,me",
        header="document,cell,value,reason,corrected_by\n",
    )
    with pytest.raises(corrections.CorrectionsError, match="missing column.*corrected_at"):
        corrections.read_corrections(bad)


def test_bad_rows_are_read_with_the_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "a.pdf,s3/new_received/total,80,narrative says 80,王审核,2024-05-01,81",
        "a.pdf,s3/no_such_row/total,80,r,me,2024-05-01,",
        "a.pdf,s3/new_received/total,eighty,r,me,2024-05-01,",
        "a.pdf,s3/new_received/total,80,,me,yesterday,",
        "a.pdf,s3/other_handling/total,3,aggregated （六） row,me,2024-05-01T10:30:00+08:00,",
    )
    rows = corrections.read_corrections(path)
    assert [(r.line, r.problem) for r in rows] == [
        (2, None),
        (3, "cell 's3/no_such_row/total' is not a cell of the template (table/row/col)"),
        (4, "value 'eighty' is not a number"),
        (5, "reason is empty; corrected_at 'yesterday' is not an ISO date or date-time"),
        (6, None),
    ]
    assert (rows[0].value, rows[0].printed_value, rows[0].corrected_by) == (
        Decimal(80),
        Decimal(81),
        "王审核",
    )
    assert rows[4].corrected_at is not None and rows[4].corrected_at.hour == 2  # stored in UTC


def test_staging_resolves_documents_and_says_why_a_correction_does_not_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XXGK_CORRECTIONS", str(tmp_path / "none.csv"))
    clean = records.clean_v2021("corr-unit-a")
    twin_1 = records.clean_v2021("corr-unit-b")
    twin_2 = records.clean_v2021("corr-unit-c")
    twin_1["source"]["path"] = "inbox/2021/same.pdf"
    twin_2["source"]["path"] = "inbox/2022/same.pdf"
    # The extractor left 行政复议 总计 out of one document and could not read 予以公开's first two cells of another.
    lacking = records.without(clean, "corr-unit-lacking", ["s4/review/total"])
    unread = records.unread(
        clean,
        "corr-unit-unread",
        ["s3/granted/natural_person", "s3/granted/commercial_enterprise"],
        "396",
        [[3, 96], [39, 6]],
    )
    con = staging.connect(tmp_path / "build.duckdb")
    try:
        staging.load_records(con, [clean, twin_1, twin_2, lacking, unread])
        cells_before = con.execute("select * from staging.cells order by all").fetchall()
        path = write(
            tmp_path / "c.csv",
            f"{doc_id(clean)},s3/new_received/natural_person,71,by sha,me,2024-05-01,70,",  # 2 applied
            "corr-unit-a.pdf,s3/new_received/total,81,by file name,me,2024-05-01,,",  # 3 applied
            "inbox/2021/same.pdf,s3/new_received/total,81,by path,me,2024-05-01,,",  # 4 applied
            "same.pdf,s3/new_received/total,81,twins,me,2024-05-01,,",  # 5 ambiguous
            "nowhere.pdf,s3/new_received/total,81,not loaded yet,me,2024-05-01,,",  # 6 unknown
            # 7: a v2019 table in a v2021 report
            f"{doc_id(clean)},s2.art20_9/govt_centralized_procurement/procurement_projects,1,v2019 only,me,2024-05-01,,",
            f"{doc_id(clean)},s4/review/total,5,guard,me,2024-05-01,99,",  # 8 mismatch
            f"{doc_id(clean)},s4/review/upheld,2,earlier,me,2024-05-02,,",  # 9 superseded
            f"{doc_id(clean)},s4/review/upheld,3,later,me,2024-05-03,,",  # 10 applied
            f"{doc_id(clean)},s4/review/other,x,typo,me,2024-05-01,,",  # 11 invalid
            # 12: a cell the extractor left out is set (and added)
            f"{doc_id(lacking)},s4/review/total,4,page 3 prints 4,审核员,2024-05-04,,",
            # 13: the second candidate reading of an unread cell is chosen, without typing it
            f"{doc_id(unread)},s3/granted/natural_person,,the table's column widths,审核员,2024-05-04,,2",
            # 14: the same reading, typed and chosen: they agree
            f"{doc_id(unread)},s3/granted/commercial_enterprise,6,the table's column widths,审核员,2024-05-04,,2",
            # 15: no reading of a cell no problem is about
            f"{doc_id(unread)},s3/granted/total,46,guess,审核员,2024-05-04,,1",
            # 16: no third reading
            f"{doc_id(unread)},s3/granted/natural_person,,guess,审核员,2024-05-05,,3",
            header="document,cell,value,reason,corrected_by,corrected_at,printed_value,candidate\n",
        )
        counts = corrections.stage(con, path)
        staged = con.execute("""
            select correction_seq, status, document_id, printed_value, corrected_value, message
            from staging.corrections order by correction_seq""").fetchall()
        cells_after = con.execute("select * from staging.cells order by all").fetchall()
    finally:
        con.close()
    assert counts == {
        "applied": 7,
        "ambiguous_document": 1,
        "unknown_document": 1,
        "cell_not_in_template": 1,
        "printed_value_mismatch": 1,
        "superseded": 1,
        "invalid": 1,
        "no_such_candidate": 2,
    }
    assert [(seq, status) for seq, status, *_ in staged] == [
        (2, "applied"),
        (3, "applied"),
        (4, "applied"),
        (5, "ambiguous_document"),
        (6, "unknown_document"),
        (7, "cell_not_in_template"),
        (8, "printed_value_mismatch"),
        (9, "superseded"),
        (10, "applied"),
        (11, "invalid"),
        (12, "applied"),
        (13, "applied"),
        (14, "applied"),
        (15, "no_such_candidate"),
        (16, "no_such_candidate"),
    ]
    assert staged[0][2:5] == (doc_id(clean), Decimal(70), Decimal(71))
    assert staged[2][2] == doc_id(twin_1)
    assert staged[5][5] == (
        "s2.art20_9/govt_centralized_procurement/procurement_projects is not a cell "
        "of the document's template (v2021)"
    )
    # Left out by the extractor: nothing was printed, the correction adds the cell.
    assert staged[10][2:5] == (doc_id(lacking), None, Decimal(4))
    # Candidate 2 of the problem about the cells: (39, 6).
    assert [row[4] for row in staged[11:13]] == [Decimal(39), Decimal(6)]
    assert staged[13][5] == "no problem of the document offers candidate readings of s3/granted/total"
    assert staged[14][5] == "problem 1 offers 2 reading(s) of s3/granted/natural_person, not a reading 3"
    # Staging corrections never touches the cells.
    assert cells_after == cells_before


# --- one report per kind of identity break, released by corrections (slow) --------------


def body(name: str, org_name: str, version: str = "v2021") -> records.Record:
    return (
        records.clean_v2021(name, org_name, 2021)
        if version == "v2021"
        else records.clean_v2019(name, org_name, 2019)
    )


def broken(base: records.Record, name: str, changes: dict[str, records.Number]) -> records.Record:
    out = base
    for cell, value in changes.items():
        out = records.with_value(out, name, cell, value)
    return out


CLEAN = body("corr-clean", "甲镇")
BREAKS: dict[str, tuple[records.Record, dict[str, records.Number]]] = {
    # 71 new applications from natural persons, and 81 in the 总计 column: H2 holds, H1 does not.
    "H1": (body("corr-h1-base", "乙镇"), {"s3/new_received/natural_person": 71, "s3/new_received/total": 81}),
    # One granted application printed under 不掌握: H1 and H3 hold, H2 fails on both rows.
    "H2": (
        body("corr-h2-base", "丙镇"),
        {"s3/granted/natural_person": 40, "s3/unable_not_held/natural_person": 11},
    ),
    # v2019: 予以公开 one more in both columns: H2 holds, (七)总计 no longer adds up (H3).
    "H3": (body("corr-h3-base", "丁镇", "v2019"), {"s3/granted/natural_person": 7, "s3/granted/total": 9}),
    "H4": (body("corr-h4-base", "戊镇"), {"s4/review/total": 5}),
    "H5": (body("corr-h5-base", "己镇"), {"s4/litigation_direct/total": 3}),
    "H6": (body("corr-h6-base", "庚镇"), {"s4/litigation_after_review/upheld": 1}),
    # A count printed with a fraction (H7).
    "H7": (
        body("corr-h7-base", "辛镇"),
        {"s2.art20_5/administrative_licensing/decisions_this_year": Decimal("1520.5")},
    ),
}
BROKEN = {
    identity: broken(base, f"corr-{identity.lower()}", changes)
    for identity, (base, changes) in BREAKS.items()
}
ALL = [CLEAN, *BROKEN.values()]
FAILING_EQUATIONS = {
    "H1": {"H1:natural_person", "H1:total"},
    "H2": {"H2:granted", "H2:unable_not_held"},
    "H3": {"H3:natural_person", "H3:total"},
    "H4": {"H4"},
    "H5": {"H5"},
    "H6": {"H6"},
    "H7": {"H7:s2.art20_5/administrative_licensing/decisions_this_year"},
}


def correction_rows(withdrawn: str = "", reworded: str = "") -> list[str]:
    """Restore every printed-wrong cell to the base report's value (by sha256 or by file name)."""
    out = []
    for identity, (base, changes) in BREAKS.items():
        if identity == withdrawn:
            continue
        record = BROKEN[identity]
        ref = doc_id(record) if identity in {"H1", "H3", "H5", "H7"} else Path(record["source"]["path"]).name
        for cell, printed in changes.items():
            right = records.cell_value(base, cell)
            reason = f"{identity}: the narrative gives {right}" + (
                " (checked again)" if identity == reworded else ""
            )
            out.append(f"{ref},{cell},{right},{reason},审核员,2024-05-01,{printed}")
    return out


@dataclass
class Loads:
    db: Path
    warehouse: Path
    before: GateResult
    after: GateResult
    withdrawn: GateResult
    cells_before: list[tuple]
    cells_after: list[tuple]
    quarantine_before: list[dict]
    published_before: dict[str, list[tuple]]
    published_after: dict[str, list[tuple]]
    history_after: list[tuple]
    history_withdrawn: list[tuple]


def load_and_publish() -> GateResult:
    with staging.connect(paths.build_db()) as con:
        staging.load_records(con, ALL)
    transform.build("staging intermediate")
    gate = run_gate()
    transform.build("marts")
    pipeline.publish()
    return gate


def published(warehouse: Path) -> dict[str, list[tuple]]:
    db = warehouse / "xxgk.duckdb"
    return {
        "reports": query(
            db, "select document_id, passed_gate, n_corrections from marts.dim_report order by 1"
        ),
        "corrected": query(
            db,
            """
            select document_id, table_code || '/' || row_code || '/' || col_code, value, printed_value, correction_reason
            from marts.fct_applications where is_corrected
            union all
            select document_id, table_code || '/' || row_code || '/' || col_code, value, printed_value, correction_reason
            from marts.fct_review_litigation where is_corrected
            union all
            select document_id, table_code || '/' || row_code || '/' || col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown), printed_value,
                   correction_reason
            from marts.fct_active_disclosure where is_corrected
            order by 1, 2""",
        ),
        "fact_documents": query(db, "select distinct document_id from marts.fct_applications order by 1"),
        "quarantine": query(db, "select document_id, equation_id from marts.quarantine order by 1, 2"),
        "corrections": query(
            db,
            """
            select document_id, cell_id, correction_status, passed_gate from marts.corrections
            order by correction_seq""",
        ),
    }


def history(db: Path) -> list[tuple]:
    return query(
        db,
        """
        select document_id, row_code, col_code, value, printed_value, is_corrected, correction_reason
        from marts.fct_applications_history where is_corrected order by all""",
    )


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loads]:
    root = tmp_path_factory.mktemp("corrections")
    corrections_file = root / "corrections.csv"
    write(corrections_file)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root / "warehouse"))
        mp.setenv("XXGK_CORRECTIONS", str(corrections_file))
        warehouse = paths.warehouse_dir()
        db = paths.build_db()
        before = load_and_publish()
        cells_before = query(db, "select * from staging.cells order by all")
        quarantine = [json.loads(line) for line in _quarantine_json()]
        published_before = published(warehouse)

        write(corrections_file, *correction_rows())
        after = load_and_publish()
        cells_after = query(db, "select * from staging.cells order by all")
        published_after = published(warehouse)
        history_after = history(db)

        write(corrections_file, *correction_rows(withdrawn="H4", reworded="H1"))
        withdrawn = load_and_publish()
        yield Loads(
            db,
            warehouse,
            before,
            after,
            withdrawn,
            cells_before,
            cells_after,
            quarantine,
            published_before,
            published_after,
            history_after,
            history(db),
        )


def _quarantine_json() -> list[str]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["quarantine", "--json"]) == 0
    return out.getvalue().splitlines()


@pytest.mark.slow
def test_each_kind_of_break_is_quarantined_and_named(loads: Loads) -> None:
    failing: dict[str, set[str]] = {}
    for f in loads.before.failures:
        failing.setdefault(f.document_id, set()).add(f.equation_id)
    assert failing == {doc_id(BROKEN[i]): FAILING_EQUATIONS[i] for i in BROKEN}
    assert {f.identity_id for f in loads.before.failures} == {"H1", "H2", "H3", "H4", "H5", "H6", "H7"}
    # Only the broken section waits: section 三 of the reports broken in 二 or 四 is published.
    assert loads.published_before["fact_documents"] == sorted(
        (doc_id(r),) for r in (CLEAN, BROKEN["H4"], BROKEN["H5"], BROKEN["H6"], BROKEN["H7"])
    )
    assert loads.published_before["corrections"] == []


@pytest.mark.slow
def test_quarantine_command_gives_identity_cells_values_and_difference(loads: Loads) -> None:
    h4 = next(q for q in loads.quarantine_before if q["source_path"] == "inbox/corr-h4.pdf")
    assert {s: v["verdict"] for s, v in h4["sections"].items()} == {
        "s2": "published",
        "s3": "published",
        "s4": "held_back",
    }
    assert [(c["cell"], c["row_label"], c["col_label"], c["value"]) for c in h4["cells"]] == [
        ("s4/review/corrected", "行政复议", "结果纠正", 1.0),
        ("s4/review/other", "行政复议", "其他结果", 0.0),
        ("s4/review/pending", "行政复议", "尚未审结", 1.0),
        ("s4/review/total", "行政复议", "总计", 5.0),
        ("s4/review/upheld", "行政复议", "结果维持", 2.0),
    ]
    # One JSON object per report, its causes inside.
    assert len(loads.quarantine_before) == len(BROKEN)
    by_equation = {(q["source_path"], c["equation"]): c for q in loads.quarantine_before for c in q["causes"]}
    assert len(by_equation) == sum(len(e) for e in FAILING_EQUATIONS.values())
    h1 = by_equation[("inbox/corr-h1.pdf", "H1:natural_person")]
    # 71 new + 1 carried over against 68 processed + 3 carried forward, as printed.
    assert (h1["identity"], h1["lhs_value"], h1["rhs_value"], h1["difference"]) == ("H1", 72.0, 71.0, 1.0)
    assert h1["cells"].startswith("s3/new_received/natural_person,")
    h7 = by_equation[("inbox/corr-h7.pdf", "H7:s2.art20_5/administrative_licensing/decisions_this_year")]
    assert (h7["identity"], h7["lhs_value"], h7["cells"]) == (
        "H7",
        1520.5,
        "s2.art20_5/administrative_licensing/decisions_this_year",
    )
    h6 = by_equation[("inbox/corr-h6.pdf", "H6")]
    assert (h6["lhs_value"], h6["rhs_value"], h6["difference"]) == (0.0, 1.0, -1.0)


@pytest.mark.slow
def test_corrections_release_every_report(loads: Loads) -> None:
    assert (loads.after.n_checked, loads.after.n_passed) == (8, 8)
    # Only the corrected reports were validated again; the clean one kept its verdict.
    assert loads.before.n_validated == 8
    assert loads.after.n_validated == len(BROKEN) == 7
    assert loads.after.failures == []
    assert loads.published_after["quarantine"] == []
    assert loads.published_after["fact_documents"] == sorted((doc_id(r),) for r in ALL)
    n_corrections = {doc_id(BROKEN[i]): len(BREAKS[i][1]) for i in BROKEN}
    assert loads.published_after["reports"] == sorted(
        (doc_id(r), True, n_corrections.get(doc_id(r), 0)) for r in ALL
    )
    assert {status for _, _, status, _ in loads.published_after["corrections"]} == {"applied"}
    assert all(passed for *_, passed in loads.published_after["corrections"])


def base_value(base: records.Record, cell: str) -> Decimal:
    """The value a broken report's base holds in a cell the break changes: never blank."""
    value = records.cell_value(base, cell)
    assert value is not None, (base["source"]["path"], cell)
    return Decimal(value)


@pytest.mark.slow
def test_facts_keep_the_printed_value_beside_the_corrected_one(loads: Loads) -> None:
    expected = sorted(
        (
            doc_id(BROKEN[i]),
            cell,
            base_value(base, cell),
            Decimal(str(printed)),
            f"{i}: the narrative gives {records.cell_value(base, cell)}",
        )
        for i, (base, changes) in BREAKS.items()
        for cell, printed in changes.items()
    )
    assert loads.published_after["corrected"] == expected
    h1 = [row for row in expected if row[0] == doc_id(BROKEN["H1"])]
    assert [(cell, value, printed) for _, cell, value, printed, _ in h1] == [
        ("s3/new_received/natural_person", Decimal(70), Decimal(71)),
        ("s3/new_received/total", Decimal(80), Decimal(81)),
    ]


@pytest.mark.slow
def test_the_source_values_are_never_overwritten(loads: Loads) -> None:
    assert loads.cells_after == loads.cells_before
    assert query(
        loads.db,
        f"""
        select value from staging.cells
        where document_id = '{doc_id(BROKEN["H1"])}' and row_code = 'new_received'
          and col_code = 'natural_person'""",
    ) == [(Decimal(71),)]


@pytest.mark.slow
def test_a_withdrawn_correction_quarantines_the_report_again(loads: Loads) -> None:
    h4 = doc_id(BROKEN["H4"])
    assert loads.withdrawn.failed_documents == {h4}
    # Its report is validated again; a reworded reason changes no value: H1's keeps its verdict.
    assert loads.withdrawn.n_validated == 1
    assert query(
        loads.warehouse / "xxgk.duckdb", "select document_id, equation_id from marts.quarantine"
    ) == [(h4, "H4")]
    for fact in ("fct_review_litigation", "fct_review_litigation_history"):
        assert query(loads.db, f"select count(*) from marts.{fact} where document_id = ?", [h4]) == [(0,)], (
            fact
        )


@pytest.mark.slow
def test_the_history_follows_a_reworded_correction(loads: Loads) -> None:
    h1 = doc_id(BROKEN["H1"])
    before = {row[1:3]: row[-1] for row in loads.history_after if row[0] == h1}
    after = {row[1:3]: row[-1] for row in loads.history_withdrawn if row[0] == h1}
    assert set(before) == set(after) == {("new_received", "natural_person"), ("new_received", "total")}
    assert all(reason.endswith("(checked again)") for reason in after.values())
    assert not any(reason.endswith("(checked again)") for reason in before.values())
    # The history keeps every corrected cell with its printed value.
    assert [(r[3], r[4], r[5]) for r in loads.history_withdrawn if r[0] == h1] == [
        (Decimal(70), Decimal(71), True),
        (Decimal(80), Decimal(81), True),
    ]


@pytest.mark.slow
def test_a_correction_file_that_cannot_be_read_stops_the_load(
    loads: Loads, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(tmp_path / "bad.csv", "x,y", header="document,cell\n")
    monkeypatch.setenv("XXGK_CORRECTIONS", str(bad))
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(loads.warehouse))
    with pytest.raises(corrections.CorrectionsError, match="missing column"):
        pipeline.load([])
