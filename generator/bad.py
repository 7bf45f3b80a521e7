"""Documents that are not usable reports: a notice, a report without its tables, a scan's text.

(The byte-level bad inputs, empty/truncated/encrypted/image-only, are made by
the caller; this module writes the content that goes into them.)
"""

from __future__ import annotations

import random

from generator.document import SECTION_TITLES, Block, Document
from generator.model import DocPlan


def notice(plan: DocPlan, rng: random.Random) -> Document:
    """An unrelated government notice: no report title, no tables, no report year."""
    org = plan.body.name
    subject = rng.choice(
        (
            "开展安全生产大检查",
            "做好秋冬季森林防火工作",
            "召开全体干部职工大会",
            "做好防汛抗旱工作",
            "开展爱国卫生运动",
        )
    )
    month = rng.randint(3, 11)
    blocks = [
        Block("title", f"{org}关于{subject}的通知"),
        Block("para", "各村（社区）、各有关单位："),
        Block(
            "para",
            "为切实做好相关工作，经研究，"
            f"决定于{plan.year}年{month}月{rng.randint(1, 28)}日起在全辖区范围内组织实施。现将有关事项通知如下：",
        ),
        Block(
            "para",
            "一、提高思想认识。各单位要高度重视，主要负责同志亲自部署，明确责任分工，确保各项措施落到实处。",
        ),
        Block("para", "二、突出工作重点。全面排查风险隐患，建立问题清单和整改台账，做到发现一处、整改一处。"),
        Block("para", "三、加强督促检查。将工作开展情况纳入年度考核，对工作不力的单位予以通报批评。"),
        Block("signature", org),
        Block("date", f"{plan.year}年{month}月{rng.randint(1, 28)}日"),
    ]
    return Document(plan, blocks, org, blocks[0].text)


def report_without_tables(plan: DocPlan, rng: random.Random) -> Document:
    """A report whose sections 二–四 refer to attachments that were not published."""
    org, year = plan.body.name, plan.year
    title = f"{org}{year}年政府信息公开工作年度报告"
    blocks = [Block("title", title)]
    for n, name in enumerate(SECTION_TITLES, 1):
        blocks.append(Block("heading", f"{'一二三四五六'[n - 1]}、{name}", section=n))
        if n in (2, 3, 4):
            blocks.append(Block("para", f"具体情况详见附表{n - 1}（另行公开）。"))
        else:
            blocks.append(
                Block(
                    "para",
                    f"{year}年，{plan.body.short}认真贯彻落实《中华人民共和国政府信息公开条例》，"
                    "扎实做好政府信息公开各项工作，不断提升工作质效。",
                )
            )
    blocks += [Block("signature", org), Block("date", f"{year + 1}年1月{rng.randint(10, 28)}日")]
    return Document(plan, blocks, org, title)


def scan_lines(plan: DocPlan, rng: random.Random) -> list[str]:
    """The text printed on the pages of a scanned report (pixels only)."""
    org, year = plan.body.name, plan.year
    lines = [f"{org}{year}年政府信息公开工作年度报告", ""]
    for n, name in enumerate(SECTION_TITLES, 1):
        lines.append(f"{'一二三四五六'[n - 1]}、{name}")
        lines += [f"（{k}）" + "本年度" + plan.body.short + "认真做好政府信息公开工作。" for k in "一二三"]
    return lines
