"""Choose each row's reading with the balancing identities, fill provable
blanks, and report every identity the printed numbers break.

The rules of the contract apply here: a number is never invented (a blank is
filled only when an identity proves its value, and is then marked imputed),
and printed numbers are never corrected (a broken identity becomes a problem).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractors.layout import RowText
from extractors.values import Candidate, Number, Token
from xxgk import template
from xxgk.record import Problem

# Above this many joint readings of the open rows, search row by row instead.
MAX_COMBINATIONS = 2_000


@dataclass
class Grid:
    """Chosen values by cell id, with where each came from."""

    tokens: dict[str, Token | None]
    imputed: set[str]


def _cell_ids(row: RowText, version: template.Version) -> list[str]:
    if row.table == "s4":
        return [template.cell_id("s4", r.code, c.code) for r in template.S4_ROWS for c in template.S4_COLUMNS]
    t = template.table(version, row.table)
    return [template.cell_id(t.code, row.row, c.code) for c in t.columns]


def present_terms(eq: template.Equation, values: Mapping[str, object]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The equation's terms that the record has; None when a required term is absent."""
    lhs = tuple(c for c in eq.lhs if c in values or c not in eq.optional)
    rhs = tuple(c for c in eq.rhs if c in values or c not in eq.optional)
    if any(c not in values for c in lhs + rhs):
        return None
    return lhs, rhs


def _violations(values: Mapping[str, Number | None], eqs: Sequence[template.Equation]) -> int:
    bad = 0
    for eq in eqs:
        terms = present_terms(eq, values)
        if terms is None or any(values[c] is None for c in terms[0] + terms[1]):
            continue
        if sum(values[c] for c in terms[0]) != sum(values[c] for c in terms[1]):  # type: ignore[misc]
            bad += 1
    return bad


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
            fitting = [c for c in cands if _violations(_values(_assign(ids, c)), local) == 0]
            cands = fitting or cands
        distinct: dict[tuple, Candidate] = {}
        for c in sorted(cands, key=lambda c: c.rank):
            distinct.setdefault(tuple(_v(t) for t in c.tokens), c)
        options.append((ids, list(distinct.values()), row))

    fixed: dict[str, Token | None] = {}
    open_rows = []
    for ids, cands, row in options:
        if len(cands) == 1:
            fixed.update(_assign(ids, cands[0]))
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
            elif best_combo[idx].how in ("window", "inserted"):
                _warn_realigned(row, ids, problems)
    return Grid(chosen, set()), problems


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
    score = (_violations(filled, eqs), sum(v is None for v in filled.values()),
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


def propagate(values: dict[str, Number | None], eqs: Sequence[template.Equation]) -> dict[str, Number | None]:
    """Solve blanks from equations with one unknown, and from complete sums (counts are ≥ 0)."""
    values = dict(values)
    systems = [t for t in (present_terms(e, values) for e in eqs) if t is not None]
    changed = True
    while changed:
        changed = False
        for eq_lhs, eq_rhs in systems:
            unknown = [c for c in eq_lhs + eq_rhs if values[c] is None]
            if not unknown:
                continue
            lhs = sum(values[c] or 0 for c in eq_lhs)
            rhs = sum(values[c] or 0 for c in eq_rhs)
            if len(unknown) == 1:
                cell = unknown[0]
                value = (rhs - lhs) if cell in eq_lhs else (lhs - rhs)
                if value >= 0:
                    values[cell] = value
                    changed = True
            elif all(c in eq_rhs for c in unknown) and lhs - rhs == 0 or \
                    all(c in eq_lhs for c in unknown) and rhs - lhs == 0:
                # Counts are never negative, so unknown addends of a sum already
                # complete must all be 0 (seed 000: blank rows under a 0 total).
                for c in unknown:
                    values[c] = 0
                changed = True
    return values


def check(values: Mapping[str, Number | None], version: template.Version) -> list[Problem]:
    """Every hard identity the values break (H1–H6), and H7 (types and signs)."""
    problems: list[Problem] = []
    present_rows = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    for eq in template.equations(version, present_rows):
        terms = present_terms(eq, values)
        if terms is None or any(values[c] is None for c in terms[0] + terms[1]):
            continue
        eq_lhs, eq_rhs = terms
        lhs = sum(values[c] for c in eq_lhs)  # type: ignore[misc]
        rhs = sum(values[c] for c in eq_rhs)  # type: ignore[misc]
        if lhs != rhs:
            problems.append(Problem(
                f"identity_{eq.identity.lower()}", "error",
                f"{eq.id}: {' + '.join(eq_lhs)} = {lhs} but {' + '.join(eq_rhs)} = {rhs} "
                f"(difference {lhs - rhs})", list(eq_lhs + eq_rhs)))
    for cid, value in values.items():
        if value is None:
            continue
        col = cid.split("/")[2]
        if col in template.SIGNED_COLUMNS:
            ok = isinstance(value, int)
        elif col in template.DECIMAL_COLUMNS:
            ok = value >= 0
        else:
            ok = isinstance(value, int) and value >= 0
        if not ok:
            problems.append(Problem("identity_h7", "error",
                                    f"H7: {cid} = {value} is not a count (an integer ≥ 0)", [cid]))
    return problems


def as_decimal_if_needed(value: Number | None, col: str) -> Number | None:
    if value is None:
        return None
    if col in template.DECIMAL_COLUMNS and isinstance(value, int):
        return Decimal(value)
    return value
