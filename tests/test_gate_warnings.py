"""Soft identities S1–S3 publish a report with a warning; the gate writes Data Docs every run.

One warehouse for the module, loaded as the pipeline loads it.  王助镇 reports 2020 (v2019),
2021 and 2022 (v2021): its 2020 → 2021 carry-over holds across the template change (S1), its
2021 → 2022 carry-over does not (3 carried forward, 1 carried over), and its 2022 现行有效 does not
follow from 2021's (S2).  辛庄镇 2023 issued more normative documents than it could have (S3).
云镇 2023 printed 现行有效 blank: its section 二 is held back (an unread cell), so S2 and S3 are
not checked there.  赵镇 2022's section 四 fails the gate (H4); its sections 二 and 三 are
published and compared with its 2021 report (S1, S2 fail as 王助镇's do).  周镇 2022 was
re-published with a broken section 三: each soft identity compares the version whose section is
current (S1 the first version's section 三, S2 the re-publication's section 二).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pytest
import records
from expectation_fields import as_kind

from expectations import suites
from expectations.gate import GateResult, run_gate
from warehouse import paths, staging, transform
from xxgk import template

pytestmark = pytest.mark.slow

WANGZHU_2020 = records.clean_v2019("gw-wangzhu-2020", "王助镇", 2020)
WANGZHU_2021 = records.clean_v2021("gw-wangzhu-2021", "王助镇", 2021)
WANGZHU_2022 = records.clean_v2021("gw-wangzhu-2022", "王助镇", 2022)
XINZHUANG_2023 = records.with_value(
    records.clean_v2021("gw-xinzhuang-base", "辛庄镇", 2023),
    "gw-xinzhuang-2023",
    "s2.art20_1/normative_documents/issued_this_year",
    12,
)
YUN_2022 = records.clean_v2021("gw-yun-2022", "云镇", 2022)
YUN_2023 = records.with_value(
    records.clean_v2021("gw-yun-base", "云镇", 2023),
    "gw-yun-2023",
    "s2.art20_1/normative_documents/currently_valid",
    None,
)
ZHAO_2021 = records.clean_v2021("gw-zhao-2021", "赵镇", 2021)
ZHAO_2022 = records.with_value(
    records.clean_v2021("gw-zhao-base", "赵镇", 2022), "gw-zhao-2022", "s4/review/total", 5
)
# 周镇 re-published its 2022 report (a second file, loaded after the first) with a broken
# section 三 (H1): the re-publication's sections 二 and 四 are current, the first version's
# section 三 stays published and current.  S1 of 2021 reads that section 三, S2 of 2022 the
# re-publication's section 二 (a comparison with the report-level current version would read the
# held-back section 三 and check nothing).
ZHOU_2021 = records.clean_v2021("gw-zhou-2021", "周镇", 2021)
ZHOU_2022 = records.clean_v2021("gw-zhou-2022", "周镇", 2022)
ZHOU_2022_AGAIN = records.with_value(
    records.clean_v2021("gw-zhou-2022-base", "周镇", 2022),
    "gw-zhou-2022-again",
    "s3/new_received/natural_person",
    71,
)
# Completeness (DQ:cells_complete): a report without section 四 balances everything it has, but
# is not complete; a report without the 规章 row (a township has no rule-making power) is.
_BASE = records.clean_v2021("gw-qian-base", "钱镇", 2022)
NO_SECTION_4 = records.report(
    "gw-qian-2022",
    org_name="钱镇",
    year=2022,
    version="v2021",
    cells={f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in _BASE["cells"] if c["table"] != "s4"},
)
NO_REGULATIONS = records.report(
    "gw-sun-2022",
    org_name="孙镇",
    year=2022,
    version="v2021",
    cells={
        f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in _BASE["cells"] if c["row"] != "regulations"
    },
)
ALL = (
    WANGZHU_2020,
    WANGZHU_2021,
    WANGZHU_2022,
    XINZHUANG_2023,
    YUN_2022,
    YUN_2023,
    ZHAO_2021,
    ZHAO_2022,
    NO_SECTION_4,
    NO_REGULATIONS,
    ZHOU_2021,
    ZHOU_2022,
    ZHOU_2022_AGAIN,
)


doc_id = records.doc_id


@dataclass
class Built:
    db: Path
    warehouse: Path
    gate: GateResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with pytest.MonkeyPatch.context() as mp:
        warehouse = tmp_path_factory.mktemp("warehouse")
        mp.setenv("XXGK_WAREHOUSE_DIR", str(warehouse))
        db = paths.build_db()
        with staging.connect(db) as con:
            staging.load_records(con, ALL)
        transform.build("staging intermediate")
        gate = run_gate()
        transform.build("marts")
        yield Built(db, warehouse, gate)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


S1_2021 = {"S1:natural_person@2021", "S1:total@2021"}
S2_2022 = {"S2:normative_documents@2022"}
# Expected warnings by document id.
EXPECTED = {
    doc_id(WANGZHU_2021): S1_2021 | S2_2022,
    doc_id(WANGZHU_2022): S1_2021 | S2_2022,
    doc_id(XINZHUANG_2023): {"S3:normative_documents@2023"},
    doc_id(YUN_2022): {"S1:natural_person@2022", "S1:total@2022"},
    doc_id(YUN_2023): {"S1:natural_person@2022", "S1:total@2022"},
    doc_id(ZHAO_2021): {"S1:natural_person@2021", "S1:total@2021", "S2:normative_documents@2022"},
    doc_id(ZHAO_2022): {"S1:natural_person@2021", "S1:total@2021", "S2:normative_documents@2022"},
    doc_id(ZHOU_2021): {"S1:natural_person@2021", "S1:total@2021", "S2:normative_documents@2022"},
    doc_id(ZHOU_2022): {"S1:natural_person@2021", "S1:total@2021"},
    doc_id(ZHOU_2022_AGAIN): {"S2:normative_documents@2022"},
}


def test_soft_suites_are_generated_from_the_template() -> None:
    soft = suites.soft_identity_suites()
    assert [s.name for s in soft] == [
        "xxgk_soft_identity_S1",
        "xxgk_soft_identity_S2",
        "xxgk_soft_identity_S3",
    ]
    assert {s.suite.meta["identity_id"] for s in soft} == {i.id for i in template.SOFT_IDENTITIES}
    s3 = as_kind(
        next(s for s in soft if s.name.endswith("S3")).suite.expectations[0],
        gxe.ExpectColumnValuesToBeBetween,
    )
    assert (s3.column, s3.min_value, s3.max_value) == ("difference", 0, None)
    assert all(s.rows["n_missing_terms"] == 0 for s in soft)
    # Soft suites never decide: they are not among the gate's suites.
    assert not {s.name for s in soft} & {s.name for s in suites.gate_suites()}


def test_only_the_hard_failures_are_held_back(built: Built) -> None:
    assert (built.gate.n_checked, built.gate.n_passed) == (13, 9)
    assert built.gate.failed_documents == {
        doc_id(ZHAO_2022),
        doc_id(NO_SECTION_4),
        doc_id(YUN_2023),
        doc_id(ZHOU_2022_AGAIN),
    }
    assert built.gate.verdicts(doc_id(ZHAO_2022)) == {"s2": "published", "s3": "published", "s4": "held_back"}
    assert built.gate.verdicts(doc_id(YUN_2023)) == {"s2": "held_back", "s3": "published", "s4": "published"}


def test_a_report_without_a_section_is_incomplete(built: Built) -> None:
    [failure] = [f for f in built.gate.failures if f.document_id == doc_id(NO_SECTION_4)]
    assert (failure.identity_id, failure.equation_id, failure.section) == ("DQ", "DQ:cells_complete:s4", "s4")
    assert failure.cells.split(",") == [
        f"s4/{row}/{col}"
        for row in ("review", "litigation_direct", "litigation_after_review")
        for col in ("upheld", "corrected", "other", "pending", "total")
    ]
    assert query(
        built.db,
        f"""
        select identity_id, equation_id from marts.quarantine where document_id = '{doc_id(NO_SECTION_4)}'
        """,
    ) == [("DQ", "DQ:cells_complete:s4")]
    # Without 规章 the report is complete, and its facts have no 规章 row (absent is not zero).
    assert query(
        built.db,
        f"""
        select passed_gate from marts.dim_report where document_id = '{doc_id(NO_REGULATIONS)}'""",
    ) == [(True,)]
    assert query(
        built.db,
        f"""
        select count(*) from marts.fct_active_disclosure
        where document_id = '{doc_id(NO_REGULATIONS)}' and row_code = 'regulations'""",
    ) == [(0,)]


# The soft identities this module is about; the office's checks (S6, C1–C3, tests/test_offices.py)
# also warn here: these records' tables are identical copies (C2).
SOFT = {"S1", "S2", "S3"}


def test_warnings_are_attached_to_every_report_they_involve(built: Built) -> None:
    found: dict[str, set[str]] = {}
    for w in built.gate.warnings:
        if w.identity_id in SOFT:
            found.setdefault(w.document_id, set()).add(w.check_id)
    assert found == EXPECTED
    assert query(
        built.db,
        "select document_id, check_id from marts.report_warnings "
        "where identity_id in ('S1', 'S2', 'S3') order by 1, 2",
    ) == sorted((d, c) for d, checks in EXPECTED.items() for c in checks)
    # 王助镇 2021 and 2022 print the same clean tables as 云镇 2022 and 赵镇 2021: C2 says so.
    assert {w.identity_id for w in built.gate.warnings} - SOFT == {"C2"}


def test_warned_reports_are_published_with_their_count(built: Built) -> None:
    rows = dict(
        (d, (p, n))
        for d, p, n in query(built.db, "select document_id, passed_gate, n_warnings from marts.dim_report")
    )
    office = dict(
        query(
            built.db,
            "select document_id, count(*) from marts.report_warnings "
            "where identity_id not in ('S1', 'S2', 'S3') group by 1",
        )
    )
    for record in ALL:
        expected = len(EXPECTED.get(doc_id(record), ())) + office.get(doc_id(record), 0)
        passed = record not in (ZHAO_2022, NO_SECTION_4, YUN_2023, ZHOU_2022_AGAIN)
        assert rows[doc_id(record)] == (passed, expected), record["source"]["path"]
    facts = {d for (d,) in query(built.db, "select distinct document_id from marts.fct_applications")}
    # 周镇's re-publication is published without its section 三 (its section 二 is a fact).
    assert set(EXPECTED) - {doc_id(ZHOU_2022_AGAIN)} <= facts
    assert doc_id(ZHOU_2022_AGAIN) not in facts
    assert query(
        built.db,
        f"select count(*) > 0 from marts.fct_active_disclosure where document_id = '{doc_id(ZHOU_2022_AGAIN)}'",
    ) == [(True,)]


def test_s1_and_s2_values(built: Built) -> None:
    rows = query(
        built.db,
        f"""
        select check_id, lhs_value, rhs_value, difference, cells, report_years, document_ids
        from marts.report_warnings where document_id = '{doc_id(WANGZHU_2022)}'
            and identity_id in ('S1', 'S2', 'S3')
        order by check_id""",
    )
    both = f"{doc_id(WANGZHU_2021)},{doc_id(WANGZHU_2022)}"
    assert rows == [
        (
            "S1:natural_person@2021",
            Decimal(3),
            Decimal(1),
            Decimal(2),
            "2021:s3/carried_to_next_year/natural_person,2022:s3/carried_over_from_last_year/natural_person",
            "2021,2022",
            both,
        ),
        (
            "S1:total@2021",
            Decimal(3),
            Decimal(1),
            Decimal(2),
            "2021:s3/carried_to_next_year/total,2022:s3/carried_over_from_last_year/total",
            "2021,2022",
            both,
        ),
        # 现行有效 5 against 5 + 3 issued − 6 repealed = 2
        (
            "S2:normative_documents@2022",
            Decimal(5),
            Decimal(2),
            Decimal(3),
            "2022:s2.art20_1/normative_documents/currently_valid,2021:s2.art20_1/normative_documents/currently_valid,"
            "2022:s2.art20_1/normative_documents/issued_this_year,2022:−s2.art20_1/normative_documents/repealed_this_year",
            "2021,2022",
            both,
        ),
    ]


def test_s1_holds_across_the_template_change_and_s2_does_not_chain_to_v2019(built: Built) -> None:
    checks = {
        (a, c, d)
        for a, c, d in query(
            built.db,
            """
        select anchor_document_id, check_id, difference from intermediate.int_soft_identity_residuals""",
        )
    }
    assert (doc_id(WANGZHU_2020), "S1:total@2020", Decimal(0)) in checks
    assert not {c for a, c, _ in checks if a == doc_id(WANGZHU_2021) and c.startswith("S2:")}


def test_s3_and_a_blank_term(built: Built) -> None:
    assert query(
        built.db,
        f"""
        select lhs_value, rhs_value, difference, relation from marts.report_warnings
        where document_id = '{doc_id(XINZHUANG_2023)}'""",
    ) == [(Decimal(11), Decimal(12), Decimal(-1), ">=")]
    # 云镇 2023's blank 现行有效 holds its section 二 back: S2 and S3 of its normative documents
    # cannot be checked (none of the section's cells is used, three terms each).
    assert query(
        built.db,
        f"""
        select check_id, n_missing_terms from intermediate.int_soft_identity_residuals
        where anchor_document_id = '{doc_id(YUN_2023)}' and equation_id like '%normative%' order by 1""",
    ) == [("S2:normative_documents@2023", 3), ("S3:normative_documents@2023", 3)]


def test_soft_identities_compare_the_current_version_of_their_section(built: Built) -> None:
    def compared(anchor: str) -> list[tuple]:
        return query(
            built.db,
            f"""
            select distinct identity_id, document_ids from intermediate.int_soft_identity_residuals
            where anchor_document_id = '{anchor}' order by 1""",
        )

    first, again = doc_id(ZHOU_2022), doc_id(ZHOU_2022_AGAIN)
    # 2021's S1 reads 2022's section 三 from the first version (the re-publication's is held back).
    assert compared(doc_id(ZHOU_2021)) == [
        ("S1", f"{doc_id(ZHOU_2021)},{first}"),
        ("S3", doc_id(ZHOU_2021)),
    ]
    # 2022's S2 and S3 read the re-publication's section 二, which replaced the first version's.
    assert compared(again) == [("S2", f"{doc_id(ZHOU_2021)},{again}"), ("S3", again)]
    # The first version anchors nothing: its section 二 is superseded, and there is no 2023.
    assert compared(first) == []


def test_no_warning_against_a_held_back_section(built: Built) -> None:
    # 赵镇 2022's held-back section 四 is in no soft identity; 云镇 2023's held-back section 二 is
    # not compared with 2022 (S2) nor checked on its own (S3).
    assert {w.check_id for w in built.gate.warnings if doc_id(YUN_2023) in w.document_ids} == {
        "S1:natural_person@2022",
        "S1:total@2022",
    }


def test_data_docs_are_built_into_the_warehouse(built: Built) -> None:
    index = built.warehouse / "data_docs" / "index.html"
    assert built.gate.data_docs == index
    html = index.read_text(encoding="utf-8")
    for suite in ("xxgk_identity_H1", "xxgk_identity_H4", "xxgk_soft_identity_S1", "xxgk_documents"):
        assert suite in html, suite
    pages = list((built.warehouse / "data_docs" / "validations" / "xxgk_identity_H4").rglob("*.html"))
    assert len(pages) == 1
    assert "gw-zhao-2022" not in html  # pages name suites and runs, the failing rows are inside
    page = pages[0].read_text(encoding="utf-8")
    assert doc_id(ZHAO_2022) in page


def test_data_docs_keep_the_last_runs(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(built.warehouse))
    monkeypatch.setenv("XXGK_DATA_DOCS_KEEP_RUNS", "2")
    # Every report validated again (a run with nothing new to validate stores no results).
    for _ in range(2):
        again = run_gate(revalidate=True)
    assert again.n_validated == 13
    assert (again.n_checked, again.n_passed, len(again.warnings)) == (13, 9, len(built.gate.warnings))
    store = built.warehouse / "gx" / "validations" / "xxgk_identity_H1"
    site = built.warehouse / "data_docs" / "validations" / "xxgk_identity_H1"
    assert len(list(store.iterdir())) == 2
    assert len(list(site.iterdir())) == 2
