"""The answer key of a generated document: what a correct extractor must return.

The key is the generator's own knowledge: the numbers it drew (``Values``) and
what it printed (``Printed``).  It uses the template and the identity engine of
the core (``xxgk.template``, ``xxgk.identities``), never the extractor's code, so
a bug in the extractor cannot hide in its key.

Per cell the key gives (schema ``xxgk.key/2``):

* ``value``: what the record must hold, i.e. what the document proves: the number
  as printed (an injected inconsistency or an R1 zero keeps its printed, wrong
  number, since the contract forbids "correcting" the source), a blank the
  identities fill, or ``null`` when the document proves nothing;
* ``basis``: the evidence the document offers, in the record's terms
  (``xxgk.record.Basis``): ``printed`` (one number alone in its cell), ``decided``
  (the number's place is not printed, but every reading the identities admit
  gives it: a row with a cell too many or too few (P4, P5), a run of numbers
  (R3, R6, R8; ``generator.readings``)), ``imputed`` (a blank the identities
  fill) or ``unread`` (not provable: ``value`` is null);
* ``true``: the number the generator drew, when it differs from ``value`` (an
  unread cell, an inconsistency, an R1 zero).

"Prove" uses the two rules of the contract (an equation with one unknown; the
unknown addends of a sum that is already complete are 0, since counts are
never negative).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator import plan as planning
from generator.model import BAD_PROBLEM, DocPlan, Inconsistency, Number, Printed, Values
from generator.printing import printed_numbers
from generator.readings import agreed
from xxgk import template
from xxgk.identities import propagate, sides

SCHEMA = "xxgk.key/2"
SCHEMAS = ("xxgk.key/1", "xxgk.key/2")  # /1: the hand-made keys of real documents, no basis


@dataclass
class Key:
    document: str
    format: str
    org_name: str | None
    year: int | None
    template: str | None
    status: str
    problems: list[str]  # codes that must appear in the record
    pitfalls: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    bad_input: str | None = None
    inconsistency: dict[str, Any] | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "document": self.document,
            "format": self.format,
            "org_name": self.org_name,
            "year": self.year,
            "template": self.template,
            "status": self.status,
            "problems": self.problems,
            "pitfalls": self.pitfalls,
            "features": self.features,
            "bad_input": self.bad_input,
            "inconsistency": self.inconsistency,
            "cells": self.cells,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=False)


def json_number(value: Number | None) -> int | float | None:
    # The record writes decimals as JSON numbers (xxgk.record); the key does the same.
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- the proof ------------------------------------------------------------------------------


def prove(values: Mapping[str, Number | None], version: template.Version) -> dict[str, Number | None]:
    """Fill the blanks (None) that the identities prove; others stay None.

    "Prove" has one definition, the contract's (rule 1), evaluated by the core's
    identity engine; the keys hold what a correct reading of the printed table gives.
    """
    present = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    return propagate(dict(values), template.equations(version, present))


def broken_identities(values: Mapping[str, Number | None], version: template.Version) -> set[str]:
    """Problem codes (identity_h1 …) of the hard identities the values break."""
    present = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    codes = set()
    for eq in template.equations(version, present):
        both = sides(eq, values)
        if both is not None and both[0] != both[1]:
            codes.add(f"identity_{eq.identity.lower()}")
    return codes


# --- building keys --------------------------------------------------------------------------


def report_key(
    plan: DocPlan, values: Values, printed: Printed, inc: Inconsistency | None, org_name: str
) -> Key:
    numbers = printed_numbers(values, inc)
    numbers.update(printed.override)
    shown: dict[str, Number | None] = {}
    run_cells: dict[str, list[str]] = {}  # row -> its cells, for rows printed as a run
    for t in template.tables(plan.version):
        for r in t.rows:
            row = f"{t.code}/{r.code}"
            if row in values.rows_omitted:
                continue
            for c in t.columns:
                cid = template.cell_id(t.code, r.code, c.code)
                shown[cid] = None if printed.text.get(cid) is None or row in printed.runs else numbers[cid]
                if row in printed.runs:
                    run_cells.setdefault(row, []).append(cid)
    proven = prove(shown, plan.version)
    ambiguous = False
    assert len(run_cells) <= 1, "one run per document (generator.phenomena): readings are not combined"
    for row, cells_of_row in run_cells.items():
        present = {cid.split("/")[1] for cid in shown if cid.startswith("s3/")}
        proven, _admitted = agreed(
            shown, cells_of_row, printed.runs[row], template.equations(plan.version, present)
        )
        ambiguous |= any(proven[cid] is None for cid in cells_of_row)
    # Rows whose numbers are not one per cell in their own columns.
    decided_rows = set(printed.extra) | {cid.rsplit("/", 1)[0] for cid in printed.missing} | set(run_cells)
    cells = []
    for cid, value in proven.items():
        table, row, col = cid.split("/")
        if value is None:
            basis = "unread"
        elif shown[cid] is None and f"{table}/{row}" not in run_cells:
            basis = "imputed"
        elif f"{table}/{row}" in decided_rows and not _in_place(cid, printed):
            basis = "decided"
        else:
            basis = "printed"
        cell: dict[str, Any] = {
            "table": table,
            "row": row,
            "col": col,
            "value": json_number(value),
            "basis": basis,
        }
        true = values.cells[cid]
        if value is None or value != true:
            cell["true"] = json_number(true)
        if basis == "imputed":
            cell["imputed"] = True
        cells.append(cell)
    problems = sorted(broken_identities(proven, plan.version))
    if any(c["basis"] == "imputed" for c in cells):
        problems.append("imputed_value")
    if ambiguous:
        problems.append("ambiguous_values")
    if any(v is None for v in proven.values()):
        problems.append("blank_cell")
    status = "needs_review" if problems else "ok"
    return Key(
        document=plan.filename,
        format=plan.fmt,
        org_name=org_name,
        year=plan.year,
        template=plan.version,
        status=status,
        problems=problems,
        pitfalls=dict(sorted(plan.pitfalls.items(), key=lambda kv: planning.trait_order(kv[0]))),
        features=dict(sorted(plan.features.items())),
        inconsistency=None
        if inc is None
        else {
            "family": inc.family,
            "cell": inc.cell,
            "true": json_number(inc.true),
            "printed": json_number(inc.printed),
        },
        cells=cells,
    )


def _in_place(cid: str, printed: Printed) -> bool:
    """Whether the cell's number stands in its own column although its row is irregular.

    P5 ``last`` (the 总计 missing): the six other numbers are where they belong.
    """
    row = cid.rsplit("/", 1)[0]
    if row in printed.runs or row in printed.extra:
        return False
    missing = [m for m in printed.missing if m.startswith(row + "/")]
    return all(m.endswith("/total") for m in missing)


def bad_key(plan: DocPlan, org_name: str | None, year: int | None, fmt: str) -> Key:
    assert plan.bad is not None
    # A scan of a report without tables is read by OCR: its title gives body, year and version.
    has_meta = plan.bad in ("table_missing", "image_pdf")
    return Key(
        document=plan.filename,
        format=fmt,
        org_name=org_name if has_meta else None,
        year=year if has_meta else None,
        template=plan.version if has_meta else None,
        status="rejected",
        problems=[BAD_PROBLEM[plan.bad]],
        pitfalls={},
        features=dict(sorted(plan.features.items())),
        bad_input=plan.bad,
        cells=[],
    )


def read_key(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(data, dict) or schema not in SCHEMAS:
        raise ValueError(
            f"{path}: not an answer key (schema {schema!r}, expected one of {', '.join(SCHEMAS)})"
        )
    return data
