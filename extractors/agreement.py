"""Two independent readings of one document must agree on every printed number.

A PDF is read from its characters' positions (the grid, the primary reading)
and from its text stream (pypdfium2's ``get_text_range``: content order, a
space where pdfium sees a gap).  The stream is read the plain way: a space
between two numbers ends a cell, and only the rows whose text gives exactly
one number for each cell, with no other reading, count (``stream_cells``).
A cell the primary reading has as ``printed`` and the stream reads as another
number has no evidence for either: it becomes ``unread`` with both candidate
readings, a ``readings_disagree`` error names both, and the report needs
review.  A cell the stream cannot read for sure (it is worse at tables) is no
disagreement.

The stream's rows are not solved (no identities, no search over readings):
what is compared is what the stream prints, not what it could be made to say.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractors.layout import RowText, find_layout
from extractors.text import DocText, normalise
from extractors.values import Token
from xxgk import template
from xxgk.record import Problem, Report

# A space between two numbers (or between a label and its first number) in the stream ends a cell.
_CELL_BREAK = re.compile(r"(?<=\S) +(?=[-+]?\d)")


def as_cells(raw: str, where: list[dict]) -> DocText:
    """The stream's text (normalised) with a tab where a space stands before a number."""
    return DocText("\n".join(_CELL_BREAK.sub("\t", line) for line in normalise(raw).split("\n")), list(where))


def _cell_ids(row: RowText, version: template.Version) -> list[str]:
    if row.table == "s4":
        return [template.cell_id("s4", r.code, c.code) for r in template.S4_ROWS for c in template.S4_COLUMNS]
    t = template.table(version, row.table)
    return [template.cell_id(t.code, row.row, c.code) for c in t.columns]


def stream_cells(doc: DocText, version: template.Version) -> dict[str, tuple[Token, dict]]:
    """The cells the text stream (``as_cells``) reads for sure: rows with one reading, one
    number per cell."""
    out: dict[str, tuple[Token, dict]] = {}
    for row in find_layout(doc, version).rows:
        if len(row.candidates) != 1 or row.candidates[0].how != "cells" or row.is_run:
            continue
        for cid, token in zip(_cell_ids(row, version), row.candidates[0].tokens):
            if token is not None and token.value is not None:
                out[cid] = (token, doc.where(token.pos))
    return out


def _same(a: object, b: object) -> bool:
    return Decimal(str(a)) == Decimal(str(b))


def reconcile(primary: Report, stream: DocText, second_name: str = "text stream") -> list[str]:
    """``stream`` is the second reading made by ``as_cells``."""
    """Null the printed cells of ``primary`` that the stream reads differently; return their ids."""
    if primary.status == "rejected" or primary.template is None:
        return []
    others = stream_cells(stream, primary.template)
    disputed: list[str] = []
    for cell in primary.cells:
        if cell.basis != "printed" or cell.value is None or cell.id not in others:
            continue
        token, where = others[cell.id]
        if _same(cell.value, token.value):
            continue
        primary.problems.append(
            Problem(
                "readings_disagree",
                "error",
                f"{cell.id}: the table grid reads {cell.value} (printed {cell.where.get('raw', '')!r}, "
                f"{_place(cell.where)}), the {second_name} reads {token.value} (printed {token.raw!r}, "
                f"{_place(where)}); check the printed report",
                [cell.id],
            )
        )
        cell.where = dict(cell.where, candidates=[str(cell.value), str(token.value)])
        cell.value = None
        cell.basis = "unread"
        disputed.append(cell.id)
    if disputed:
        # A blank filled from the identities used numbers now in doubt: no longer proven.
        doubtful = [c for c in primary.cells if c.imputed and c.value is not None]
        for cell in doubtful:
            cell.where = dict(cell.where, candidates=[str(cell.value)])
            cell.value, cell.basis, cell.imputed = None, "unread", False
        if doubtful:
            primary.problems.append(
                Problem(
                    "imputed_value_in_doubt",
                    "warning",
                    f"{len(doubtful)} blank cell(s) had been filled from the identities with numbers "
                    "the two readings disagree on; they are left unread",
                    [c.id for c in doubtful],
                )
            )
        primary.status = "needs_review"
    return disputed


def _place(where: dict) -> str:
    return ", ".join(f"{k} {where[k]}" for k in ("page", "line") if k in where) or "place unknown"
