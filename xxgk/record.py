"""The report record: what ``xxgk extract`` prints (docs/record.md).

It is the boundary between the extractors and everything downstream, so it is
kept as plain data: dataclasses that serialise to the contract's JSON keys.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from xxgk import template
from xxgk.template import Version

SCHEMA = "xxgk.report/3"

Status = Literal["ok", "needs_review", "rejected"]
Value = int | Decimal | None
# The evidence a cell's value rests on (docs/record.md):
#   printed  one number alone in its cell
#   decided  the identities admit exactly one reading, found by an exhaustive search
#   imputed  a blank that the identities fill
#   unread   no evidence decides it: the value is null
#   ocr      read by OCR from a page image, with every digit sure and proven by the
#            hard identities (an unproven or unsure OCR reading is unread, its reading in
#            the problem that flags it)
Basis = Literal["printed", "decided", "imputed", "unread", "ocr"]
BASES: tuple[Basis, ...] = ("printed", "decided", "imputed", "unread", "ocr")


@dataclass
class Cell:
    table: str
    row: str
    col: str
    value: Value
    where: dict[str, Any]
    imputed: bool = False
    basis: Basis = "printed"
    # The OCR engine's confidence (0–1) in the word the value was read from.
    confidence: float | None = None

    @property
    def id(self) -> str:
        return f"{self.table}/{self.row}/{self.col}"


# Every code a problem may carry, each described in docs/record.md (a test keeps the two equal).
PROBLEM_CODES: frozenset[str] = frozenset(
    {
        # the document cannot be read as a report (status rejected)
        "unreadable",
        "empty_file",
        "format_unsupported",
        "corrupt",
        "encrypted",
        "ocr_needed",
        # OCR readings that are not published (the cell is unread, the reading in candidates)
        "ocr_low_confidence",
        "ocr_unproven",
        "converter_missing",
        "timeout",
        "too_large",
        "not_a_report",
        "table_missing",
        "extractor_crash",
        "worker_died",
        # the reading: cells unread, rows missing, choices the identities made
        "row_missing",
        "s2_row_absent",
        "ambiguous_values",
        "cell_count_mismatch",
        "search_truncated",
        "readings_disagree",
        "imputed_value_in_doubt",
        "blank_cell",
        "imputed_value",
        "total_printed_zero",
        "other_handling_aggregated",
        "year_unknown",
        "control_characters",
        # the balancing identities: hard ones broken, soft ones within one report
        *(f"identity_{i.id.lower()}" for i in template.IDENTITIES),
        "identity_h7",
        *(
            f"soft_{s.id.lower()}"
            for s in template.SOFT_IDENTITIES
            if all(t.year_offset == 0 for t in s.lhs + s.rhs)
        ),
    }
)


@dataclass
class Problem:
    code: str
    severity: Literal["error", "warning"]
    message: str
    cells: list[str] = field(default_factory=list)
    # The readings the text allows, one value (or null for a blank) per cell of
    # ``cells``, when no evidence decides among them (``ambiguous_values``).
    candidates: list[list[Value]] | None = None
    # The printed text the candidates were read from.
    raw: str | None = None

    def __post_init__(self) -> None:
        # A new code must be documented for the users who filter on it.
        if self.code not in PROBLEM_CODES:
            raise ValueError(
                f"problem code {self.code!r} is not in xxgk.record.PROBLEM_CODES: "
                "add it there and describe it in docs/record.md"
            )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "cells": list(self.cells),
        }
        # Optional keys, only when set: records without them keep their old shape.
        if self.candidates is not None:
            d["candidates"] = [[_json_number(v) for v in c] for c in self.candidates]
        if self.raw is not None:
            d["raw"] = self.raw
        return d


@dataclass
class Source:
    path: str
    sha256: str
    format: str
    # Set when the document was read by OCR: engine, version, models, dpi, pages.
    ocr: dict[str, Any] | None = None


@dataclass
class Report:
    source: Source
    org_name: str | None = None
    region: list[str] = field(default_factory=list)
    year: int | None = None
    template: Version | None = None
    status: Status = "ok"
    cells: list[Cell] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The extractor that made the record: a newer one re-reads the document.
    extractor_version: str | None = None
    # xxgk.report/3: the narrative sections 一, 五, 六 ({section, heading, text, where}), the
    # numbers they state (S6 claims), the publication date the document prints
    # ({date, basis, where}) and the source URL it names (docs/record.md).
    narrative: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    published: dict[str, Any] | None = None
    source_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        cells = []
        for c in self.cells:
            d: dict[str, Any] = {
                "table": c.table,
                "row": c.row,
                "col": c.col,
                "value": _json_number(c.value),
                "basis": c.basis,
                "where": c.where,
            }
            if c.imputed:
                d["imputed"] = True
            if c.confidence is not None:
                d["confidence"] = round(c.confidence, 4)
            cells.append(d)
        return {
            "schema": SCHEMA,
            "extractor_version": self.extractor_version,
            "source": _source(self.source),
            "org_name": self.org_name,
            "region": self.region,
            "year": self.year,
            "template": self.template,
            "status": self.status,
            "cells": cells,
            "problems": [p.to_dict() for p in self.problems],
            "narrative": self.narrative,
            "claims": self.claims,
            "published": self.published,
            "source_url": self.source_url,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _source(source: Source) -> dict[str, Any]:
    d = asdict(source)
    if d["ocr"] is None:
        del d["ocr"]  # born-digital documents keep the old shape
    return d


def _json_number(value: Value) -> int | float | None:
    # JSON has no decimal type; money keeps its printed digits through float's
    # shortest repr (up to 15 significant digits, more than any report prints).
    if isinstance(value, Decimal):
        return float(value)
    return value


def rejected(source: Source, code: str, message: str) -> Report:
    return Report(source=source, status="rejected", problems=[Problem(code, "error", message)])
