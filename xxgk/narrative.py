"""S6: numbers the narrative states that the tables also hold (docs/template.md §4).

Each claim is a phrase of sections 一–六's text and the table cells whose sum it states:
"2023年全区接收…各类政府信息公开申请共计81件" states s3/new_received/total. The extractor
finds the phrases (``extractors/claims.py``); the gate compares each value with the cells
of the current reading, corrections applied (``expectations/narrative_checks.py``), and
warns when they differ. A claim is only a warning: the text may count differently (e.g.
applications *including* those carried over), so a reviewer reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

# Up to this many characters between the words of a claim and its number, none of them a
# sentence or clause end: "收到…申请共计81件" spans ~30.
_GAP = r"[^。；;，,！!？?\d]{0,40}?"
_N = r"(?P<value>\d+(?:\.\d+)?)"


@dataclass(frozen=True)
class Claim:
    code: str  # stable id, e.g. S6:new_received
    label: str  # Chinese, for the report card
    pattern: re.Pattern[str]
    cells: tuple[str, ...]  # table/row/col whose sum the number states
    unit: str  # the unit printed after the number (a regular expression; group "unit" if several)
    # "=": the number is the cells' sum; "<=": it is part of it (warn only when it is larger)
    relation: str = "="
    # printed unit → factor to the cells' unit (收取信息处理费300元 against a cell in 万元)
    scale: dict[str, Decimal] = field(default_factory=dict)

    def in_table_unit(self, value: Decimal, raw: str) -> Decimal:
        """The claimed value in the unit of its cells, by the unit printed in ``raw``."""
        if not self.scale:
            return value
        m = self.pattern.search(raw)
        unit = m.group("unit") if m else None
        if unit not in self.scale:
            raise ValueError(f"{self.code}: no unit in {raw!r}")
        return value * self.scale[unit]


def _claim(
    code: str,
    label: str,
    words: str,
    cells: tuple[str, ...],
    unit: str = "件",
    relation: str = "=",
    scale: dict[str, Decimal] | None = None,
) -> Claim:
    pattern = re.compile(words + _GAP + _N + r"\s*" + unit)
    return Claim(f"S6:{code}", label, pattern, cells, unit, relation, scale or {})


CLAIMS: tuple[Claim, ...] = (
    _claim(
        "new_received",
        "本年新收政府信息公开申请",
        r"(?:收到|接收|受理|新收|共收)" + _GAP + r"申请",
        ("s3/new_received/total",),
    ),
    _claim(
        "total_processed",
        "办结政府信息公开申请",
        r"(?:办结|办理完结|答复)" + _GAP + r"(?:申请|依申请公开)",
        ("s3/total_processed/total",),
    ),
    _claim(
        "normative_issued",
        "本年制发规范性文件",
        r"(?:制发|印发|新制定|出台)" + _GAP + r"规范性文件",
        ("s2.art20_1/normative_documents/issued_this_year",),
    ),
    _claim(
        "normative_repealed",
        "本年废止规范性文件",
        r"废止" + _GAP + r"规范性文件",
        ("s2.art20_1/normative_documents/repealed_this_year",),
    ),
    _claim(
        "review",
        "政府信息公开行政复议",
        r"信息公开[^。；;]{0,12}?行政复议(?:案件|申请)?",
        ("s4/review/total",),
    ),
    _claim(
        "litigation",
        "政府信息公开行政诉讼",
        r"信息公开[^。；;]{0,20}?行政诉讼(?:案件)?",
        ("s4/litigation_direct/total", "s4/litigation_after_review/total"),
    ),
    # 信息处理费 is paid into the treasury as a 行政事业性收费 (e.g. 河南省人民政府办公厅, 2021, on
    # 国办函〔2020〕109号), so it is part of v2021's 第二十条第（八）项 本年收费金额 (万元) but not all
    # of it: only a fee larger than that amount contradicts the table. v2019's row counts fee
    # items, not money: the cell is absent there and nothing is compared.
    _claim(
        "information_fee",
        "本年收取信息处理费",
        r"(?:收取|收缴|征收)" + _GAP + r"信息处理费",
        ("s2.art20_8/administrative_fees/fee_amount_wan_cny",),
        unit=r"(?P<unit>万元|元)",
        relation="<=",
        scale={"元": Decimal("0.0001"), "万元": Decimal(1)},
    ),
)
CLAIM_CODES = tuple(c.code for c in CLAIMS)
