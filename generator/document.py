"""A report as a sequence of blocks (title, headings, paragraphs, tables), format-free.

The narrative pitfalls are applied here, the same way for every format:
P9 (heading numbering), P11 (sub-headings reusing top-level numbers), P12 (a
page break in mid-sentence), P13 (title wrapped / cover page / stray line),
P16 (spaces between CJK and digits), P22 (section 六 nested in 一), P23
(boilerplate before a table), R5 (the heading 四、因政府信息公开工作被申请行政复议、
提起行政诉讼情况).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

from generator.model import DocPlan, Printed, Values
from generator.tables import GTable, s2_table, s3_tables, s4_table, style_of

SECTION_TITLES = (
    "总体情况",
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议、行政诉讼情况",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
)
# Heading variants seen in real reports (template.md "Document skeleton").
SECTION_VARIANTS = {
    4: ("因政府信息公开工作被申请行政复议和提起行政诉讼情况",),
    5: ("政府信息公开工作存在的主要问题及改进情况", "存在问题及改进情况"),
}
# R5: the section-四 heading of some real reports.
S4_HEADING_R5 = "因政府信息公开工作被申请行政复议、提起行政诉讼情况"
NUMERALS = "一二三四五六"
BOILERPLATE = "该部分以表格形式报告。表格如下："


@dataclass
class Block:
    kind: str  # title | heading | subheading | para | table | pagebreak | date | signature
    text: str = ""
    table: GTable | None = None
    section: int = 0  # 1..6 for headings


@dataclass
class Document:
    plan: DocPlan
    blocks: list[Block]
    org_name: str  # what the key expects as org_name
    title: str  # the title on one line (HTML <title>, PDF metadata)
    chrome_title: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _cjk_digit_spaces(text: str) -> str:
    """P16: ``2023 年`` as a PDF→text conversion prints it."""
    text = re.sub(r"(?<=[\u4e00-\u9fff])(?=\d)", " ", text)
    return re.sub(r"(?<=\d)(?=[\u4e00-\u9fff])", " ", text)


def build_document(
    rng: random.Random, plan: DocPlan, values: Values, printed: Printed, vertical_groups: bool = False
) -> Document:
    body, year = plan.body, plan.year
    style = style_of(plan)
    spaced = "P16" in plan.pitfalls
    sp = _cjk_digit_spaces if spaced else (lambda s: s)
    blocks: list[Block] = []
    du = rng.random() < 0.5
    title_core = f"{year}年{'度' if du else ''}政府信息公开工作年度报告"
    title = body.name + title_core
    org_name = body.name
    p13 = plan.pitfalls.get("P13")
    if p13 == "cover":
        # Seed 004: a cover page (body, title, month), then the title again.
        blocks += [
            Block("title", body.name),
            Block("title", sp(title_core)),
            Block("date", sp(f"{year + 1}年1月")),
            Block("pagebreak"),
            Block("title", sp(title)),
        ]
    elif p13 == "wrapped":
        cut = title.index("政府信息公开") + len("政府信息公开")
        blocks += [Block("title", sp(title[:cut])), Block("title", rng.choice(("工作年度报告", "年报")))]
    elif p13 == "stray":
        blocks += [Block("title", sp(title[:-1])), Block("title", title[-1])]
    else:
        blocks.append(Block("title", sp(title)))

    total_new = int(values.get("s3", "new_received", "total"))
    carried = int(values.get("s3", "carried_over_from_last_year", "total"))
    processed = int(values.get("s3", "total_processed", "total"))
    published = rng.randint(40, 400) if body.kind == "township" else rng.randint(300, 30000)
    blocks.append(
        Block(
            "para",
            sp(
                f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
                f"关于政府信息公开工作年度报告有关事项的要求编制。本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。"
            ),
        )
    )

    def heading(n: int) -> Block:
        name = SECTION_TITLES[n - 1]
        if n in SECTION_VARIANTS and rng.random() < 0.25:
            name = rng.choice(SECTION_VARIANTS[n])
        if n == 4 and "R5" in plan.pitfalls:
            name = S4_HEADING_R5
        p9 = plan.pitfalls.get("P9")
        if p9 == "arabic":
            text = f"{n} {name}"
        elif p9 == "arabic_dun" and n == 3:
            text = f"{n}、 {name}"
        else:
            text = f"{NUMERALS[n - 1]}、{name}"
        return Block("heading", text, section=n)

    # 一、总体情况
    blocks.append(heading(1))
    if "P11" in plan.pitfalls:
        blocks.append(Block("subheading", "一、开展工作情况"))
    paras = [
        f"{year}年，{body.short}深入贯彻落实《条例》和上级关于政务公开工作的部署要求，坚持以公开为常态、"
        f"不公开为例外，持续推进决策、执行、管理、服务、结果公开，不断提升政务公开工作质效。",
        f"（一）主动公开。全年通过门户网站、政务新媒体等渠道主动公开政府信息{published}条，"
        f"其中政策文件{rng.randint(1, 40)}条、政策解读{rng.randint(1, 20)}条。",
    ]
    if plan.features.get("narrative_s3_terms") == "yes":
        # A trap for readers that look for table rows by keyword: the narrative uses the rows' words.
        paras.append(
            f"（二）依申请公开。本年新收政府信息公开申请{total_new}件，上年结转政府信息公开申请"
            f"{carried}件，办结{processed}件。"
        )
    else:
        paras.append(f"（二）依申请公开。全年共收到政府信息公开申请{total_new}件，均在法定期限内答复。")
    paras += [
        "（三）政府信息管理。严格落实公开前审查机制，动态更新政府信息公开指南和目录，"
        "做好政策文件的清理和公开属性认定工作。",
        "（四）平台建设。加强政府网站和政务新媒体日常监测，及时更新栏目内容，确保平台安全平稳运行。",
        "（五）监督保障。将政务公开工作纳入年度绩效考核，组织业务培训"
        f"{rng.randint(1, 6)}次，切实提升工作人员业务能力。",
    ]
    for i, text in enumerate(paras):
        if "P12" in plan.pitfalls and i == 1:
            # Seed 004: a page break in mid-sentence leaves a line that starts with a number.
            cut = text.index(str(published))
            blocks += [
                Block("para", sp(text[:cut])),
                Block("pagebreak"),
                Block("para", f"{published} " + text[cut + len(str(published)) :]),
            ]
            continue
        blocks.append(Block("para", sp(text)))
    if "P22" in plan.pitfalls:
        blocks.append(Block("para", "（六）其他需要报告的事项。本年度未收取信息处理费。"))

    # 二、主动公开政府信息情况
    blocks.append(heading(2))
    if "P23" in plan.pitfalls:
        blocks.append(Block("para", BOILERPLATE))
    blocks.append(Block("table", table=s2_table(plan, values, printed, style)))

    # 三、收到和处理政府信息公开申请情况
    blocks.append(heading(3))
    if "P23" in plan.pitfalls:
        blocks.append(Block("para", BOILERPLATE))
    parts = s3_tables(plan, printed, style, rng, vertical_groups)
    for i, t in enumerate(parts):
        if i:
            blocks.append(Block("pagebreak"))
        blocks.append(Block("table", table=t))

    # 四、行政复议、行政诉讼
    blocks.append(heading(4))
    if "P23" in plan.pitfalls:
        blocks.append(Block("para", BOILERPLATE))
    blocks.append(Block("table", table=s4_table(plan, printed, style)))

    # 五、存在的主要问题及改进情况
    blocks.append(heading(5))
    if "P11" in plan.pitfalls:
        blocks.append(Block("subheading", "一、存在的问题"))
    blocks.append(
        Block(
            "para",
            "一是政策解读的形式还不够丰富，解读质量有待提高；二是信息公开的及时性、"
            "规范性仍需加强，个别栏目更新不够及时。",
        )
    )
    if "P11" in plan.pitfalls:
        blocks.append(Block("subheading", sp(f"二、{year + 1}年政务公开工作思路")))
    blocks.append(
        Block(
            "para",
            sp(
                f"{year + 1}年，{body.short}将进一步健全政务公开工作机制，加强业务培训，"
                "丰富政策解读形式，提升政务公开标准化规范化水平。"
            ),
        )
    )
    # 六、其他需要报告的事项
    if "P22" not in plan.pitfalls:
        blocks.append(heading(6))
        # The same draws as always (the documents of a seed do not change), but a fee above the
        # table's 本年收费金额 (信息处理费 is part of it, xxgk/narrative.py) is not claimed.
        collected = not (plan.version == "v2019" or rng.random() < 0.7)
        fee_yuan = rng.randint(1, 40) * 100 if collected else 0
        if (
            collected
            and Decimal(str(values.get("s2.art20_8", "administrative_fees", "fee_amount_wan_cny"))) * 10_000
            < fee_yuan
        ):
            collected = False
        fee = (
            f"依据《政府信息公开信息处理费管理办法》，本年度共收取信息处理费{fee_yuan}元。"
            if collected
            else "本年度未收取信息处理费。"
        )
        blocks.append(Block("para", sp(fee)))
    blocks += [Block("signature", body.name), Block("date", sp(f"{year + 1}年1月{rng.randint(10, 28)}日"))]
    return Document(plan, blocks, org_name, title)
