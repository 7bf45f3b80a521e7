"""The frames the gate validates, built from the cells with the identity engine.

Each hard identity of ``xxgk.template`` becomes one frame: one row per report × equation
(``template.equations``), one column per term of the identity, named after it
(``new_received/*``; a right-hand term is negated and named ``−total_processed/*``), so the
suite states the identity itself: the terms of a row sum to 0.  A term the report lacks is
NaN, unless it is optional (``Equation.optional``: it then counts as nothing), which is
``xxgk.identities.present_terms``' rule; a blank (unread) term is NaN too.

The sections frame has one row per report × section (二 s2, 三 s3, 四 s4) with the cells of
the template version the report lacks there (``suites.missing_cells``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from expectations.suites import SECTIONS, identity_frame_name, missing_cells, section_of, term_columns
from xxgk import template

Values = Mapping[str, Decimal | None]


def number(value: object) -> Decimal | None:
    """A cell value from a frame (float, NaN, None or Decimal) as an exact Decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value)).normalize()
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"a cell value must be a number, not {type(value).__name__} ({value!r})")


def document_values(cells: pd.DataFrame) -> dict[str, dict[str, Decimal | None]]:
    """{document_id: {cell_id: value}} from a frame of (document_id, cell_id, value)."""
    out: dict[str, dict[str, Decimal | None]] = {}
    for document_id, cell_id, value in cells[["document_id", "cell_id", "value"]].itertuples(index=False):
        out.setdefault(str(document_id), {})[str(cell_id)] = number(value)
    return out


def equations_of(version: template.Version, values: Values) -> list[template.Equation]:
    """The hard equations that apply to a report: those of a table it has cells in.

    H2 is expanded over the section-三 rows the report has (``template.equations``); a table the
    report lacks entirely is reported as missing cells, not as equations that cannot be checked.
    """
    tables = {cid.split("/")[0] for cid in values}
    present_rows = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    return [eq for eq in template.equations(version, present_rows) if eq.lhs[0].split("/")[0] in tables]


def term_value(eq: template.Equation, cell_id: str, values: Values) -> float:
    """A term as the frame holds it: its value, 0 for an absent optional term, else NaN."""
    if cell_id not in values:
        return 0.0 if cell_id in eq.optional else math.nan
    value = values[cell_id]
    return math.nan if value is None else float(value)


def identity_frames(documents: pd.DataFrame, values: Mapping[str, Values]) -> dict[str, pd.DataFrame]:
    """One frame per hard identity (``suites.identity_frame_name``), every applicable equation."""
    rows: dict[str, list[dict[str, object]]] = {}
    idents = [i for i in template.IDENTITIES if i.severity == "error"]
    for document_id, version in documents[["document_id", "template_version"]].itertuples(index=False):
        if version not in template.VERSIONS:
            continue
        doc_values = values.get(str(document_id), {})
        for eq in equations_of(version, doc_values):
            ident = next(i for i in idents if i.id == eq.identity and version in i.versions)
            lhs_columns, rhs_columns = term_columns(ident)
            row: dict[str, object] = {
                "document_id": str(document_id),
                "equation_id": eq.id,
                "template_version": version,
                "section": section_of(eq.lhs[0]),
                "cells": ",".join(eq.lhs + eq.rhs),
            }
            for column, cid in zip(lhs_columns, eq.lhs):
                row[column] = term_value(eq, cid, doc_values)
            for column, cid in zip(rhs_columns, eq.rhs):
                row[column] = -term_value(eq, cid, doc_values)
            rows.setdefault(identity_frame_name(ident), []).append(row)
    out = {}
    for ident in idents:
        lhs_columns, rhs_columns = term_columns(ident)
        columns = [
            "document_id",
            "equation_id",
            "template_version",
            "section",
            "cells",
            *lhs_columns,
            *rhs_columns,
        ]
        out[identity_frame_name(ident)] = pd.DataFrame(
            rows.get(identity_frame_name(ident), []), columns=columns
        )
    return out


def sections_frame(documents: pd.DataFrame, values: Mapping[str, Values]) -> pd.DataFrame:
    """One row per report × section: its cells, and the cells of the template it lacks."""
    rows = []
    for document_id, version in documents[["document_id", "template_version"]].itertuples(index=False):
        present = frozenset(values.get(str(document_id), {}))
        missing = missing_cells(version if version in template.VERSIONS else None, present)
        for section in SECTIONS:
            lacking = [c for c in missing if section_of(c) == section]
            rows.append(
                {
                    "document_id": str(document_id),
                    "section": section,
                    "n_cells": sum(1 for c in present if section_of(c) == section),
                    "n_missing_cells": len(lacking),
                    "missing_cells": ",".join(lacking),
                }
            )
    return pd.DataFrame(
        rows, columns=["document_id", "section", "n_cells", "n_missing_cells", "missing_cells"]
    )
