"""The answer key of a generated document: what a correct extractor must return.

``cells`` are the contract's cells (table, row, col, value) as the document
prints them: an injected inconsistency keeps its printed (wrong) number, since
the contract forbids "correcting" the source.  A cell the document leaves
blank (P1) or omits (P5) gets the value the balancing identities prove, marked
``imputed``; when they prove nothing it stays ``null``.  The proof uses the
two rules of the contract (an equation with one unknown; the unknown addends
of a sum that is already complete are 0, since counts are never negative).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xxgk import template
from xxgk.identities import present_terms, propagate
from generator.model import BAD_PROBLEM, DocPlan, Inconsistency, Number, Printed, Values
from generator.printing import printed_numbers

SCHEMA = "xxgk.key/1"


@dataclass
class Key:
    document: str
    format: str
    org_name: str | None
    year: int | None
    template: str | None
    status: str
    problems: list[str]                       # codes that must appear in the record
    pitfalls: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    bad_input: str | None = None
    inconsistency: dict[str, Any] | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "document": self.document, "format": self.format,
            "org_name": self.org_name, "year": self.year, "template": self.template,
            "status": self.status, "problems": self.problems, "pitfalls": self.pitfalls,
            "features": self.features, "bad_input": self.bad_input,
            "inconsistency": self.inconsistency, "cells": self.cells,
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

    "Prove" has one definition, the extractor's (extract contract, rule 1), so
    the keys hold what a correct reading of the printed table must give.
    """
    present = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    return propagate(dict(values), template.equations(version, present))


def broken_identities(values: Mapping[str, Number | None], version: template.Version) -> set[str]:
    """Problem codes (identity_h1 …) of the hard identities the values break."""
    present = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    codes = set()
    for eq in template.equations(version, present):
        terms = present_terms(eq, values)
        if terms is None or any(values[c] is None for c in terms[0] + terms[1]):
            continue
        if sum(values[c] for c in terms[0]) != sum(values[c] for c in terms[1]):  # type: ignore[misc]
            codes.add(f"identity_{eq.identity.lower()}")
    return codes


# --- building keys --------------------------------------------------------------------------

def report_key(plan: DocPlan, values: Values, printed: Printed, inc: Inconsistency | None,
               org_name: str) -> Key:
    numbers = printed_numbers(values, inc)
    shown: dict[str, Number | None] = {}
    for t in template.tables(plan.version):
        for r in t.rows:
            if f"{t.code}/{r.code}" in values.rows_omitted:
                continue
            for c in t.columns:
                cid = template.cell_id(t.code, r.code, c.code)
                shown[cid] = None if printed.text.get(cid) is None else numbers[cid]
    proven = prove(shown, plan.version)
    cells = []
    imputed = False
    for cid, value in proven.items():
        table, row, col = cid.split("/")
        cell: dict[str, Any] = {"table": table, "row": row, "col": col, "value": json_number(value)}
        if shown[cid] is None and value is not None:
            cell["imputed"] = True
            imputed = True
        cells.append(cell)
    problems = sorted(broken_identities(proven, plan.version))
    if imputed:
        problems.append("imputed_value")
    if any(v is None for v in proven.values()):
        problems.append("blank_cell")
    status = "needs_review" if problems else "ok"
    return Key(
        document=plan.filename, format=plan.fmt, org_name=org_name, year=plan.year,
        template=plan.version, status=status, problems=problems,
        pitfalls=dict(sorted(plan.pitfalls.items(), key=lambda kv: int(kv[0][1:]))),
        features=dict(sorted(plan.features.items())),
        inconsistency=None if inc is None else {
            "family": inc.family, "cell": inc.cell,
            "true": json_number(inc.true), "printed": json_number(inc.printed)},
        cells=cells)


def bad_key(plan: DocPlan, org_name: str | None, year: int | None, fmt: str) -> Key:
    assert plan.bad is not None
    has_meta = plan.bad == "table_missing"
    return Key(
        document=plan.filename, format=fmt, org_name=org_name if has_meta else None,
        year=year if has_meta else None,
        template=plan.version if has_meta else None, status="rejected",
        problems=[BAD_PROBLEM[plan.bad]], pitfalls={}, features=dict(sorted(plan.features.items())),
        bad_input=plan.bad, cells=[])


def read_key(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not an answer key ({data.get('schema')!r})")
    return data
