"""What each generated document will be: format, template, body, pitfalls, bad input.

Everything is a function of (seed, index), so document *i* is the same whatever
the corpus size.  Shares are exact rather than random: a trait with share *s*
is given to document *j* of its format when ``floor((j+1)·s + φ) > floor(j·s + φ)``
(φ drawn from the seed), so every window of ⌈1/s⌉ documents of a format has it
once; a small corpus therefore covers every pitfall, and a large one has each
pitfall in exactly the share printed in ``SHARES``.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from generator.model import BAD_KINDS, Body, DocPlan
from generator.names import make_body
from xxgk import template

ALL = ("pdf", "docx", "html", "txt", "doc")
TEXTUAL = ("docx", "html", "txt", "doc")


@dataclass(frozen=True)
class Trait:
    code: str
    formats: tuple[str, ...]
    share: float
    variants: tuple[str, ...] = ("yes",)
    value_level: bool = False  # changes what cells print: not combined with an inconsistency


# template.md §7.  P10 and P19 are in every document of the formats listed (the template's
# own labels look like headings; colspan cells leave trailing empties in table text).
PITFALLS: tuple[Trait, ...] = (
    Trait("P1", ALL, 0.20, ("block", "all_zeros", "total_col"), value_level=True),
    Trait("P2", ALL, 0.20),
    Trait("P3", ALL, 0.25),
    Trait("P4", TEXTUAL, 0.15, ("dup_last", "lead_zero"), value_level=True),
    Trait("P5", TEXTUAL, 0.15, ("last", "first"), value_level=True),
    Trait("P6", ("txt",), 0.25),
    Trait("P7", ALL, 0.25, ("social_org", "total_row2", "other_shifted")),
    Trait("P8", ALL, 0.15),
    Trait("P9", ALL, 0.30, ("arabic", "arabic_dun")),
    Trait("P10", ALL, 1.0),
    Trait("P11", ALL, 0.25),
    Trait("P12", ("pdf", "txt"), 0.20),
    Trait("P13", ALL, 0.30, ("cover", "wrapped", "stray")),
    Trait("P14", ALL, 0.30, ("half", "mixed")),
    Trait("P16", ALL, 0.30),
    Trait("P17", ALL, 0.25),
    Trait("P18", ("txt", "html"), 0.50),
    Trait("P19", TEXTUAL, 1.0),
    Trait("P20", ALL, 0.15),
    Trait("P21", ALL, 0.30),
    Trait("P22", ALL, 0.15),
    Trait("P23", ALL, 0.30),
    Trait("P24", ALL, 0.30),
)
# P15 (NBSP spacer cells, one cell per line) comes with the txt layout ``cell_lines``.

# Phenomena of real reports beyond template.md §7 (issue 11, item 5).  The layout-level ones
# get their share like the pitfalls; the value-level ones (R1 R2 R3 R6 R8) go to the
# "clean" reports of a format (no P1/P4/P5, no inconsistency, so each key has one cause),
# VALUE_PHENOMENA_SHARE of them, the kinds in turn (R3 only in v2019: it needs the signed
# column).  They are drawn from their own random stream, so adding them left every other
# document of a corpus as it was.
PHENOMENA: tuple[Trait, ...] = (
    Trait("R1", ALL, 0.0, ("total_col", "total_row"), value_level=True),  # totals printed 0
    Trait("R2", ALL, 0.0, ("s3", "s2"), value_level=True),  # a row with no values
    Trait("R3", ALL, 0.0, value_level=True),  # 88-720 (v2019)
    Trait("R4", ALL, 0.25),  # label typos
    Trait("R5", ALL, 0.20),  # 四、因…被申请行政复议、提起行政诉讼情况
    Trait("R6", ALL, 0.0, value_level=True),  # 10 0 0 012
    Trait("R7", ("html", "txt"), 0.30),  # <!--[if !supportLists]-->, 当前位置：
    Trait("R8", ALL, 0.0, value_level=True),  # 行政规范性文件 12 5
)
VALUE_PHENOMENA = tuple(t for t in PHENOMENA if t.value_level)
VALUE_PHENOMENA_SHARE = 0.40
# Value-level pitfalls a phenomenon is not combined with.
_VALUE_PITFALLS = ("P1", "P4", "P5")


def trait_order(code: str) -> tuple[str, int]:
    """Sort key of trait codes: P1 … P24, then R1 … R8."""
    return code[0], int(code[1:])


# Other traits: (name, formats, choices with weights).
FEATURES: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, float], ...]], ...] = (
    ("thousands", ALL, (("yes", 0.3), ("no", 0.7))),
    ("signed", ALL, (("words", 0.3), ("sign", 0.7))),
    (
        "layout",
        ("txt",),
        (("tabs", 0.3), ("cell_lines", 0.2), ("web_lines", 0.15), ("markdown", 0.2), ("pipes", 0.15)),
    ),
    ("encoding", ("txt",), (("utf-8", 0.6), ("utf-8-sig", 0.05), ("gbk", 0.2), ("utf-16", 0.15))),
    ("encoding", ("html",), (("utf-8", 0.5), ("gbk", 0.2), ("gbk_lying", 0.2), ("utf-8_lying", 0.1))),
    ("blank_cells", ("html",), (("nbsp", 0.5), ("empty", 0.5))),
    ("layout_table", ("html",), (("yes", 0.3), ("no", 0.7))),
    ("page_numbers", ("txt",), (("yes", 0.5), ("no", 0.5))),
    ("chrome", ("txt",), (("yes", 0.15), ("no", 0.85))),
    ("ruling", ("pdf",), (("grid", 0.6), ("frame", 0.2), ("none", 0.2))),
    ("page_numbers", ("pdf",), (("dash", 0.6), ("of", 0.2), ("none", 0.2))),
    ("narrative_s3_terms", ALL, (("yes", 0.05), ("no", 0.95))),
)
V2019_SHARE = 0.3
INCONSISTENT_SHARE = 0.10
BAD_SHARE = 0.06


def _phase(seed: int, *parts: str) -> float:
    digest = hashlib.sha256(":".join((str(seed),) + parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _hit(j: int, share: float, phase: float) -> bool:
    return math.floor((j + 1) * share + phase) > math.floor(j * share + phase)


def doc_rng(seed: int, index: int, purpose: str = "") -> random.Random:
    return random.Random(f"xxgk-generate:{seed}:{index}:{purpose}")


def plan_corpus(
    count: int,
    seed: int,
    formats: tuple[str, ...],
    bad_share: float = BAD_SHARE,
    inconsistent_share: float = INCONSISTENT_SHARE,
) -> list[DocPlan]:
    plans: list[DocPlan] = []
    per_format: dict[str, int] = {}
    consistent: dict[str, int] = {}  # value-level pitfalls count only consistent documents
    n_regular = n_bad = 0
    clean: dict[str, int] = {}  # value-level phenomena: clean reports per format
    turn: dict[str, int] = {}  # whose turn it is, and the layout-level counters
    bad_phase = _phase(seed, "bad")
    for i in range(count):
        rng = doc_rng(seed, i, "plan")
        body = make_body(rng)
        if bad_share > 0 and _hit(i, bad_share, bad_phase):
            plans.append(_bad_plan(i, seed, rng, body, BAD_KINDS[n_bad % len(BAD_KINDS)], formats))
            n_bad += 1
            continue
        fmt = formats[n_regular % len(formats)]
        n_regular += 1
        j = per_format.get(fmt, 0)
        per_format[fmt] = j + 1
        version: template.Version = "v2019" if _hit(j, V2019_SHARE, _phase(seed, fmt, "version")) else "v2021"
        year = rng.choice((2019, 2020)) if version == "v2019" else rng.randint(2021, 2025)
        plan = DocPlan(i, seed, _stem(i, body.kind, year), fmt, version, year, body)
        plan.inconsistent = _hit(j, inconsistent_share, _phase(seed, fmt, "inconsistent"))
        k = consistent.get(fmt, 0)
        if not plan.inconsistent:
            consistent[fmt] = k + 1
        for trait in PITFALLS:
            if fmt not in trait.formats or (trait.value_level and plan.inconsistent):
                continue
            if _hit(k if trait.value_level else j, trait.share, _phase(seed, fmt, trait.code)):
                plan.pitfalls[trait.code] = rng.choice(trait.variants)
        _features(plan, rng)
        _fix_up(plan)
        _phenomena(plan, clean, turn)
        plans.append(plan)
    return plans


def _phenomena(plan: DocPlan, clean: dict[str, int], turn: dict[str, int]) -> None:
    fmt, seed = plan.fmt, plan.seed
    rng = doc_rng(seed, plan.index, "phenomena-plan")
    for trait in PHENOMENA:
        if trait.value_level or fmt not in trait.formats:
            continue
        # Layout-level: the j-th report of the format, as for the pitfalls.
        j = turn.get(f"{fmt}:{trait.code}", 0)
        turn[f"{fmt}:{trait.code}"] = j + 1
        if _hit(j, trait.share, _phase(seed, fmt, trait.code)):
            plan.pitfalls[trait.code] = rng.choice(trait.variants)
    if plan.inconsistent or any(p in plan.pitfalls for p in _VALUE_PITFALLS):
        return
    k = clean.get(fmt, 0)
    clean[fmt] = k + 1
    if not _hit(k, VALUE_PHENOMENA_SHARE, _phase(seed, fmt, "value-phenomena")):
        return
    t = turn.get(fmt, 0)
    for step in range(len(VALUE_PHENOMENA)):
        trait = VALUE_PHENOMENA[(t + step) % len(VALUE_PHENOMENA)]
        if trait.code == "R3" and plan.version != "v2019":
            continue
        plan.pitfalls[trait.code] = rng.choice(trait.variants)
        turn[fmt] = t + step + 1
        if trait.code == "R3":
            plan.features["signed"] = "sign"  # the run shows the minus sign itself
        return


def _features(plan: DocPlan, rng: random.Random) -> None:
    for name, fmts, choices in FEATURES:
        if plan.fmt in fmts:
            plan.features[name] = rng.choices([c for c, _ in choices], [w for _, w in choices])[0]
    if plan.fmt == "txt" and plan.features.get("layout") == "cell_lines":
        plan.pitfalls["P15"] = "yes"
    if plan.fmt == "txt" and plan.features.get("layout") in ("web_lines", "pipes"):
        plan.pitfalls.pop("P19", None)  # no empty cells are written in these layouts


def _fix_up(plan: DocPlan) -> None:
    """Variants that depend on the template version or on the body."""
    p21 = plan.pitfalls.get("P21")
    if p21 is not None:
        plan.pitfalls["P21"] = (
            "four_places"
            if plan.version == "v2021"
            else random.Random(f"{plan.seed}:{plan.index}:p21").choice(("yuan", "wan"))
        )
    if "P20" in plan.pitfalls and plan.body.kind == "city_gov":
        del plan.pitfalls["P20"]  # only bodies without rule-making power drop the 规章 row
    if plan.features.get("signed") and plan.version == "v2021":
        del plan.features["signed"]  # v2021 has no signed column
    if plan.pitfalls.get("P1") == "all_zeros" and plan.fmt != "html":
        plan.pitfalls["P1"] = "block"  # "every zero blank" is the web-page habit (Shanghai 2019)
    if (
        plan.fmt == "html"
        and "P1" in plan.pitfalls
        and random.Random(f"{plan.seed}:{plan.index}:p1").random() < 0.5
    ):
        plan.pitfalls["P1"] = "all_zeros"


def _bad_plan(
    i: int, seed: int, rng: random.Random, body: Body, kind: str, formats: tuple[str, ...]
) -> DocPlan:
    pdf_kinds = ("truncated_pdf", "encrypted_pdf", "image_pdf")
    if kind in pdf_kinds and "pdf" not in formats:
        kind = "table_missing"
    # Byte-level PDF damage needs a PDF; the others come in any format asked for.
    fmt = "pdf" if kind in pdf_kinds else rng.choice([f for f in formats if f != "doc"] or ["txt"])
    year = rng.randint(2019, 2025)
    version: template.Version = "v2019" if year <= 2020 else "v2021"
    return DocPlan(i, seed, _stem(i, "bad", year), fmt, version, year, body, bad=kind)


def _stem(i: int, kind: str, year: int) -> str:
    return f"{i:05d}_{kind}_{year}"
