"""What each cell prints: number formats, units, and the value-level pitfalls.

* P1  blanks where zeros were lost (a block of rows, every zero, or the 总计 column);
* P4  one numeric cell too many in a section-三 row;
* P5  one numeric cell too few in a section-三 row;
* P21 unit variants (fees with 4 decimals, 采购总金额 with 元 / 万元 in the cell, or bare).

The choices are made here, once, so every format prints the same cells and
the answer key (``generator.keys``) can say what the identities prove.
"""

from __future__ import annotations

import random
from decimal import Decimal

from generator.model import DocPlan, Inconsistency, Number, Printed, Values
from generator.numbers import format_count, format_decimal, format_signed
from xxgk import template

A = template.APPLICANTS_WITHOUT_TOTAL
C = template.APPLICANT_CODES


def apply_units(plan: DocPlan, values: Values) -> None:
    """P21: a unit written in the cell changes the number printed (251000元 is not 25.1万元)."""
    if plan.version != "v2019" or plan.pitfalls.get("P21") != "yuan":
        return
    cid = "s2.art20_9/govt_centralized_procurement/procurement_total_amount"
    wan = Decimal(values.cells[cid])
    values.cells[cid] = Decimal(int((wan * 10000).to_integral_value()))


def printed_numbers(values: Values, inc: Inconsistency | None) -> dict[str, Number]:
    numbers = dict(values.cells)
    if inc is not None:
        numbers[inc.cell] = inc.printed
    return numbers


def make_printed(rng: random.Random, plan: DocPlan, values: Values, inc: Inconsistency | None) -> Printed:
    numbers = printed_numbers(values, inc)
    thousands = plan.features.get("thousands") == "yes"
    words = plan.features.get("signed") == "words"
    text: dict[str, str | None] = {}
    for cid, value in numbers.items():
        col = cid.split("/")[2]
        if col in template.SIGNED_COLUMNS:
            text[cid] = format_signed(int(value), words)
        elif col == "fee_amount_wan_cny":
            places = 4 if plan.pitfalls.get("P21") == "four_places" else None
            text[cid] = format_decimal(Decimal(value), thousands, places)
        elif col == "procurement_total_amount":
            variant = plan.pitfalls.get("P21")
            body = format_decimal(Decimal(value), thousands)
            text[cid] = body + ("元" if variant == "yuan" else "万元" if variant == "wan" else "")
        else:
            text[cid] = format_count(int(value), thousands)
    printed = Printed(text)
    s3_rows = [r.code for r in template.s3_rows(plan.version)]
    busy: set[str] = set()  # rows already changed by a value-level pitfall
    if "P1" in plan.pitfalls:
        busy |= _blank(rng, plan.pitfalls["P1"], plan.version, numbers, printed)
    if "P5" in plan.pitfalls:
        row = _pick_row(rng, s3_rows, busy, avoid=("total_processed",))
        if row is None:  # every row already has blanks (P1): no room for a missing cell
            del plan.pitfalls["P5"]
            return (
                printed
                if "P4" not in plan.pitfalls
                else _add_extra(rng, plan, numbers, printed, s3_rows, busy)
            )
        busy.add(row)
        cid = template.cell_id("s3", row, "total" if plan.pitfalls["P5"] == "last" else "natural_person")
        printed.text[cid] = None
        printed.missing.add(cid)
    if "P4" in plan.pitfalls:
        return _add_extra(rng, plan, numbers, printed, s3_rows, busy)
    return printed


def _add_extra(
    rng: random.Random,
    plan: DocPlan,
    numbers: dict[str, Number],
    printed: Printed,
    s3_rows: list[str],
    busy: set[str],
) -> Printed:
    row = _pick_row(rng, s3_rows, busy)
    if row is None:
        del plan.pitfalls["P4"]
        return printed
    busy.add(row)
    ids = [template.cell_id("s3", row, c) for c in C]
    if plan.pitfalls["P4"] == "lead_zero" and _lead_zero_unique([numbers[i] for i in ids]):
        printed.extra[f"s3/{row}"] = (0, "0")
    else:
        plan.pitfalls["P4"] = "dup_last"
        printed.extra[f"s3/{row}"] = (7, printed.text[ids[-1]] or "0")
    return printed


def _pick_row(rng: random.Random, rows: list[str], busy: set[str], avoid: tuple[str, ...] = ()) -> str | None:
    free = [r for r in rows if r not in busy and r not in avoid]
    return rng.choice(free) if free else None


def _lead_zero_unique(vec: list[Number]) -> bool:
    """A spurious leading 0: only dropping it satisfies H2 (the row's 总计 is the sum)."""
    cells = [0] + list(vec)
    good = []
    for drop in range(len(cells)):
        kept = cells[:drop] + cells[drop + 1 :]
        if sum(kept[:6]) == kept[6]:
            good.append(tuple(kept))
    return set(good) == {tuple(vec)}


def _blank(
    rng: random.Random, variant: str, version: template.Version, numbers: dict[str, Number], printed: Printed
) -> set[str]:
    """Blank cells as a publisher who lost zeros would; return the rows touched."""
    leaves = list(template.outcome_leaves(version))
    touched: set[str] = set()
    if variant == "block":
        # Seed 000: a run of outcome rows printed with no values at all.
        start = rng.randrange(0, len(leaves) - 2)
        block = leaves[start : start + rng.randint(2, 5)]
        for row in block:
            for col in C:
                cid = template.cell_id("s3", row, col)
                if numbers[cid] == 0:
                    printed.text[cid] = None
            touched.add(row)
    elif variant == "all_zeros":
        # Shanghai 2019: every zero of sections 三 and 四 left empty (or &nbsp;).
        for cid, value in numbers.items():
            if cid.startswith(("s3/", "s4/")) and value == 0:
                printed.text[cid] = None
                touched.add(cid.split("/")[1])
    elif variant == "total_col":
        # Shanghai 2019 also left 总计 blank on rows whose applicant cells are printed.
        rows = rng.sample(leaves, k=min(len(leaves), rng.randint(2, 6)))
        for row in rows:
            printed.text[template.cell_id("s3", row, "total")] = None
            touched.add(row)
    return touched
