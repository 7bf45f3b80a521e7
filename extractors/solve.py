"""Choose each row's reading with the balancing identities, fill provable
blanks, and report every identity the printed numbers break.

The rules of the contract apply here: a number is never invented (a blank is
filled only when an identity proves its value, and is then marked imputed),
and printed numbers are never corrected (a broken identity becomes a problem).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from extractors.layout import RowText
from extractors.values import Candidate, Number, Token
from xxgk import template
from xxgk.identities import impossible, propagate, sides
from xxgk.record import Problem
from xxgk.settings import READER

# Above this many joint readings of the open rows, search by branch and bound.
MAX_COMBINATIONS = READER.max_combinations


@dataclass
class Grid:
    """Chosen values by cell id, with where each came from."""

    tokens: dict[str, Token | None]
    imputed: set[str]
    # Cells whose reading the identities chose among several, by an exhaustive
    # search (not one number alone in its cell).
    decided: set[str] = field(default_factory=set)
    # Cells with printed text that no reading decides: null, and never imputed
    # (a blank the identities fill must be a printed blank).
    unread: set[str] = field(default_factory=set)


OpenRow = tuple[list[str], list[Candidate], RowText]


def _cell_ids(row: RowText, version: template.Version) -> list[str]:
    if row.table == "s4":
        return [template.cell_id("s4", r.code, c.code) for r in template.S4_ROWS for c in template.S4_COLUMNS]
    t = template.table(version, row.table)
    return [template.cell_id(t.code, row.row, c.code) for c in t.columns]


def _assign(ids: list[str], cand: Candidate) -> dict[str, Token | None]:
    return dict(zip(ids, cand.tokens))


def _key(cand: Candidate) -> tuple[Number | None, ...]:
    return tuple(_v(t) for t in cand.tokens)


def choose(rows: list[RowText], version: template.Version) -> tuple[Grid, list[Problem]]:
    """Each row's reading: the one its cells print, or the one the identities
    admit among several (exhaustively); anything else is unread and flagged."""
    problems: list[Problem] = []
    present = {r.row for r in rows if r.table == "s3"}
    eqs = template.equations(version, present)
    fixed: dict[str, Token | None] = {}
    grid = Grid(fixed, set())
    open_rows: list[OpenRow] = []
    for row in rows:
        ids = _cell_ids(row, version)
        if row.undecided is not None:
            agreed = dict(zip(ids, row.agreed))
            _unread(
                grid,
                ids,
                problems,
                row,
                row.undecided,
                row.listing,
                "the text gives no reading with one number alone in each cell, and no "
                "identity checks section 二",
            )
            for cid, value in agreed.items():
                if value is not None:
                    # Every reading of the run gives this cell the same number.
                    fixed[cid] = Token(value, row.raw, -1)
                    grid.unread.discard(cid)
                    grid.decided.add(cid)
            continue
        distinct: dict[tuple, Candidate] = {}
        for c in sorted(row.candidates, key=lambda c: c.rank):
            distinct.setdefault(_key(c), c)
        cands = list(distinct.values())
        if any(c.how == "none" for c in cands) and len(cands) == 1:
            _unread(
                grid,
                ids,
                problems,
                row,
                "ambiguous_values",
                [],
                "no reading of the printed numbers fits the row's cells",
            )
            continue
        printed = len(cands) == 1 and cands[0].how == "cells"
        # Row-local identities (H2 on a section-三 row, H4–H6 on section 四) first.
        local = [e for e in eqs if set(e.lhs + e.rhs) <= set(ids)]
        if (
            local
            and len(cands) > 1
            and row.grid is not None
            and row.grid.tokens[0] is not None
            and _consistent(ids, row.grid, local)
        ):
            # The label line's tab fields place every number and blank, and the row's
            # own identities hold on it: the grid is the evidence, the other
            # placements (for a row that lost a cell) are not readings of it.  Not so
            # when its first cell is blank: that field may be the filler of a label
            # merged over two columns in a row that lost a cell (P5), which shifts
            # every number by one; there the identities must choose.
            cands, printed = [row.grid], True
        if local and len(cands) > 1:
            fitting = [c for c in cands if impossible(_values(_assign(ids, c)), local) == 0]
            cands = fitting or cands
            # Readings that imply the same row once the row's own identities fill its
            # blanks are one reading (six 0s for seven cells: the blank is 0 wherever it is).
            implied: dict[tuple, Candidate] = {}
            for c in cands:
                filled = propagate(_values(_assign(ids, c)), local)
                implied.setdefault(tuple(filled[i] for i in ids), c)
            cands = list(implied.values())
        if len(cands) == 1:
            fixed.update(_assign(ids, cands[0]))
            if not printed:
                grid.decided.update(ids)
            if cands[0].how in ("window", "inserted"):
                _warn_realigned(row, ids, problems)
        elif row.table == "s3":
            # Section-三 rows are tied together by H1 and H3: decided jointly below.
            open_rows.append((ids, cands, row))
        else:
            _unread(
                grid,
                ids,
                problems,
                row,
                "ambiguous_values",
                [_key(c) for c in cands],
                "several readings satisfy the row's identities and nothing else decides",
            )
    if open_rows:
        _choose_jointly(grid, open_rows, eqs, problems)
    _withdraw_unsupported(grid, rows, version, eqs, problems)
    return grid, problems


def _withdraw_unsupported(
    grid: Grid,
    rows: list[RowText],
    version: template.Version,
    eqs: Sequence[template.Equation],
    problems: list[Problem],
) -> None:
    """A reading is decided only by identities it satisfies: a decided row that an identity
    with every term known still breaks (its row alone admitted the reading, the other rows
    do not) was decided by nothing, so it is unread, never published as a choice."""
    values = _values(grid.tokens)
    broken = {
        cell
        for eq in eqs
        if (both := sides(eq, values)) is not None and both[0] != both[1]
        for cell in eq.lhs + eq.rhs
    }
    for row in rows:
        ids = _cell_ids(row, version)
        if grid.decided.intersection(ids) & broken:
            reading = tuple(values[i] for i in ids)
            grid.decided.difference_update(ids)
            _unread(
                grid,
                ids,
                problems,
                row,
                "ambiguous_values",
                [reading],
                "the only reading that fits the row breaks an identity with the other rows, "
                "so no identity decides it",
            )


def _consistent(ids: list[str], cand: Candidate, local: Sequence[template.Equation]) -> bool:
    """The row's own identities hold on the reading, once they fill its blanks."""
    filled = propagate(_values(_assign(ids, cand)), local)
    return all(filled[i] is not None for i in ids) and impossible(filled, local) == 0


def _choose_jointly(
    grid: Grid, open_rows: list[OpenRow], eqs: Sequence[template.Equation], problems: list[Problem]
) -> None:
    fixed = dict(grid.tokens)
    best = _search(fixed, open_rows, eqs)
    if best is None:
        ids = [i for row_ids, _, _ in open_rows for i in row_ids]
        for i in ids:
            grid.tokens[i] = None
        grid.unread.update(ids)
        problems.append(
            Problem(
                "search_truncated",
                "error",
                f"{len(open_rows)} section-三 rows have several readings each and the search over "
                f"their joint readings stopped after {READER.max_search_nodes} steps without being "
                "exhaustive; their cells are left unread",
                ids,
            )
        )
        return
    (n_broken, _), ties = best
    broken = _broken_cells(ties[0][2], eqs) if n_broken else set()
    for idx, (ids, _, row) in enumerate(open_rows):
        # Readings are compared by what they imply once provable blanks are filled:
        # a missing cell (P5) may sit anywhere if every place gives the same numbers.
        implied = list(dict.fromkeys(tuple(filled[i] for i in ids) for _, _, filled in ties))
        readings = [ties[0][1][idx]]
        if len(implied) > 1:
            _unread(
                grid,
                ids,
                problems,
                row,
                "ambiguous_values",
                implied,
                "several readings satisfy the identities equally and nothing decides between them",
            )
        elif broken & set(ids):
            _unread(
                grid,
                ids,
                problems,
                row,
                "ambiguous_values",
                [_key(c) for c in open_rows[idx][1]],
                "no reading satisfies the identities, so none is proven",
            )
        else:
            grid.tokens.update(_assign(ids, readings[0]))
            grid.decided.update(ids)
            if readings[0].how in ("window", "inserted"):
                _warn_realigned(row, ids, problems)


Score = tuple[int, int]
Scored = tuple[tuple[int, int, int], tuple[Candidate, ...], dict[str, Number | None]]


def _search(
    fixed: dict[str, Token | None], rows: Sequence[OpenRow], eqs: Sequence[template.Equation]
) -> tuple[Score, list[Scored]] | None:
    """Every joint reading with the fewest broken identities, then the fewest
    unknown cells: by enumeration when there are few, else by branch and bound
    over the identities.  None when the bound on steps (``max_search_nodes``)
    stops it before it is exhaustive."""
    n_combos = 1
    for _, cands, _ in rows:
        n_combos *= len(cands)
    if n_combos <= MAX_COMBINATIONS:
        scored: list[Scored] = []
        for joint in itertools.product(*(c for _, c, _ in rows)):
            score, _, filled = _evaluate(fixed, rows, joint, eqs)
            scored.append((score, joint, filled))
        return _ties(scored)
    # Branch and bound.  The bound: identities that no values of the cells still
    # unread can satisfy (broken, or addends already above their total, counts
    # being ≥ 0).  Reading more rows can only add to it, so a partial reading
    # already worse than the best complete one is dropped.
    values: dict[str, Number | None] = _values(fixed)
    for ids, _, _ in rows:
        values.update(dict.fromkeys(ids))
    start = impossible(values, eqs)
    found: list[Scored] = []
    best: list[int] = [10**9]
    steps = [0]
    path: list[Candidate] = []

    def walk(depth: int, broken: int) -> bool:
        steps[0] += 1
        if steps[0] > READER.max_search_nodes:
            return False
        if broken > best[0]:
            return True
        if depth == len(rows):
            score, _, filled = _evaluate(fixed, rows, path, eqs)
            if score[0] <= best[0]:
                best[0] = score[0]
                found.append((score, tuple(path), filled))
            return True
        ids, cands, _ = rows[depth]
        for cand in cands:
            for i, t in zip(ids, cand.tokens):
                values[i] = _v(t)
            path.append(cand)
            ok = walk(depth + 1, impossible(values, eqs))
            path.pop()
            if not ok:
                return False
        for i in ids:
            values[i] = None
        return True

    if not walk(0, start):
        return None
    return _ties(found)


def _ties(scored: list[Scored]) -> tuple[Score, list[Scored]]:
    best = min(s[0][:2] for s in scored)
    ties = sorted((s for s in scored if s[0][:2] == best), key=lambda s: s[0][2])
    return best, ties


def _broken_cells(filled: dict[str, Number | None], eqs: Sequence[template.Equation]) -> set[str]:
    out: set[str] = set()
    for eq in eqs:
        if impossible(filled, [eq]):
            out.update(eq.lhs + eq.rhs)
    return out


def _evaluate(
    fixed: dict[str, Token | None],
    rows: Sequence[OpenRow],
    combo: Sequence[Candidate],
    eqs: Sequence[template.Equation],
) -> tuple[tuple[int, int, int], dict[str, Token | None], dict[str, Number | None]]:
    """Score a joint reading: (identities broken, cells still unknown, unnaturalness).

    A reading is judged by what it implies once provable blanks are filled: a
    missing cell (P5) may sit anywhere if every place gives the same numbers.
    """
    trial = dict(fixed)
    for (ids, _, _), cand in zip(rows, combo):
        trial.update(_assign(ids, cand))
    filled = propagate(_values(trial), eqs)
    score = (impossible(filled, eqs), sum(v is None for v in filled.values()), sum(c.rank for c in combo))
    return score, trial, filled


def _warn_realigned(row: RowText, ids: list[str], problems: list[Problem]) -> None:
    problems.append(
        Problem(
            "cell_count_mismatch",
            "warning",
            f"{row.table} row {row.row}: the printed row has a cell too many or too few (P4/P5); "
            "the one reading that satisfies the identities was taken",
            ids,
        )
    )


def _unread(
    grid: Grid,
    ids: list[str],
    problems: list[Problem],
    row: RowText,
    code: str,
    readings: Sequence[tuple[Number | None, ...]],
    why: str,
) -> None:
    for i in ids:
        grid.tokens[i] = None
    grid.unread.update(ids)
    limit = READER.max_candidates_listed
    listed = [list(r) for r in list(dict.fromkeys(readings))[:limit]]
    more = f" (first {limit} of {len(readings)} readings listed)" if len(readings) > limit else ""
    problems.append(
        Problem(
            code,
            "error",
            f"{row.table} row {row.row}: {why}; the text {row.raw!r} is left unread{more}",
            ids,
            candidates=listed,
            raw=row.raw,
        )
    )


def _v(t: Token | None) -> Number | None:
    return None if t is None else t.value


def _values(tokens: Mapping[str, Token | None]) -> dict[str, Number | None]:
    return {k: _v(t) for k, t in tokens.items()}


def impute(grid: Grid, version: template.Version) -> list[Problem]:
    """Fill blanks that the identities prove; everything else stays blank."""
    present_rows = {cid.split("/")[1] for cid in grid.tokens if cid.startswith("s3/")}
    # Only identities whose every term was read (printed, or a printed blank) prove a
    # blank: one with an unread cell rests on text nobody could read.
    eqs = [
        e for e in template.equations(version, present_rows) if not grid.unread.intersection(e.lhs + e.rhs)
    ]
    values = propagate(_values(grid.tokens), eqs)
    for cid, value in values.items():
        if grid.tokens[cid] is None and value is not None and cid not in grid.unread:
            grid.imputed.add(cid)
            grid.tokens[cid] = Token(value, "", -1)
    if not grid.imputed:
        return []
    return [
        Problem(
            "imputed_value",
            "warning",
            f"{len(grid.imputed)} blank cell(s) filled with the value the balancing identities prove",
            sorted(grid.imputed),
        )
    ]


def as_decimal_if_needed(value: Number | None, col: str) -> Number | None:
    if value is None:
        return None
    if col in template.DECIMAL_COLUMNS and isinstance(value, int):
        return Decimal(value)
    return value
