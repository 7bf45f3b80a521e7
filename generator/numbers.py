"""True numbers of a report, drawn so that every hard identity holds by construction.

Scale follows the body: most townships have a handful of applications and
many zeros; cities and busy departments decide tens of thousands of licences
and collect fees in 万元 with decimals.  Section 三 is built column by column
(new + carried over = processed + carried forward, processed split over the
outcome leaves), the 总计 column and section-四 totals are sums, so H1–H6
hold before anything is printed.  ``inject_inconsistency`` then changes one
printed number, as a publisher's typo would.
"""

from __future__ import annotations

import random
from decimal import Decimal

from generator.model import Body, Inconsistency, Number, Values
from generator.names import is_busy
from xxgk import template

A = template.APPLICANTS_WITHOUT_TOTAL
# Who applies: mostly natural persons, then companies and "other".
_APPLICANT_WEIGHTS = (0.80, 0.10, 0.01, 0.01, 0.05, 0.03)

# How applications end, by leaf row (v2021 leaves; v2019 folds other_* into other_handling).
_OUTCOME_WEIGHTS: dict[str, float] = {
    "granted": 0.38,
    "partially_granted": 0.07,
    "denied_state_secret": 0.002,
    "denied_prohibited_by_law": 0.01,
    "denied_three_security_one_stability": 0.004,
    "denied_third_party_rights": 0.01,
    "denied_internal_affairs": 0.01,
    "denied_process_info": 0.015,
    "denied_enforcement_files": 0.005,
    "denied_admin_query": 0.02,
    "unable_not_held": 0.22,
    "unable_needs_creation": 0.04,
    "unable_unclear_after_correction": 0.02,
    "not_processed_petition_complaint": 0.04,
    "not_processed_duplicate": 0.02,
    "not_processed_publication": 0.005,
    "not_processed_excessive_repeat": 0.005,
    "not_processed_confirm_reissue": 0.005,
    "other_no_correction": 0.05,
    "other_fee_unpaid": 0.005,
    "other_misc": 0.05,
    "other_handling": 0.105,
}

# New applications (all applicant types together), by kind of body: (share with none, low, high).
_NEW_APPLICATIONS: dict[str, tuple[float, int, int]] = {
    "township": (0.45, 1, 12),
    "county_dept": (0.30, 1, 60),
    "city_dept": (0.15, 3, 600),
    "county_gov": (0.05, 15, 400),
    "city_gov": (0.0, 150, 4000),
}


def _split(rng: random.Random, total: int, weights: tuple[float, ...] | list[float]) -> list[int]:
    """``total`` items spread over len(weights) buckets (a multinomial draw)."""
    counts = [0] * len(weights)
    if total <= 0:
        return counts
    for i in rng.choices(range(len(weights)), weights, k=total):
        counts[i] += 1
    return counts


def _scaled(rng: random.Random, low: int, high: int) -> int:
    """A count between low and high, small values more likely (log-uniform)."""
    if high <= low:
        return low
    return int(round(low * (high / low) ** rng.random())) if low > 0 else rng.randint(0, high)


def make_values(rng: random.Random, body: Body, version: template.Version) -> Values:
    cells: dict[str, Number] = {}
    _section3(rng, body, version, cells)
    _section4(rng, body, cells)
    _section2(rng, body, version, cells)
    return Values(version, cells)


def _section3(rng: random.Random, body: Body, version: template.Version, cells: dict[str, Number]) -> None:
    none_share, low, high = _NEW_APPLICATIONS[body.kind]
    total_new = 0 if rng.random() < none_share else _scaled(rng, low, high)
    new = _split(rng, total_new, _APPLICANT_WEIGHTS)
    leaves = template.outcome_leaves(version)
    weights = [_OUTCOME_WEIGHTS[r] for r in leaves]
    rows = [r.code for r in template.s3_rows(version)]
    per_col: dict[str, dict[str, int]] = {r: {} for r in rows}
    carry_share = rng.choice((0.0, 0.0, 0.02, 0.05, 0.1))
    for col, n in zip(A, new):
        carried = sum(1 for _ in range(n) if rng.random() < carry_share) if n else 0
        forward = sum(1 for _ in range(n + carried) if rng.random() < carry_share)
        processed = n + carried - forward
        per_col["new_received"][col] = n
        per_col["carried_over_from_last_year"][col] = carried
        per_col["carried_to_next_year"][col] = forward
        per_col["total_processed"][col] = processed
        for leaf, k in zip(leaves, _split(rng, processed, weights)):
            per_col[leaf][col] = k
    for row in rows:
        for col in A:
            cells[template.cell_id("s3", row, col)] = per_col[row][col]
        cells[template.cell_id("s3", row, "total")] = sum(per_col[row].values())


def _section4(rng: random.Random, body: Body, cells: dict[str, Number]) -> None:
    scale = {"township": 2, "county_dept": 6, "city_dept": 25, "county_gov": 40, "city_gov": 300}[body.kind]
    quiet = {"township": 0.8, "county_dept": 0.55, "city_dept": 0.3, "county_gov": 0.15, "city_gov": 0.0}[
        body.kind
    ]
    for row, factor in (("review", 1.0), ("litigation_direct", 0.25), ("litigation_after_review", 0.3)):
        n = 0 if rng.random() < quiet else _scaled(rng, 1, max(1, int(scale * factor)))
        parts = _split(rng, n, (0.5, 0.12, 0.22, 0.16))
        for col, v in zip(("upheld", "corrected", "other", "pending"), parts):
            cells[template.cell_id("s4", row, col)] = v
        cells[template.cell_id("s4", row, "total")] = sum(parts)


def _money(rng: random.Random, low: float, high: float, places: int) -> Decimal:
    value = low * (high / low) ** rng.random()
    return Decimal(f"{value:.{places}f}")


def _section2(rng: random.Random, body: Body, version: template.Version, cells: dict[str, Number]) -> None:
    kind, busy = body.kind, is_busy(body)
    small = kind == "township"
    big = kind == "city_gov" or (kind == "city_dept" and busy)

    def put(table: str, row: str, col: str, value: Number) -> None:
        cells[template.cell_id(table, row, col)] = value

    licences = (
        (_scaled(rng, 1, 300) if rng.random() < 0.6 else 0)
        if small
        else _scaled(rng, 10_000, 500_000)
        if big
        else _scaled(rng, 100, 60_000)
        if busy
        else _scaled(rng, 0, 3000)
    )
    penalties = (
        (_scaled(rng, 1, 60) if rng.random() < 0.5 else 0)
        if small
        else _scaled(rng, 1_000, 4_000_000)
        if big
        else _scaled(rng, 50, 20_000)
        if busy
        else _scaled(rng, 0, 800)
    )
    coercion = rng.randint(0, 12) if small else _scaled(rng, 1, max(2, penalties // 20 + 1))
    if version == "v2021":
        rule_making = kind == "city_gov"
        issued = rng.randint(0, 6) if rule_making else 0
        repealed = rng.randint(0, 3) if rule_making else 0
        put("s2.art20_1", "regulations", "issued_this_year", issued)
        put("s2.art20_1", "regulations", "repealed_this_year", repealed)
        put("s2.art20_1", "regulations", "currently_valid", rng.randint(issued + 5, 90) if rule_making else 0)
        n_issued = rng.randint(0, 3) if small else rng.randint(0, 30)
        put("s2.art20_1", "normative_documents", "issued_this_year", n_issued)
        put("s2.art20_1", "normative_documents", "repealed_this_year", rng.randint(0, 2 if small else 25))
        put(
            "s2.art20_1",
            "normative_documents",
            "currently_valid",
            rng.randint(n_issued, n_issued + (15 if small else 200)),
        )
        put("s2.art20_5", "administrative_licensing", "decisions_this_year", licences)
        put("s2.art20_6", "administrative_penalty", "decisions_this_year", penalties)
        put("s2.art20_6", "administrative_coercion", "decisions_this_year", coercion)
        fee = Decimal(0)
        if not small or rng.random() < 0.2:
            places = rng.choice((1, 2, 2, 4))
            fee = _money(rng, 0.5, 120_000 if big else 8_000 if busy else 300, places)
        put("s2.art20_8", "administrative_fees", "fee_amount_wan_cny", fee)
        return
    made = rng.randint(0, 3) if small else rng.randint(0, 40)
    published = rng.randint(max(0, made - 2), made)
    rule_making = kind == "city_gov"
    r_made = rng.randint(0, 5) if rule_making else 0
    put("s2.art20_1", "regulations", "newly_made_this_year", r_made)
    put("s2.art20_1", "regulations", "newly_published_this_year", r_made)
    put("s2.art20_1", "regulations", "total_published", rng.randint(r_made + 5, 80) if rule_making else 0)
    put("s2.art20_1", "normative_documents", "newly_made_this_year", made)
    put("s2.art20_1", "normative_documents", "newly_published_this_year", published)
    put(
        "s2.art20_1",
        "normative_documents",
        "total_published",
        rng.randint(published, published + (20 if small else 300)),
    )
    for table, row, decisions in (
        ("s2.art20_5", "administrative_licensing", licences),
        (
            "s2.art20_5",
            "other_external_mgmt_services",
            _scaled(rng, 0, 2000) if not small else rng.randint(0, 20),
        ),
        ("s2.art20_6", "administrative_penalty", penalties),
        ("s2.art20_6", "administrative_coercion", coercion),
    ):
        items = 0 if small and rng.random() < 0.5 else rng.randint(1, 30 if small else 400)
        put(table, row, "items_last_year", items)
        put(table, row, "items_change_this_year", rng.randint(-min(items, 12), 15) if items else 0)
        put(table, row, "decisions", decisions)
    fee_items = 0 if small else rng.randint(0, 40)
    put("s2.art20_8", "administrative_fees", "items_last_year", fee_items)
    put(
        "s2.art20_8",
        "administrative_fees",
        "items_change_this_year",
        rng.randint(-min(fee_items, 5), 3) if fee_items else 0,
    )
    projects = rng.randint(0, 6) if small else rng.randint(0, 300)
    put("s2.art20_9", "govt_centralized_procurement", "procurement_projects", projects)
    amount = _money(rng, 1, 60_000, rng.choice((0, 2, 2, 4))) if projects else Decimal(0)
    put("s2.art20_9", "govt_centralized_procurement", "procurement_total_amount", amount)


# --- A publisher's inconsistency ---------------------------------------------------------


def inject_inconsistency(rng: random.Random, values: Values) -> Inconsistency:
    """Pick one printed number to get wrong; the true value stays in ``values``.

    H1: a flow cell (new / carried over / carried forward) - breaks H1 and the row's H2.
    H2: the 总计 of an outcome row - breaks that row's H2 and H3 in the 总计 column.
    H3: an applicant cell of （七）总计 - breaks H3 and H1 in its column and the row's H2.
    H4-H6: one section-四 cell - breaks that row's total.
    """
    family = rng.choice(("H1", "H2", "H3", "H4-H6"))
    version = values.version
    if family == "H1":
        row = rng.choice(("new_received", "carried_over_from_last_year", "carried_to_next_year"))
        cell = template.cell_id("s3", row, rng.choice(A))
    elif family == "H2":
        row = rng.choice(template.outcome_leaves(version))
        cell = template.cell_id("s3", row, "total")
    elif family == "H3":
        cell = template.cell_id("s3", "total_processed", rng.choice(A))
    else:
        row = rng.choice([r.code for r in template.S4_ROWS])
        cell = template.cell_id("s4", row, rng.choice(("upheld", "corrected", "other", "pending", "total")))
    true = int(values.cells[cell])
    delta = rng.randint(1, max(1, true // 10))
    printed = true - delta if true >= delta and rng.random() < 0.4 else true + delta
    return Inconsistency(family, cell, true, printed)


# --- How numbers are printed ------------------------------------------------------------


def format_count(value: int, thousands: bool) -> str:
    return f"{value:,}" if thousands else str(value)


def format_signed(value: int, words: bool) -> str:
    """本年增/减: ``+12`` / ``-3`` / ``0``, or ``增加12`` / ``减少3`` (template.md §1.2)."""
    if value == 0:
        return "0"
    if words:
        return f"增加{value}" if value > 0 else f"减少{-value}"
    return f"+{value}" if value > 0 else str(value)


def format_decimal(value: Decimal, thousands: bool, places: int | None = None) -> str:
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    text = f"{value:,}" if thousands else f"{value}"
    if "E" in text or "e" in text:  # Decimal('0E-4') and friends
        text = f"{value:.{places or 0}f}"
    return text
