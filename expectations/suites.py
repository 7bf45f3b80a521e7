"""The gate's Great Expectations suites, generated from ``xxgk.template``.

Nothing here is written by hand per identity: each hard identity of ``template.IDENTITIES``
(H1–H6; H3 once per template version) becomes one suite over its own frame
(``expectations.frames.identity_frames``: one row per report × equation, one column per term,
right-hand terms negated), which states the identity itself — every term is known, and the terms
of a row sum to 0 (``ExpectMulticolumnSumToEqual``).  The type rule H7 is one suite per column
kind of the template, the cells' basis one suite (``basis_suite``), completeness one suite per
report × section (``sections_suite``), each soft identity of ``template.SOFT_IDENTITIES`` (S1–S3)
one warning suite over ``intermediate.int_soft_identity_residuals``, and the data-quality checks
(DQ) suites over the checked documents and their cells.  Every expectation's ``meta`` says which
identity (or check) it enforces, so ``expectations.verdicts`` can name the failing rule and the
section it holds back without parsing expectation types.

Data quality (DQ), decided here:

* a report names its body, its year (in 2007..this year) and its template (v2019, v2021), and at
  least one of its balancing identities can be checked;
* every cell has a publishable basis (``PUBLISHABLE_BASES``): an unread cell holds its section
  back;
* it has every cell of its template version (``missing_cells``), per section: sections 三 and 四
  with all their rows and columns, and every column of each section-二 row it printed.
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

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from xxgk import template

# The name of a frame the suites validate: "documents", "sections", "cells", one
# "identity_<id>" per hard identity, "soft_residuals", and the "published_*" frames of the marts.
Frame = str

# The sections of a report the gate decides on one by one (二, 三, 四).
SECTIONS: tuple[str, ...] = ("s2", "s3", "s4")
SECTION_LABELS: Mapping[str, str] = {
    "s2": "二、主动公开政府信息情况",
    "s3": "三、收到和处理政府信息公开申请情况",
    "s4": "四、政府信息公开行政复议、行政诉讼情况",
}
# The evidence a published number may rest on (xxgk.record.BASES; "ocr" is given only to OCR
# readings the identities prove, extractors.ocr_evidence); "corrected" is a reviewer's
# correction (warehouse.corrections).
PUBLISHABLE_BASES: tuple[str, ...] = ("printed", "decided", "imputed", "ocr", "corrected")


def section_of(cell_id: str) -> str:
    """The section of a cell id: s2 for every s2.* table, else the table code (s3, s4)."""
    table_code = cell_id.split("/", 1)[0]
    return "s2" if table_code.startswith("s2") else table_code


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
    rows: dict[str, str | int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.suite.name


def identity_frame_name(ident: template.Identity) -> str:
    """The frame (and suite suffix) of a hard identity: H1, …; H3_v2019 and H3_v2021 apart."""
    if tuple(ident.versions) == template.VERSIONS:
        return f"identity_{ident.id}"
    return f"identity_{ident.id}_{'_'.join(ident.versions)}"


def _term_name(row: str, col: str) -> str:
    return f"{row}/{col}"


def term_columns(ident: template.Identity) -> tuple[list[str], list[str]]:
    """The frame columns of an identity's terms: lhs as named, rhs negated (``−row/col``)."""
    return ([_term_name(r, c) for r, c in ident.lhs], [f"−{_term_name(r, c)}" for r, c in ident.rhs])


def identity_statement(ident: template.Identity) -> str:
    """The identity in words of its terms, e.g. ``new_received/* + … = total_processed/* + …``."""
    return (
        " + ".join(_term_name(r, c) for r, c in ident.lhs)
        + " = "
        + " + ".join(_term_name(r, c) for r, c in ident.rhs)
    )


def identity_suites() -> list[GateSuite]:
    """One suite per hard identity (H3 has one per template version), stating the identity.

    Over its frame (``expectations.frames.identity_frames``: one row per report × equation, one
    column per term, right-hand terms negated) the suite expects every term to be known (a
    term absent or unread means the equation cannot be checked) and the terms of each row to
    sum to 0: ``sum(lhs) = sum(rhs)``.  The sum is only checked on rows whose terms are all
    known, so an equation that cannot be checked is never reported as "0 vs 0".
    """
    suites = []
    for ident in template.IDENTITIES:
        if ident.severity != "error":  # soft identities warn, they never hold a report back
            continue
        lhs, rhs = term_columns(ident)
        meta = {
            "identity_id": ident.id,
            "description": ident.description,
            "table": ident.table,
            "template_versions": list(ident.versions),
            "equation": identity_statement(ident),
            "over": list(ident.over),
            "optional_rows": list(ident.optional_rows),
        }
        expectations: list[Expectation] = [
            gxe.ExpectColumnValuesToNotBeNull(
                column=column, meta={**meta, "check": "term is known", "term": column.lstrip("−")}
            )
            for column in (*lhs, *rhs)
        ]
        expectations.append(
            gxe.ExpectMulticolumnSumToEqual(
                column_list=[*lhs, *rhs],
                sum_total=0,
                ignore_row_if="any_value_is_missing",
                meta={**meta, "check": "sum(lhs) = sum(rhs)"},
            )
        )
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["document_id", "equation_id"],
                meta=_dq("unique_equations", "one row per document and equation", cells_column="cells"),
            )
        )
        name = identity_frame_name(ident)
        suites.append(
            GateSuite(
                suite=gx.ExpectationSuite(
                    name=f"xxgk_{name}",
                    expectations=expectations,
                    meta={
                        "identity_id": ident.id,
                        "description": ident.description,
                        "equation": identity_statement(ident),
                    },
                ),
                frame=name,
                keys=("document_id", "equation_id"),
            )
        )
    return suites


def basis_suite() -> GateSuite:
    """Every cell's value rests on a publishable basis (``PUBLISHABLE_BASES``), else its section waits."""
    return GateSuite(
        suite=gx.ExpectationSuite(
            name="xxgk_cell_basis",
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(
                    column="basis",
                    value_set=list(PUBLISHABLE_BASES),
                    meta=_dq(
                        "basis_publishable",
                        "every cell is printed, decided, imputed, proven OCR or corrected "
                        "(an unread cell holds its section back)",
                        cells_column="cell_id",
                    ),
                )
            ],
            meta={"identity_id": "DQ"},
        ),
        frame="cells",
        keys=("document_id", "cell_id"),
    )


def sections_suite() -> GateSuite:
    """Every cell of the template version is there, per section (what may lack: ``expected_cells``)."""
    return GateSuite(
        suite=gx.ExpectationSuite(
            name="xxgk_sections",
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="n_missing_cells",
                    min_value=0,
                    max_value=0,
                    meta=_dq(
                        "cells_complete",
                        "every cell of the template version is there (what a "
                        "report may lack: expectations.suites.expected_cells)",
                        cells_column="missing_cells",
                    ),
                )
            ],
            meta={"identity_id": "DQ"},
        ),
        frame="sections",
        keys=("document_id", "section"),
    )


def type_rule_suites() -> list[GateSuite]:
    """H7: counts are non-negative integers, signed values integers, money non-negative."""
    kinds = {c.kind for v in template.VERSIONS for t in template.tables(v) for c in t.columns}
    suites = []
    for kind in sorted(kinds):
        non_negative, integer = KIND_RULES[kind]
        meta = {
            "identity_id": "H7",
            "description": f"every {kind} value is "
            + " and ".join(w for w, on in (("non-negative", non_negative), ("an integer", integer)) if on),
            "col_kind": kind,
        }
        expectations: list[Expectation] = []
        if non_negative:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column="value", min_value=0, meta={**meta, "check": "value >= 0"}
                )
            )
        if integer:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_integer", value_set=[True], meta={**meta, "check": "value is an integer"}
                )
            )
        suites.append(
            GateSuite(
                suite=gx.ExpectationSuite(
                    name=f"xxgk_type_rule_H7_{kind}",
                    expectations=expectations,
                    meta={"identity_id": "H7", "col_kind": kind},
                ),
                frame="cells",
                keys=("document_id", "cell_id"),
                rows={"col_kind": kind},
            )
        )
    return suites


def soft_identity_suites() -> list[GateSuite]:
    """S1–S3 as warnings: one suite per soft identity over the checks whose terms are all known."""
    suites = []
    for ident in template.SOFT_IDENTITIES:
        meta = {
            "identity_id": ident.id,
            "description": ident.description,
            "table": ident.table,
            "relation": ident.relation,
            "template_versions": list(ident.versions),
            "severity": "warning",
        }
        if ident.relation == "=":
            expectation: Expectation = gxe.ExpectColumnValuesToBeBetween(
                column="difference", min_value=0, max_value=0, meta={**meta, "check": "sum(lhs) = sum(rhs)"}
            )
        else:
            expectation = gxe.ExpectColumnValuesToBeBetween(
                column="difference", min_value=0, meta={**meta, "check": "sum(lhs) >= sum(rhs)"}
            )
        suites.append(
            GateSuite(
                suite=gx.ExpectationSuite(
                    name=f"xxgk_soft_identity_{ident.id}",
                    expectations=[expectation],
                    meta={"identity_id": ident.id, "description": ident.description, "severity": "warning"},
                ),
                frame="soft_residuals",
                keys=("anchor_document_id", "check_id"),
                # A check with a blank term cannot be made: it is not a warning either.
                rows={"identity_id": ident.id, "n_missing_terms": 0},
            )
        )
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
        c.startswith(f"s3/{template.AGGREGATED_OTHER_V2021}/") for c in present
    )
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
    """No duplicates at the grain of the cells (the equations' grain: ``identity_suites``)."""
    return [
        GateSuite(
            suite=gx.ExpectationSuite(
                name="xxgk_unique_cells",
                expectations=[
                    gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["document_id", "cell_id"],
                        meta=_dq("unique_cells", "one value per document and cell", cells_column="cell_id"),
                    )
                ],
                meta={"identity_id": "DQ"},
            ),
            frame="cells",
            keys=("document_id", "cell_id"),
        ),
    ]


def documents_suite(today: dt.date | None = None) -> GateSuite:
    """Report-level data quality: who, which year, which template, and something to check."""
    year = (today or dt.date.today()).year
    versions = list(template.VERSIONS)

    def meta(check: str, description: str) -> dict[str, str]:
        return {"identity_id": "DQ", "check": check, "description": description}

    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="org_name", meta=meta("org_name", "the reporting body is known")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="body_identified",
            value_set=[True],
            meta=meta("body_id", "the printed name resolves to a reporting body (marts.dim_body)"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="report_year", meta=meta("report_year", "the report year is known")
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="report_year",
            min_value=FIRST_REPORT_YEAR,
            max_value=year,
            meta=meta("report_year", f"the report year is in {FIRST_REPORT_YEAR}..{year}"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="template_version", meta=meta("template_version", "the template is known")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="template_version",
            value_set=versions,
            meta=meta("template_version", f"the template is one of {', '.join(versions)}"),
        ),
        # A report none of whose identities could be checked (no section 三 or 四) cannot be
        # vouched for, so it is not published.
        gxe.ExpectColumnValuesToBeBetween(
            column="n_equations",
            min_value=1,
            meta=meta("identities_checked", "at least one balancing identity could be checked"),
        ),
        gxe.ExpectColumnValuesToBeUnique(
            column="document_id", meta=meta("unique_documents", "one row per document")
        ),
    ]
    return GateSuite(
        suite=gx.ExpectationSuite(
            name="xxgk_documents", expectations=expectations, meta={"identity_id": "DQ"}
        ),
        frame="documents",
        keys=("document_id",),
    )


def gate_suites(today: dt.date | None = None) -> list[GateSuite]:
    """Every suite that decides whether a report is published (the soft ones only warn)."""
    return [
        *identity_suites(),
        *type_rule_suites(),
        basis_suite(),
        *uniqueness_suites(),
        sections_suite(),
        documents_suite(today),
    ]


# The current fact tables; the marts check requires each to hold rows when a report is current.
FACT_TABLES: tuple[str, ...] = ("fct_applications", "fct_active_disclosure", "fct_review_litigation")


def marts_suites(today: dt.date | None = None) -> list[GateSuite]:
    """What the built marts must satisfy before they are published (a failure is systemic)."""
    year = (today or dt.date.today()).year

    def meta(check: str, description: str) -> dict[str, object]:
        return _dq(check, description, severity="systemic")

    reports = [
        gxe.ExpectColumnValuesToBeUnique(
            column="document_id", meta=meta("unique_reports", "one row per current report")
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["body_id", "report_year"],
            meta=meta("unique_body_years", "one current report per body and year"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="is_publishable",
            value_set=[True],
            meta=meta("published_passed_gate", "every current report has a section that passed the gate"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="report_year",
            min_value=FIRST_REPORT_YEAR,
            max_value=year,
            meta=meta("report_year", f"the report year is in {FIRST_REPORT_YEAR}..{year}"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="n_missing_cells",
            min_value=0,
            max_value=0,
            meta=meta(
                "cells_complete",
                "the facts hold every cell of the published sections of the report's template version",
            ),
        ),
    ]
    cells = [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["document_id", "cell_id"],
            meta=meta("unique_fact_cells", "one fact row per report and cell"),
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["body_id", "report_year", "cell_id"],
            meta=meta("unique_body_year_cells", "one fact row per body, year and cell"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="is_current_report",
            value_set=[True],
            meta=meta(
                "facts_of_current_reports",
                "every fact row belongs to the current version of its body-year's section",
            ),
        ),
    ]
    tables = [
        gxe.ExpectColumnValuesToBeInSet(
            column="is_empty_but_reports_passed",
            value_set=[False],
            meta=meta(
                "facts_not_empty",
                "a fact table holds rows when a current report's section of it passed the gate",
            ),
        ),
    ]
    return [
        GateSuite(
            suite=gx.ExpectationSuite(
                name="xxgk_published_reports", expectations=reports, meta={"identity_id": "DQ"}
            ),
            frame="published_reports",
            keys=("document_id",),
        ),
        GateSuite(
            suite=gx.ExpectationSuite(
                name="xxgk_published_cells", expectations=cells, meta={"identity_id": "DQ"}
            ),
            frame="published_cells",
            keys=("fact_table", "document_id", "cell_id"),
        ),
        GateSuite(
            suite=gx.ExpectationSuite(
                name="xxgk_published_tables", expectations=tables, meta={"identity_id": "DQ"}
            ),
            frame="published_tables",
            keys=("table_name",),
        ),
    ]
