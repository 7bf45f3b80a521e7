"""Verdicts per report × section on real sample reports: one section waits, the others publish.

Two sample reports as the extractor reads them, each with one defect made on purpose:
大涌镇 2022 with section 三's 予以公开 cell for natural persons unread (an ambiguous printed text
with two candidate readings, as the extractor records it), and 邢庄镇 2023 with section 四's
行政复议 总计 left out.  The first load holds back exactly those sections and says why, the
true cause first; a corrections file then chooses the candidate reading and sets the missing
cell, and the next load publishes both sections.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import records

from expectations.gate import GateResult, run_gate
from extractors import extract_path
from pipeline import cli
from pipeline import steps as pipeline
from warehouse import paths, staging, transform

SAMPLES = paths.PROJECT_DIR / "samples" / "inbox"
DAYONG = extract_path(SAMPLES / "003_dayong_2022.txt").to_dict()
XINGZHUANG = extract_path(SAMPLES / "002_xingzhuang_2023.txt").to_dict()
UNREAD_CELL = "s3/granted/natural_person"
# Printed "4"; made unread: the text '1 4' (a stray footnote mark) reads as 14 or as 4.
DAYONG_UNREAD = records.unread(DAYONG, "dayong-2022-unread", [UNREAD_CELL], "1 4", [[14], [4]])
XINGZHUANG_LACKING = records.without(XINGZHUANG, "xingzhuang-2023-lacking", ["s4/review/total"])
DAYONG_ID, XINGZHUANG_ID = records.doc_id(DAYONG_UNREAD), records.doc_id(XINGZHUANG_LACKING)
HEADER = "document,cell,value,reason,corrected_by,corrected_at,printed_value,candidate\n"


@dataclass
class Loads:
    db: Path
    before: GateResult
    after: GateResult
    quarantine_text: str
    verdicts_before: list[tuple]
    facts_before: dict[str, set[str]]
    facts_after: dict[str, set[str]]
    corrected_after: list[tuple]


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def load() -> GateResult:
    with staging.connect(paths.build_db()) as con:
        staging.load_records(con, [DAYONG_UNREAD, XINGZHUANG_LACKING])
    transform.build("staging intermediate")
    gate = run_gate(data_docs=False)
    transform.build("marts")
    pipeline.publish()
    return gate


def facts(db: Path) -> dict[str, set[str]]:
    return {
        fact: {d for (d,) in query(db, f"select distinct document_id from marts.{fact}")}
        for fact in ("fct_active_disclosure", "fct_applications", "fct_review_litigation")
    }


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loads]:
    root = tmp_path_factory.mktemp("sections")
    corrections_file = root / "corrections.csv"
    corrections_file.write_text(HEADER, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root / "warehouse"))
        mp.setenv("XXGK_CORRECTIONS", str(corrections_file))
        db = paths.build_db()
        before = load()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["quarantine"]) == 0
        verdicts = query(
            db,
            """
            select printed_body_name, s2_verdict, s3_verdict, s4_verdict, s3_reason, s4_reason
            from marts.dim_report order by printed_body_name""",
        )
        facts_before = facts(db)
        corrections_file.write_text(
            HEADER
            + f"{DAYONG_ID},{UNREAD_CELL},,the table's cell holds 4; 1 is footnote mark 1,审核员,2024-05-01,,2\n"
            + "xingzhuang-2023-lacking.pdf,s4/review/total,0,no review: 0 + 0 + 0 + 0,审核员,2024-05-01,,\n",
            encoding="utf-8",
        )
        after = load()
        corrected = query(
            db,
            """
            select document_id, table_code || '/' || row_code || '/' || col_code, value, basis, extracted_basis,
                   printed_value
            from marts.fct_applications where is_corrected
            union all
            select document_id, table_code || '/' || row_code || '/' || col_code, value, basis, extracted_basis,
                   printed_value
            from marts.fct_review_litigation where is_corrected
            order by 1, 2""",
        )
        yield Loads(db, before, after, out.getvalue(), verdicts, facts_before, facts(db), corrected)


@pytest.mark.slow
def test_only_the_defective_sections_are_held_back(loads: Loads) -> None:
    assert loads.before.verdicts(DAYONG_ID) == {"s2": "published", "s3": "held_back", "s4": "published"}
    assert loads.before.verdicts(XINGZHUANG_ID) == {"s2": "published", "s3": "published", "s4": "held_back"}
    assert loads.verdicts_before == [
        (
            "中山市大涌镇",
            "published",
            "held_back",
            "published",
            "ambiguous_values: the text '1 4' can be read several ways and no identity decides between "
            "them; the cells are left blank; candidate readings: [[14], [4]]",
            None,
        ),
        (
            "邢庄镇人民政府",
            "published",
            "published",
            "held_back",
            None,
            "1 cell(s) of section s4 are not in the document: s4/review/total",
        ),
    ]
    assert loads.facts_before == {
        "fct_active_disclosure": {DAYONG_ID, XINGZHUANG_ID},
        "fct_applications": {XINGZHUANG_ID},
        "fct_review_litigation": {DAYONG_ID},
    }


@pytest.mark.slow
def test_the_true_cause_comes_first(loads: Loads) -> None:
    causes = [
        (f.section, f.cause_rank, f.cause, f.equation_id)
        for f in loads.before.failures
        if f.document_id == DAYONG_ID
    ]
    assert causes == [
        ("s3", 1, "extractor", "EX:1:ambiguous_values"),
        ("s3", 2, "cells_unread", f"DQ:basis:{UNREAD_CELL}"),
        ("s3", 3, "not_checkable", "H2:granted"),
        ("s3", 3, "not_checkable", "H3:natural_person"),
    ]
    h2 = next(
        f for f in loads.before.failures if f.document_id == DAYONG_ID and f.equation_id == "H2:granted"
    )
    assert h2.message == (
        f"H2:granted cannot be checked: 1 of its 7 terms are not known: 1 unread ({UNREAD_CELL})"
    )
    assert (h2.lhs_value, h2.rhs_value, h2.difference) == (None, None, None)  # never "0 vs 0"
    problems = query(
        loads.db,
        f"""
        select problem_code, severity, sections, cell_ids, raw_text, candidates_json
        from marts.problems where document_id = '{DAYONG_ID}'""",
    )
    assert problems == [("ambiguous_values", "error", ["s3"], [UNREAD_CELL], "1 4", "[[14], [4]]")]


@pytest.mark.slow
def test_the_quarantine_command_prints_one_block_per_report(loads: Loads) -> None:
    text = loads.quarantine_text
    assert text.count("\n中山市大涌镇 2022  v2021  inbox/dayong-2022-unread.pdf\n") == 1
    dayong = text.split("\n中山市大涌镇 2022")[1].split("\n邢庄镇")[0]
    assert (
        "  三、收到和处理政府信息公开申请情况 (s3): 暂缓发布 held back\n    1. [extractor] ambiguous_values:"
    ) in dayong
    assert "  四、政府信息公开行政复议、行政诉讼情况 (s4): 已发布 published" in dayong
    assert f"      {UNREAD_CELL}  （一）予以公开 × 自然人: ? (unread)  [line 145, printed '1 4']" in dayong
    # The unread cell is listed under the cells, not again as a cause of its own.
    assert "[cells_unread]" not in dayong
    assert "    2. [not_checkable] H2:granted cannot be checked" in dayong
    xingzhuang = text.split("\n邢庄镇人民政府 2023")[1]
    assert "      s4/review/total  行政复议 × 总计: not in the document" in xingzhuang
    assert text.rstrip().endswith(
        "2 report(s) with 2 section(s) held back. Fix a cell with "
        "corrections/corrections.csv (README: Corrections) and load again."
    )


@pytest.mark.slow
def test_corrections_choose_a_candidate_and_set_a_missing_cell(loads: Loads) -> None:
    assert loads.after.failures == []
    assert (
        loads.after.verdicts(DAYONG_ID)
        == loads.after.verdicts(XINGZHUANG_ID)
        == {"s2": "published", "s3": "published", "s4": "published"}
    )
    assert loads.facts_after == {fact: {DAYONG_ID, XINGZHUANG_ID} for fact in loads.facts_after}
    assert loads.corrected_after == sorted(
        [
            (DAYONG_ID, UNREAD_CELL, Decimal(4), "corrected", "unread", None),
            (XINGZHUANG_ID, "s4/review/total", Decimal(0), "corrected", None, None),
        ]
    )
