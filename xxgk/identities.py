"""The identity engine: evaluate the template's balancing identities on a report's values.

``xxgk.template`` states the identities (H1–H7, S1–S3); this module is the one
place that evaluates them.  The extractor uses it to choose among readings and
fill provable blanks, the generator to check its own answer keys, and the SQL
of the dbt models and the Great Expectations suites are derived from the same
``template.equations``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from xxgk import template
from xxgk.record import Problem

Number = int | Decimal


def present_terms(
    eq: template.Equation, values: Mapping[str, object]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The equation's terms that the record has; None when a required term is absent."""
    lhs = tuple(c for c in eq.lhs if c in values or c not in eq.optional)
    rhs = tuple(c for c in eq.rhs if c in values or c not in eq.optional)
    if any(c not in values for c in lhs + rhs):
        return None
    return lhs, rhs


def sides(eq: template.Equation, values: Mapping[str, Number | None]) -> tuple[Number, Number] | None:
    """Both sides of the equation, or None when a term is absent or blank."""
    terms = present_terms(eq, values)
    if terms is None:
        return None
    lhs, rhs = _total(values, terms[0]), _total(values, terms[1])
    if lhs is None or rhs is None:
        return None
    return lhs, rhs


def _total(values: Mapping[str, Number | None], codes: Sequence[str]) -> Number | None:
    """The sum of the cells, or None when one is blank."""
    total: Number = 0
    for c in codes:
        value = values[c]
        if value is None:
            return None
        total += value
    return total


def violations(values: Mapping[str, Number | None], eqs: Sequence[template.Equation]) -> int:
    """How many of the equations the values break (unknown terms break none)."""
    bad = 0
    for eq in eqs:
        both = sides(eq, values)
        if both is not None and both[0] != both[1]:
            bad += 1
    return bad


def impossible(values: Mapping[str, Number | None], eqs: Sequence[template.Equation]) -> int:
    """How many of the equations no values of the blank terms can satisfy, counts
    being ≥ 0: broken ones, and those whose printed addends already exceed their
    printed total (a blank addend would have to be negative)."""
    bad = 0
    for eq in eqs:
        terms = present_terms(eq, values)
        if terms is None:
            continue
        eq_lhs, eq_rhs = terms
        unknown_lhs = any(values[c] is None for c in eq_lhs)
        unknown_rhs = any(values[c] is None for c in eq_rhs)
        lhs = sum(values[c] or 0 for c in eq_lhs)
        rhs = sum(values[c] or 0 for c in eq_rhs)
        if not unknown_lhs and not unknown_rhs:
            bad += lhs != rhs
        elif unknown_rhs and not unknown_lhs:
            bad += rhs > lhs
        elif unknown_lhs and not unknown_rhs:
            bad += lhs > rhs
    return bad


def propagate(
    values: Mapping[str, Number | None], eqs: Sequence[template.Equation]
) -> dict[str, Number | None]:
    """Solve blanks from equations with one unknown, and from complete sums (counts are ≥ 0)."""
    out = dict(values)
    systems = [t for t in (present_terms(e, out) for e in eqs) if t is not None]
    changed = True
    while changed:
        changed = False
        for eq_lhs, eq_rhs in systems:
            unknown = [c for c in eq_lhs + eq_rhs if out[c] is None]
            if not unknown:
                continue
            lhs = sum(out[c] or 0 for c in eq_lhs)
            rhs = sum(out[c] or 0 for c in eq_rhs)
            if len(unknown) == 1:
                cell = unknown[0]
                value = (rhs - lhs) if cell in eq_lhs else (lhs - rhs)
                if value >= 0:
                    out[cell] = value
                    changed = True
            elif (
                all(c in eq_rhs for c in unknown)
                and lhs - rhs == 0
                or all(c in eq_lhs for c in unknown)
                and rhs - lhs == 0
            ):
                # Counts are never negative, so unknown addends of a sum already
                # complete must all be 0 (seed 000: blank rows under a 0 total).
                for c in unknown:
                    out[c] = 0
                changed = True
    return out


def is_valid_value(col: str, value: Number) -> bool:
    """H7: a count is an integer ≥ 0; a signed column any integer; money any amount ≥ 0."""
    if col in template.SIGNED_COLUMNS:
        return isinstance(value, int)
    if col in template.DECIMAL_COLUMNS:
        return value >= 0
    return isinstance(value, int) and value >= 0


def check(values: Mapping[str, Number | None], version: template.Version) -> list[Problem]:
    """Every hard identity the values break (H1–H6), and H7 (types and signs)."""
    problems: list[Problem] = []
    present_rows = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    for eq in template.equations(version, present_rows):
        terms = present_terms(eq, values)
        both = sides(eq, values)
        if terms is None or both is None or both[0] == both[1]:
            continue
        eq_lhs, eq_rhs = terms
        lhs, rhs = both
        problems.append(
            Problem(
                f"identity_{eq.identity.lower()}",
                "error",
                f"{eq.id}: {' + '.join(eq_lhs)} = {lhs} but {' + '.join(eq_rhs)} = {rhs} "
                f"(difference {lhs - rhs})",
                list(eq_lhs + eq_rhs),
            )
        )
    for cid, value in values.items():
        if value is not None and not is_valid_value(cid.split("/")[2], value):
            problems.append(
                Problem("identity_h7", "error", f"H7: {cid} = {value} is not a count (an integer ≥ 0)", [cid])
            )
    return problems


def soft_check(values: Mapping[str, Number | None], version: template.Version) -> list[Problem]:
    """Warnings for the soft identities that one report can check alone (S3: 现行有效
    + 本年废止 ≥ 本年制发 within a year).  Those across years (S1, S2) need the body's
    other reports and are checked in the warehouse (``marts.report_warnings``)."""
    problems: list[Problem] = []
    for eq in template.soft_equations():
        if version not in eq.versions or any(t[0] != 0 for t in eq.lhs + eq.rhs):
            continue
        terms = [cid for _, cid, _ in eq.lhs + eq.rhs]
        if any(values.get(cid) is None for cid in terms):
            continue  # an absent row (P20) or an unread cell: nothing to check
        lhs, rhs = _signed_sum(values, eq.lhs), _signed_sum(values, eq.rhs)
        holds = lhs == rhs if eq.relation == "=" else lhs >= rhs
        if not holds:
            problems.append(
                Problem(
                    f"soft_{eq.identity.lower()}",
                    "warning",
                    f"{eq.id}: {' + '.join(c for _, c, _ in eq.lhs)} = {lhs} is not "
                    f"{'equal to' if eq.relation == '=' else 'at least'} "
                    f"{' + '.join(c for _, c, _ in eq.rhs)} = {rhs} (a soft identity: it usually "
                    "holds; check the printed numbers)",
                    terms,
                )
            )
    return problems


def _signed_sum(values: Mapping[str, Number | None], terms: Sequence[tuple[int, str, int]]) -> Number:
    total: Number = 0
    for _, cid, sign in terms:
        value = values[cid]
        assert value is not None
        total += sign * value
    return total
