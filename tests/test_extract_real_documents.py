"""Exact values from the real PDFs and Word template in tests/fixtures/real (see SOURCES.md)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from extractors import extract_path
from xxgk.record import Report

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def values(report: Report, table: str, row: str) -> list:
    return [c.value for c in report.cells if c.table == table and c.row == row]


@pytest.fixture(scope="module")
def huaian() -> Report:
    return extract_path(REAL / "huaian-2024.pdf")


@pytest.fixture(scope="module")
def hongze() -> Report:
    return extract_path(REAL / "hongze-2024.pdf")


def test_huaian_metadata(huaian):
    assert (huaian.source.format, huaian.org_name, huaian.year, huaian.template, huaian.status) == (
        "pdf",
        "淮安市人民政府",
        2024,
        "v2021",
        "ok",
    )
    assert huaian.problems == []
    assert len(huaian.cells) == 200


def test_huaian_section_2_large_numbers(huaian):
    assert values(huaian, "s2.art20_1", "regulations") == [1, 0, 11]
    assert values(huaian, "s2.art20_1", "normative_documents") == [8, 26, 66]
    assert values(huaian, "s2.art20_5", "administrative_licensing") == [447228]
    assert values(huaian, "s2.art20_6", "administrative_penalty") == [3985758]
    assert values(huaian, "s2.art20_6", "administrative_coercion") == [88283]
    assert values(huaian, "s2.art20_8", "administrative_fees") == [Decimal("96171.6")]


def test_huaian_section_3_across_pages_and_wrapped_labels(huaian):
    assert values(huaian, "s3", "new_received") == [3001, 53, 0, 0, 61, 4, 3119]
    assert values(huaian, "s3", "carried_over_from_last_year") == [34, 0, 0, 0, 0, 0, 34]
    assert values(huaian, "s3", "granted") == [1288, 21, 0, 0, 50, 3, 1362]
    assert values(huaian, "s3", "partially_granted") == [447, 7, 0, 0, 0, 0, 454]
    assert values(huaian, "s3", "unable_not_held") == [746, 12, 0, 0, 10, 1, 769]
    # The label 2.没有现成信息… starts page 5 after "- 5 -" and "法提供".
    assert values(huaian, "s3", "unable_needs_creation") == [11, 0, 0, 0, 0, 0, 11]
    assert values(huaian, "s3", "not_processed_confirm_reissue") == [1, 0, 0, 0, 0, 0, 1]
    assert values(huaian, "s3", "other_no_correction") == [67, 3, 0, 0, 1, 0, 71]
    assert values(huaian, "s3", "other_fee_unpaid") == [6, 0, 0, 0, 0, 0, 6]
    assert values(huaian, "s3", "other_misc") == [108, 2, 0, 0, 0, 0, 110]
    assert values(huaian, "s3", "total_processed") == [2932, 53, 0, 0, 61, 4, 3050]
    assert values(huaian, "s3", "carried_to_next_year") == [103, 0, 0, 0, 0, 0, 103]


def test_huaian_section_4(huaian):
    assert values(huaian, "s4", "review") == [72, 64, 178, 37, 351]
    assert values(huaian, "s4", "litigation_direct") == [13, 4, 8, 1, 26]
    assert values(huaian, "s4", "litigation_after_review") == [12, 1, 1, 6, 20]


def test_huaian_provenance_points_at_the_page(huaian):
    by_id = {c.id: c for c in huaian.cells}
    assert by_id["s2.art20_5/administrative_licensing/decisions_this_year"].where["page"] == 3
    # Line 14 of page 4 in the positioned reading is the table row 一、本年新收… (one line per
    # row); the text stream had it on its line 23.
    assert by_id["s3/new_received/total"].where == {"page": 4, "line": 14, "raw": "3119"}
    assert by_id["s3/unable_needs_creation/natural_person"].where["page"] == 5
    assert by_id["s4/review/total"].where["raw"] == "351"


def test_hongze_values(hongze):
    assert (hongze.org_name, hongze.year, hongze.template, hongze.status) == (
        "淮安市洪泽区人民政府",
        2024,
        "v2021",
        "ok",
    )
    assert values(hongze, "s2.art20_1", "normative_documents") == [3, 0, 8]
    assert values(hongze, "s2.art20_5", "administrative_licensing") == [9487]
    assert values(hongze, "s2.art20_6", "administrative_penalty") == [2776]
    assert values(hongze, "s2.art20_8", "administrative_fees") == [Decimal(7545)]
    assert values(hongze, "s3", "new_received") == [95, 0, 0, 0, 0, 0, 95]
    assert values(hongze, "s3", "granted") == [50, 0, 0, 0, 0, 0, 50]
    # "2.其他法律行政止公开": the printed label lost 法规禁 and is still found.
    assert values(hongze, "s3", "denied_prohibited_by_law") == [0] * 7
    assert values(hongze, "s3", "denied_three_security_one_stability") == [1, 0, 0, 0, 0, 0, 1]
    assert values(hongze, "s3", "unable_not_held") == [31, 0, 0, 0, 0, 0, 31]
    assert values(hongze, "s3", "total_processed") == [95, 0, 0, 0, 0, 0, 95]
    assert values(hongze, "s4", "review") == [1, 1, 0, 0, 2]
    assert values(hongze, "s4", "litigation_after_review") == [2, 0, 1, 0, 3]


def test_hongze_aggregated_other_handling_row(hongze):
    # This v2021 report prints （六）其他处理 as one row, like v2019.
    assert values(hongze, "s3", "other_handling") == [0] * 7
    assert values(hongze, "s3", "other_misc") == []
    assert [p.code for p in hongze.problems] == ["other_handling_aggregated"]


def test_blank_national_template_docx_is_not_a_report():
    # Issue 12 item 5: the blank national template (tables, no body, no year, no
    # numbers) is rejected, not a report with 200 blank cells sent to review.
    r = extract_path(REAL / "blank-template-v2021.docx")
    assert (r.source.format, r.template, r.status) == ("docx", "v2021", "rejected")
    assert [p.code for p in r.problems] == ["not_a_report"]
    assert "blank national template" in r.problems[0].message
    assert r.cells == []


@pytest.mark.parametrize("name", ["huaian-2024.pdf", "hongze-2024.pdf"])
def test_positioned_reading_and_text_stream_agree(name):
    # The two independent readings of a PDF (issue 11): the table grid from the
    # characters' positions and the plain text stream; on these two real reports
    # each gives every cell, the same cells, and no disagreement is reported.
    from extractors.dispatch import extract_text
    from extractors.pdf import read_pdf
    from xxgk.record import Source

    reading = read_pdf((REAL / name).read_bytes())
    source = Source(name, "-", "pdf")
    by_grid = extract_text(reading.grid, source)
    by_stream = extract_text(reading.stream, source)
    assert (by_grid.status, by_stream.status) == ("ok", "ok")
    assert [(c.id, c.value) for c in by_grid.cells] == [(c.id, c.value) for c in by_stream.cells]
    assert all(c.value is not None for c in by_grid.cells)
    # The cross-check of the extractor: the cells the stream reads for sure (one number per
    # cell) are nearly all of them here, and each equals the grid's.
    from extractors.agreement import as_cells, stream_cells

    assert by_grid.template == "v2021"
    sure = stream_cells(as_cells(reading.stream_raw, reading.stream_where), "v2021")
    assert len(sure) == (200 if name == "huaian-2024.pdf" else 186)
    grid_values = {c.id: c.value for c in by_grid.cells}
    assert all(grid_values[cid] == token.value for cid, (token, _) in sure.items())
    record = extract_path(REAL / name)
    assert record.status == "ok"
    assert not [p for p in record.problems if p.code == "readings_disagree"]
