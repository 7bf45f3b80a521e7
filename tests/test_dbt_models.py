"""The dbt project builds on synthetic records, its tests pass, and the marts hold exact values.

One warehouse for the module, built as the pipeline does: load, ``build("staging
intermediate")``, gate, ``build("marts")``.  Four reports pass (two bodies, both template
versions, a v2021 report printing （六）其他处理 as one row, and the same body under a
differently spaced name); four are held back, wholly or in part, for other reasons than a broken
sum (a blank cell holds back section 三, a negative count section 二; a year in the future and no
year or template at all hold back the whole report); one is rejected.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import records

from expectations.gate import GateResult, run_gate
from warehouse import paths, staging, transform
from xxgk import template

pytestmark = pytest.mark.slow


def _aggregated_other_v2021(name: str, org_name: str, year: int) -> records.Record:
    """A v2021 report printing （六）其他处理 as one row with numbers, as v2019 did."""
    base = records.clean_v2021(name, org_name, year)
    children = {"other_no_correction", "other_fee_unpaid", "other_misc"}
    cells = {
        f"{c['table']}/{c['row']}/{c['col']}": c["value"]
        for c in base["cells"]
        if not (c["table"] == "s3" and c["row"] in children)
    }
    for col in template.APPLICANT_CODES:
        cells[f"s3/other_handling/{col}"] = sum(
            records.cell_value(base, f"s3/{row}/{col}") for row in children
        )
    return records.report(name, org_name=org_name, year=year, version="v2021", cells=cells)


WANGZHU_2021 = records.clean_v2021("dbt-wangzhu-2021", "王助镇", 2021)
WANGZHU_2020 = records.clean_v2019("dbt-wangzhu-2020", "王 助\u3000镇", 2020)  # same body, spaced title
WANGZHU_2022 = _aggregated_other_v2021("dbt-wangzhu-2022", "王助镇", 2022)
TANGJIAHUI_2019 = records.clean_v2019("dbt-tangjiahui-2019", "金寨县汤家汇镇", 2019)
# 国家秘密 for natural persons printed blank: every sum still balances (it was 0), but H2 and H3
# cannot be checked, so the report is not published.
BLANK_CELL = records.with_value(
    records.clean_v2021("dbt-xingzhuang-base", "邢庄镇", 2023),
    "dbt-xingzhuang-2023",
    "s3/denied_state_secret/natural_person",
    None,
)
FUTURE_YEAR = records.clean_v2021("dbt-dayong-2099", "中山市大涌镇", 2099)
NEGATIVE_COUNT = records.with_value(
    records.clean_v2021("dbt-beigou-base", "北沟镇", 2022),
    "dbt-beigou-2022",
    "s2.art20_5/administrative_licensing/decisions_this_year",
    -3,
)
# Neither year nor template could be told, so no identity can be checked.
UNDATED = records.report(
    "dbt-undated",
    org_name="某县某局",
    year=None,
    version=None,
    status="needs_review",
    cells={"s2.art20_5/administrative_licensing/decisions_this_year": 5},
)
REJECTED = records.rejected("dbt-rejected")

PASSING = (WANGZHU_2021, WANGZHU_2020, WANGZHU_2022, TANGJIAHUI_2019)
FAILING = (BLANK_CELL, FUTURE_YEAR, NEGATIVE_COUNT, UNDATED)
ALL = (*PASSING, *FAILING, REJECTED)


doc_id = records.doc_id


@dataclass
class Built:
    db: Path
    warehouse: Path
    gate: GateResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    warehouse = tmp_path_factory.mktemp("warehouse")
    with pytest.MonkeyPatch.context() as mp:
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


# --- the build --------------------------------------------------------------------------


def test_layers_land_in_their_own_schemas(built: Built) -> None:
    schemas = dict(
        query(
            built.db,
            """
        select table_schema, count(*) from information_schema.tables
        where table_catalog = current_database() group by table_schema""",
        )
    )
    assert set(schemas) == {"staging", "stg", "intermediate", "marts"}
    assert query(
        built.db,
        """
        select table_name from information_schema.tables
        where table_schema = 'marts' order by table_name""",
    ) == [
        ("corrections",),
        ("dim_applicant",),
        ("dim_body",),
        ("dim_body_name",),
        ("dim_document_path",),
        ("dim_report",),
        ("dim_row",),
        ("document_readings",),
        ("fct_active_disclosure",),
        ("fct_active_disclosure_history",),
        ("fct_applications",),
        ("fct_applications_history",),
        ("fct_narrative",),
        ("fct_review_litigation",),
        ("fct_review_litigation_history",),
        ("mart_body_year",),
        ("mart_carry_over",),
        ("mart_filing_status",),
        ("mart_report_deadlines",),
        ("problems",),
        ("quarantine",),
        ("quarantine_cells",),
        ("reading_changes",),
        ("report_warnings",),
    ]


def test_dbt_leaves_the_checkout_clean_and_the_database_free(built: Built) -> None:
    assert not (transform.DBT_PROJECT_DIR / "target").exists()
    assert not (transform.DBT_PROJECT_DIR / "logs").exists()
    assert not (transform.DBT_PROJECT_DIR / ".user.yml").exists()
    assert (built.warehouse / "dbt" / "target" / "run_results.json").exists()
    # Another process can open the build database for writing: dbt let go of its lock.
    opened = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()", str(built.db)],
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr


def test_gate_verdicts(built: Built) -> None:
    assert (built.gate.n_checked, built.gate.n_passed) == (8, 4)
    assert dict(query(built.db, "select document_id, passed_gate from marts.dim_report")) == {
        **{doc_id(r): True for r in PASSING},
        **{doc_id(r): False for r in FAILING},
        doc_id(REJECTED): None,
    }


# --- grain ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "grain"),
    [
        ("fct_applications", "document_id, row_code, col_code"),
        ("fct_active_disclosure", "document_id, table_code, row_code, col_code"),
        ("fct_review_litigation", "document_id, row_code, col_code"),
        ("dim_body", "body_id"),
        ("dim_report", "document_id"),
        ("quarantine", "document_id, equation_id"),
        ("intermediate.int_identity_residuals", "document_id, equation_id"),
    ],
)
def test_grain(built: Built, table: str, grain: str) -> None:
    name = table if "." in table else f"marts.{table}"
    assert query(built.db, f"select count(*) from (select distinct {grain} from {name})") == query(
        built.db, f"select count(*) from {name}"
    )


def test_fact_row_counts(built: Built) -> None:
    counts = dict(query(built.db, "select document_id, count(*) from marts.fct_applications group by all"))
    # v2021: 25 rows × 7 columns; v2019: 23 rows; v2021 with （六） as one row: 25 − 3 + 1 rows.
    # The negative count holds back section 二 of its report only: its section 三 is published.
    assert counts == {
        doc_id(WANGZHU_2021): 175,
        doc_id(WANGZHU_2020): 161,
        doc_id(WANGZHU_2022): 161,
        doc_id(TANGJIAHUI_2019): 161,
        doc_id(NEGATIVE_COUNT): 175,
    }
    # Section 四 of the reports with a blank cell in 三 or a negative count in 二 is published.
    assert query(built.db, "select count(*) from marts.fct_review_litigation") == [(6 * 15,)]
    # Section 二 of the report with a blank cell in 三 is published.
    assert query(built.db, "select count(*) from marts.fct_active_disclosure") == [(5 * 10,)]
    assert query(
        built.db,
        f"""
        select document_id, s2_verdict, s3_verdict, s4_verdict from marts.dim_report
        where document_id in ('{doc_id(BLANK_CELL)}', '{doc_id(NEGATIVE_COUNT)}', '{doc_id(FUTURE_YEAR)}')
        order by document_id""",
    ) == sorted(
        [
            (doc_id(BLANK_CELL), "published", "held_back", "published"),
            (doc_id(NEGATIVE_COUNT), "held_back", "published", "published"),
            (doc_id(FUTURE_YEAR), "held_back", "held_back", "held_back"),
        ]
    )


# --- exact values -----------------------------------------------------------------------


def test_applications_values(built: Built) -> None:
    rows = query(
        built.db,
        f"""
        select row_code, col_code, value, row_label, row_group, row_level, page, raw_text
        from marts.fct_applications
        where document_id = '{doc_id(WANGZHU_2021)}'
          and (row_code, col_code) in (('new_received', 'total'), ('new_received', 'natural_person'),
                                             ('total_processed', 'total'), ('carried_to_next_year', 'total'))
        order by row_order, applicant_order""",
    )
    assert rows == [
        (
            "new_received",
            "natural_person",
            Decimal(70),
            "一、本年新收政府信息公开申请数量",
            "flow_in",
            0,
            2,
            "70",
        ),
        ("new_received", "total", Decimal(80), "一、本年新收政府信息公开申请数量", "flow_in", 0, 2, "80"),
        ("total_processed", "total", Decimal(78), "（七）总计", "total_processed", 1, 2, "78"),
        ("carried_to_next_year", "total", Decimal(3), "四、结转下年度继续办理", "flow_out", 0, 2, "3"),
    ]


def test_v2021_report_with_aggregated_other_handling(built: Built) -> None:
    assert query(
        built.db,
        f"""
        select col_code, value, row_label, row_group, is_leaf from marts.fct_applications
        where document_id = '{doc_id(WANGZHU_2022)}' and row_code = 'other_handling'
          and col_code in ('natural_person', 'total')
        order by applicant_order""",
    ) == [
        ("natural_person", Decimal(2), "（六）其他处理", "other", True),
        ("total", Decimal(2), "（六）其他处理", "other", True),
    ]


def test_active_disclosure_keeps_versions_apart(built: Built) -> None:
    assert query(
        built.db,
        """
        select distinct template_version, col_code, measure_kind from marts.fct_active_disclosure
        where table_code = 's2.art20_8' order by all""",
    ) == [
        ("v2019", "items_change_this_year", "signed"),
        ("v2019", "items_last_year", "count"),
        ("v2021", "fee_amount_wan_cny", "decimal"),
    ]
    assert query(
        built.db,
        f"""
        select col_code, value, amount_wan_cny, amount_cny, typeof(amount_wan_cny) from marts.fct_active_disclosure
        where document_id = '{doc_id(WANGZHU_2021)}' and table_code = 's2.art20_8'""",
    ) == [("fee_amount_wan_cny", None, Decimal("12.3456"), None, "DECIMAL(18,4)")]
    assert query(
        built.db,
        f"""
        select value, measure_label from marts.fct_active_disclosure
        where document_id = '{doc_id(TANGJIAHUI_2019)}' and col_code = 'items_change_this_year'
          and table_code = 's2.art20_5'""",
    ) == [(Decimal(-1), "本年增/减")]


def test_review_litigation_values(built: Built) -> None:
    assert query(
        built.db,
        f"""
        select row_code, col_code, value from marts.fct_review_litigation
        where document_id = '{doc_id(WANGZHU_2021)}' and col_code in ('upheld', 'total')
        order by row_code, col_code""",
    ) == [
        ("litigation_after_review", "total", Decimal(0)),
        ("litigation_after_review", "upheld", Decimal(0)),
        ("litigation_direct", "total", Decimal(2)),
        ("litigation_direct", "upheld", Decimal(1)),
        ("review", "total", Decimal(4)),
        ("review", "upheld", Decimal(2)),
    ]


def test_body_key_is_stable_across_spacing(built: Built) -> None:
    wangzhu = hashlib.md5("王助镇".encode()).hexdigest()
    assert query(
        built.db,
        f"""
        select printed_body_name, region_path, first_report_year, last_report_year, n_documents
        from marts.dim_body where body_id = '{wangzhu}'""",
    ) == [("王助镇", "安徽省 / 六安市 / 金寨县", 2020, 2022, 3)]
    assert query(built.db, "select count(*) from marts.dim_body") == [(6,)]
    assert query(
        built.db,
        f"""
        select distinct body_id from marts.dim_report
        where document_id in ('{doc_id(WANGZHU_2020)}', '{doc_id(WANGZHU_2021)}', '{doc_id(WANGZHU_2022)}')
        """,
    ) == [(wangzhu,)]


def test_dim_report(built: Built) -> None:
    assert query(
        built.db,
        f"""
        select printed_body_name, report_year, template_version, source_path, source_format, status,
               passed_gate, n_gate_failures, n_problems
        from marts.dim_report where document_id = '{doc_id(REJECTED)}'""",
    ) == [(None, None, None, "inbox/dbt-rejected.pdf", "pdf", "rejected", None, None, 1)]
    assert query(
        built.db,
        f"""
        select status, passed_gate, n_gate_failures from marts.dim_report
        where document_id = '{doc_id(BLANK_CELL)}'""",
    ) == [("needs_review", False, 3)]


def test_quarantine_says_why(built: Built) -> None:
    rows = query(
        built.db,
        """
        select document_id, section, cause_rank, identity_id, equation_id, cells, lhs_value, rhs_value,
               difference, n_missing_terms
        from marts.quarantine order by document_id, equation_id""",
    )
    h3_cells = next(
        r[0]
        for r in query(
            built.db,
            """
        select cells from intermediate.int_identity_equations
        where template_version = 'v2021' and equation_id = 'H3:natural_person'""",
        )
    )
    assert rows == sorted(
        [
            # blank cell: the cell is unread, and the two equations it is a term of cannot be checked
            # (not "0 vs 0": no sides are given)
            (
                doc_id(BLANK_CELL),
                "s3",
                2,
                "DQ",
                "DQ:basis:s3/denied_state_secret/natural_person",
                "s3/denied_state_secret/natural_person",
                None,
                None,
                None,
                None,
            ),
            (
                doc_id(BLANK_CELL),
                "s3",
                3,
                "H2",
                "H2:denied_state_secret",
                ",".join(
                    f"s3/denied_state_secret/{c}" for c in ("total", *template.APPLICANTS_WITHOUT_TOTAL)
                ),
                None,
                None,
                None,
                1,
            ),
            (doc_id(BLANK_CELL), "s3", 3, "H3", "H3:natural_person", h3_cells, None, None, None, 1),
            (doc_id(FUTURE_YEAR), None, 2, "DQ", "DQ:report_year", "", None, None, None, None),
            # never checked: the extractor's error is the cause
            (doc_id(REJECTED), None, 1, "EX", "EX:no_text:1", None, None, None, None, None),
            (doc_id(UNDATED), None, 2, "DQ", "DQ:identities_checked", "", None, None, None, None),
            (doc_id(UNDATED), None, 2, "DQ", "DQ:report_year", "", None, None, None, None),
            (doc_id(UNDATED), None, 2, "DQ", "DQ:template_version", "", None, None, None, None),
            (
                doc_id(NEGATIVE_COUNT),
                "s2",
                4,
                "H7",
                "H7:s2.art20_5/administrative_licensing/decisions_this_year",
                "s2.art20_5/administrative_licensing/decisions_this_year",
                Decimal(-3),
                None,
                None,
                None,
            ),
        ]
    )
    assert query(
        built.db,
        f"""
        select message from marts.quarantine
        where document_id = '{doc_id(BLANK_CELL)}' and equation_id = 'H2:denied_state_secret'""",
    ) == [
        (
            "H2:denied_state_secret cannot be checked: 1 of its 7 terms are not known: 1 unread "
            "(s3/denied_state_secret/natural_person)",
        )
    ]


def test_marts_tests_catch_a_gate_bypass(built: Built, tmp_path: Path) -> None:
    """If failing reports reached the facts anyway, dbt's own tests on the marts would fail."""
    # Same file name: dbt-duckdb's views name the database after the file's stem.
    bypassed = tmp_path / built.db.name
    shutil.copy(built.db, bypassed)
    with duckdb.connect(str(bypassed)) as con:
        con.execute("update staging.gate_results set passed = true, is_publishable = true")
        con.execute("update staging.gate_sections set verdict = 'published'")
    with pytest.raises(transform.TransformError) as caught:
        transform.build("marts", build_db=bypassed)
    failed = "\n".join(caught.value.failures)
    # The current facts are a filter of the history: the history's tests catch the bypass first
    # (and the current facts are then not built at all).
    assert "not_null_fct_applications_history_value" in failed  # the blank cell
    assert "accepted_values_fct_applications_history_basis" in failed  # … which is unread
    assert "values_match_kind_fct_active_disclosure_history" in failed  # the negative count
    assert "assert_quarantine_only_from_failed_reports" in failed  # the year 2099, the undated report
    assert "fct_" in str(caught.value)
