"""The gate's suites and data-quality rules, without a warehouse (fast)."""

from __future__ import annotations

import pandas as pd

import records
from expectations import suites
from expectations.gate import _with_completeness
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
        "s3/denied_admin_query/other_org"]
    assert suites.missing_cells("v2021", {c for c in present if not c.startswith("s4/")}) == [
        f"s4/{r.code}/{c.code}" for r in template.S4_ROWS for c in template.S4_COLUMNS]


def test_a_section_two_row_is_all_or_nothing() -> None:
    present = cells_of(records.clean_v2021())
    without_regulations = {c for c in present if "/regulations/" not in c}
    assert suites.missing_cells("v2021", without_regulations) == []
    partial = present - {"s2.art20_1/normative_documents/currently_valid"}
    assert suites.missing_cells("v2021", partial) == ["s2.art20_1/normative_documents/currently_valid"]


def test_v2021_other_handling_printed_as_one_row() -> None:
    present = cells_of(records.clean_v2021())
    children = {c for c in present if c.split("/")[1] in ("other_no_correction", "other_fee_unpaid", "other_misc")}
    aggregated = (present - children) | {f"s3/other_handling/{a}" for a in template.APPLICANT_CODES}
    assert suites.missing_cells("v2021", aggregated) == []
    # Neither the three rows nor the one: the three are missing.
    assert len(suites.missing_cells("v2021", present - children)) == 21


def test_unknown_template_has_no_expected_cells() -> None:
    assert suites.missing_cells(None, set()) == []


def test_completeness_is_added_to_the_documents_frame() -> None:
    present = cells_of(records.clean_v2021())
    documents = pd.DataFrame({"document_id": ["a", "b", "c"], "template_version": ["v2021", "v2021", None]})
    cells = pd.DataFrame({"document_id": ["a"] * len(present) + ["b"], "cell_id": [*sorted(present), "s4/review/total"]})
    out = _with_completeness(documents, cells)
    assert list(out["n_missing_cells"]) == [0, len(suites.expected_cells("v2021")) - 1, 0]
    assert out["missing_cells"][0] == "" and out["missing_cells"][1].startswith("s3/new_received/natural_person,")


def test_every_suite_name_is_unique_and_says_what_it_enforces() -> None:
    everything = [*suites.gate_suites(), *suites.soft_identity_suites(), *suites.marts_suites()]
    names = [s.name for s in everything]
    assert len(names) == len(set(names))
    for gs in everything:
        for expectation in gs.suite.expectations:
            assert expectation.meta["identity_id"] in {"H1", "H2", "H3", "H4", "H5", "H6", "H7", "DQ", "S1", "S2", "S3"}
            assert expectation.meta.get("check"), (gs.name, expectation.type)
    dq = {e.meta["check"] for gs in suites.gate_suites() for e in gs.suite.expectations
          if e.meta["identity_id"] == "DQ"}
    assert {"cells_complete", "unique_documents", "unique_cells", "unique_equations", "report_year"} <= dq
