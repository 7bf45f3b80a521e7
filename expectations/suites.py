"""The gate's Great Expectations suites, generated from ``xxgk.template``.

Nothing here is written by hand per identity: each hard identity of ``template.IDENTITIES``
(H1–H6) becomes one suite over its rows of ``intermediate.int_identity_residuals``, the type
rule H7 one suite per column kind of the template, and the report-level data-quality checks one
suite over the checked documents.  Every expectation's ``meta`` says which identity (or check)
it enforces, so ``expectations.gate`` can name the failing rule without parsing expectation
types.
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

Frame = Literal["residuals", "documents", "cells"]

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
    ]
    return GateSuite(
        suite=gx.ExpectationSuite(name="xxgk_documents", expectations=expectations,
                                  meta={"identity_id": "DQ"}),
        frame="documents", keys=("document_id",))


def gate_suites(today: dt.date | None = None) -> list[GateSuite]:
    """Every suite the gate runs."""
    return [*identity_suites(), *type_rule_suites(), documents_suite(today)]
