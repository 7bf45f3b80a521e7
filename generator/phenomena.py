"""Value-level phenomena of real reports (issue 11, item 5), applied to what cells print.

* R1 totals printed 0 beside non-zero parts: the whole 总计 column of section 三
  (``total_col``) or the whole （七）总计 row (``total_row``).  The printed zeros are
  what the document says: the key keeps them and expects the identities to fail.
* R2 a row printed with no values at all: a section-三 outcome row (the identities
  may fill it) or a section-二 row (nothing can).
* R3 a minus sign inside a run of digits: a v2019 section-二 row printed ``88-720``
  (上年项目数 88, 本年增/减 -7, 本年处理决定数 20) in one cell.
* R6 irregular space padding: a section-三 row printed as ``10 0 0 012`` in one cell.
* R8 a section-二 row whose cells are run together: ``行政规范性文件 12 5``.

R3, R6 and R8 print a *run* (``Printed.runs``); the key works out from the run
alone which cells the document proves (``generator.readings``).  Everything is
drawn from the document's own "phenomena" random stream.
"""

from __future__ import annotations

import random

from generator.model import DocPlan, Printed, Values
from generator.numbers import format_signed
from xxgk import template

C = template.APPLICANT_CODES
# Runs longer than this are not printed: the key enumerates every reading of a run.
RUN_DIGITS = 10


def prepare_values(rng: random.Random, plan: DocPlan, values: Values) -> None:
    """R3 needs a row with items last year and a negative change: the construction sets one."""
    if "R3" not in plan.pitfalls:
        return
    table, row = _r3_row(plan)
    items = rng.randint(5, 99)
    values.cells[template.cell_id(table, row, "items_last_year")] = items
    values.cells[template.cell_id(table, row, "items_change_this_year")] = -rng.randint(1, min(items, 12))
    values.cells[template.cell_id(table, row, "decisions")] = rng.randint(0, 99)


def _r3_row(plan: DocPlan) -> tuple[str, str]:
    # A v2019 section-二 row with a signed column, a different one from document to document.
    rows = [
        ("s2.art20_5", "administrative_licensing"),
        ("s2.art20_6", "administrative_penalty"),
        ("s2.art20_6", "administrative_coercion"),
        ("s2.art20_5", "other_external_mgmt_services"),
    ]
    return rows[plan.index % len(rows)]


def apply(rng: random.Random, plan: DocPlan, values: Values, printed: Printed) -> None:
    if "R1" in plan.pitfalls:
        _zero_totals(plan, values, printed)
    if "R2" in plan.pitfalls:
        _empty_row(rng, plan, values, printed)
    if "R3" in plan.pitfalls:
        table, row = _r3_row(plan)
        nums = [values.get(table, row, c) for c in ("items_last_year", "items_change_this_year", "decisions")]
        printed.runs[f"{table}/{row}"] = f"{nums[0]}{format_signed(int(nums[1]), False)}{nums[2]}"
    if "R6" in plan.pitfalls:
        _padded_row(rng, plan, values, printed)
    if "R8" in plan.pitfalls:
        _s2_run(rng, plan, values, printed)


def _zero_totals(plan: DocPlan, values: Values, printed: Printed) -> None:
    if plan.pitfalls["R1"] == "total_row":
        cells = [template.cell_id("s3", "total_processed", c) for c in C]
    else:
        cells = [template.cell_id("s3", r.code, "total") for r in template.s3_rows(plan.version)]
    for cid in cells:
        printed.text[cid] = "0"
        if values.cells[cid] != 0:
            printed.override[cid] = 0


def _empty_row(rng: random.Random, plan: DocPlan, values: Values, printed: Printed) -> None:
    if plan.pitfalls["R2"] == "s3":
        leaves = list(template.outcome_leaves(plan.version))
        busy = [r for r in leaves if values.get("s3", r, "total")]
        row = rng.choice(busy or leaves)
        for c in C:
            printed.text[template.cell_id("s3", row, c)] = None
        return
    rows = [
        (t, r)
        for t in template.tables(plan.version)
        if t.section == "s2"
        for r in t.rows
        if f"{t.code}/{r.code}" not in values.rows_omitted
    ]
    table, row_def = rng.choice(rows)
    for column in table.columns:
        printed.text[template.cell_id(table.code, row_def.code, column.code)] = None


def _padded_row(rng: random.Random, plan: DocPlan, values: Values, printed: Printed) -> None:
    """A section-三 row's seven numbers with the spaces between them lost or doubled at random."""
    rows = [r.code for r in template.s3_rows(plan.version)]
    digits = {r: sum(len(str(values.get("s3", r, c))) for c in C) for r in rows}
    short = [r for r in rows if digits[r] <= RUN_DIGITS]
    if not short:
        del plan.pitfalls["R6"]
        return
    lively = [r for r in short if values.get("s3", r, "total")]
    row = rng.choice(lively or short)
    nums = [str(values.get("s3", row, c)) for c in C]
    gaps = [rng.choice(("", " ", " ", "  ")) for _ in nums[1:]]
    if all(g for g in gaps):
        gaps[rng.randrange(len(gaps))] = ""  # at least one separator lost
    run = nums[0] + "".join(g + n for g, n in zip(gaps, nums[1:]))
    printed.runs[f"s3/{row}"] = run


def _s2_run(rng: random.Random, plan: DocPlan, values: Values, printed: Printed) -> None:
    """An 第二十条第（一）项 row printed ``12 5``: one separator lost, the others kept."""
    rows = [r for r in ("normative_documents", "regulations") if f"s2.art20_1/{r}" not in values.rows_omitted]
    row = rows[0]
    cols = [c.code for c in template.table(plan.version, "s2.art20_1").columns]
    nums = [str(values.get("s2.art20_1", row, c)) for c in cols]
    # Join after a non-zero number where there is one: "0" + "5" must split, "1" + "2" need not.
    choices = [i for i in range(len(nums) - 1) if nums[i] != "0"] or list(range(len(nums) - 1))
    lost = rng.choice(choices)
    run = nums[0]
    for i, n in enumerate(nums[1:]):
        run += ("" if i == lost else " ") + n
    printed.runs[f"s2.art20_1/{row}"] = run
