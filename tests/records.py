"""Synthetic report records for the warehouse tests (dbt models and the gate).

The records follow docs/record.md and are built from ``xxgk.template``, so they carry
every cell of sections 二, 三 and 四 of their version.  ``report`` makes a report whose
balancing identities hold by construction; ``with_value`` then changes one printed cell to
break one of them on purpose.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from xxgk import template
from xxgk.record import SCHEMA

Number = int | Decimal | None
Record = dict[str, Any]

# A small county department, v2021: 80 new applications and 1 carried over from last year;
# 78 handled this year and 3 carried forward (80 + 1 = 78 + 3 in the total column).
NEW_2021: Mapping[str, int] = {
    "natural_person": 70,
    "commercial_enterprise": 8,
    "research_institution": 0,
    "social_welfare_org": 1,
    "legal_service_org": 1,
    "other_org": 0,
}
CARRIED_IN_2021: Mapping[str, int] = {"natural_person": 1}
OUTCOMES_2021: Mapping[str, Mapping[str, int]] = {
    "granted": {"natural_person": 39, "commercial_enterprise": 6, "legal_service_org": 1},
    "partially_granted": {"natural_person": 6, "commercial_enterprise": 1},
    "denied_third_party_rights": {"natural_person": 2},
    "denied_process_info": {"natural_person": 1},
    "unable_not_held": {"natural_person": 12, "commercial_enterprise": 1, "social_welfare_org": 1},
    "unable_needs_creation": {"natural_person": 2},
    "not_processed_petition_complaint": {"natural_person": 3},
    "not_processed_duplicate": {"natural_person": 1},
    "other_no_correction": {"natural_person": 1},
    "other_misc": {"natural_person": 1},
}
REVIEW_LITIGATION: Mapping[str, Mapping[str, int]] = {
    "review": {"upheld": 2, "corrected": 1, "other": 0, "pending": 1},
    "litigation_direct": {"upheld": 1, "corrected": 0, "other": 1, "pending": 0},
    "litigation_after_review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0},
}
ACTIVE_2021: Mapping[str, Number] = {
    "s2.art20_1/regulations/issued_this_year": 0,
    "s2.art20_1/regulations/repealed_this_year": 0,
    "s2.art20_1/regulations/currently_valid": 0,
    "s2.art20_1/normative_documents/issued_this_year": 3,
    "s2.art20_1/normative_documents/repealed_this_year": 6,
    "s2.art20_1/normative_documents/currently_valid": 5,
    "s2.art20_5/administrative_licensing/decisions_this_year": 1520,
    "s2.art20_6/administrative_penalty/decisions_this_year": 31,
    "s2.art20_6/administrative_coercion/decisions_this_year": 0,
    "s2.art20_8/administrative_fees/fee_amount_wan_cny": Decimal("12.3456"),
}

# A township, v2019: 12 new, 0 carried over; 11 handled, 1 carried forward.
NEW_2019: Mapping[str, int] = {"natural_person": 10, "commercial_enterprise": 2}
OUTCOMES_2019: Mapping[str, Mapping[str, int]] = {
    "granted": {"natural_person": 6, "commercial_enterprise": 2},
    "unable_not_held": {"natural_person": 2},
    "other_handling": {"natural_person": 1},
}
ACTIVE_2019: Mapping[str, Number] = {
    "s2.art20_1/normative_documents/newly_made_this_year": 2,
    "s2.art20_1/normative_documents/newly_published_this_year": 2,
    "s2.art20_1/normative_documents/total_published": 14,
    "s2.art20_5/administrative_licensing/items_last_year": 5,
    "s2.art20_5/administrative_licensing/items_change_this_year": -1,
    "s2.art20_5/administrative_licensing/decisions": 40,
    "s2.art20_8/administrative_fees/items_last_year": 2,
    "s2.art20_8/administrative_fees/items_change_this_year": 0,
    "s2.art20_9/govt_centralized_procurement/procurement_projects": 24,
    "s2.art20_9/govt_centralized_procurement/procurement_total_amount": Decimal("35"),
}


def sha(name: str) -> str:
    """A stable fake document id (records are identified by the SHA-256 of their source)."""
    return hashlib.sha256(name.encode()).hexdigest()


def s3_cells(
    version: template.Version,
    new: Mapping[str, int],
    carried_in: Mapping[str, int],
    outcomes: Mapping[str, Mapping[str, int]],
    carried_out: Mapping[str, int],
) -> dict[str, int]:
    """Section 三 with (七)总计 and the 总计 column computed, so H2 and H3 hold.

    H1 holds when ``new + carried_in == sum(outcomes) + carried_out`` per applicant; it is
    checked here so a test cannot start from a report that is already broken.
    """
    applicants = template.APPLICANTS_WITHOUT_TOTAL
    rows: dict[str, dict[str, int]] = {}
    for row in template.s3_rows(version):
        if row.code == "new_received":
            rows[row.code] = {a: new.get(a, 0) for a in applicants}
        elif row.code == "carried_over_from_last_year":
            rows[row.code] = {a: carried_in.get(a, 0) for a in applicants}
        elif row.code == "carried_to_next_year":
            rows[row.code] = {a: carried_out.get(a, 0) for a in applicants}
        elif row.leaf:
            rows[row.code] = {a: outcomes.get(row.code, {}).get(a, 0) for a in applicants}
    unknown = set(outcomes) - set(template.outcome_leaves(version))
    assert not unknown, f"not outcome rows of {version}: {unknown}"
    rows["total_processed"] = {
        a: sum(rows[r][a] for r in template.outcome_leaves(version)) for a in applicants
    }
    for a in applicants:
        assert (
            rows["new_received"][a] + rows["carried_over_from_last_year"][a]
            == rows["total_processed"][a] + rows["carried_to_next_year"][a]
        ), f"H1 fails for {a}"
    cells: dict[str, int] = {}
    for row_code, values in rows.items():
        for a, v in values.items():
            cells[template.cell_id("s3", row_code, a)] = v
        cells[template.cell_id("s3", row_code, "total")] = sum(values.values())
    return cells


def s4_cells(proceedings: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Section 四 with each proceeding's 总计 computed, so H4–H6 hold."""
    cells: dict[str, int] = {}
    for row in template.S4_ROWS:
        parts = proceedings.get(row.code, {})
        for outcome in ("upheld", "corrected", "other", "pending"):
            cells[template.cell_id("s4", row.code, outcome)] = parts.get(outcome, 0)
        cells[template.cell_id("s4", row.code, "total")] = sum(parts.values())
    return cells


def report(
    name: str,
    *,
    org_name: str | None,
    year: int | None,
    version: template.Version | None,
    cells: Mapping[str, Number],
    status: str = "ok",
    region: list[str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> Record:
    """A record as ``xxgk extract`` prints it; cells are given as {cell id: value}."""
    line = 10
    out_cells = []
    for cid, value in cells.items():
        table, row, col = cid.split("/")
        line += 1
        raw = "" if value is None else str(value)
        out_cells.append(
            {
                "table": table,
                "row": row,
                "col": col,
                "value": float(value) if isinstance(value, Decimal) else value,
                "basis": "unread" if value is None else "printed",
                "where": {"page": 2, "line": line, "raw": raw},
            }
        )
    return {
        "schema": SCHEMA,
        "source": {"path": f"inbox/{name}.pdf", "sha256": sha(name), "format": "pdf"},
        "org_name": org_name,
        "region": region or [],
        "year": year,
        "template": version,
        "status": status,
        "cells": out_cells,
        "problems": problems or [],
    }


def clean_v2021(name: str = "wangzhu-2021", org_name: str = "王助镇", year: int = 2021) -> Record:
    cells: dict[str, Number] = dict(ACTIVE_2021)
    cells |= s3_cells("v2021", NEW_2021, CARRIED_IN_2021, OUTCOMES_2021, {"natural_person": 3})
    cells |= s4_cells(REVIEW_LITIGATION)
    return report(
        name,
        org_name=org_name,
        year=year,
        version="v2021",
        cells=cells,
        region=["安徽省", "六安市", "金寨县"],
    )


def clean_v2019(name: str = "tangjiahui-2019", org_name: str = "金寨县汤家汇镇", year: int = 2019) -> Record:
    cells: dict[str, Number] = dict(ACTIVE_2019)
    cells |= s3_cells("v2019", NEW_2019, {}, OUTCOMES_2019, {"natural_person": 1})
    cells |= s4_cells({})
    return report(name, org_name=org_name, year=year, version="v2019", cells=cells)


def rejected(name: str = "scanned-2022") -> Record:
    return report(
        name,
        org_name=None,
        year=None,
        version=None,
        cells={},
        status="rejected",
        problems=[
            {"code": "no_text", "severity": "error", "message": "scanned without a text layer", "cells": []}
        ],
    )


def with_value(record: Record, name: str, cell: str, value: Number, status: str = "needs_review") -> Record:
    """A copy of ``record`` as another document (``name``) with one cell printed differently."""
    out = copy.deepcopy(record)
    out["source"] = {**out["source"], "path": f"inbox/{name}.pdf", "sha256": sha(name)}
    out["status"] = status
    table, row, col = cell.split("/")
    for c in out["cells"]:
        if (c["table"], c["row"], c["col"]) == (table, row, col):
            c["value"] = float(value) if isinstance(value, Decimal) else value
            c["where"] = {**c["where"], "raw": "" if value is None else str(value)}
            if value is None:
                c["basis"] = "unread"
            return out
    raise KeyError(cell)


def doc_id(record: Record) -> str:
    """The document id a record gets in the warehouse: its source's SHA-256."""
    sha = record["source"]["sha256"]
    if not isinstance(sha, str):
        raise TypeError(f"{record['source']['path']}: source.sha256 is {sha!r}, not a string")
    return sha


def cell_value(record: Record, cell: str) -> int | float | None:
    """A cell's value as the record holds it (``report`` stores decimals as floats)."""
    table, row, col = cell.split("/")
    value = next(c["value"] for c in record["cells"] if (c["table"], c["row"], c["col"]) == (table, row, col))
    if value is None or isinstance(value, int | float):
        return value
    raise TypeError(f"{record['source']['path']}: cell {cell} holds {value!r}, not a number")


def unread(record: Record, name: str, cells: list[str], raw: str, candidates: list[list[Number]]) -> Record:
    """A copy of ``record`` as another document whose ``cells`` the extractor could not read.

    As the extractor records it: the cells are null with basis ``unread``, and an
    ``ambiguous_values`` error names them, with the printed text and the candidate readings.
    """
    out = copy.deepcopy(record)
    out["source"] = {**out["source"], "path": f"inbox/{name}.pdf", "sha256": sha(name)}
    out["status"] = "needs_review"
    wanted = set(cells)
    for c in out["cells"]:
        if f"{c['table']}/{c['row']}/{c['col']}" in wanted:
            c["value"], c["basis"] = None, "unread"
            c["where"] = {**c["where"], "raw": raw}
    out["problems"] = [
        *out["problems"],
        {
            "code": "ambiguous_values",
            "severity": "error",
            "message": f"the text {raw!r} can be read several ways and no identity decides between them; "
            "the cells are left blank",
            "cells": list(cells),
            "raw": raw,
            "candidates": [
                [float(v) if isinstance(v, Decimal) else v for v in reading] for reading in candidates
            ],
        },
    ]
    return out


def without(record: Record, name: str, cells: list[str]) -> Record:
    """A copy of ``record`` as another document without ``cells`` (the extractor left them out)."""
    out = copy.deepcopy(record)
    out["source"] = {**out["source"], "path": f"inbox/{name}.pdf", "sha256": sha(name)}
    out["status"] = "needs_review"
    gone = set(cells)
    out["cells"] = [c for c in out["cells"] if f"{c['table']}/{c['row']}/{c['col']}" not in gone]
    return out
