"""``xxgk site``: a static web site of the published warehouse that works offline.

For the office that collects the reports (and anyone reading them): an overview (bodies,
years, filing status, quarantine, warnings), a report card per body × year (headline numbers
with the change on the year before, every identity and warning, every number linked to its
page, line and printed text), rankings on documented indicators, trend charts, every mart to
download (CSV, Parquet) and a methodology note. Chinese first.

Nothing is fetched from another host: the pages use no script, font or style sheet from
outside, the charts are SVG drawn here. The site is read from the *published* database
(``<warehouse>/xxgk.duckdb``), so it shows exactly what analysts see.
"""

from __future__ import annotations

import html
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from warehouse import paths
from xxgk import identities, template
from xxgk.settings import OFFICE, duckdb_memory_limit

STATUS_LABELS = {
    "filed": "已按时报送",
    "filed_late": "逾期报送",
    "quarantined": "未通过核验",
    "not_filed": "未报送",
    "nothing_to_report": "无需报送",
}
STATUS_COLOURS = {
    "filed": "#2e7d32",
    "filed_late": "#ef6c00",
    "quarantined": "#c62828",
    "not_filed": "#616161",
    "nothing_to_report": "#bdbdbd",
}
CHECK_LABELS = {
    "S1": "S1 结转衔接（跨年）",
    "S2": "S2 现行有效件数衔接（跨年）",
    "S3": "S3 现行有效与制发、废止",
    "S6": "S6 正文数字与表格不符",
    "C1": "C1 文字雷同",
    "C2": "C2 数字雷同",
    "C3": "C3 逾期发布",
}
SECTION_NAMES = {"s2": "二、主动公开", "s3": "三、依申请公开", "s4": "四、复议诉讼"}
CAUSE_LABELS = {
    "extractor": "读取错误",
    "extractor_warning": "读取提示",
    "report": "报告缺失",
    "cells_missing": "数字缺失",
    "cells_unread": "数字未读出",
    "not_checkable": "无法核验",
    "identity": "勾稽关系不成立",
    "type_rule": "数值类型不符",
    "duplicate": "重复",
    "rejected": "文档被拒收",
}
# The extractor's message is for a reviewer: on the overview its first words, in full on hover
# and in the quarantine mart (data/quarantine.csv).
MESSAGE_CHARS = 120
IDENTITY_LABELS = {
    "H1": "H1 新收 + 上年结转 = 办理结果总计 + 结转下年度",
    "H2": "H2 各申请人列之和 = 总计列",
    "H3": "H3 各办理结果之和 = （七）总计",
    "H4": "H4 行政复议：各结果之和 = 总计",
    "H5": "H5 未经复议直接起诉：各结果之和 = 总计",
    "H6": "H6 复议后起诉：各结果之和 = 总计",
}


# The characters of a narrative section a card shows.
NARRATIVE_CHARS = 3000


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    cell: str  # table/row/col


HEADLINES: tuple[Headline, ...] = (
    Headline("new_received", "本年新收政府信息公开申请", "s3/new_received/total"),
    Headline("total_processed", "本年度办理结果总计", "s3/total_processed/total"),
    Headline("granted", "予以公开", "s3/granted/total"),
    Headline("carried_to_next_year", "结转下年度继续办理", "s3/carried_to_next_year/total"),
    Headline("review_total", "政府信息公开行政复议", "s4/review/total"),
    Headline("litigation_direct_total", "未经复议直接起诉", "s4/litigation_direct/total"),
    Headline("litigation_after_review_total", "复议后起诉", "s4/litigation_after_review/total"),
    Headline("normative_issued", "本年制发规范性文件", "s2.art20_1/normative_documents/issued_this_year"),
)


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    higher_is_better: bool
    unit: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "new_received",
        "本年新收申请数",
        "第三部分“本年新收政府信息公开申请数量”的总计列。反映申请量，不代表工作质量。",
        True,
        "件",
    ),
    Indicator(
        "disclosure_rate",
        "公开率",
        "（予以公开 + 部分公开）÷ 本年度办理结果总计；总计为 0 的机关不参与排名。",
        True,
        "%",
    ),
    Indicator(
        "corrected_rate",
        "复议诉讼纠错率",
        "（行政复议、直接起诉、复议后起诉中“结果纠正”之和）÷（三者总计之和 − 尚未审结之和）；"
        "已审结为 0 的机关不参与排名。越低越好。",
        False,
        "%",
    ),
    Indicator(
        "days_after_deadline",
        "发布日距法定期限天数",
        "报告所载发布日期减去法定期限（条例 第四十九条；负数为提前）。未载明发布日期的报告不参与排名。越小越好。",
        False,
        "天",
    ),
)
# The cells of every report the overview, rankings and trends read (HEADLINES for a card's change
# on the year before, the rest for indicator_values); a card reads all of its own.
KEPT_CELLS = frozenset(
    [
        *(h.cell for h in HEADLINES),
        "s3/new_received/total",
        "s3/total_processed/total",
        "s3/granted/total",
        "s3/partially_granted/total",
        *(
            f"s4/{row}/{col}"
            for row in ("review", "litigation_direct", "litigation_after_review")
            for col in ("corrected", "total", "pending")
        ),
    ]
)

_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:0;color:#212121;background:#fafafa}
header{background:#0d47a1;color:#fff;padding:12px 24px}header a{color:#fff;margin-right:18px;text-decoration:none}
header h1{font-size:20px;margin:0 0 6px 0}main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px 0;background:#fff}th,td{border:1px solid #ddd;padding:4px 8px;font-size:14px}
th{background:#eceff1;text-align:left;white-space:nowrap}table.q td{white-space:nowrap}.msg{font-size:13px;white-space:normal}td.n{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.tile{background:#fff;border:1px solid #ddd;padding:10px 16px;min-width:110px}
.tile b{display:block;font-size:26px}.st{color:#fff;padding:1px 6px;border-radius:3px;font-size:13px;white-space:nowrap}
.ok{color:#2e7d32}.bad{color:#c62828}.muted{color:#757575;font-size:13px}.en{color:#757575;font-size:12px}
:target{background:#fff59d}svg text{font-size:11px}
"""


def build_site(out: Path, db: Path | None = None) -> dict[str, int]:
    """Write the site of the published database ``db`` into ``out``; return page counts."""
    source = Path(db) if db is not None else paths.published_db()
    if not source.exists():
        raise FileNotFoundError(
            f"{source}: no published warehouse yet; run `xxgk run` (or the DAG) first, then `xxgk site` again"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # DuckDB bounded as in publishing; Python holds one report's cells at a time (the cards), and
    # of every report only the few cells the overview, rankings and trends use.
    with duckdb.connect(str(source), read_only=True, config={"memory_limit": duckdb_memory_limit()}) as con:
        data = _read(con)
        n_downloads = _downloads(con, out / "data")
        (out / "cards").mkdir(exist_ok=True)
        n_cards = 0
        for report in _full_reports(con, data):
            _write(out / "cards" / _card_name(report.body_id, report.report_year), _card(data, report))
            n_cards += 1
    _write(out / "index.html", _overview(data))
    _write(out / "rankings.html", _rankings(data))
    _write(out / "trends.html", _trends(data))
    _write(out / "downloads.html", _downloads_page(data))
    _write(out / "methodology.html", _methodology())
    return {"cards": n_cards, "downloads": n_downloads}


# ------------------------------------------------------------------------------- reading


@dataclass
class Report:
    document_id: str
    body_id: str
    body_name: str
    report_year: int
    template_version: str
    source_path: str
    values: dict[str, Decimal | None]
    where: dict[str, dict[str, Any]]


@dataclass
class SiteData:
    generated_at: str
    reports: dict[tuple[str, int], Report]
    filing: list[dict[str, Any]]
    warnings: dict[str, list[dict[str, Any]]]
    quarantine: list[dict[str, Any]]
    deadlines: dict[str, dict[str, Any]]
    narrative: dict[str, list[dict[str, Any]]]
    tables: list[str]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    ]


def _read(con: duckdb.DuckDBPyConnection) -> SiteData:
    tables = set(_tables(con))
    # The current published reports (corrections applied), from the facts: of their cells only
    # those the pages other than the cards use (_full_reports reads the rest, a report at a time).
    body_years = {
        (r["body_id"], r["report_year"]): r
        for r in _rows(con, "select body_id, report_year, document_id, body_name from marts.mart_body_year")
    }
    paths_by_doc = {
        r["document_id"]: r["source_path"]
        for r in _rows(con, "select document_id, source_path from marts.dim_report")
    }
    reports: dict[tuple[str, int], Report] = {}
    for document_id, body_id, report_year, template_version, cid, value in _stream(
        con, f"select document_id, body_id, report_year, template_version, {_CELL_ID}, value from ({_CELLS})"
    ):
        key = (body_id, report_year)
        report = reports.get(key)
        if report is None:
            info = body_years.get(key, {})
            report = reports[key] = Report(
                document_id,
                body_id,
                info.get("body_name") or body_id,
                report_year,
                template_version,
                paths_by_doc.get(document_id, ""),
                {},
                {},
            )
        if cid in KEPT_CELLS:
            report.values[cid] = None if value is None else Decimal(str(value))
    filing = (
        _rows(con, "select * from marts.mart_filing_status order by body_name, report_year")
        if "mart_filing_status" in tables
        else []
    )
    warnings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in _rows(con, "select * from marts.report_warnings order by identity_id, check_id"):
        warnings[w["document_id"]].append(w)
    quarantine = _rows(
        con,
        "select document_id, body_id, printed_body_name, report_year, section, cause, identity_id, message, "
        "source_path "
        "from marts.quarantine order by report_year, source_path, section",
    )
    deadlines = (
        {r["document_id"]: r for r in _rows(con, "select * from marts.mart_report_deadlines")}
        if "mart_report_deadlines" in tables
        else {}
    )
    narrative: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if "fct_narrative" in tables:
        # A card shows a section's first NARRATIVE_CHARS characters: no more is held.
        for n in _rows(
            con,
            f"select * replace (left(body_text, {NARRATIVE_CHARS}) as body_text) "
            "from marts.fct_narrative order by document_id, section",
        ):
            narrative[n["document_id"]].append(n)
    return SiteData(
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        reports,
        filing,
        warnings,
        quarantine,
        deadlines,
        narrative,
        sorted(tables),
    )


_CELLS = """
    select document_id, body_id, report_year, template_version, 's3' as table_code, row_code,
           col_code, value, basis, page, line, raw_text
    from marts.fct_applications
    union all
    select document_id, body_id, report_year, template_version, 's4', row_code, col_code,
           value, basis, page, line, raw_text
    from marts.fct_review_litigation
    union all
    -- A count is in value, an amount in the column of its unit (never summed together).
    select document_id, body_id, report_year, template_version, table_code, row_code,
           col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown),
           basis, page, line, raw_text
    from marts.fct_active_disclosure
"""
# template.cell_id in SQL: table/row/col.
_CELL_ID = "table_code || '/' || row_code || '/' || col_code"
_STREAM_ROWS = 10_000


def _stream(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[tuple[Any, ...]]:
    cur = con.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(_STREAM_ROWS):
            yield from rows
    finally:
        cur.close()


def _full_reports(con: duckdb.DuckDBPyConnection, data: SiteData) -> Iterator[Report]:
    """Every report of ``data`` with all its cells and where each was read, one at a time, in
    body and year order; a cell read twice for one body and year keeps its last reading, in the
    facts' order, as ``_read`` takes the first one's document."""
    sql = (
        f"select body_id, report_year, {_CELL_ID}, value, basis, page, line, raw_text "
        f"from (select *, row_number() over () as seq from ({_CELLS})) "
        "order by body_id, report_year, seq"
    )
    current: Report | None = None
    for body_id, report_year, cid, value, basis, page, line, raw in _stream(con, sql):
        if current is None or (current.body_id, current.report_year) != (body_id, report_year):
            if current is not None:
                yield current
            summary = data.reports[(body_id, report_year)]
            current = replace(summary, values={}, where={})
        current.values[cid] = None if value is None else Decimal(str(value))
        current.where[cid] = {"page": page, "line": line, "raw": raw, "basis": basis}
    if current is not None:
        yield current


def _downloads(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    n = 0
    for table in _tables(con):
        for fmt, opts in (("csv", "(format csv, header true)"), ("parquet", "(format parquet)")):
            target = folder / f"{table}.{fmt}"
            con.execute(f"copy marts.{table} to '{target.as_posix()}' {opts}")
            n += 1
    return n


# ------------------------------------------------------------------------------- pages


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():f}"


def _message(message: str | None) -> str:
    text = message or ""
    if len(text) <= MESSAGE_CHARS:
        return f'<span class="msg">{_e(text)}</span>'
    return f'<span class="msg" title="{_e(text)}">{_e(text[:MESSAGE_CHARS])}…</span>'


def _page(title: str, body: str, depth: int = 0) -> str:
    up = "../" * depth
    nav = "".join(
        f'<a href="{up}{href}">{label}</a>'
        for href, label in (
            ("index.html", "总览"),
            ("rankings.html", "排名"),
            ("trends.html", "趋势"),
            ("downloads.html", "数据下载"),
            ("methodology.html", "方法说明"),
        )
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · 政府信息公开工作年度报告</title><style>{_CSS}</style></head>"
        f"<body><header><h1>政府信息公开工作年度报告 · {_e(title)}</h1><nav>{nav}</nav></header>"
        f"<main>{body}</main></body></html>"
    )


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _card_name(body_id: str, year: int) -> str:
    return f"{body_id}_{year}.html"


def _status(status: str) -> str:
    return (
        f'<span class="st" style="background:{STATUS_COLOURS.get(status, "#9e9e9e")}">'
        f"{_e(STATUS_LABELS.get(status, status))}</span>"
    )


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _overview(data: SiteData) -> str:
    years = sorted({r["report_year"] for r in data.filing} | {k[1] for k in data.reports})
    bodies = {r["body_id"]: r["body_name"] for r in data.filing}
    for (body_id, _y), rep in data.reports.items():
        bodies.setdefault(body_id, rep.body_name)
    n_warn = sum(len(w) for w in data.warnings.values())
    counts: dict[str, int] = defaultdict(int)
    for r in data.filing:
        counts[r["filing_status"]] += 1
    tiles = "".join(
        f'<div class="tile">{label}<b>{value}</b></div>'
        for label, value in (
            ("机关", len(bodies)),
            ("年度", f"{years[0]}–{years[-1]}" if years else "—"),
            ("已发布报告", len(data.reports)),
            ("逾期报送", counts["filed_late"]),
            ("未报送", counts["not_filed"]),
            ("部分未通过核验", len({q["document_id"] for q in data.quarantine})),
            ("提示", n_warn),
        )
    )
    grid: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in data.filing:
        grid[r["body_id"]][r["report_year"]] = r
    rows = []
    for body_id, name in sorted(bodies.items(), key=lambda kv: kv[1]):
        cells = [_e(name) + (' <span class="muted">（名单内）</span>' if _on_roster(grid[body_id]) else "")]
        for y in years:
            f = grid[body_id].get(y)
            status = f["filing_status"] if f else ("filed" if (body_id, y) in data.reports else "")
            if not status:
                cells.append("")
                continue
            badge = _status(status)
            if (body_id, y) in data.reports:
                badge = f'<a href="cards/{_card_name(body_id, y)}">{badge}</a>'
            cells.append(badge)
        rows.append(cells)
    filing = _table(["机关", *[f"{y} 年" for y in years]], rows)
    by_check: dict[str, int] = defaultdict(int)
    for ws in data.warnings.values():
        for w in ws:
            by_check[w["identity_id"]] += 1
    checks = _table(
        ["核查", "提示数"],
        [[_e(CHECK_LABELS.get(k, k)), str(v)] for k, v in sorted(by_check.items())],
        numeric=(1,),
    )
    quarantined = _table(
        ["年度", "机关", "文件", "部分", "原因", "说明（读取程序的原文）"],
        [
            [
                _e(q["report_year"]),
                _e(bodies.get(q["body_id"]) or q.get("printed_body_name") or "—"),
                _e(Path(q["source_path"] or "").name),
                _e(SECTION_NAMES.get(q["section"], "全文") if q["section"] else "全文"),
                _e(CAUSE_LABELS.get(q["cause"], q["cause"])),
                _message(q["message"]),
            ]
            for q in data.quarantine
        ],
    )
    quarantined = quarantined.replace("<table", '<table class="q"', 1)  # one line a row but 说明
    statuses = "".join(f"{_status(k)} " for k in STATUS_LABELS)
    body = (
        f'<div class="tiles">{tiles}</div>'
        f"<h2>报送情况（机关 × 年度）</h2><p class='muted'>{statuses}点击已发布的报告查看报告卡。"
        "名单来自报送单位名单（roster）；名单外的机关只列出其报送的年度。</p>"
        f"{filing}<h2>核查提示</h2>{checks}<h2>未通过核验（quarantine）</h2>"
        f"{quarantined if data.quarantine else '<p>无。</p>'}"
        f"<p class='muted'>生成于 {data.generated_at}。Overview · filing status · warnings · quarantine.</p>"
    )
    return _page("总览", body)


def _on_roster(years: dict[int, dict[str, Any]]) -> bool:
    return any(r.get("is_on_roster") for r in years.values())


def _cell_anchor(cid: str) -> str:
    return "cell-" + cid.replace("/", "-").replace(".", "_")


def _card(data: SiteData, rep: Report) -> str:
    prev = next(
        (
            data.reports[(rep.body_id, y)]
            for y in range(rep.report_year - 1, rep.report_year - 6, -1)
            if (rep.body_id, y) in data.reports
        ),
        None,
    )
    head_rows = []
    for h in HEADLINES:
        if h.cell not in rep.values:
            continue
        value = rep.values[h.cell]
        before = prev.values.get(h.cell) if prev else None
        change = "—"
        if value is not None and before is not None:
            delta = value - before
            pct = f"（{delta / before:+.0%}）" if before else ""
            change = f"{'+' if delta > 0 else ''}{_num(delta)}{pct} 较 {prev.report_year if prev else ''} 年"
        head_rows.append(
            [
                _e(h.label),
                f'<a href="#{_cell_anchor(h.cell)}" data-cell="{_e(h.cell)}">{_num(value)}</a>',
                _e(change),
            ]
        )
    headline = _table(["指标", "数值", "同比"], head_rows, numeric=(1,))
    # Every identity of the template, evaluated on the published values.
    id_rows = []
    version: template.Version = "v2021" if rep.template_version == "v2021" else "v2019"
    by_identity: dict[str, list[str]] = defaultdict(list)
    for eq in template.equations(version, {cid.split("/")[1] for cid in rep.values if cid.startswith("s3/")}):
        s = identities.sides(eq, rep.values)
        if s is None:
            by_identity[eq.identity].append("unchecked")
        else:
            by_identity[eq.identity].append("holds" if s[0] == s[1] else f"fails:{eq.id}")
    for ident, results in sorted(by_identity.items()):
        fails = [r.split(":", 1)[1] for r in results if r.startswith("fails")]
        n_ok = results.count("holds")
        status = (
            f'<span class="bad">不成立：{_e(", ".join(fails))}</span>'
            if fails
            else f'<span class="ok">成立</span>（{n_ok} 个等式）'
        )
        if results.count("unchecked"):
            status += f' <span class="muted">{results.count("unchecked")} 个等式缺项未核</span>'
        id_rows.append([_e(IDENTITY_LABELS.get(ident, ident)), status])
    ids = _table(["勾稽关系", "结果"], id_rows)
    warn_rows = [
        [_e(CHECK_LABELS.get(w["identity_id"], w["identity_id"])), _e(w["description"])]
        for w in data.warnings.get(rep.document_id, [])
    ]
    warns = _table(["核查", "说明"], warn_rows) if warn_rows else '<p class="ok">无核查提示。</p>'
    dl = data.deadlines.get(rep.document_id)
    timing = ""
    if dl:
        on = dl.get("published_on")
        timing = (
            f"<p>发布日期：{_e(on) if on else '报告未载明'}"
            + (f"（{_e(dl.get('published_raw'))}，第 {_e(dl.get('published_line'))} 行）" if on else "")
            + f"；法定期限：{_e(dl.get('deadline_on'))}"
            + (f"；<span class='bad'>逾期 {dl['days_after_deadline']} 天</span>" if dl.get("is_late") else "")
            + "。"
            + (f" 原文链接：<code>{_e(dl.get('source_url'))}</code>" if dl.get("source_url") else "")
            + "</p>"
        )
    narrative = "".join(
        f"<h3>{_e(n['heading'])} <span class='muted'>第 {_e(n['line'])}–{_e(n['line_to'])} 行"
        f"{'，第 ' + _e(n['page']) + ' 页' if n.get('page') else ''}</span></h3>"
        f"<p>{_e(n['body_text'])[:NARRATIVE_CHARS]}</p>"
        for n in data.narrative.get(rep.document_id, [])
    )
    cell_rows = []
    for cid in sorted(rep.values):
        w = rep.where.get(cid, {})
        cell_rows.append(
            f'<tr id="{_cell_anchor(cid)}"><td><code>{_e(cid)}</code></td><td class="n">{_num(rep.values[cid])}</td>'
            f"<td>{_e(w.get('basis'))}</td><td class='n'>{_e(w.get('page') if w.get('page') is not None else '')}</td>"
            f"<td class='n'>{_e(w.get('line'))}</td><td><code>{_e(w.get('raw'))}</code></td></tr>"
        )
    cells = (
        "<table><thead><tr><th>单元格</th><th>数值</th><th>依据</th><th>页</th><th>行</th><th>原文</th></tr></thead>"
        f"<tbody>{''.join(cell_rows)}</tbody></table>"
    )
    body = (
        f"<h2>{_e(rep.body_name)} · {rep.report_year} 年度</h2>"
        f"<p class='muted'>来源文件：<code>{_e(rep.source_path)}</code>；模板 {_e(rep.template_version)}；"
        f"文件 SHA-256 <code>{_e(rep.document_id[:16])}…</code></p>{timing}"
        f"<h2>主要数字</h2>{headline}<h2>勾稽关系</h2>{ids}<h2>核查提示</h2>{warns}"
        f"<h2>正文</h2>{narrative or '<p>未识别到正文部分。</p>'}"
        f"<h2>全部数字及出处</h2><p class='muted'>依据：printed 原文印刷；decided 勾稽关系唯一确定；"
        f"imputed 勾稽关系推得；corrected 人工更正。</p>{cells}"
    )
    return _page(f"{rep.body_name} {rep.report_year} 年度报告卡", body, depth=1)


def indicator_values(data: SiteData) -> dict[str, dict[int, list[tuple[str, str, float]]]]:
    """indicator → year → [(body_id, body_name, value)] for the reports that have it."""
    out: dict[str, dict[int, list[tuple[str, str, float]]]] = {i.key: defaultdict(list) for i in INDICATORS}

    def v(rep: Report, cid: str) -> Decimal | None:
        return rep.values.get(cid)

    for (body_id, year), rep in data.reports.items():
        new = v(rep, "s3/new_received/total")
        if new is not None:
            out["new_received"][year].append((body_id, rep.body_name, float(new)))
        total = v(rep, "s3/total_processed/total")
        granted, partial = v(rep, "s3/granted/total"), v(rep, "s3/partially_granted/total")
        if total and granted is not None and partial is not None:
            out["disclosure_rate"][year].append(
                (body_id, rep.body_name, float((granted + partial) / total * 100))
            )
        rows = ("review", "litigation_direct", "litigation_after_review")
        parts = [
            (v(rep, f"s4/{r}/corrected"), v(rep, f"s4/{r}/total"), v(rep, f"s4/{r}/pending")) for r in rows
        ]
        known = [(c, t, p) for c, t, p in parts if c is not None and t is not None and p is not None]
        if len(known) == len(rows):
            corrected = sum((c for c, _t, _p in known), Decimal(0))
            closed = sum((t - p for _c, t, p in known), Decimal(0))
            if closed > 0:
                out["corrected_rate"][year].append((body_id, rep.body_name, float(corrected / closed * 100)))
        dl = data.deadlines.get(rep.document_id)
        if dl and dl.get("days_after_deadline") is not None:
            out["days_after_deadline"][year].append(
                (body_id, rep.body_name, float(dl["days_after_deadline"]))
            )
    return out


def _rankings(data: SiteData) -> str:
    values = indicator_values(data)
    parts = [
        f"<p>每项指标按年度排名；某年度有该指标的机关少于 {OFFICE.min_ranking_sample} 个时不排名（样本不足）。"
        "指标定义见各表上方及<a href='methodology.html'>方法说明</a>。</p>"
    ]
    for ind in INDICATORS:
        parts.append(f"<h2>{_e(ind.label)}</h2><p class='muted'>{_e(ind.definition)}</p>")
        years = values[ind.key]
        if not years:
            parts.append("<p>无数据。</p>")
        for year in sorted(years, reverse=True):
            rows = years[year]
            if len(rows) < OFFICE.min_ranking_sample:
                parts.append(f"<p>{year} 年：样本不足（{len(rows)} 个机关），不排名。</p>")
                continue
            ranked = sorted(rows, key=lambda r: -r[2] if ind.higher_is_better else r[2])
            parts.append(
                f"<h3>{year} 年</h3>"
                + _table(
                    ["名次", "机关", f"{ind.label}（{ind.unit}）"],
                    [
                        [
                            str(i),
                            f'<a href="cards/{_card_name(b, year)}">{_e(n)}</a>',
                            f"{val:,.1f}".rstrip("0").rstrip("."),
                        ]
                        for i, (b, n, val) in enumerate(ranked, 1)
                    ],
                    numeric=(0, 2),
                )
            )
    return _page("排名", "".join(parts))


def line_chart(title: str, series: dict[str, dict[int, float]], unit: str) -> str:
    """A plain SVG line chart: one line per series over the years."""
    width, height, left, bottom, top, right = 640, 260, 56, 30, 28, 150
    years = sorted({y for s in series.values() for y in s})
    if not years:
        return ""
    vmax = max((v for s in series.values() for v in s.values()), default=0) or 1
    x0, x1 = left, width - right
    y0, y1 = height - bottom, top

    def x(year: int) -> float:
        return x0 + (x1 - x0) * (0.5 if len(years) == 1 else (year - years[0]) / (years[-1] - years[0]))

    def y(v: float) -> float:
        return y0 - (y0 - y1) * v / vmax

    palette = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#9e9d24", "#4e342e"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="16" font-size="13">{_e(title)}（{_e(unit)}）</text>',
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#999"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#999"/>',
        f'<text x="{x0 - 6}" y="{y1 + 4}" text-anchor="end">{_num(round(vmax))}</text>',
        f'<text x="{x0 - 6}" y="{y0}" text-anchor="end">0</text>',
    ]
    for yr in years:
        out.append(f'<text x="{x(yr):.1f}" y="{y0 + 16}" text-anchor="middle">{yr}</text>')
    for i, (name, points) in enumerate(sorted(series.items())):
        colour = palette[i % len(palette)]
        pts = " ".join(f"{x(yr):.1f},{y(points[yr]):.1f}" for yr in sorted(points))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>')
        for yr in sorted(points):
            out.append(
                f'<circle cx="{x(yr):.1f}" cy="{y(points[yr]):.1f}" r="3" fill="{colour}">'
                f"<title>{_e(name)} {yr}: {_num(round(points[yr], 2))}</title></circle>"
            )
        out.append(f'<text x="{x1 + 10}" y="{top + 14 * i + 10}" fill="{colour}">{_e(name[:10])}</text>')
    out.append("</svg>")
    return "".join(out)


def _trends(data: SiteData) -> str:
    values = indicator_values(data)
    parts = ["<p>各机关各年度的指标（仅限已发布的报告）。悬停圆点可见数值。</p>"]
    for ind in INDICATORS:
        series: dict[str, dict[int, float]] = defaultdict(dict)
        for year, rows in values[ind.key].items():
            for _b, name, val in rows:
                series[name][year] = val
        if series:
            parts.append(f"<h2>{_e(ind.label)}</h2>" + line_chart(ind.label, dict(series), ind.unit))
    by_year: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for r in data.filing:
        by_year[STATUS_LABELS.get(r["filing_status"], r["filing_status"])][r["report_year"]] += 1
    if by_year:
        parts.append(
            "<h2>报送情况</h2>" + line_chart("各状态机关数", {k: dict(v) for k, v in by_year.items()}, "个")
        )
    return _page("趋势", "".join(parts))


def _downloads_page(data: SiteData) -> str:
    rows = [
        [
            f"<code>{_e(t)}</code>",
            f'<a href="data/{_e(t)}.csv">CSV</a>',
            f'<a href="data/{_e(t)}.parquet">Parquet</a>',
        ]
        for t in data.tables
    ]
    body = (
        "<p>已发布仓库（<code>xxgk.duckdb</code> 的 <code>marts</code> 模式）的每一张表，CSV 为 UTF-8、带表头。"
        "各列含义见项目文档 <code>dbt_project/models/marts/*.yml</code>。</p>"
        + _table(["表", "CSV", "Parquet"], rows)
    )
    return _page("数据下载", body)


def _methodology() -> str:
    s = OFFICE
    body = f"""
<h2>数据从哪里来</h2>
<p>每份年度报告（PDF、Word、网页、文本）由 xxgk 提取为一条记录：第二、三、四部分表格的每个数字及其出处（页、行、原文），
正文第一、五、六部分，报告所载发布日期和原文链接。<b>每个数字都有依据</b>：原文印刷（printed）、由勾稽关系唯一确定（decided）、
由勾稽关系推得的空白（imputed）或人工更正（corrected）；无法证明的数字不发布。报告卡中的每个数字都链接到其页、行与原文。</p>
<h2>核验与发布</h2>
<p>硬性勾稽关系 H1–H6（见 docs/template.md）不成立的部分不发布，列入“未通过核验”（quarantine）。通过核验的报告发布，
并附以下核查提示（不影响发布）：</p>
<ul>
<li><b>S1–S3</b>：跨年度或同一报告内的软性勾稽关系（结转衔接、现行有效件数）。</li>
<li><b>S6 正文数字与表格不符</b>：正文所述“收到申请N件”“办结N件”“制发/废止规范性文件N件”“行政复议N件”“行政诉讼N件”
与相应表格数字不同。</li>
<li><b>C1 文字雷同</b>：正文某部分（去掉数字、字母和标点后）按 {s.shingle_chars} 字切片，与本机关上一年度报告或同年度其他机关报告
同一部分的 Jaccard 相似度达到 {s.copied_text_similarity:.0%}；少于 {s.min_section_chars} 字的部分（如“无”）不比较。
候选对由 MinHash（{s.minhash_num_perm} 个排列、{s.minhash_bands} 个分带）找出，再逐对精确计算；同一分桶内每份报告至多与相邻 {s.minhash_bucket_peers} 份比较。与同年度其他机关相似时，每部分只提示一次，列出最相似的一份及另有几份达到阈值。</li>
<li><b>C2 数字雷同</b>：表格全部数字（至少 {s.identical_numbers_min_nonzero} 个非零）与本机关上一年度或同年度其他机关完全相同。</li>
<li><b>C3 逾期发布</b>：报告所载发布日期（网页“发布时间”，或文末落款日期）晚于法定期限。《政府信息公开条例》第四十九条：
部门在每年 {s.deadline_department[0]} 月 {s.deadline_department[1]} 日前，县级以上人民政府在每年
{s.deadline_government[0]} 月 {s.deadline_government[1]} 日前公布上一年度报告；乡镇、街道按
{s.deadline_township[0]} 月 {s.deadline_township[1]} 日计。机关类别以报送名单为准，名单未列的按名称判断。
报告未载明发布日期的不作判断。</li>
</ul>
<h2>报送情况</h2>
<p>报送名单（roster）列出应报送的机关；名称的不同写法按 dim_body 的规则归并（别名表 body_aliases、去掉“人民政府”、
行政区划前缀）。状态：已按时报送、逾期报送、未通过核验（有文件但未发布）、未报送（名单内机关当年无文件）、
无需报送（名单所列年度之外）。</p>
<h2>排名</h2>
<p>见“排名”页各指标定义；某年度有该指标的机关少于 {s.min_ranking_sample} 个时不排名。排名只反映所列指标，不是对工作的综合评价。</p>
<p class="en">Methodology: every number carries its evidence (page, line, printed text); hard identities gate publication;
S6 and C1–C3 are warnings; thresholds live in xxgk/settings.py (OfficeSettings).</p>
"""
    return _page("方法说明", body)
