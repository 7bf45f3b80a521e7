"""Choose each row's reading with the balancing identities, fill provable
blanks, and report every identity the printed numbers break.

The rules of the contract apply here: a number is never invented (a blank is
filled only when an identity proves its value, and is then marked imputed),
and printed numbers are never corrected (a broken identity becomes a problem).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from extractors.layout import RowText
from extractors.values import Candidate, Number, Token
from xxgk import template
from xxgk.identities import present_terms, propagate, violations
from xxgk.record import Problem

# Above this many joint readings of the open rows, search row by row instead.
MAX_COMBINATIONS = 2_000


@dataclass
class Grid:
    """Chosen values by cell id, with where each came from."""

    tokens: dict[str, Token | None]
    imputed: set[str]
    # Cells whose reading the identities chose among several (not one number alone in its cell).
    decided: set[str] = field(default_factory=set)


def _cell_ids(row: RowText, version: template.Version) -> list[str]:
    if row.table == "s4":
        return [template.cell_id("s4", r.code, c.code) for r in template.S4_ROWS for c in template.S4_COLUMNS]
    t = template.table(version, row.table)
    return [template.cell_id(t.code, row.row, c.code) for c in t.columns]


def _assign(ids: list[str], cand: Candidate) -> dict[str, Token | None]:
    return dict(zip(ids, cand.tokens))


def choose(rows: list[RowText], version: template.Version) -> tuple[Grid, list[Problem]]:
    problems: list[Problem] = []
    present = {r.row for r in rows if r.table == "s3"}
    eqs = template.equations(version, present)
    options: list[tuple[list[str], list[Candidate], RowText]] = []
    for row in rows:
        ids = _cell_ids(row, version)
        cands = row.candidates
        # Row-local identities (H2 on a section-三 row, H4–H6 on section 四) first.
        local = [e for e in eqs if set(e.lhs + e.rhs) <= set(ids)]
        if local and len(cands) > 1:
            fitting = [c for c in cands if violations(_values(_assign(ids, c)), local) == 0]
            cands = fitting or cands
        distinct: dict[tuple, Candidate] = {}
        for c in sorted(cands, key=lambda c: c.rank):
            distinct.setdefault(tuple(_v(t) for t in c.tokens), c)
        options.append((ids, list(distinct.values()), row))

    fixed: dict[str, Token | None] = {}
    decided: set[str] = set()
    open_rows = []
    for ids, cands, row in options:
        if len(cands) == 1:
            fixed.update(_assign(ids, cands[0]))
            if cands[0].how != "cells":
                decided.update(ids)
            if cands[0].how in ("window", "inserted"):
                _warn_realigned(row, ids, problems)
        elif row.table == "s3":
            # Section-三 rows are tied together by H1 and H3: decided jointly below.
            open_rows.append((ids, cands, row))
        else:
            # Nothing outside the row constrains it: take the most natural reading
            # if there is exactly one, else leave the row blank.
            best_rank = min(c.rank for c in cands)
            best = [c for c in cands if c.rank == best_rank]
            if len({tuple(_v(t) for t in c.tokens) for c in best}) == 1:
                fixed.update(_assign(ids, best[0]))
            else:
                fixed.update(_assign(ids, best[0]))
                _mark_ambiguous(fixed, ids, row, problems)

    chosen: dict[str, Token | None] = dict(fixed)
    n_combos = 1
    for _, cands, _ in open_rows:
        n_combos *= len(cands)
    if open_rows:
        scored = []
        for combo in _combinations(open_rows, fixed, eqs, n_combos):
            scored.append((*_evaluate(fixed, open_rows, combo, eqs), combo))
        scored.sort(key=lambda s: s[0])
        best_score, chosen, _, best_combo = scored[0]
        ties = [s for s in scored if s[0][:2] == best_score[:2]]
        for idx, (ids, _, row) in enumerate(open_rows):
            readings = {tuple(s[2][i] for i in ids) for s in ties}
            if len(readings) > 1:
                _mark_ambiguous(chosen, ids, row, problems)
                continue
            decided.update(ids)
            if best_combo[idx].how in ("window", "inserted"):
                _warn_realigned(row, ids, problems)
    return Grid(chosen, set(), decided), problems


OpenRow = tuple[list[str], list[Candidate], RowText]


def _evaluate(fixed: dict[str, Token | None], rows: Sequence[OpenRow], combo: Sequence[Candidate],
              eqs: Sequence[template.Equation]
              ) -> tuple[tuple[int, int, int], dict[str, Token | None], dict[str, Number | None]]:
    """Score a joint reading: (identities broken, cells still unknown, unnaturalness).

    A reading is judged by what it implies once provable blanks are filled: a
    missing cell (P5) may sit anywhere if every place gives the same numbers.
    """
    trial = dict(fixed)
    for (ids, _, _), cand in zip(rows, combo):
        trial.update(_assign(ids, cand))
    filled = propagate(_values(trial), eqs)
    score = (violations(filled, eqs), sum(v is None for v in filled.values()),
             sum(c.rank for c in combo))
    return score, trial, filled


def _combinations(rows: Sequence[OpenRow], fixed: dict[str, Token | None],
                  eqs: Sequence[template.Equation], n_combos: int) -> Iterable[tuple[Candidate, ...]]:
    """Every combination of the open rows' readings when there are few; else the
    neighbourhood of a coordinate-descent optimum (each row varied alone), which
    is where any tie that makes a row ambiguous shows up."""
    if n_combos <= MAX_COMBINATIONS:
        yield from itertools.product(*(c for _, c, _ in rows))
        return
    current = [cands[0] for _, cands, _ in rows]
    for _ in range(3):
        changed = False
        for i, (_, cands, _) in enumerate(rows):
            best = min(cands, key=lambda c: _evaluate(fixed, rows, current[:i] + [c] + current[i + 1:], eqs)[0])
            if best is not current[i]:
                current[i], changed = best, True
        if not changed:
            break
    yield tuple(current)
    for i, (_, cands, _) in enumerate(rows):
        for c in cands:
            if c is not current[i]:
                yield tuple(current[:i] + [c] + current[i + 1:])


def _warn_realigned(row: RowText, ids: list[str], problems: list[Problem]) -> None:
    problems.append(Problem(
        "cell_count_mismatch", "warning",
        f"{row.table} row {row.row}: the printed row has a cell too many or too few (P4/P5); "
        "the reading that satisfies the identities was taken", ids))


def _mark_ambiguous(chosen: dict[str, Token | None], ids: list[str], row: RowText,
                    problems: list[Problem]) -> None:
    raw = next((t.raw for t in (chosen.get(i) for i in ids) if t is not None), "")
    for i in ids:
        chosen[i] = None
    problems.append(Problem(
        "ambiguous_values", "error",
        f"{row.table} row {row.row}: the text {raw!r} can be read several ways and no identity "
        "decides between them; the cells are left blank", ids))


def _v(t: Token | None) -> Number | None:
    return None if t is None else t.value


def _values(tokens: Mapping[str, Token | None]) -> dict[str, Number | None]:
    return {k: _v(t) for k, t in tokens.items()}


def impute(grid: Grid, version: template.Version) -> list[Problem]:
    """Fill blanks that the identities prove; everything else stays blank."""
    present_rows = {cid.split("/")[1] for cid in grid.tokens if cid.startswith("s3/")}
    eqs = template.equations(version, present_rows)
    values = propagate(_values(grid.tokens), eqs)
    for cid, value in values.items():
        if grid.tokens[cid] is None and value is not None:
            grid.imputed.add(cid)
            grid.tokens[cid] = Token(value, "", -1)
    if not grid.imputed:
        return []
    return [Problem("imputed_value", "warning",
                    f"{len(grid.imputed)} blank cell(s) filled with the value the balancing "
                    "identities prove", sorted(grid.imputed))]


def as_decimal_if_needed(value: Number | None, col: str) -> Number | None:
    if value is None:
        return None
    if col in template.DECIMAL_COLUMNS and isinstance(value, int):
        return Decimal(value)
    return value
