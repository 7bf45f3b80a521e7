"""Web pages: the report's tables with colspan/rowspan, inside a portal's chrome.

Zeros may be printed as empty cells or ``&nbsp;`` (P1, Shanghai 2019); pages
come in UTF-8 or GBK, sometimes declaring the other one in ``<meta charset>``
(the bytes, not the declaration, are the truth).  With P18 the report sits in
navigation chrome: top bar, menu, breadcrumb, article info line, links to the
previous and next articles, footer, scripts.  R7 (web-page residue): a breadcrumb
``当前位置：…`` above the article, Word's conditional comments around the numbering of
headings, and the marker ``<!--[if !supportLists]-->`` shown as text before list paragraphs
(a CMS that escaped it).
"""

from __future__ import annotations

import random
from html import escape

from generator.document import Document
from generator.tables import GTable

_CSS = "table{border-collapse:collapse}td{border:1px solid #000;padding:2px 4px;font-size:14px}"


def render_html(doc: Document, rng: random.Random) -> bytes:
    plan = doc.plan
    encoding = plan.features.get("encoding", "utf-8")
    declared = {"utf-8": "utf-8", "gbk": "gbk", "gbk_lying": "utf-8", "utf-8_lying": "gb2312"}[encoding]
    chrome = "P18" in plan.pitfalls
    blank = "&nbsp;" if plan.features.get("blank_cells") == "nbsp" else ""
    site = (plan.body.portal or plan.body.name) + "门户网站"
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
        if rng.random() < 0.5
        else f'<meta charset="{declared}">',
        f"<title>{escape(doc.title)}_{escape(site)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    if chrome:
        out += [
            '<div class="topbar"><a href="#">无障碍版</a> | <a href="#">长者助手</a> | <a href="#">登录</a> | <a href="#">注册</a></div>',
            '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
            '<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>',
            '<div class="crumb">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
            '<a href="/zwgk/ndbg/">政府信息公开年度报告</a></div>',
            '<div class="article">',
            f"<h1>{escape(doc.title)}</h1>",
            f'<div class="info">发布日期：{plan.year + 1}-01-{rng.randint(10, 28):02d}　来源：'
            f"{escape(plan.body.name)}　浏览次数：{rng.randint(50, 3000)}　字号：<a>大</a> <a>中</a> <a>小</a></div>",
        ]
    residue = "R7" in plan.pitfalls
    if residue:
        out.append(
            '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>'
            ' &gt; <a href="/zwgk/ndbg/">政府信息公开年报</a></div>'
        )
    wrap = plan.features.get("layout_table") == "yes"
    if wrap:
        # Older portals lay the article out in a table; the report's tables are nested in it.
        out.append('<table width="100%" class="layout"><tr><td class="content">')
    else:
        out.append('<div class="content" id="zoom">')
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            out.append(_table(block.table, blank))
        elif block.kind == "pagebreak":
            continue
        elif block.kind == "title":
            out.append(f'<p style="text-align:center"><strong>{escape(block.text)}</strong></p>')
        elif block.kind == "heading":
            text = escape(block.text)
            if residue:
                text = f"<!--[if !supportLists]--><span>{text[:2]}</span><!--[endif]-->{text[2:]}"
            out.append(f"<p><strong>{text}</strong></p>" if rng.random() < 0.7 else f"<h3>{text}</h3>")
        elif block.kind in ("signature", "date"):
            out.append(f'<p style="text-align:right">{escape(block.text)}</p>')
        else:
            text = escape(block.text)
            if residue and block.text.startswith("（"):
                text = escape("<!--[if !supportLists]-->") + text
            out.append(f'<p style="text-indent:2em">{text}</p>')
    out.append("</td></tr></table>" if wrap else "</div>")
    if chrome:
        out += [
            '<div class="related"><p>上一篇：<a href="#">'
            + escape(plan.body.name)
            + f"{plan.year - 1}年政府信息公开工作年度报告</a></p>"
            '<p>下一篇：<a href="#">关于公布政府信息公开指南的通知</a></p></div>',
            '<div class="share">分享到：<a>微信</a> <a>微博</a>　【打印本页】【关闭窗口】</div>',
            "</div>",
            f'<div class="footer">主办单位：{escape(site.replace("门户网站", "办公室"))}　'
            f"网站标识码：{rng.randint(10**9, 10**10 - 1)}　ICP备{rng.randint(10**7, 10**8 - 1)}号</div>",
            "<script>var _hmt = _hmt || []; (function(){ var d = document; })();</script>",
        ]
    out += ["</body>", "</html>", ""]
    text = "\n".join(out)
    codec = "gb18030" if encoding.startswith("gbk") else "utf-8"
    return text.encode(codec)


def _cell(text: str, blank: str) -> str:
    if not text:
        return blank
    return "<br/>".join(escape(part) for part in text.split("\n"))


def _table(table: GTable, blank: str) -> str:
    rows = ['<table border="1" cellspacing="0" cellpadding="0" width="100%">', "<tbody>"]
    for row in table.rows:
        tds = []
        for cell in row.cells:
            attrs = ""
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            content = _cell(cell.text, blank if cell.role == "value" else "")
            tds.append(f"<td{attrs}>{content}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    rows += ["</tbody>", "</table>"]
    return "\n".join(rows)
