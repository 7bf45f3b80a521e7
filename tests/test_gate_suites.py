"""The gate's suites, frames and verdicts, without a warehouse (fast).

``gate.decide`` is the gate without the build database: the frames are built here from report
records as the gate reads them (documents, cells after corrections, the extractor's problems),
then validated by Great Expectations and turned into a verdict per report × section.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd
import pytest
import records
from expectation_fields import as_kind, meta_of, sum_check

from expectations import suites
from expectations.frames import identity_frames, sections_frame
from expectations.gate import decide, decide_chunks, split_frames
from expectations.validation import merge_validations
from expectations.verdicts import SectionVerdict
from xxgk import template


def cells_of(record: records.Record) -> set[str]:
    return {f"{c['table']}/{c['row']}/{c['col']}" for c in record["cells"]}


def test_the_test_reports_are_complete() -> None:
    assert suites.missing_cells("v2021", cells_of(records.clean_v2021())) == []
    # The v2019 test report prints only part of section 二: absent section-二 rows are allowed.
    assert suites.missing_cells("v2019", cells_of(records.clean_v2019())) == []


def test_sections_three_and_four_must_be_complete() -> None:
    present = cells_of(records.clean_v2021())
    assert suites.missing_cells("v2021", present - {"s3/denied_admin_query/other_org"}) == [
        "s3/denied_admin_query/other_org"
    ]
    assert suites.missing_cells("v2021", {c for c in present if not c.startswith("s4/")}) == [
        f"s4/{r.code}/{c.code}" for r in template.S4_ROWS for c in template.S4_COLUMNS
    ]


def test_a_section_two_row_is_all_or_nothing() -> None:
    present = cells_of(records.clean_v2021())
    without_regulations = {c for c in present if "/regulations/" not in c}
    assert suites.missing_cells("v2021", without_regulations) == []
    partial = present - {"s2.art20_1/normative_documents/currently_valid"}
    assert suites.missing_cells("v2021", partial) == ["s2.art20_1/normative_documents/currently_valid"]


def test_v2021_other_handling_printed_as_one_row() -> None:
    present = cells_of(records.clean_v2021())
    children = {
        c for c in present if c.split("/")[1] in ("other_no_correction", "other_fee_unpaid", "other_misc")
    }
    aggregated = (present - children) | {f"s3/other_handling/{a}" for a in template.APPLICANT_CODES}
    assert suites.missing_cells("v2021", aggregated) == []
    # Neither the three rows nor the one: the three are missing.
    assert len(suites.missing_cells("v2021", present - children)) == 21


def test_unknown_template_has_no_expected_cells() -> None:
    assert suites.missing_cells(None, set()) == []


def test_every_suite_name_is_unique_and_says_what_it_enforces() -> None:
    everything = [*suites.gate_suites(), *suites.soft_identity_suites(), *suites.marts_suites()]
    names = [s.name for s in everything]
    assert len(names) == len(set(names))
    for gs in everything:
        for expectation in gs.suite.expectations:
            assert meta_of(expectation)["identity_id"] in {
                "H1",
                "H2",
                "H3",
                "H4",
                "H5",
                "H6",
                "H7",
                "DQ",
                "S1",
                "S2",
                "S3",
            }
            assert meta_of(expectation).get("check"), (gs.name, expectation.expectation_type)
    dq = {
        meta_of(e)["check"]
        for gs in suites.gate_suites()
        for e in gs.suite.expectations
        if meta_of(e)["identity_id"] == "DQ"
    }
    assert {
        "cells_complete",
        "unique_documents",
        "unique_cells",
        "unique_equations",
        "report_year",
        "basis_publishable",
    } <= dq


def test_each_identity_suite_states_its_identity() -> None:
    by_name = {gs.name: gs for gs in suites.identity_suites()}
    assert set(by_name) == {
        "xxgk_identity_H1",
        "xxgk_identity_H2",
        "xxgk_identity_H3_v2019",
        "xxgk_identity_H3_v2021",
        "xxgk_identity_H4",
        "xxgk_identity_H5",
        "xxgk_identity_H6",
    }
    h1 = by_name["xxgk_identity_H1"].suite.expectations
    total = sum_check(h1)
    # new + carried over = total processed + carried forward, as terms: the rhs negated.
    assert total.column_list == [
        "new_received/*",
        "carried_over_from_last_year/*",
        "−total_processed/*",
        "−carried_to_next_year/*",
    ]
    assert total.sum_total == 0
    assert meta_of(total)["equation"] == (
        "new_received/* + carried_over_from_last_year/* = total_processed/* + carried_to_next_year/*"
    )
    assert [
        as_kind(e, gxe.ExpectColumnValuesToNotBeNull).column
        for e in h1
        if meta_of(e)["check"] == "term is known"
    ] == total.column_list
    h4 = by_name["xxgk_identity_H4"].suite.expectations
    assert sum_check(h4).column_list == [
        "review/total",
        "−review/upheld",
        "−review/corrected",
        "−review/other",
        "−review/pending",
    ]
    h3 = sum_check(by_name["xxgk_identity_H3_v2021"].suite.expectations)
    assert h3.column_list[0] == "total_processed/*" and "−other_handling/*" in h3.column_list


def _values(record: records.Record) -> dict[str, Decimal | None]:
    return {
        f"{c['table']}/{c['row']}/{c['col']}": None if c["value"] is None else Decimal(str(c["value"]))
        for c in record["cells"]
    }


def test_identity_frames_hold_the_terms_and_absent_optional_terms_count_as_nothing() -> None:
    record = records.clean_v2021("frames-2021")
    documents = pd.DataFrame({"document_id": ["d"], "template_version": ["v2021"]})
    frames = identity_frames(documents, {"d": _values(record)})
    h1 = frames["identity_H1"].set_index("equation_id")
    # 70 + 1 = 68 + 3 for natural persons; the rhs is negated in the frame.
    assert list(
        h1.loc[
            "H1:natural_person",
            [
                "new_received/*",
                "carried_over_from_last_year/*",
                "−total_processed/*",
                "−carried_to_next_year/*",
            ],
        ]
    ) == [70, 1, -68, -3]
    h3 = frames["identity_H3_v2021"].set_index("equation_id")
    assert h3.loc["H3:total", "−other_handling/*"] == 0  # optional and absent: nothing
    # H2 has one equation per section-三 row the report has: the 25 rows of v2021.
    assert len(frames["identity_H2"]) == len(template.s3_rows("v2021")) == 25
    unread = _values(record) | {"s4/review/total": None}
    h4 = identity_frames(documents, {"d": unread})["identity_H4"]
    assert math.isnan(h4.loc[0, "review/total"])


def test_sections_frame_counts_the_missing_cells_per_section() -> None:
    present = _values(records.clean_v2021())
    documents = pd.DataFrame({"document_id": ["a", "b"], "template_version": ["v2021", None]})
    partial = {c: v for c, v in present.items() if c != "s4/review/total"}
    out = sections_frame(documents, {"a": partial, "b": {}})
    assert out[["document_id", "section", "n_missing_cells", "missing_cells"]].values.tolist() == [
        ["a", "s2", 0, ""],
        ["a", "s3", 0, ""],
        ["a", "s4", 1, "s4/review/total"],
        ["b", "s2", 0, ""],
        ["b", "s3", 0, ""],
        ["b", "s4", 0, ""],
    ]


# --- deciding on sections: GX runs on frames built from records -----------------------------


def gate_frames(*recs: records.Record) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The documents, cells and problems frames the gate reads from the build database."""
    documents, cells, problems = [], [], []
    for r in recs:
        doc = records.doc_id(r)
        documents.append(
            {
                "document_id": doc,
                "org_name": r["org_name"],
                # int_documents resolves a printed name to a body; any name does here.
                "body_id": None if r["org_name"] is None else f"body:{r['org_name']}",
                "report_year": r["year"],
                "template_version": r["template"],
                "status": r["status"],
            }
        )
        for c in r["cells"]:
            table = c["table"]
            kind = template.column_kind(r["template"], table, c["col"])
            value = c["value"]
            cells.append(
                {
                    "document_id": doc,
                    "cell_id": f"{table}/{c['row']}/{c['col']}",
                    "section": suites.section_of(table + "/"),
                    "col_kind": kind,
                    "value": value,
                    "is_integer": None if value is None else float(value).is_integer(),
                    "basis": c.get("basis", "printed"),
                    "page": c["where"].get("page"),
                    "line": c["where"].get("line"),
                }
            )
        for seq, p in enumerate(r["problems"], 1):
            sections = sorted({suites.section_of(cid) for cid in p.get("cells", [])})
            problems.append(
                {
                    "document_id": doc,
                    "problem_seq": seq,
                    "problem_code": p["code"],
                    "severity": p["severity"],
                    "message": p["message"],
                    "cell_ids": p.get("cells", []),
                    "sections": sections,
                    "raw_text": p.get("raw"),
                    "candidates_json": None if p.get("candidates") is None else str(p["candidates"]),
                }
            )
    problem_columns = [
        "document_id",
        "problem_seq",
        "problem_code",
        "severity",
        "message",
        "cell_ids",
        "sections",
        "raw_text",
        "candidates_json",
    ]
    return (
        {"documents": pd.DataFrame(documents), "cells": pd.DataFrame(cells)},
        pd.DataFrame(problems, columns=problem_columns),
    )


def verdicts_of(verdicts: list[SectionVerdict], record: records.Record) -> dict[str, tuple[str, Any]]:
    return {v.section: (v.verdict, v.cause) for v in verdicts if v.document_id == records.doc_id(record)}


CLEAN = records.clean_v2021("decide-clean-2021")
# 行政复议 总计 printed as 5 instead of 2 + 1 + 0 + 1 = 4: H4 breaks, only section 四 waits.
BROKEN_H4 = records.with_value(CLEAN, "decide-h4-2021", "s4/review/total", 5)
# Section 三's 予以公开 row could not be read: its cells are unread, section 三 waits.
UNREAD_S3 = records.unread(
    CLEAN,
    "decide-unread-s3-2021",
    [f"s3/granted/{a}" for a in template.APPLICANT_CODES],
    "3961001046",
    [[39, 6, 1, 0, 0, 1, 46], [3, 96, 1, 0, 0, 1, 46]],
)


@pytest.fixture(scope="module")
def decided() -> tuple[Any, list[SectionVerdict], list[Any]]:
    frames, problems = gate_frames(CLEAN, BROKEN_H4, UNREAD_S3)
    return decide(frames, problems)


def test_the_gate_catches_a_broken_identity(decided: tuple) -> None:
    validations, verdicts, causes = decided
    assert verdicts_of(verdicts, CLEAN) == {
        "s2": ("published", None),
        "s3": ("published", None),
        "s4": ("published", None),
    }
    assert verdicts_of(verdicts, BROKEN_H4) == {
        "s2": ("published", None),
        "s3": ("published", None),
        "s4": ("held_back", "identity"),
    }
    h4 = [c for c in causes if c.document_id == records.doc_id(BROKEN_H4)]
    assert [(c.section, c.equation_id, c.lhs_value, c.rhs_value, c.difference) for c in h4] == [
        ("s4", "H4", Decimal(5), Decimal(4), Decimal(1))
    ]
    assert h4[0].message == (
        "H4 does not hold: s4/review/total = 5 but s4/review/upheld + "
        "s4/review/corrected + s4/review/other + s4/review/pending = 4 (difference 1)"
    )
    failed = [r for r in validations["xxgk_identity_H4"].results if not r.success]
    assert [r.expectation_config.type for r in failed] == ["expect_multicolumn_sum_to_equal"]


def test_a_report_with_section_three_held_back_publishes_section_four(decided: tuple) -> None:
    _, verdicts, causes = decided
    assert verdicts_of(verdicts, UNREAD_S3) == {
        "s2": ("published", None),
        "s3": ("held_back", "extractor"),
        "s4": ("published", None),
    }
    mine = [c for c in causes if c.document_id == records.doc_id(UNREAD_S3)]
    # The true cause first: the extractor's problem (with its text and candidate readings), then
    # the unread cells, then the equations that cannot be checked; never "0 vs 0".
    assert [c.cause for c in mine][:8] == ["extractor"] + ["cells_unread"] * 7
    assert mine[0].message.startswith("ambiguous_values: the text '3961001046' can be read several ways")
    assert "candidate readings: [[39, 6, 1, 0, 0, 1, 46], [3, 96, 1, 0, 0, 1, 46]]" in mine[0].message
    not_checkable = {c.equation_id: c.message for c in mine if c.cause == "not_checkable"}
    # H2 of the row (7 terms unread), H3 per column (one term each); H1 does not involve the row.
    assert set(not_checkable) == {"H2:granted", *(f"H3:{a}" for a in template.APPLICANT_CODES)}
    assert not_checkable["H2:granted"] == (
        "H2:granted cannot be checked: 7 of its 7 terms are not known: 7 unread (s3/granted/total, "
        "s3/granted/natural_person, s3/granted/commercial_enterprise, s3/granted/research_institution "
        "and 3 more)"
    )
    assert not any(c.cause == "identity" for c in mine)


def _known(row: dict[str, Any]) -> dict[str, Any]:
    # NaN (an unknown term) is never equal to itself: compared as None.
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _outcome(validations: dict[str, Any]) -> dict[str, Any]:
    """What a validation found, suite by suite and expectation by expectation."""
    return {
        name: (
            v.success,
            v.statistics["unsuccessful_expectations"],
            [
                (
                    r.expectation_config.type,
                    r.success,
                    r.result.get("element_count"),
                    r.result.get("unexpected_count"),
                    r.result.get("unexpected_percent"),
                    [_known(row) for row in r.result.get("unexpected_index_list") or []],
                )
                for r in v.results
            ],
        )
        for name, v in validations.items()
    }


@pytest.mark.parametrize("size", [1, 2])
def test_validating_by_chunks_decides_as_one_validation(decided: tuple, size: int) -> None:
    """The gate validates a chunk of documents at a time; merged, it is one validation of all."""
    frames, problems = gate_frames(CLEAN, BROKEN_H4, UNREAD_S3)
    # One document per chunk: H4 breaks in the second chunk only, s3 is unread in the third.
    per_chunk = list(decide_chunks(split_frames(frames, problems, size)))
    assert len(per_chunk) == -(-3 // size)
    h4_by_chunk = [c.validations["xxgk_identity_H4"].success for c in per_chunk]
    assert h4_by_chunk == ([True, False, True] if size == 1 else [False, True])
    validations, verdicts, causes = decide(frames, problems, chunk_documents=size)
    whole_validations, whole_verdicts, whole_causes = decided
    assert verdicts == whole_verdicts
    assert causes == whole_causes
    assert _outcome(validations) == _outcome(whole_validations)
    assert validations["xxgk_identity_H4"].success is False
    assert verdicts_of(verdicts, BROKEN_H4)["s4"] == ("held_back", "identity")
    assert verdicts_of(verdicts, UNREAD_S3)["s3"] == ("held_back", "extractor")


def test_a_section_the_report_lacks_is_held_back_as_missing_cells() -> None:
    lacking = records.without(CLEAN, "decide-no-s4", [f"s4/review/{c.code}" for c in template.S4_COLUMNS])
    frames, problems = gate_frames(lacking)
    _, verdicts, causes = decide(frames, problems)
    assert verdicts_of(verdicts, lacking) == {
        "s2": ("published", None),
        "s3": ("published", None),
        "s4": ("held_back", "cells_missing"),
    }
    assert [c.message for c in causes if c.cause == "cells_missing"] == [
        "5 cell(s) of section s4 are not in the document: s4/review/upheld, s4/review/corrected, "
        "s4/review/other, s4/review/pending, s4/review/total"
    ]
    # H4 is not listed as failing: its terms are not there, it cannot be checked.
    assert [(c.equation_id, c.cause) for c in causes if c.identity_id == "H4"] == [("H4", "not_checkable")]


def test_a_report_without_a_body_holds_every_section_back() -> None:
    nobody = records.clean_v2021("decide-nobody", org_name=None)  # type: ignore[arg-type]
    frames, problems = gate_frames(nobody)
    _, verdicts, causes = decide(frames, problems)
    assert verdicts_of(verdicts, nobody) == {s: ("held_back", "report") for s in ("s2", "s3", "s4")}
    assert [(c.section, c.equation_id) for c in causes] == [(None, "DQ:org_name")]


def test_a_report_check_says_what_the_report_has() -> None:
    future = records.clean_v2021("decide-future", org_name="中山市大涌镇", year=2099)
    frames, problems = gate_frames(future)
    _, _, causes = decide(frames, problems)
    [cause] = [c for c in causes if c.equation_id == "DQ:report_year"]
    assert cause.message.endswith("— not so for this report (it reads 2099)")
    assert "?" not in cause.message


def test_a_name_that_resolves_to_no_body_holds_the_report_back() -> None:
    # A printed name that int_documents could not resolve (e.g. made of characters body names
    # drop): the report is not published under no body, and says which name it was.
    unresolved = records.clean_v2021("decide-unresolved", org_name="\u200b")
    frames, problems = gate_frames(unresolved)
    frames["documents"]["body_id"] = None
    _, verdicts, causes = decide(frames, problems)
    assert verdicts_of(verdicts, unresolved) == {s: ("held_back", "report") for s in ("s2", "s3", "s4")}
    assert [(c.equation_id, c.message) for c in causes] == [
        (
            "DQ:body_id",
            "body_id: the printed name resolves to a reporting body (marts.dim_body) — not so for "
            "this report (it reads '\\u200b')",  # repr: the invisible name made visible
        )
    ]


def test_warning_values_of_any_size_are_written_exactly() -> None:
    # DuckDB types a column of Decimals from a sample of its rows: 3 000 warnings on 305
    # applications make it DECIMAL(9, 6), and the one on 1487 failed the gate's insert (seen
    # on the 1 000 generated documents of bench/throughput).
    import duckdb

    from expectations.gate import _decimals_as_text

    values: list[Decimal | None] = [Decimal("305.000000")] * 3000
    values[1507], values[1508] = Decimal("1487.000000"), None
    frame = pd.DataFrame({"lhs_value": values, "rhs_value": [None] * len(values)})
    con = duckdb.connect()
    con.execute("create table w (lhs_value decimal(38, 6), rhs_value decimal(38, 6))")
    con.register("office", _decimals_as_text(frame))
    con.execute("insert into w by name select * from office")
    assert con.execute("select lhs_value, rhs_value from w order by rowid").fetchall()[1506:1509] == [
        (Decimal(305), None),
        (Decimal(1487), None),
        (None, None),
    ]


def test_merged_validations_keep_the_first_rows_and_every_count(decided: tuple) -> None:
    """The run's report keeps ``keep`` unexpected rows of each expectation; counts stay whole."""
    frames, problems = gate_frames(CLEAN, BROKEN_H4, UNREAD_S3)
    chunks = [c.validations for c in decide_chunks(split_frames(frames, problems, 1))]
    whole: dict[str, Any] = {}
    cut: dict[str, Any] = {}
    for validations in chunks:
        merge_validations(whole, validations)
        merge_validations(cut, validations, keep=1)
    counted = {
        name: [(r.success, r.result.get("unexpected_count")) for r in v.results] for name, v in whole.items()
    }
    assert counted == {
        name: [(r.success, r.result.get("unexpected_count")) for r in v.results] for name, v in cut.items()
    }
    longest = max(len(r.result.get("unexpected_index_list") or []) for v in whole.values() for r in v.results)
    assert longest > 1  # the unread section 三 has many cells without a basis
    assert all(len(r.result.get("unexpected_index_list") or []) <= 1 for v in cut.values() for r in v.results)
