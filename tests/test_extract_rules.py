"""The contract's rules on documents derived from a real sample: numbers are
never invented, printed numbers are never corrected, bad input is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors import extract_path
from xxgk.record import Report

SEED_003 = Path(__file__).resolve().parent.parent / "samples" / "inbox" / "003_dayong_2022.txt"


def seed_lines() -> list[str]:
    return SEED_003.read_text(encoding="utf-8").split("\n")


def write(tmp_path: Path, lines: list[str], name: str = "doc.txt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def cell(report: Report, cid: str):
    return next(c for c in report.cells if c.id == cid)


def set_value(lines: list[str], label: str, offset: int, value: str) -> list[str]:
    """Seed 003 has one cell per line, blank lines between: the k-th value after a label."""
    i = next(n for n, line in enumerate(lines) if line.strip().startswith(label))
    lines = list(lines)
    assert lines[i + 2 * offset].strip().isdigit()
    lines[i + 2 * offset] = value
    return lines


def test_broken_identity_keeps_printed_numbers_and_names_the_identity(tmp_path):
    # 予以公开 natural persons printed as 5 instead of 4: H2 on that row and H3 in that column break.
    lines = set_value(seed_lines(), "(一)予以公开", 1, "5")
    r = extract_path(write(tmp_path, lines))
    assert r.status == "needs_review"
    assert cell(r, "s3/granted/natural_person").value == 5
    codes = {p.code for p in r.problems}
    assert {"identity_h2", "identity_h3"} <= codes
    h3 = next(p for p in r.problems if p.code == "identity_h3")
    assert "s3/granted/natural_person" in h3.cells
    assert "difference -1" in h3.message


def test_blank_that_no_identity_proves_stays_null(tmp_path):
    # Blank the natural-person and total cells of 予以公开 (4, 4) and 部分公开 (0, 0):
    # H2 and H3 then only say granted + partially granted = 4, which does not
    # say how the 4 divide, so all four stay null and the report needs review.
    lines = seed_lines()
    for label in ("(一)予以公开", "(二)部分公开"):
        lines = set_value(lines, label, 1, "")
        lines = set_value(lines, label, 7, "")
    r = extract_path(write(tmp_path, lines))
    assert r.status == "needs_review"
    for cid in (
        "s3/granted/natural_person",
        "s3/granted/total",
        "s3/partially_granted/natural_person",
        "s3/partially_granted/total",
    ):
        assert cell(r, cid).value is None
        assert not cell(r, cid).imputed
    assert "blank_cell" in {p.code for p in r.problems}


def test_single_blank_is_imputed_and_marked(tmp_path):
    lines = set_value(seed_lines(), "(一)予以公开", 7, "")  # the 总计 cell
    r = extract_path(write(tmp_path, lines))
    c = cell(r, "s3/granted/total")
    assert (c.value, c.imputed) == (4, True)
    assert r.status == "needs_review"
    assert "imputed_value" in {p.code for p in r.problems}


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_text_encodings(tmp_path, encoding):
    r = extract_path(write(tmp_path, seed_lines(), encoding=encoding))
    assert (r.org_name, r.year, r.status) == ("中山市大涌镇", 2022, "ok")
    assert cell(r, "s2.art20_5/administrative_licensing/decisions_this_year").value == 6181


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    r = extract_path(path)
    assert r.status == "rejected"
    assert [p.code for p in r.problems] == ["empty_file"]
    assert str(path) in r.problems[0].message


def test_text_that_is_not_a_report_is_rejected(tmp_path):
    path = write(tmp_path, ["关于做好春节期间安全生产工作的通知", "各单位：请做好值班安排。"])
    r = extract_path(path)
    assert r.status == "rejected"
    assert r.cells == []
    # Issue 12 item 5: a notice (no report title, no tables) is not a report.
    assert [p.code for p in r.problems] == ["not_a_report"]


def test_report_without_tables_is_rejected(tmp_path):
    lines = seed_lines()
    cut = next(n for n, line in enumerate(lines) if "二、主动公开政府信息情况" in line)
    r = extract_path(write(tmp_path, lines[:cut]))
    assert r.status == "rejected"
    assert r.problems[-1].code == "table_missing"
    assert (r.org_name, r.year) == ("中山市大涌镇", 2022)
