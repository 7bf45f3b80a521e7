"""From the failing expectations to a verdict per report × section, the true cause first.

A section (二 s2, 三 s3, 四 s4) of a report is published when no check holds it back: each of
its cells has a publishable basis, none of its cells is missing, and its identities hold.  A
check about the whole report (no body, no year, no template) holds every section back.  The
other sections of the report are decided on their own.

Causes are ranked so that the reader sees first what made the others happen (``CAUSE_RANKS``):
what the extractor could not do (its errors: unread cells with their candidate readings,
rows or tables not found, a search cut short), then the report-level checks and the cells
missing or unread, then the equations that cannot be checked because a term is not known,
then the identities that do not hold and the type rule H7; the extractor's warnings last,
as context.  The extractor's own identity checks (``identity_h*``) are left out: the gate
checks the identities itself, after the reviewers' corrections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from expectations.frames import number
from expectations.suites import section_of

CAUSE_RANKS: Mapping[str, int] = {
    "extractor": 1,  # the extractor's errors about the section
    "report": 2,  # the report as a whole: body, year, template, nothing to check
    "cells_missing": 2,  # cells of the template version the report lacks
    "cells_unread": 2,  # cells without a publishable basis
    "not_checkable": 3,  # an equation with a term absent or unread
    "identity": 4,  # an identity that does not hold (H1–H6)
    "type_rule": 4,  # H7: a value that is not of its column's kind
    "duplicate": 4,  # the same cell or equation twice
    "extractor_warning": 5,  # the extractor's warnings, as context
}

# The extractor's problems that the gate supersedes: it checks the identities itself.
_SUPERSEDED_PROBLEMS = ("identity_",)


@dataclass(frozen=True)
class Cause:
    """One reason a section (or, with section None, the whole report) is held back."""

    document_id: str
    section: str | None
    cause: str
    identity_id: str
    equation_id: str
    cells: str
    message: str
    lhs_value: Decimal | None = None
    rhs_value: Decimal | None = None
    difference: Decimal | None = None
    holds_back: bool = True  # False for the extractor's problems: they explain, the checks decide

    @property
    def rank(self) -> int:
        return CAUSE_RANKS[self.cause]


@dataclass
class Unexpected:
    """What the gate found unexpected: (suite frame, expectation meta, row key) triples."""

    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)


def _cells_text(cells: list[str], limit: int = 8) -> str:
    shown = ", ".join(cells[:limit])
    return shown + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


def check_causes(
    unexpected: Iterable[tuple[str, dict[str, Any], dict[str, Any]]], frames: Mapping[str, pd.DataFrame]
) -> list[Cause]:
    """One cause per failing check (document × equation or check), from the unexpected rows."""
    cells = frames["cells"]
    basis_of = {(d, c): b for d, c, b in cells[["document_id", "cell_id", "basis"]].itertuples(index=False)}
    value_of = {(d, c): v for d, c, v in cells[["document_id", "cell_id", "value"]].itertuples(index=False)}
    missing_of = {
        (d, s): m
        for d, s, m in frames["sections"][["document_id", "section", "missing_cells"]].itertuples(index=False)
    }
    # An equation failing "term is known" is reported once, with every unknown term.
    unknown_terms: dict[tuple[str, str], str] = {}
    causes: dict[tuple[str, str], Cause] = {}

    def add(c: Cause) -> None:
        causes.setdefault((c.document_id, c.equation_id), c)

    for frame_name, meta, key in unexpected:
        document_id = str(key["document_id"])
        identity_id = str(meta["identity_id"])
        check = str(meta.get("check", ""))
        if frame_name.startswith("identity_"):
            equation_id = str(key["equation_id"])
            frame = frames[frame_name]
            row = frame[(frame["document_id"] == document_id) & (frame["equation_id"] == equation_id)].iloc[0]
            terms = str(row["cells"]).split(",")
            if identity_id == "DQ":
                add(
                    Cause(
                        document_id,
                        str(row["section"]),
                        "duplicate",
                        "DQ",
                        f"DQ:{check}:{equation_id}",
                        str(row["cells"]),
                        f"{equation_id} is there twice",
                    )
                )
            elif check == "term is known":
                unknown_terms[(document_id, equation_id)] = frame_name
            else:
                values = [number(value_of.get((document_id, t))) for t in terms]
                n_lhs = len(str(meta["equation"]).split(" = ")[0].split(" + "))
                lhs = sum((v or Decimal(0) for v in values[:n_lhs]), Decimal(0))
                rhs = sum((v or Decimal(0) for v in values[n_lhs:]), Decimal(0))
                add(
                    Cause(
                        document_id,
                        str(row["section"]),
                        "identity",
                        identity_id,
                        equation_id,
                        str(row["cells"]),
                        f"{equation_id} does not hold: {' + '.join(terms[:n_lhs])} = {_text(lhs)} but "
                        f"{' + '.join(terms[n_lhs:])} = {_text(rhs)} (difference {_text(lhs - rhs)})",
                        lhs,
                        rhs,
                        lhs - rhs,
                    )
                )
        elif frame_name == "cells":
            cell_id = str(key["cell_id"])
            section = section_of(cell_id)
            if check == "basis_publishable":
                basis = basis_of.get((document_id, cell_id))
                add(
                    Cause(
                        document_id,
                        section,
                        "cells_unread",
                        "DQ",
                        f"DQ:basis:{cell_id}",
                        cell_id,
                        f"{cell_id} is {basis}: no evidence decides its value",
                    )
                )
            elif identity_id == "H7":
                value = number(value_of.get((document_id, cell_id)))
                add(
                    Cause(
                        document_id,
                        section,
                        "type_rule",
                        "H7",
                        f"H7:{cell_id}",
                        cell_id,
                        f"H7: {cell_id} = {_text(value)} is not {meta.get('description', 'of its kind')}",
                        value,
                    )
                )
            else:
                add(
                    Cause(
                        document_id,
                        section,
                        "duplicate",
                        "DQ",
                        f"DQ:{check}:{cell_id}",
                        cell_id,
                        f"{cell_id} is there twice",
                    )
                )
        elif frame_name == "sections":
            section = str(key["section"])
            missing = str(missing_of.get((document_id, section), "")).split(",")
            missing = [m for m in missing if m]
            add(
                Cause(
                    document_id,
                    section,
                    "cells_missing",
                    "DQ",
                    f"DQ:{check}:{section}",
                    ",".join(missing),
                    f"{len(missing)} cell(s) of section {section} are not in the document: "
                    f"{_cells_text(missing)}",
                )
            )
        else:  # documents: the report as a whole
            add(
                Cause(
                    document_id,
                    None,
                    "report",
                    "DQ",
                    f"DQ:{check}",
                    "",
                    f"{check}: {meta.get('description', check)} — not so for this report"
                    + _found(
                        frames.get(frame_name), document_id, "org_name" if check == "body_id" else check
                    ),
                )
            )

    for (document_id, equation_id), frame_name in unknown_terms.items():
        frame = frames[frame_name]
        row = frame[(frame["document_id"] == document_id) & (frame["equation_id"] == equation_id)].iloc[0]
        terms = str(row["cells"]).split(",")
        absent = [
            t for t in terms if (document_id, t) not in basis_of and pd.isna(_term(row, frame, terms, t))
        ]
        blank = [
            t for t in terms if (document_id, t) in basis_of and number(value_of[(document_id, t)]) is None
        ]
        why = []
        if absent:
            why.append(f"{len(absent)} not in the document ({_cells_text(absent, 4)})")
        if blank:
            why.append(f"{len(blank)} unread ({_cells_text(blank, 4)})")
        add(
            Cause(
                document_id,
                str(row["section"]),
                "not_checkable",
                equation_id.split(":")[0],
                equation_id,
                str(row["cells"]),
                f"{equation_id} cannot be checked: {len(absent) + len(blank)} of its {len(terms)} terms "
                f"are not known: {'; '.join(why)}",
            )
        )
    return sorted(causes.values(), key=lambda c: (c.document_id, c.rank, c.section or "", c.equation_id))


def _found(frame: pd.DataFrame | None, document_id: str, column: str) -> str:
    """What the report has in the checked column, said in words (never a bare '?')."""
    if frame is None or column not in frame.columns:
        return ""
    rows = frame.loc[frame["document_id"] == document_id, column]
    if not len(rows):
        return ""
    value = rows.iloc[0]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return f" (its {column} was not found in the document)"
    return f" (it reads {value!r})" if isinstance(value, str) else f" (it reads {value})"


def _term(row: pd.Series, frame: pd.DataFrame, terms: list[str], cell_id: str) -> Any:
    # The frame's term columns follow the order of the equation's cells.
    columns = [
        c
        for c in frame.columns
        if c not in ("document_id", "equation_id", "template_version", "section", "cells")
    ]
    return row[columns[terms.index(cell_id)]]


def problem_causes(problems: pd.DataFrame) -> list[Cause]:
    """The extractor's problems as causes (they explain; the gate's checks decide)."""
    out = []
    for p in problems.itertuples(index=False):
        code = str(p.problem_code)
        if code.startswith(_SUPERSEDED_PROBLEMS):
            continue
        sections = list(p.sections) if p.sections is not None else []
        cells = list(p.cell_ids) if p.cell_ids is not None else []
        message = str(p.message or code)
        if isinstance(p.raw_text, str) and p.raw_text and p.raw_text not in message:
            message += f"; printed text {p.raw_text!r}"
        if isinstance(p.candidates_json, str) and p.candidates_json:
            message += f"; candidate readings: {p.candidates_json}"
        kind = "extractor" if p.severity == "error" else "extractor_warning"
        for section in sections or [None]:
            out.append(
                Cause(
                    str(p.document_id),
                    section,
                    kind,
                    "EX",
                    f"EX:{p.problem_seq}:{code}",
                    ",".join(c for c in cells if section is None or section_of(c) == section),
                    f"{code}: {message}",
                    holds_back=False,
                )
            )
    return out


@dataclass(frozen=True)
class SectionVerdict:
    document_id: str
    section: str
    verdict: str  # published, held_back, absent
    cause: str | None
    reason: str | None
    n_cells: int


def section_verdicts(
    sections: pd.DataFrame, checks: list[Cause], problems: list[Cause]
) -> tuple[list[SectionVerdict], list[Cause]]:
    """The verdict of every report × section, and every cause listed against a held-back one.

    Only the gate's checks hold a section back; the extractor's problems about a held-back
    section (or about the whole report) are listed with it, ranked first when they are errors.
    """
    holding: dict[tuple[str, str | None], list[Cause]] = {}
    for c in checks:
        holding.setdefault((c.document_id, c.section), []).append(c)
    explaining: dict[tuple[str, str | None], list[Cause]] = {}
    for c in problems:
        explaining.setdefault((c.document_id, c.section), []).append(c)
    verdicts, listed = [], []
    report_level_listed: set[str] = set()
    for document_id, section, n_cells in sections[["document_id", "section", "n_cells"]].itertuples(
        index=False
    ):
        document_id, section = str(document_id), str(section)
        own = holding.get((document_id, section), []) + holding.get((document_id, None), [])
        if not own:
            verdicts.append(
                SectionVerdict(
                    document_id, section, "published" if n_cells else "absent", None, None, int(n_cells)
                )
            )
            continue
        listed_here = own + explaining.get((document_id, section), [])
        if document_id not in report_level_listed:
            listed_here += explaining.get((document_id, None), [])
        first = min(listed_here, key=lambda c: (c.rank, c.equation_id))
        verdicts.append(
            SectionVerdict(document_id, section, "held_back", first.cause, first.message, int(n_cells))
        )
        for c in listed_here:
            if c.section is None and document_id in report_level_listed:
                continue
            listed.append(c)
        report_level_listed.add(document_id)
    unique = {(c.document_id, c.equation_id): c for c in listed}
    return verdicts, sorted(
        unique.values(), key=lambda c: (c.document_id, c.rank, c.section or "", c.equation_id)
    )


def _text(value: Decimal | None) -> str:
    if value is None:
        return "?"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
