"""Two independent readings of one document must agree on every printed number.

A PDF is read from its characters' positions (the grid) and from its text
stream.  A cell that both read as ``printed`` with different values has no
evidence for either: it becomes ``unread`` and the report needs review.  A
cell the stream could not read (it is worse at tables) is no disagreement.
"""

from __future__ import annotations

from decimal import Decimal

from xxgk.record import Problem, Report


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


def reconcile(primary: Report, second: Report, second_name: str = "text stream") -> list[str]:
    """Null the cells of ``primary`` that ``second`` reads differently; return their ids."""
    if primary.status == "rejected" or second.status == "rejected":
        return []
    others = {c.id: c for c in second.cells if c.basis == "printed" and c.value is not None}
    disputed: list[str] = []
    for cell in primary.cells:
        other = others.get(cell.id)
        if cell.basis != "printed" or cell.value is None or other is None or _same(cell.value, other.value):
            continue
        primary.problems.append(Problem(
            "readings_disagree", "error",
            f"{cell.id}: the table grid reads {cell.value} (raw {cell.where.get('raw', '')!r}, "
            f"{_place(cell.where)}), the {second_name} reads {other.value} "
            f"(raw {other.where.get('raw', '')!r}, {_place(other.where)}); check the printed report",
            [cell.id]))
        cell.where = dict(cell.where, candidates=[str(cell.value), str(other.value)])
        cell.value = None
        cell.basis = "unread"
        disputed.append(cell.id)
    if disputed:
        primary.status = "needs_review"
    return disputed


def _place(where: dict) -> str:
    return ", ".join(f"{k} {where[k]}" for k in ("page", "line") if k in where) or "place unknown"
