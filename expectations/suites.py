"""The gate's Great Expectations suites, generated from ``xxgk.template``.

Nothing here is written by hand per identity: each hard identity of ``template.IDENTITIES``
(H1–H6) becomes one suite over its rows of ``intermediate.int_identity_residuals``, the type
rule H7 one suite per column kind of the template, each soft identity of
``template.SOFT_IDENTITIES`` (S1–S3) one warning suite over
``intermediate.int_soft_identity_residuals``, and the data-quality checks (DQ) suites over the
checked documents, their cells and equations.  Every expectation's ``meta`` says which identity
(or check) it enforces, so ``expectations.gate`` can name the failing rule without parsing
expectation types.

Data quality (DQ), decided here:

* a report names its body, its year (in 2007..this year) and its template (v2019, v2021), and at
  least one of its balancing identities can be checked;
* it has every cell of its template version (``missing_cells``): sections 三 and 四 with all
  their rows and columns, and every column of each section-二 row it printed.  A cell may be
  blank (null) — in sections 三 and 四 a blank term then fails H1–H6 — but it must be there.
  What a report may legitimately lack: rows and tables of section 二
  (``SECTIONS_WITH_OPTIONAL_ROWS``; no identity ties them, reports leave them out, e.g. the 规章
  row of a body without rule-making power, template.md §1.3 / P20, and an absent row is not a
  zero), and in v2021 the three rows under （六）其他处理 when the report prints （六） as one row
  instead (``template.AGGREGATED_OTHER_V2021``);
* no duplicates at any grain: one row per document, per document × cell, per document ×
  equation (the marts' grains are checked again before publication, ``marts_suites``).

The suites over the built marts (``marts_suites``) run before publication: any failure there is
systemic (the gate and the marts disagree), so nothing is published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from xxgk import template

Frame = Literal["residuals", "documents", "cells", "soft_residuals",
                "published_reports", "published_cells", "published_tables"]

# The 2007 条例 introduced the annual report: nothing earlier can exist.
FIRST_REPORT_YEAR = 2007

# H7 (template.md §4): what a value of each column kind may be.
KIND_RULES: Mapping[str, tuple[bool, bool]] = {
    # kind: (must be >= 0, must be an integer)
    "count": (True, True),
    "signed": (False, True),
    "decimal": (True, False),
}


@dataclass(frozen=True)
class GateSuite:
    """A suite and the rows it validates: ``frame`` filtered by ``rows`` (column == value).

    ``keys`` identify a row of the frame; the gate maps unexpected rows back to documents
    through them.
    """

    suite: gx.ExpectationSuite
    frame: Frame
    keys: tuple[str, ...]
    rows: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.suite.name


def identity_suites() -> list[GateSuite]:
    """One suite per hard identity id (H3 has one Identity per version; they share a suite)."""
    by_id: dict[str, list[template.Identity]] = {}
    for ident in template.IDENTITIES:
        # Soft identities warn; only hard ones decide whether a report is published.
        if ident.severity == "error":
            by_id.setdefault(ident.id, []).append(ident)
    suites = []
    for identity_id, idents in by_id.items():
        description = idents[0].description
        versions = sorted({v for i in idents for v in i.versions})
        meta = {"identity_id": identity_id, "description": description,
                "table": idents[0].table, "template_versions": versions}
        expectations: list[Expectation] = [
            gxe.ExpectColumnValuesToNotBeNull(
                column="difference", meta={**meta, "check": "difference is known"}),
            gxe.ExpectColumnValuesToBeBetween(
                column="difference", min_value=0, max_value=0,
                meta={**meta, "check": "sum(lhs) = sum(rhs)"}),
            gxe.ExpectColumnValuesToBeBetween(
                column="n_missing_terms", min_value=0, max_value=0,
                meta={**meta, "check": "no term is absent or null"}),
            gxe.ExpectColumnValuesToBeInSet(
                column="template_version", value_set=versions,
                meta={**meta, "check": "identity belongs to the report's template"}),
        ]
        suites.append(GateSuite(
            suite=gx.ExpectationSuite(name=f"xxgk_identity_{identity_id}", expectations=expectations,
                                      meta={"identity_id": identity_id, "description": description}),
            frame="residuals", keys=("document_id", "equation_id"), rows={"identity_id": identity_id}))
    return suites


def type_rule_suites() -> list[GateSuite]:
    """H7: counts are non-negative integers, signed values integers, money non-negative."""
    kinds = {c.kind for v in template.VERSIONS for t in template.tables(v) for c in t.columns}
    suites = []
    for kind in sorted(kinds):
        non_negative, integer = KIND_RULES[kind]
        meta = {"identity_id": "H7", "description": f"every {kind} value is "
                + " and ".join(w for w, on in (("non-negative", non_negative), ("an integer", integer)) if on),
                "col_kind": kind}
        expectations: list[Expectation] = []
        if non_negative:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=0, meta={**meta, "check": "value >= 0"}))
        if integer:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(
                column="is_integer", value_set=[True], meta={**meta, "check": "value is an integer"}))
        suites.append(GateSuite(
            suite=gx.ExpectationSuite(name=f"xxgk_type_rule_H7_{kind}", expectations=expectations,
                                      meta={"identity_id": "H7", "col_kind": kind}),
            frame="cells", keys=("document_id", "cell_id"), rows={"col_kind": kind}))
    return suites


def soft_identity_suites() -> list[GateSuite]:
    """S1–S3 as warnings: one suite per soft identity over the checks whose terms are all known."""
    suites = []
    for ident in template.SOFT_IDENTITIES:
        meta = {"identity_id": ident.id, "description": ident.description, "table": ident.table,
                "relation": ident.relation, "template_versions": list(ident.versions),
                "severity": "warning"}
        if ident.relation == "=":
            expectation: Expectation = gxe.ExpectColumnValuesToBeBetween(
                column="difference", min_value=0, max_value=0,
                meta={**meta, "check": "sum(lhs) = sum(rhs)"})
        else:
            expectation = gxe.ExpectColumnValuesToBeBetween(
                column="difference", min_value=0, meta={**meta, "check": "sum(lhs) >= sum(rhs)"})
        suites.append(GateSuite(
            suite=gx.ExpectationSuite(name=f"xxgk_soft_identity_{ident.id}", expectations=[expectation],
                                      meta={"identity_id": ident.id, "description": ident.description,
                                            "severity": "warning"}),
            frame="soft_residuals", keys=("anchor_document_id", "check_id"),
            # A check with a blank term cannot be made: it is not a warning either.
            rows={"identity_id": ident.id, "n_missing_terms": 0}))
    return suites


# Section 二 has no balancing identity tying its tables together, and reports leave rows and
# whole tables of it out (template.md §1.3 and P20: a body without rule-making power prints no
# 规章 row, seed 004); the extractor never invents a row it did not see (extract contract, rule
# 3), so such a row stays absent from the facts, not zero.  A section-二 row that *is* there must
# have all its columns.  Sections 三 and 四 must be complete.
SECTIONS_WITH_OPTIONAL_ROWS: frozenset[str] = frozenset({"s2"})


def _aggregated_other_rows() -> tuple[str, ...]:
    """The v2021 rows a report may print as one （六）其他处理 row (H3's optional rows)."""
    h3 = next(i for i in template.IDENTITIES if i.id == "H3" and "v2021" in i.versions)
    return tuple(r for r in h3.optional_rows if r != template.AGGREGATED_OTHER_V2021)


def expected_cells(version: template.Version, present: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every cell id a report of ``version`` with cells ``present`` must have, in template order.

    ``present`` (the report's cell ids) decides which optional parts apply: the section-二 rows
    the report printed, and whether a v2021 report prints （六）其他处理 as one row (then that
    row's cells stand for its three children's).
    """
    aggregated = version == "v2021" and any(
        c.startswith(f"s3/{template.AGGREGATED_OTHER_V2021}/") for c in present)
    replaced = set(_aggregated_other_rows()) if aggregated else set()
    present_rows = {c.rsplit("/", 1)[0] for c in present}
    out = []
    for t in template.tables(version):
        for r in t.rows:
            if t.section in SECTIONS_WITH_OPTIONAL_ROWS and f"{t.code}/{r.code}" not in present_rows:
                continue
            if t.code == "s3" and r.code in replaced:
                continue
            if t.code == "s3" and r.code == "total_processed" and aggregated:
                out += [template.cell_id("s3", template.AGGREGATED_OTHER_V2021, c.code) for c in t.columns]
            out += [template.cell_id(t.code, r.code, c.code) for c in t.columns]
    return out


def missing_cells(version: template.Version | None, present: set[str] | frozenset[str]) -> list[str]:
    """Cells of the template version the report lacks (none when the version is unknown)."""
    if version not in template.VERSIONS:
        return []
    return [c for c in expected_cells(version, present) if c not in present]


def _dq(check: str, description: str, **extra: object) -> dict[str, object]:
    return {"identity_id": "DQ", "check": check, "description": description, **extra}


def uniqueness_suites() -> list[GateSuite]:
    """No duplicates at the grains the gate reads: document × cell, document × equation."""
    return [
        GateSuite(
            suite=gx.ExpectationSuite(name="xxgk_unique_cells", expectations=[
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["document_id", "cell_id"],
                    meta=_dq("unique_cells", "one value per document and cell", cells_column="cell_id"))],
                meta={"identity_id": "DQ"}),
            frame="cells", keys=("document_id", "cell_id")),
        GateSuite(
            suite=gx.ExpectationSuite(name="xxgk_unique_equations", expectations=[
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["document_id", "equation_id"],
                    meta=_dq("unique_equations", "one residual per document and equation",
                             cells_column="cells"))],
                meta={"identity_id": "DQ"}),
            frame="residuals", keys=("document_id", "equation_id")),
    ]


def documents_suite(today: dt.date | None = None) -> GateSuite:
    """Report-level data quality: who, which year, which template, and something to check."""
    year = (today or dt.date.today()).year
    versions = list(template.VERSIONS)

    def meta(check: str, description: str) -> dict[str, str]:
        return {"identity_id": "DQ", "check": check, "description": description}

    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="org_name", meta=meta("org_name", "the reporting body is known")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="report_year", meta=meta("report_year", "the report year is known")),
        gxe.ExpectColumnValuesToBeBetween(
            column="report_year", min_value=FIRST_REPORT_YEAR, max_value=year,
            meta=meta("report_year", f"the report year is in {FIRST_REPORT_YEAR}..{year}")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="template_version", meta=meta("template_version", "the template is known")),
        gxe.ExpectColumnValuesToBeInSet(
            column="template_version", value_set=versions,
            meta=meta("template_version", f"the template is one of {', '.join(versions)}")),
        # A report none of whose identities could be checked (no section 三 or 四) cannot be
        # vouched for, so it is not published.
        gxe.ExpectColumnValuesToBeBetween(
            column="n_equations", min_value=1,
            meta=meta("identities_checked", "at least one balancing identity could be checked")),
        gxe.ExpectColumnValuesToBeBetween(
            column="n_missing_cells", min_value=0, max_value=0,
            meta={**meta("cells_complete", "every cell of the template version is there (what a "
                         "report may lack: expectations.suites.expected_cells)"),
                  "cells_column": "missing_cells"}),
        gxe.ExpectColumnValuesToBeUnique(
            column="document_id", meta=meta("unique_documents", "one row per document")),
    ]
    return GateSuite(
        suite=gx.ExpectationSuite(name="xxgk_documents", expectations=expectations,
                                  meta={"identity_id": "DQ"}),
        frame="documents", keys=("document_id",))


def gate_suites(today: dt.date | None = None) -> list[GateSuite]:
    """Every suite that decides whether a report is published (the soft ones only warn)."""
    return [*identity_suites(), *type_rule_suites(), *uniqueness_suites(), documents_suite(today)]


# The current fact tables; the marts check requires each to hold rows when a report is current.
FACT_TABLES: tuple[str, ...] = ("fct_applications", "fct_active_disclosure", "fct_review_litigation")


def marts_suites(today: dt.date | None = None) -> list[GateSuite]:
    """What the built marts must satisfy before they are published (a failure is systemic)."""
    year = (today or dt.date.today()).year

    def meta(check: str, description: str) -> dict[str, object]:
        return _dq(check, description, severity="systemic")

    reports = [
        gxe.ExpectColumnValuesToBeUnique(
            column="document_id", meta=meta("unique_reports", "one row per current report")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["body_id", "report_year"],
            meta=meta("unique_body_years", "one current report per body and year")),
        gxe.ExpectColumnValuesToBeInSet(
            column="passed_gate", value_set=[True],
            meta=meta("published_passed_gate", "every current report passed the gate")),
        gxe.ExpectColumnValuesToBeBetween(
            column="report_year", min_value=FIRST_REPORT_YEAR, max_value=year,
            meta=meta("report_year", f"the report year is in {FIRST_REPORT_YEAR}..{year}")),
        gxe.ExpectColumnValuesToBeBetween(
            column="n_missing_cells", min_value=0, max_value=0,
            meta=meta("cells_complete", "the facts hold every cell of the report's template version")),
    ]
    cells = [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["document_id", "cell_id"],
            meta=meta("unique_fact_cells", "one fact row per report and cell")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["body_id", "report_year", "cell_id"],
            meta=meta("unique_body_year_cells", "one fact row per body, year and cell")),
        gxe.ExpectColumnValuesToBeInSet(
            column="is_current_report", value_set=[True],
            meta=meta("facts_of_current_reports", "every fact row belongs to a current report")),
    ]
    tables = [
        gxe.ExpectColumnValuesToBeInSet(
            column="is_empty_but_reports_passed", value_set=[False],
            meta=meta("facts_not_empty", "a fact table holds rows when reports passed the gate")),
    ]
    return [
        GateSuite(suite=gx.ExpectationSuite(name="xxgk_published_reports", expectations=reports,
                                            meta={"identity_id": "DQ"}),
                  frame="published_reports", keys=("document_id",)),
        GateSuite(suite=gx.ExpectationSuite(name="xxgk_published_cells", expectations=cells,
                                            meta={"identity_id": "DQ"}),
                  frame="published_cells", keys=("fact_table", "document_id", "cell_id")),
        GateSuite(suite=gx.ExpectationSuite(name="xxgk_published_tables", expectations=tables,
                                            meta={"identity_id": "DQ"}),
                  frame="published_tables", keys=("table_name",)),
    ]
