"""The gate fails a report whose balancing identity is broken, and only passing reports reach the marts.

One warehouse for the module (dbt start-up is slow): a clean v2021 report, the same report with
one printed cell of section 三 off by one (H1, and H2 of its row), the same report with section
四's 行政复议 总计 off by one (H4), and a rejected document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import records
from expectations.gate import GateResult, run_gate
from expectations.suites import gate_suites, identity_suites
from warehouse import paths, staging, transform
from xxgk import template


CLEAN = records.clean_v2021("gate-clean-2021")
# 70 new natural-person applications printed as 71: H1 for natural persons and H2 for the
# new_received row no longer hold, by exactly one application each.
BROKEN_H1 = records.with_value(CLEAN, "gate-broken-h1", "s3/new_received/natural_person", 71)
# 行政复议 总计 printed as 5 instead of 2 + 1 + 0 + 1 = 4.
BROKEN_H4 = records.with_value(CLEAN, "gate-broken-h4", "s4/review/total", 5)
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
    suites = {s.suite.meta["identity_id"]: s for s in identity_suites()}
    assert set(suites) == hard == {"H1", "H2", "H3", "H4", "H5", "H6"}
    # H3 has one Identity per template version; its suite covers both.
    h3 = suites["H3"].suite.expectations
    assert next(e for e in h3 if e.column == "template_version").value_set == ["v2019", "v2021"]
    for identity_id, gs in suites.items():
        assert gs.rows == {"identity_id": identity_id}
        assert all(e.meta["identity_id"] == identity_id for e in gs.suite.expectations)
        checks = {(e.column, getattr(e, "min_value", None), getattr(e, "max_value", None))
                  for e in gs.suite.expectations}
        assert {("difference", 0, 0), ("n_missing_terms", 0, 0)} <= checks
    names = [s.name for s in gate_suites()]
    assert len(names) == len(set(names))
    assert {"xxgk_type_rule_H7_count", "xxgk_type_rule_H7_signed", "xxgk_type_rule_H7_decimal",
            "xxgk_documents"} <= set(names)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def failures_of(gate: GateResult, document_id: str) -> dict[str, tuple]:
    return {f.equation_id: (f.identity_id, f.lhs_value, f.rhs_value, f.difference)
            for f in gate.failures if f.document_id == document_id}


@pytest.mark.slow
def test_only_the_clean_report_passes(built: Built) -> None:
    assert built.gate.n_checked == 3  # the rejected document is not checked
    assert built.gate.n_passed == 1
    assert built.gate.failed_documents == {H1_ID, H4_ID}
    assert dict(query(built.db, "select document_id, passed from staging.gate_results")) == {
        CLEAN_ID: True, H1_ID: False, H4_ID: False}


@pytest.mark.slow
def test_broken_h1_fails_with_exact_difference(built: Built) -> None:
    assert failures_of(built.gate, H1_ID) == {
        # 71 + 1 carried over = 72 against 68 handled + 3 carried forward = 71
        "H1:natural_person": ("H1", Decimal(72), Decimal(71), Decimal(1)),
        # 总计 80 against 71 + 8 + 0 + 1 + 1 + 0 = 81
        "H2:new_received": ("H2", Decimal(80), Decimal(81), Decimal(-1)),
    }
    h1 = next(f for f in built.gate.failures if f.equation_id == "H1:natural_person")
    assert h1.cells == ("s3/new_received/natural_person,s3/carried_over_from_last_year/natural_person,"
                        "s3/total_processed/natural_person,s3/carried_to_next_year/natural_person")


@pytest.mark.slow
def test_broken_h4_fails_with_exact_difference(built: Built) -> None:
    assert failures_of(built.gate, H4_ID) == {"H4": ("H4", Decimal(5), Decimal(4), Decimal(1))}
    h4 = next(f for f in built.gate.failures if f.document_id == H4_ID)
    assert h4.cells == "s4/review/total,s4/review/upheld,s4/review/corrected,s4/review/other,s4/review/pending"


@pytest.mark.slow
def test_great_expectations_reports_the_broken_identities(built: Built) -> None:
    validations = built.gate.validations
    assert built.gate.success is False
    assert {name for name, v in validations.items() if not v.success} == {
        "xxgk_identity_H1", "xxgk_identity_H2", "xxgk_identity_H4"}

    h1 = validations["xxgk_identity_H1"]
    failed = [r for r in h1.results if not r.success]
    assert len(failed) == 1
    expectation = failed[0].expectation_config
    assert expectation.type == "expect_column_values_to_be_between"
    assert expectation.kwargs["column"] == "difference"
    assert expectation.meta["identity_id"] == "H1"
    assert failed[0].result["unexpected_index_list"] == [
        {"document_id": H1_ID, "equation_id": "H1:natural_person", "difference": 1.0}]

    h4 = validations["xxgk_identity_H4"]
    assert [r.result["unexpected_count"] for r in h4.results if not r.success] == [1]


@pytest.mark.slow
def test_gate_tables_are_replaced_not_appended(built: Built) -> None:
    again = run_gate(built.db)
    assert (again.n_checked, again.n_passed) == (3, 1)
    assert again.failures == built.gate.failures
    assert query(built.db, "select count(*) from staging.gate_results") == [(3,)]
    assert query(built.db, "select count(*) from staging.gate_failures") == [(3,)]


@pytest.mark.slow
def test_facts_hold_only_the_passing_report(built: Built) -> None:
    for fact in ("fct_applications", "fct_active_disclosure", "fct_review_litigation"):
        assert query(built.db, f"select distinct document_id from marts.{fact}") == [(CLEAN_ID,)], fact
    assert dict(query(built.db, "select document_id, passed_gate from marts.dim_report")) == {
        CLEAN_ID: True, H1_ID: False, H4_ID: False, REJECTED_ID: None}


@pytest.mark.slow
def test_quarantine_lists_the_failures(built: Built) -> None:
    rows = query(built.db, """
        select document_id, org_name, report_year, identity_id, equation_id, lhs_value, rhs_value,
               difference, n_missing_terms
        from marts.quarantine order by document_id, equation_id""")
    assert rows == sorted([
        (H1_ID, "王助镇", 2021, "H1", "H1:natural_person", Decimal(72), Decimal(71), Decimal(1), 0),
        (H1_ID, "王助镇", 2021, "H2", "H2:new_received", Decimal(80), Decimal(81), Decimal(-1), 0),
        (H4_ID, "王助镇", 2021, "H4", "H4", Decimal(5), Decimal(4), Decimal(1), 0),
    ])
