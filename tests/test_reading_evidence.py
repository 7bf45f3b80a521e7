"""The evidence behind every cell (issue 11 items 2, 3, 5; issue 12 item 5).

Two small fixtures in tests/fixtures/reading hold one consistent v2021 report
(every identity holds, section 二 has non-zero numbers): ``tabs-v2021.txt``
with tab-separated cells, ``runs-v2021.txt`` as a web page copied to text
(values separated by spaces, two rows padded irregularly as real pages are).
Each test changes a line or two, the way real reports differ, and states the
exact values, bases and problem codes.  Every test here failed against the
reader before these rules (extractor revision aaf3321), except the baselines
and those marked "phenomenon", which check that a real-report quirk is still
read (the old reader read them too).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from extractors import extract_path, solve
from extractors.metadata import detect_version
from extractors.text import DocText
from xxgk.record import Report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reading"
INBOX = Path(__file__).resolve().parent.parent / "samples" / "inbox"


def lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").split("\n")


def replace(doc: list[str], prefix: str, new: str | None) -> list[str]:
    """The document with the one line starting with ``prefix`` replaced (or dropped)."""
    hits = [i for i, line in enumerate(doc) if line.startswith(prefix)]
    assert len(hits) == 1, (prefix, hits)
    out = list(doc)
    if new is None:
        del out[hits[0]]
    else:
        out[hits[0]] = new
    return out


def extract(tmp_path: Path, doc: list[str], name: str = "doc.txt") -> Report:
    path = tmp_path / name
    path.write_text("\n".join(doc), encoding="utf-8")
    return extract_path(path)


def row(report: Report, table: str, row_code: str) -> list:
    return [c.value for c in report.cells if c.table == table and c.row == row_code]


def bases(report: Report, table: str, row_code: str) -> list[str]:
    return [c.basis for c in report.cells if c.table == table and c.row == row_code]


def problem(report: Report, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, [(p.code, p.message) for p in report.problems]
    return found[0]


NORMATIVE = "s2.art20_1/normative_documents"


# --- the fixtures as printed -----------------------------------------------------------


@pytest.mark.parametrize("name, n_decided", [("tabs-v2021.txt", 0), ("runs-v2021.txt", 14)])
def test_fixture_reads_exactly_with_its_bases(name, n_decided):
    r = extract_path(FIXTURES / name)
    assert (r.org_name, r.year, r.template, r.status, len(r.cells)) == (
        "某某县人民政府",
        2022,
        "v2021",
        "ok",
        200,
    )
    assert r.problems == []
    assert row(r, "s2.art20_1", "normative_documents") == [12, 5, 40]
    assert row(r, "s2.art20_8", "administrative_fees") == [Decimal("2373.9")]
    assert row(r, "s3", "unable_not_held") == [1, 0, 0, 0, 0, 1, 2]
    assert row(r, "s4", "litigation_direct") == [0, 0, 0, 1, 1]
    # Phenomenon: irregular padding in a run (10 0 0 012, 0 0 0 0 0 00) is cut by the
    # identities; those two rows are the only ones not printed one number per cell.
    decided = sorted({c.row for c in r.cells if c.basis == "decided"})
    assert sum(c.basis == "decided" for c in r.cells) == n_decided
    assert decided == ([] if n_decided == 0 else ["denied_state_secret", "unable_not_held"])
    assert all(c.basis == "printed" for c in r.cells if c.row not in decided)


# --- section 二: one number alone in its cell, or unread with candidates ------------------


def test_spaces_inside_a_digit_run_are_not_ignored(tmp_path):
    # `行政规范性文件 12 5`: two numbers for three cells.  The old reader joined them
    # to 125 and read 1 / 2 / 5, status ok.
    doc = replace(lines("runs-v2021.txt"), "行政规范性文件", "行政规范性文件 12 5")
    r = extract(tmp_path, doc)
    assert r.status == "needs_review"
    assert row(r, "s2.art20_1", "normative_documents") == [None, None, None]
    assert bases(r, "s2.art20_1", "normative_documents") == ["unread"] * 3
    p = problem(r, "ambiguous_values")
    assert p.severity == "error"
    assert p.cells == [
        f"{NORMATIVE}/issued_this_year",
        f"{NORMATIVE}/repealed_this_year",
        f"{NORMATIVE}/currently_valid",
    ]
    assert p.raw == "12 5"
    assert p.candidates == [[1, 2, 5], [12, 5, None], [12, None, 5], [None, 12, 5]]
    as_json = next(d for d in r.to_dict()["problems"] if d["code"] == "ambiguous_values")
    assert as_json["candidates"][1] == [12, 5, None] and as_json["raw"] == "12 5"


def test_digit_run_that_nothing_splits_is_unread_with_its_readings(tmp_path):
    # 12 5 40 printed with no space at all: 12540 into three cells.
    doc = replace(lines("runs-v2021.txt"), "行政规范性文件", "行政规范性文件12540")
    r = extract(tmp_path, doc)
    assert r.status == "needs_review"
    assert row(r, "s2.art20_1", "normative_documents") == [None, None, None]
    p = problem(r, "ambiguous_values")
    assert p.raw == "12540"
    assert [12, 5, 40] in p.candidates and [1, 25, 40] in p.candidates and [125, 4, 0] in p.candidates
    assert [12540, None, None] in p.candidates


def test_an_extra_number_in_a_section_2_row_is_a_problem_not_a_silent_drop(tmp_path):
    # The old reader dropped the first number and published 7, status ok.
    doc = replace(lines("tabs-v2021.txt"), "行政许可", "行政许可\t132\t7")
    r = extract(tmp_path, doc)
    assert r.status == "needs_review"
    assert row(r, "s2.art20_5", "administrative_licensing") == [None]
    p = problem(r, "cell_count_mismatch")
    assert (p.severity, p.cells, p.candidates) == (
        "error",
        ["s2.art20_5/administrative_licensing/decisions_this_year"],
        [[132], [7]],
    )


def test_a_missing_number_in_a_section_2_row_is_a_problem_not_a_shift(tmp_path):
    # Two numbers for three cells with no tab marking the blank: the old reader put
    # them in the first two cells.
    doc = replace(lines("tabs-v2021.txt"), "规章", "规章\t1\t5")
    r = extract(tmp_path, doc)
    assert row(r, "s2.art20_1", "regulations") == [None, None, None]
    assert bases(r, "s2.art20_1", "regulations") == ["unread"] * 3
    p = problem(r, "cell_count_mismatch")
    assert p.candidates == [[1, 5, None], [1, None, 5], [None, 1, 5]]
    assert r.status == "needs_review"


def test_a_blank_marked_by_its_tab_keeps_its_place(tmp_path):
    # Baseline for the rule above: a tab marks the blank, so the numbers keep their places.
    doc = replace(lines("tabs-v2021.txt"), "规章", "规章\t1\t\t5")
    r = extract(tmp_path, doc)
    assert row(r, "s2.art20_1", "regulations") == [1, None, 5]
    assert bases(r, "s2.art20_1", "regulations") == ["printed", "unread", "printed"]
    assert r.status == "needs_review"
    assert "cell_count_mismatch" not in {p.code for p in r.problems}


def test_minus_sign_inside_a_digit_run_is_a_cut_not_dropped(tmp_path):
    # `88-720` in a one-cell row: two numbers.  The old reader dropped the dash and
    # published 88720, status ok.
    doc = replace(lines("runs-v2021.txt"), "行政许可", "行政许可 88-720")
    r = extract(tmp_path, doc)
    assert row(r, "s2.art20_5", "administrative_licensing") == [None]
    p = problem(r, "cell_count_mismatch")
    assert (p.raw, p.candidates) == ("88-720", [[88], [720]])
    assert r.status == "needs_review"


def test_soft_identity_s3_is_a_warning_on_the_record(tmp_path):
    # 现行有效 4 + 本年废止 5 < 本年制发 12: S3 fails; printed numbers are kept, status ok.
    doc = replace(lines("tabs-v2021.txt"), "行政规范性文件", "行政规范性文件\t12\t5\t4")
    r = extract(tmp_path, doc)
    assert r.status == "ok"
    assert row(r, "s2.art20_1", "normative_documents") == [12, 5, 4]
    p = problem(r, "soft_s3")
    assert p.severity == "warning"
    assert p.cells == [
        f"{NORMATIVE}/currently_valid",
        f"{NORMATIVE}/repealed_this_year",
        f"{NORMATIVE}/issued_this_year",
    ]


def test_a_missing_regulations_row_is_flagged(tmp_path):
    # P20: townships print no 规章 row.  Its cells are absent, the report stays ok.
    r = extract(tmp_path, replace(lines("tabs-v2021.txt"), "规章", None))
    assert r.status == "ok"
    assert row(r, "s2.art20_1", "regulations") == []
    p = problem(r, "s2_row_absent")
    assert p.severity == "warning"
    assert p.cells[0] == "s2.art20_1/regulations/issued_this_year"


# --- totals printed 0 beside non-zero parts: an identity failure, never fixed ----------


def test_total_column_printed_zero_is_kept_and_flagged(tmp_path):
    doc = lines("tabs-v2021.txt")
    start = next(i for i, line in enumerate(doc) if line.startswith("一、本年新收"))
    for i in range(start, start + 25):
        cells = doc[i].split("\t")
        doc[i] = "\t".join(cells[:-1] + ["0"])
    r = extract(tmp_path, doc)
    assert r.status == "needs_review"
    assert row(r, "s3", "new_received") == [10, 2, 0, 0, 1, 1, 0]
    assert bases(r, "s3", "new_received") == ["printed"] * 7
    assert problem(r, "total_printed_zero").cells[0] == "s3/carried_over_from_last_year/total"
    assert {p.code for p in r.problems} >= {"identity_h2", "total_printed_zero"}


def test_row_of_seventh_total_printed_zero_is_kept_and_flagged(tmp_path):
    doc = replace(lines("tabs-v2021.txt"), "(七)总计", "(七)总计\t" + "\t".join(["0"] * 7))
    r = extract(tmp_path, doc)
    assert row(r, "s3", "total_processed") == [0] * 7
    assert bases(r, "s3", "total_processed") == ["printed"] * 7
    assert problem(r, "total_printed_zero").cells == [
        f"s3/total_processed/{c}"
        for c in (
            "natural_person",
            "commercial_enterprise",
            "research_institution",
            "social_welfare_org",
            "legal_service_org",
            "other_org",
            "total",
        )
    ]
    assert {"identity_h1", "identity_h3"} <= {p.code for p in r.problems}


def test_a_run_no_reading_fits_is_unread_not_imputed(tmp_path):
    # 予以公开 printed `5100000` (total 0 beside 5 and 1) with no spaces: no reading
    # satisfies H2.  The old reader left the row blank and then imputed it from H3,
    # "fixing" the printed total to 6.
    doc = replace(lines("runs-v2021.txt"), "(一)予以公开", "(一)予以公开 5100000")
    r = extract(tmp_path, doc)
    assert row(r, "s3", "granted") == [None] * 7
    assert bases(r, "s3", "granted") == ["unread"] * 7
    assert not any(c.imputed for c in r.cells)
    p = next(p for p in r.problems if p.code == "ambiguous_values")
    assert (p.severity, p.raw) == ("error", "5100000")
    assert r.status == "needs_review"


# --- rows printed with no values at all (phenomenon) ------------------------------------


def test_row_printed_without_values_is_imputed_from_the_identities(tmp_path):
    # Phenomenon: the label is printed, its cells are empty; H3 proves each one.
    r = extract(tmp_path, replace(lines("tabs-v2021.txt"), "(一)予以公开", "(一)予以公开"))
    assert row(r, "s3", "granted") == [5, 1, 0, 0, 0, 0, 6]
    assert bases(r, "s3", "granted") == ["imputed"] * 7
    assert r.status == "needs_review"


# --- the joint search: exhaustive, or search_truncated ----------------------------------


def test_branch_and_bound_gives_the_enumeration_s_answer(monkeypatch):
    # Baseline for the search: pingtan-2023's runs leave rows with several readings;
    # searched by branch and bound instead of enumeration, answer and bases are the same.
    by_enumeration = extract_path(INBOX / "pingtan-2023.page.txt")
    monkeypatch.setattr(solve, "MAX_COMBINATIONS", 0)
    by_search = extract_path(INBOX / "pingtan-2023.page.txt")
    assert [(c.id, c.value, c.basis) for c in by_search.cells] == [
        (c.id, c.value, c.basis) for c in by_enumeration.cells
    ]
    assert row(by_search, "s3", "granted") == [22, 0, 0, 0, 0, 0, 22]
    assert bases(by_search, "s3", "granted") == ["decided"] * 7


def test_a_search_cut_short_is_reported_and_publishes_nothing(monkeypatch):
    # The old reader, past MAX_COMBINATIONS, tried single-row changes and returned
    # its choice as if exhaustive.
    monkeypatch.setattr(solve, "MAX_COMBINATIONS", 0)
    monkeypatch.setattr(solve, "READER", dataclasses.replace(solve.READER, max_search_nodes=2))
    r = extract_path(INBOX / "pingtan-2023.page.txt")
    assert r.status == "needs_review"
    p = problem(r, "search_truncated")
    assert p.severity == "error"
    assert "s3/granted/natural_person" in p.cells
    assert row(r, "s3", "granted") == [None] * 7
    assert bases(r, "s3", "granted") == ["unread"] * 7
    assert not any(c.imputed for c in r.cells if c.row == "granted")


def test_pingtan_bases(tmp_path):
    r = extract_path(INBOX / "pingtan-2023.page.txt")
    # A one-cell row printed as one number: printed.
    assert (
        row(r, "s2.art20_5", "administrative_licensing"),
        bases(r, "s2.art20_5", "administrative_licensing"),
    ) == ([2629], ["printed"])
    # 规章000: three cells run together; a number has no leading zero and every digit is a
    # number's, so 0/0/0 is the one reading of the run: decided.  An earlier reader also listed
    # 0 with two blanks and left the row unread.
    assert row(r, "s2.art20_1", "regulations") == [0, 0, 0]
    assert bases(r, "s2.art20_1", "regulations") == ["decided"] * 3
    # Section-三 runs cut by the identities: decided.
    assert bases(r, "s3", "partially_granted") == ["decided"] * 7


# --- not a report (issue 12 item 5) -----------------------------------------------------


def test_report_without_title_is_not_a_report(tmp_path):
    # No body and no year: the record could not be placed.  The old reader took the
    # template from the column labels and read it (year_unknown, status ok).
    r = extract(
        tmp_path, replace(lines("tabs-v2021.txt"), "某某县人民政府2022年", "政府信息公开工作年度报告")
    )
    assert r.status == "rejected"
    assert [p.code for p in r.problems] == ["not_a_report"]
    assert "the publishing body and the report year" in r.problems[0].message
    assert r.cells == []


def test_template_with_title_but_no_numbers_is_not_a_report(tmp_path):
    doc = [
        line
        if "\t" not in line
        else "\t".join(c if not c.replace(".", "").isdigit() else "" for c in line.split("\t"))
        for line in lines("tabs-v2021.txt")
    ]
    doc = [line for line in doc if line.replace("\t", "") or not line]
    r = extract(tmp_path, doc)
    assert r.status == "rejected"
    assert [p.code for p in r.problems] == ["not_a_report"]
    assert "blank national template" in r.problems[0].message


def test_notice_is_not_a_report(tmp_path):
    r = extract(
        tmp_path,
        [
            "某某县人民政府关于做好2022年春节期间安全生产工作的通知",
            "各乡镇、各部门：",
            "请于2022年1月20日前做好值班安排。",
            "某某县人民政府",
            "2022年1月10日",
        ],
    )
    assert r.status == "rejected"
    assert [p.code for p in r.problems] == ["not_a_report"]


# --- web-page residue and label variants (phenomena) ------------------------------------


def test_breadcrumb_before_the_title_is_not_the_body(tmp_path):
    doc = replace(
        lines("runs-v2021.txt"),
        "某某县人民政府2022年",
        "当前位置：首页 > 政务公开 > 政府信息公开年报 > 某某县人民政府2022年政府信息公开工作年度报告",
    )
    r = extract(tmp_path, doc)
    assert (r.org_name, r.year, r.status) == ("某某县人民政府", 2022, "ok")


def test_conditional_comment_residue_does_not_join_digits(tmp_path):
    # Phenomenon.  A page copied with Word's list markup: `<!--[if !supportLists]-->2.<!--[endif]-->`
    # before a row label, the rows run on one line.  The old reader glued the "2." of
    # the next label to the digits of the row before.
    doc = lines("runs-v2021.txt")
    start = next(i for i, line in enumerate(doc) if line.startswith("1.属于国家秘密"))
    block = []
    for line in doc[start : start + 8]:
        label, _, values = line.partition(" ")
        block.append(
            f"<!--[if !supportLists]-->{label[:2]}<!--[endif]-->{label[2:]}{values.replace(' ', '')}"
        )
    doc[start : start + 8] = ["".join(block)]
    r = extract(tmp_path, doc)
    assert row(r, "s3", "denied_third_party_rights") == [1, 0, 0, 0, 0, 0, 1]
    assert row(r, "s3", "denied_admin_query") == [0] * 7
    assert r.status == "ok"


def test_label_variants_of_real_reports(tmp_path):
    # Phenomenon.  先行有效件数 (for 现行有效件数), 钩稽关系 (for 勾稽关系), 行政法复议 in the section-四
    # title, and the long section-四 title used by many bodies.
    doc = lines("tabs-v2021.txt")
    doc = [line.replace("现行有效件数", "先行有效件数").replace("勾稽关系", "钩稽关系") for line in doc]
    doc = replace(doc, "四、政府信息公开行政复议", "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况")
    r = extract(tmp_path, doc)
    assert (r.template, r.status) == ("v2021", "ok")
    assert row(r, "s4", "review") == [1, 0, 1, 0, 2]
    doc = replace(doc, "四、因政府信息公开工作", "四、政府信息公开行政法复议、行政诉讼情况")
    r = extract(tmp_path, doc)
    assert (r.status, row(r, "s4", "litigation_direct")) == ("ok", [0, 0, 0, 1, 1])


def test_v2021_typo_marker_decides_the_version():
    # 先行有效件数 (a misprint of 现行有效件数) counts as a v2021 marker; the old reader
    # fell back on the year and took a 2020 report on the new form for v2019.
    doc = DocText.from_raw("某县2020年政府信息公开工作年度报告\n信息内容\t制发件数\t废止件数\t先行有效件数")
    assert detect_version(doc, 2020) == ("v2021", "markers")


# --- the identity engine's checks the reader relies on -----------------------------------


def test_an_identity_whose_printed_addends_exceed_the_total_is_impossible():
    from xxgk import identities, template

    eqs = [e for e in template.equations("v2021") if e.id == "H2:granted"]
    cells = [f"s3/granted/{c}" for c in template.APPLICANT_CODES]
    printed = dict(zip(cells, [5, 1, 0, 0, 0, None, 4]))  # 5 + 1 > 4: no blank can fix it
    assert identities.violations(printed, eqs) == 0  # unknown terms break nothing …
    assert identities.impossible(printed, eqs) == 1  # … but no count ≥ 0 fills the blank
    assert identities.impossible(dict(zip(cells, [3, 1, 0, 0, 0, None, 4])), eqs) == 0


def test_soft_check_evaluates_s3_only_within_one_report():
    from xxgk import identities

    values: dict[str, int | None] = {
        f"{NORMATIVE}/issued_this_year": 12,
        f"{NORMATIVE}/repealed_this_year": 5,
        f"{NORMATIVE}/currently_valid": 4,
    }
    assert [p.code for p in identities.soft_check(values, "v2021")] == ["soft_s3"]
    assert identities.soft_check(values, "v2019") == []
    values[f"{NORMATIVE}/currently_valid"] = None
    assert identities.soft_check(values, "v2021") == []


def test_a_dash_inside_a_tab_cell_is_not_read_as_its_last_number(tmp_path):
    # `88-720` in a tab cell: the old reader took the trailing 720 for a number glued to
    # label text and published it as printed, status ok.
    r = extract(tmp_path, replace(lines("tabs-v2021.txt"), "行政许可", "行政许可\t88-720"))
    assert row(r, "s2.art20_5", "administrative_licensing") == [None]
    p = problem(r, "cell_count_mismatch")
    assert (p.raw, p.candidates) == ("88-720", [[88], [720]])
    assert r.status == "needs_review"


def test_digits_that_are_no_number_in_a_section_3_cell_leave_the_row_unread(tmp_path):
    # `1-0` in a cell of 予以公开: the old reader kept the trailing 0, found the row
    # balanced and published it as printed, status ok.
    doc = replace(lines("tabs-v2021.txt"), "(一)予以公开", "(一)予以公开\t5\t1\t0\t0\t0\t1-0\t6")
    r = extract(tmp_path, doc)
    assert row(r, "s3", "granted") == [None] * 7
    assert bases(r, "s3", "granted") == ["unread"] * 7
    p = next(p for p in r.problems if p.code == "ambiguous_values")
    assert p.raw == "5 1 0 0 0 1-0 6"
    assert r.status == "needs_review"


def test_the_reader_takes_its_thresholds_from_the_settings(monkeypatch):
    # Seed 000 prints （七）总计 with 8 cells (P4); with no cell too many allowed
    # (ReaderSettings.max_cells_off = 0) the row has no reading and is unread.
    from extractors import values
    from xxgk.settings import READER, ReaderSettings

    assert isinstance(READER, ReaderSettings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        READER.max_digits = 3  # type: ignore[misc]
    seed = INBOX / "000_wangzhu_2021.txt"
    assert row(extract_path(seed), "s3", "total_processed") == [0] * 7
    monkeypatch.setattr(values, "READER", dataclasses.replace(READER, max_cells_off=0))
    r = extract_path(seed)
    assert bases(r, "s3", "total_processed") == ["unread"] * 7


def test_a_reading_only_its_row_admits_is_not_decided_when_the_other_rows_break_it(tmp_path):
    # `2 0 0 0 0 0 2` printed as `20 0 0 0 0 22` in one cell: no cut of the run fills the seven
    # cells so that the row balances; kept whole with a blank, only 20/0/0/0/0/(2)/22 fits the
    # row (H2), but H3 and H1 with the other rows break on it.  An earlier reader published
    # such a reading as decided.
    doc = replace(
        lines("tabs-v2021.txt"),
        "(二)部分公开",
        "(二)部分公开(区分处理的,只计这一情形,不计其他情形)\t20 0 0 0 0 22",
    )
    r = extract(tmp_path, doc)
    assert row(r, "s3", "partially_granted") == [None] * 7
    assert bases(r, "s3", "partially_granted") == ["unread"] * 7
    p = problem(r, "ambiguous_values")
    assert p.raw.endswith("20 0 0 0 0 22")
    assert not any(c.basis == "decided" for c in r.cells if c.row == "partially_granted")
    assert r.status == "needs_review"


def test_padding_inside_a_cell_that_spans_the_row_is_no_cell_boundary(tmp_path):
    # `2 0 0 0 0 0 2` printed as `20 0 0 0 0 2` in one cell spanning the seven value cells
    # (irregular padding, generator R6): its spaces are padding, not the tab fields of cells,
    # so the row is a run; 2/0/0/0/0/0/2 is the one reading the identities admit (H2 on the
    # row, H1 and H3 with the others).  An earlier reader took the spaces for cell boundaries,
    # put a blank in and left the row unread (a false alarm).
    doc = replace(
        lines("tabs-v2021.txt"),
        "(二)部分公开",
        "(二)部分公开(区分处理的,只计这一情形,不计其他情形)\t20 0 0 0 0 2",
    )
    r = extract(tmp_path, doc)
    assert row(r, "s3", "partially_granted") == [2, 0, 0, 0, 0, 0, 2]
    assert bases(r, "s3", "partially_granted") == ["decided"] * 7
    assert r.status == "ok"


def test_a_minus_inside_a_run_ends_a_number_every_reading_agrees_on(tmp_path):
    # `88-720` in the one cell of a v2019 section-二 row spanning its three cells (generator R3):
    # a sign starts a number and stands only in 本年增/减, so the readings are 88 | -7 | 20,
    # 88 | -72 | 0 and 88 | -720 | blank: 上年项目数 is 88 in all of them (decided), the two
    # others unread.  An earlier reader left all three unread.
    doc = lines("../../../samples/inbox/001_tangjiahui_2019.txt")
    at = doc.index("\t行政许可")
    doc[at + 1 : at + 4] = ["\t88-720"]
    r = extract(tmp_path, doc)
    assert row(r, "s2.art20_5", "administrative_licensing") == [88, None, None]
    assert bases(r, "s2.art20_5", "administrative_licensing") == ["decided", "unread", "unread"]
    p = problem(r, "ambiguous_values")
    assert p.raw == "88-720"
    assert p.candidates == [[88, -72, 0], [88, -7, 20], [88, -720, None]]
    assert r.status == "needs_review"


def test_a_run_with_one_reading_in_section_2_is_decided_without_a_problem(tmp_path):
    # `规章 000`: a number has no leading zero and every digit is a number's, so 0 | 0 | 0 is
    # the run's one reading: decided, no problem, and the report stays ok.  (An earlier reader
    # left the row unread with ambiguous_values.)
    r = extract(tmp_path, replace(lines("tabs-v2021.txt"), "规章", "规章 000"))
    assert row(r, "s2.art20_1", "regulations") == [0, 0, 0]
    assert bases(r, "s2.art20_1", "regulations") == ["decided"] * 3
    assert not [p for p in r.problems if p.severity == "error"]
    assert r.status == "ok"
    # `105` is 1 | 0 | 5, or 10 | 5 with a blank anywhere: no cell agreed, all unread.
    r = extract(tmp_path, replace(lines("tabs-v2021.txt"), "规章", "规章 105"))
    assert bases(r, "s2.art20_1", "regulations") == ["unread"] * 3
    assert [1, 0, 5] in problem(r, "ambiguous_values").candidates
