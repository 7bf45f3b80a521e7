"""Exact values extracted from the real sample reports (samples/SOURCES.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from extractors import extract_path
from xxgk.record import Report

INBOX = Path(__file__).resolve().parent.parent / "samples" / "inbox"


def values(report: Report, table: str, row: str) -> list:
    return [c.value for c in report.cells if c.table == table and c.row == row]


def problem_codes(report: Report) -> set[str]:
    return {p.code for p in report.problems}


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {p.name: extract_path(p) for p in sorted(INBOX.iterdir())}


@pytest.mark.parametrize(
    "name, org, year, version, status, n_cells",
    [
        ("000_wangzhu_2021.txt", "王助镇", 2021, "v2021", "needs_review", 200),
        ("001_tangjiahui_2019.txt", "金寨县汤家汇镇", 2019, "v2019", "ok", 198),
        ("002_xingzhuang_2023.txt", "邢庄镇人民政府", 2023, "v2021", "ok", 200),
        ("003_dayong_2022.txt", "中山市大涌镇", 2022, "v2021", "ok", 200),
        ("004_beigou_2020.txt", "蓬莱区北沟镇人民政府", 2020, "v2019", "needs_review", 195),
        ("pingtan-2019.page.txt", "平潭综合实验区", 2019, "v2019", "needs_review", 198),
        ("pingtan-2021.page.txt", "平潭综合实验区", 2021, "v2021", "needs_review", 200),
        ("pingtan-2022.page.txt", "平潭综合实验区", 2022, "v2021", "needs_review", 200),
        ("pingtan-2023.page.txt", "平潭综合实验区", 2023, "v2021", "needs_review", 200),
    ],
)
def test_metadata_and_status(reports, name, org, year, version, status, n_cells):
    r = reports[name]
    assert (r.org_name, r.year, r.template, r.status, len(r.cells)) == (org, year, version, status, n_cells)


def test_seed_000_blank_block_is_imputed_from_identities(reports):
    # P1: 予以公开 … 3.危及“三安全一稳定” are printed blank; （七）总计 is 0 in every
    # column, so H3 proves each blank is 0. P4: （七）总计 has 8 cells.
    r = reports["000_wangzhu_2021.txt"]
    imputed = {c.id for c in r.cells if c.imputed}
    assert len(imputed) == 35
    assert "s3/granted/natural_person" in imputed
    assert "s3/denied_three_security_one_stability/total" in imputed
    assert all(c.value == 0 for c in r.cells if c.table == "s3")
    assert {"imputed_value", "cell_count_mismatch"} <= problem_codes(r)
    assert not any(p.code.startswith("identity_") for p in r.problems)


def test_seed_001_one_cell_per_line_v2019(reports):
    r = reports["001_tangjiahui_2019.txt"]
    assert values(r, "s2.art20_5", "administrative_licensing") == [58, 0, 173]
    assert values(r, "s2.art20_5", "other_external_mgmt_services") == [0, 0, 0]
    assert values(r, "s2.art20_6", "administrative_penalty") == [22, 0, 58]
    assert values(r, "s2.art20_6", "administrative_coercion") == [27, 0, 31]
    assert values(r, "s2.art20_8", "administrative_fees") == [0, 0]
    assert values(r, "s2.art20_9", "govt_centralized_procurement") == [24, Decimal(35)]
    procurement = next(c for c in r.cells if c.col == "procurement_total_amount")
    assert procurement.where == {"line": 83, "raw": "35", "unit_unknown": True}
    # P2: the wrapped label 三安全一稳 / 定” does not create a phantom row.
    assert values(r, "s3", "denied_three_security_one_stability") == [0] * 7
    assert values(r, "s3", "other_handling") == [0] * 7
    assert r.problems == []


def test_seed_003_web_page_values_and_lines(reports):
    r = reports["003_dayong_2022.txt"]
    assert values(r, "s2.art20_1", "normative_documents") == [3, 6, 5]
    assert values(r, "s2.art20_5", "administrative_licensing") == [6181]
    assert values(r, "s2.art20_6", "administrative_penalty") == [191]
    assert values(r, "s2.art20_6", "administrative_coercion") == [1]
    assert values(r, "s2.art20_8", "administrative_fees") == [0]
    for row in ("new_received", "granted", "total_processed"):
        assert values(r, "s3", row) == [4, 0, 0, 0, 0, 0, 4]
    licensing = next(c for c in r.cells if c.row == "administrative_licensing")
    assert licensing.where == {"line": 55, "raw": "6181"}


def test_seed_004_split_table_and_short_row(reports):
    # P3: header repeated mid-table; P4: 8 cells on 一/二/(六)/(七); P5: 6 cells on 四;
    # P20: no 规章 row.
    r = reports["004_beigou_2020.txt"]
    assert values(r, "s2.art20_1", "regulations") == []
    assert values(r, "s3", "denied_internal_affairs") == [0] * 7
    assert values(r, "s3", "carried_to_next_year") == [0] * 7
    # Which of the 7 cells is the missing one cannot be told; H1 proves it is 0 wherever it is.
    imputed = [c.id for c in r.cells if c.imputed]
    assert len(imputed) == 1 and imputed[0].startswith("s3/carried_to_next_year/")
    assert values(r, "s4", "review") == [0] * 5


def test_pingtan_2021_digit_runs_split_by_identities(reports):
    r = reports["pingtan-2021.page.txt"]
    assert values(r, "s3", "new_received") == [64, 0, 0, 2, 0, 4, 70]
    assert values(r, "s3", "granted") == [27, 0, 0, 2, 0, 1, 30]
    assert values(r, "s3", "unable_not_held") == [22, 0, 0, 0, 0, 3, 25]
    assert values(r, "s3", "total_processed") == [63, 0, 0, 2, 0, 4, 69]
    assert values(r, "s3", "carried_to_next_year") == [1, 0, 0, 0, 0, 0, 1]
    assert values(r, "s4", "review") == [1, 0, 2, 0, 3]
    assert values(r, "s4", "litigation_direct") == [12, 0, 0, 0, 12]
    assert values(r, "s2.art20_5", "administrative_licensing") == [2293]
    assert values(r, "s2.art20_8", "administrative_fees") == [Decimal("24252.311082")]
    # 693665 has no identity to split it (69/3/665? 6/93/665?): left blank, flagged.
    assert values(r, "s2.art20_1", "normative_documents") == [None, None, None]
    assert "ambiguous_values" in problem_codes(r)


def test_pingtan_2022_and_2023(reports):
    r22, r23 = reports["pingtan-2022.page.txt"], reports["pingtan-2023.page.txt"]
    assert values(r22, "s3", "new_received") == [71, 3, 0, 0, 0, 0, 74]
    assert values(r22, "s3", "other_misc") == [0, 2, 0, 0, 0, 0, 2]
    assert values(r22, "s3", "total_processed") == [72, 3, 0, 0, 0, 0, 75]
    assert values(r22, "s4", "review") == [0, 1, 1, 0, 2]
    assert values(r22, "s2.art20_8", "administrative_fees") == [Decimal("9116.36")]
    assert values(r23, "s3", "new_received") == [80, 1, 0, 0, 0, 0, 81]
    # 220000022 splits as 2/20/… or 22/0/… under H2; only H3 down the columns decides.
    assert values(r23, "s3", "granted") == [22, 0, 0, 0, 0, 0, 22]
    assert values(r23, "s3", "partially_granted") == [19, 1, 0, 0, 0, 0, 20]
    assert values(r23, "s4", "litigation_direct") == [4, 0, 0, 1, 5]
    assert values(r23, "s4", "litigation_after_review") == [1, 0, 1, 0, 2]


def test_pingtan_2019_v2019(reports):
    r = reports["pingtan-2019.page.txt"]
    assert values(r, "s3", "new_received") == [23, 0, 0, 0, 0, 0, 23]
    assert values(r, "s3", "unable_unclear_after_correction") == [5, 0, 0, 0, 0, 0, 5]
    assert values(r, "s3", "other_handling") == [0] * 7
    assert values(r, "s3", "total_processed") == [23, 0, 0, 0, 0, 0, 23]


def test_pingtan_carry_over_matches_next_year(reports):
    # S1 across years: 2021's 结转下年度 (1) is 2022's 上年结转.
    assert values(reports["pingtan-2021.page.txt"], "s3", "carried_to_next_year") == values(
        reports["pingtan-2022.page.txt"], "s3", "carried_over_from_last_year"
    )


def test_cli_prints_one_json_line_per_document_in_order():
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "extract", "-q", str(INBOX)],
        capture_output=True,
        text=True,
        check=True,
    )
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [Path(r["source"]["path"]).name for r in records] == sorted(p.name for p in INBOX.iterdir())
    first = records[0]
    assert first["schema"] == "xxgk.report/3"
    assert first["source"]["format"] == "txt"
    assert len(first["source"]["sha256"]) == 64
