"""The gate holds back a section whose balancing identity is broken; only passing sections reach the marts.

One warehouse for the module (dbt start-up is slow): a clean v2021 report, the same report (of
another body) with one printed cell of section 三 off by one (H1, and H2 of its row: section 三
is held back, 二 and 四 publish), the same report (of a third body) with section 四's 行政复议
总计 off by one (H4: section 四 is held back), and a rejected document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import records
from expectation_fields import meta_of, sum_check

from expectations.gate import GateResult, run_gate
from expectations.suites import gate_suites, identity_suites
from warehouse import paths, staging, transform
from xxgk import template

CLEAN = records.clean_v2021("gate-clean-2021")
# 70 new natural-person applications printed as 71: H1 for natural persons and H2 for the
# new_received row no longer hold, by exactly one application each.
BROKEN_H1 = {
    **records.with_value(CLEAN, "gate-broken-h1", "s3/new_received/natural_person", 71),
    "org_name": "乙镇",
}
# 行政复议 总计 printed as 5 instead of 2 + 1 + 0 + 1 = 4.
BROKEN_H4 = {**records.with_value(CLEAN, "gate-broken-h4", "s4/review/total", 5), "org_name": "丙镇"}
REJECTED = records.rejected("gate-rejected")

CLEAN_ID, H1_ID, H4_ID, REJECTED_ID = (r["source"]["sha256"] for r in (CLEAN, BROKEN_H1, BROKEN_H4, REJECTED))


@dataclass
class Built:
    db: Path
    gate: GateResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path_factory.mktemp("warehouse")))
        db = paths.build_db()
        with staging.connect(db) as con:
            staging.load_records(con, [CLEAN, BROKEN_H1, BROKEN_H4, REJECTED])
        transform.build("staging intermediate")
        gate = run_gate()
        transform.build("marts")
        yield Built(db, gate)


def test_suites_are_generated_from_the_template() -> None:
    hard = {i.id for i in template.IDENTITIES if i.severity == "error"}
    suites = identity_suites()
    assert {s.suite.meta["identity_id"] for s in suites} == hard == {"H1", "H2", "H3", "H4", "H5", "H6"}
    # H3 has one Identity per template version, so one suite each, over its own terms.
    h3 = {s.name: s for s in suites if s.suite.meta["identity_id"] == "H3"}
    assert set(h3) == {"xxgk_identity_H3_v2019", "xxgk_identity_H3_v2021"}
    for ident in (i for i in template.IDENTITIES if i.severity == "error"):
        gs = next(
            s
            for s in suites
            if s.frame
            == (
                "identity_" + ident.id
                if ident.versions == template.VERSIONS
                else f"identity_{ident.id}_{ident.versions[0]}"
            )
        )
        total = sum_check(gs.suite.expectations)
        assert total.column_list == ([f"{r}/{c}" for r, c in ident.lhs] + [f"−{r}/{c}" for r, c in ident.rhs])
        assert all(meta_of(e)["identity_id"] in (ident.id, "DQ") for e in gs.suite.expectations)
    names = [s.name for s in gate_suites()]
    assert len(names) == len(set(names))
    assert {
        "xxgk_type_rule_H7_count",
        "xxgk_type_rule_H7_signed",
        "xxgk_type_rule_H7_decimal",
        "xxgk_documents",
        "xxgk_sections",
        "xxgk_cell_basis",
    } <= set(names)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def failures_of(gate: GateResult, document_id: str) -> dict[str, tuple]:
    return {
        f.equation_id: (f.identity_id, f.lhs_value, f.rhs_value, f.difference)
        for f in gate.failures
        if f.document_id == document_id
    }


@pytest.mark.slow
def test_only_the_clean_report_passes(built: Built) -> None:
    assert built.gate.n_checked == 3  # the rejected document is not checked
    assert built.gate.n_passed == 1
    assert built.gate.failed_documents == {H1_ID, H4_ID}
    assert {
        (d, passed, publishable)
        for d, passed, publishable in query(
            built.db, "select document_id, passed, is_publishable from staging.gate_results"
        )
    } == {(CLEAN_ID, True, True), (H1_ID, False, True), (H4_ID, False, True)}


@pytest.mark.slow
def test_each_section_has_its_verdict(built: Built) -> None:
    assert built.gate.verdicts(CLEAN_ID) == {"s2": "published", "s3": "published", "s4": "published"}
    assert built.gate.verdicts(H1_ID) == {"s2": "published", "s3": "held_back", "s4": "published"}
    assert built.gate.verdicts(H4_ID) == {"s2": "published", "s3": "published", "s4": "held_back"}
    assert query(
        built.db,
        """
        select document_id, s2_verdict, s3_verdict, s4_verdict, s3_reason, s4_reason
        from marts.dim_report order by document_id""",
    ) == sorted(
        [
            (CLEAN_ID, "published", "published", "published", None, None),
            (
                H1_ID,
                "published",
                "held_back",
                "published",
                "H1:natural_person does not hold: s3/new_received/natural_person + "
                "s3/carried_over_from_last_year/natural_person = 72 but s3/total_processed/natural_person + "
                "s3/carried_to_next_year/natural_person = 71 (difference 1)",
                None,
            ),
            (
                H4_ID,
                "published",
                "published",
                "held_back",
                None,
                "H4 does not hold: s4/review/total = 5 but s4/review/upheld + s4/review/corrected + "
                "s4/review/other + s4/review/pending = 4 (difference 1)",
            ),
            (REJECTED_ID, None, None, None, None, None),
        ]
    )


@pytest.mark.slow
def test_broken_h1_fails_with_exact_difference(built: Built) -> None:
    assert failures_of(built.gate, H1_ID) == {
        # 71 + 1 carried over = 72 against 68 handled + 3 carried forward = 71
        "H1:natural_person": ("H1", Decimal(72), Decimal(71), Decimal(1)),
        # 总计 80 against 71 + 8 + 0 + 1 + 1 + 0 = 81
        "H2:new_received": ("H2", Decimal(80), Decimal(81), Decimal(-1)),
    }
    h1 = next(f for f in built.gate.failures if f.equation_id == "H1:natural_person")
    assert h1.cells == (
        "s3/new_received/natural_person,s3/carried_over_from_last_year/natural_person,"
        "s3/total_processed/natural_person,s3/carried_to_next_year/natural_person"
    )


@pytest.mark.slow
def test_broken_h4_fails_with_exact_difference(built: Built) -> None:
    assert failures_of(built.gate, H4_ID) == {"H4": ("H4", Decimal(5), Decimal(4), Decimal(1))}
    h4 = next(f for f in built.gate.failures if f.document_id == H4_ID)
    assert (
        h4.cells == "s4/review/total,s4/review/upheld,s4/review/corrected,s4/review/other,s4/review/pending"
    )


@pytest.mark.slow
def test_great_expectations_reports_the_broken_identities(built: Built) -> None:
    validations = built.gate.validations
    assert built.gate.success is False
    assert {name for name, v in validations.items() if not v.success} == {
        "xxgk_identity_H1",
        "xxgk_identity_H2",
        "xxgk_identity_H4",
    }

    h1 = validations["xxgk_identity_H1"]
    failed = [r for r in h1.results if not r.success]
    assert len(failed) == 1
    expectation = failed[0].expectation_config
    # The expectation states the identity: its terms, the right-hand ones negated, sum to 0.
    assert expectation.type == "expect_multicolumn_sum_to_equal"
    assert expectation.kwargs["column_list"] == [
        "new_received/*",
        "carried_over_from_last_year/*",
        "−total_processed/*",
        "−carried_to_next_year/*",
    ]
    assert expectation.meta["identity_id"] == "H1"
    assert failed[0].result["unexpected_index_list"] == [
        {
            "document_id": H1_ID,
            "equation_id": "H1:natural_person",
            "new_received/*": 71.0,
            "carried_over_from_last_year/*": 1.0,
            "−total_processed/*": -68.0,
            "−carried_to_next_year/*": -3.0,
        }
    ]

    h4 = validations["xxgk_identity_H4"]
    assert [r.result["unexpected_count"] for r in h4.results if not r.success] == [1]


def gate_tables(db: Path) -> dict[str, list[tuple]]:
    """The gate's rows, without the time they were written."""
    return {
        "results": query(
            db, "select document_id, passed, is_publishable from staging.gate_results order by 1"
        ),
        "sections": query(
            db,
            "select document_id, section, verdict, cause, reason, n_cells from staging.gate_sections "
            "order by 1, 2",
        ),
        "failures": query(
            db,
            "select document_id, identity_id, equation_id, lhs_value, rhs_value, difference, cells, "
            "section, cause, cause_rank, message from staging.gate_failures order by all",
        ),
    }


@pytest.mark.slow
def test_the_gate_by_chunks_writes_what_one_validation_writes(built: Built) -> None:
    before = gate_tables(built.db)
    # One report per chunk: H1 breaks in one chunk, H4 in another, the third passes.
    chunked = run_gate(built.db, chunk_documents=1, revalidate=True, data_docs=False)
    assert chunked.n_validated == 3
    assert gate_tables(built.db) == before
    assert (chunked.failures, chunked.sections) == (built.gate.failures, built.gate.sections)
    summary = {
        name: (v.success, [(r.success, r.result.get("unexpected_count")) for r in v.results])
        for name, v in chunked.validations.items()
    }
    assert summary == {
        name: (v.success, [(r.success, r.result.get("unexpected_count")) for r in v.results])
        for name, v in built.gate.validations.items()
    }
    assert chunked.validations["xxgk_identity_H1"].success is False
    assert chunked.validations["xxgk_identity_H4"].success is False


@pytest.mark.slow
def test_gate_tables_are_replaced_not_appended(built: Built) -> None:
    again = run_gate(built.db)
    # Nothing changed since the last verdicts: every report keeps its own, none is validated.
    assert again.n_validated == 0
    assert (again.n_checked, again.n_passed) == (3, 1)
    assert again.failures == built.gate.failures
    assert again.sections == built.gate.sections
    assert query(built.db, "select count(*) from staging.gate_results") == [(3,)]
    assert query(built.db, "select count(*) from staging.gate_failures") == [(3,)]
    assert query(built.db, "select count(*) from staging.gate_sections") == [(9,)]


@pytest.mark.slow
def test_facts_hold_only_the_passing_sections(built: Built) -> None:
    def documents(fact: str) -> set[str]:
        return {d for (d,) in query(built.db, f"select distinct document_id from marts.{fact}")}

    assert documents("fct_active_disclosure") == {CLEAN_ID, H1_ID, H4_ID}
    assert documents("fct_applications") == {CLEAN_ID, H4_ID}
    assert documents("fct_review_litigation") == {CLEAN_ID, H1_ID}
    assert documents("fct_applications_history") == {CLEAN_ID, H4_ID}
    assert dict(query(built.db, "select document_id, passed_gate from marts.dim_report")) == {
        CLEAN_ID: True,
        H1_ID: False,
        H4_ID: False,
        REJECTED_ID: None,
    }
    # Every fact carries its cell's basis.
    assert query(built.db, "select distinct basis from marts.fct_applications") == [("printed",)]


@pytest.mark.slow
def test_quarantine_lists_the_failures(built: Built) -> None:
    rows = query(
        built.db,
        """
        select document_id, printed_body_name, report_year, section, cause_rank, identity_id, equation_id,
               lhs_value, rhs_value, difference, n_missing_terms
        from marts.quarantine order by document_id, equation_id""",
    )
    assert rows == sorted(
        [
            (
                H1_ID,
                "乙镇",
                2021,
                "s3",
                4,
                "H1",
                "H1:natural_person",
                Decimal(72),
                Decimal(71),
                Decimal(1),
                0,
            ),
            (H1_ID, "乙镇", 2021, "s3", 4, "H2", "H2:new_received", Decimal(80), Decimal(81), Decimal(-1), 0),
            (H4_ID, "丙镇", 2021, "s4", 4, "H4", "H4", Decimal(5), Decimal(4), Decimal(1), 0),
            # The rejected document is never checked, and says why: the extractor's error.
            (REJECTED_ID, None, None, None, 1, "EX", "EX:no_text:1", None, None, None, None),
        ]
    )
    cells = query(
        built.db,
        """
        select cell_id, row_label, col_label, value, basis, page from marts.quarantine_cells
        where document_id = ? order by cell_id""".replace("?", f"'{H4_ID}'"),
    )
    assert cells[0] == ("s4/review/corrected", "行政复议", "结果纠正", Decimal(1), "printed", 2)
    assert [c[0] for c in cells] == sorted(
        f"s4/review/{c}" for c in ("total", "upheld", "corrected", "other", "pending")
    )
