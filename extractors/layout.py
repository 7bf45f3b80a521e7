"""Find the tables of sections 二, 三 and 四 in a document's text, row by row.

Sections are located by their titles in order, not by a ``^三、`` pattern,
because table rows look like headings (P9–P12).  Rows are found by the label
keys of ``xxgk.template`` (P6: indentation and column positions are not
reliable), searched in document order inside their section.  What lies
between one row's label and the next is that row's text; ``extractors.values``
turns it into candidate readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from extractors.text import DocText
from extractors.values import (
    Candidate,
    Number,
    Token,
    agreed_cells,
    cell_candidates,
    is_run,
    label_line_candidate,
    listed_readings,
    merged_cell,
    read_cells,
    run_candidates,
    run_pieces,
    run_readings,
    trim_segment,
    unreadable_words,
)
from xxgk import template
from xxgk.record import Problem
from xxgk.settings import READER

S2_HEAD = re.compile(r"主动公开政府信息情况")
S2_TABLE = re.compile(r"第二十条第|信息内容")
S3_HEAD = re.compile(r"收到和处理政府信息公开申请情况")
S3_FIRST_ROW = re.compile(r"本年新收")
S3_SECOND_ROW = re.compile(r"上年结转")
S4_HEAD = re.compile(
    r"(?:因?政府信息公开(?:工作)?(?:被申请)?)?行政法?复议[、,和]?(?:提起)?行政诉讼|(?:政府信息公开)?行政复议"
)
S4_LAST_HEADER = re.compile(r"总计|尚未审结|复议后起诉")
S5_HEAD = re.compile(r"(?:政府信息公开(?:工作)?)?(?:存在的?主要问题|存在问题|主要问题及改进)")
S2_ROW_END = re.compile(r"第二十条|信息内容")
# What may stand before a title on its line: a heading number ("3 ", "### 4", "四、").
_HEADING_PREFIX = re.compile(r"[\s\d一二三四五六七八九十、.()]*")


@dataclass
class RowText:
    table: str
    row: str
    candidates: list[Candidate]
    where: dict
    is_run: bool
    # The row's printed text (values only), for problems to quote.
    raw: str = ""
    # Set when the text gives no reading that evidence supports and nothing can
    # decide (section 二): the problem code, and the readings the text allows.
    undecided: str | None = None
    listing: list[tuple[Number | None, ...]] = field(default_factory=list)
    # The row as its label's line lays it out, one cell per tab field (blanks in
    # their places): the grid's own reading, when the line has one.
    grid: Candidate | None = None
    # Of an undecided row: per cell, the value every reading of its run gives it (the
    # search over readings is exhaustive, ``values.run_readings``); None where they differ.
    agreed: list[Number | None] = field(default_factory=list)


@dataclass
class Layout:
    rows: list[RowText] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    found_s3: bool = False
    found_s4: bool = False


def _section_start(doc: DocText, compact_pos: int) -> int:
    """Text offset where a section starts: its title, or the heading number before it."""
    pos = doc.to_text(compact_pos)
    line_start = doc.line_start(pos)
    if _HEADING_PREFIX.fullmatch(doc.text[line_start:pos]):
        return line_start
    return pos


def _after(doc: DocText, compact_end: int) -> int:
    """Text offset just after the compact character before ``compact_end``."""
    return doc.to_text(compact_end - 1) + 1


def _first_table_row(doc: DocText) -> re.Match[str] | None:
    """The 本年新收 that starts the section-三 table.

    Narrative in section 一 often says "本年新收政府信息公开申请3件，上年结转…"
    too.  The table's is the one followed by the most row labels in template
    order; on a tie the later one, since narrative comes before the table.
    """
    keys = [re.compile(r.key) for r in template.s3_rows("v2021")[1:12]]
    best, best_score = None, 0
    for m in S3_FIRST_ROW.finditer(doc.compact):
        if not S3_SECOND_ROW.search(doc.compact, m.end(), m.end() + READER.s3_second_row_window):
            continue
        score, pos = 0, m.end()
        for key in keys:
            found = key.search(doc.compact, pos, pos + READER.s3_row_gap)
            if found:
                score, pos = score + 1, found.end()
        if score >= best_score:
            best, best_score = m, score
    return best


def find_layout(doc: DocText, version: template.Version) -> Layout:
    layout = Layout()
    compact = doc.compact
    first_row = _first_table_row(doc)
    if first_row is None:
        layout.problems.append(
            Problem("table_missing", "error", "section 三 table not found (no 本年新收 … 上年结转 rows)", [])
        )
        s3_compact = len(compact)
    else:
        layout.found_s3 = True
        heads = [m for m in S3_HEAD.finditer(compact, 0, first_row.start())]
        s3_compact = heads[-1].start() if heads else first_row.start()

    s2_heads = [
        m
        for m in S2_HEAD.finditer(compact, 0, s3_compact)
        if S2_TABLE.search(compact, m.end(), m.end() + READER.s2_table_window)
    ]
    s2_table = S2_TABLE.search(compact, 0, s3_compact)
    s2_compact = s2_heads[-1].start() if s2_heads else (s2_table.start() if s2_table else None)
    if s2_compact is not None:
        _read_s2(doc, version, s2_compact, s3_compact, layout)
    else:
        layout.problems.append(Problem("table_missing", "warning", "section 二 tables not found", []))

    if first_row is not None:
        s4_compact = _read_s3(doc, version, first_row.start(), layout)
        if s4_compact is not None:
            layout.found_s4 = True
            _read_s4(doc, s4_compact, layout)
        else:
            layout.problems.append(Problem("table_missing", "error", "section 四 table not found", []))
    return layout


def _read_s2(doc: DocText, version: template.Version, start: int, end: int, layout: Layout) -> None:
    compact = doc.compact
    region_end = _section_start(doc, end) if end < len(compact) else len(doc.text)
    found: list[tuple[template.Table, template.Row, re.Match[str]]] = []
    pos = start
    for table in template.tables(version):
        if table.section != "s2":
            continue
        for row in table.rows:
            m = re.compile(row.key).search(compact, pos, end)
            if m:
                found.append((table, row, m))
                pos = m.end()
    for i, (table, row, m) in enumerate(found):
        seg_end_compact = found[i + 1][2].start() if i + 1 < len(found) else end
        stop = S2_ROW_END.search(compact, m.end(), seg_end_compact)
        if stop:
            seg_end_compact = stop.start()
        seg_start = _after(doc, m.end())
        seg_end = doc.to_text(seg_end_compact) if seg_end_compact < end else region_end
        text = trim_segment(doc.text[seg_start:seg_end])
        n = len(table.columns)
        decimal = [c.kind == "decimal" for c in table.columns]
        signed = [c.code in template.SIGNED_COLUMNS for c in table.columns]
        layout.rows.append(_s2_row(doc, table.code, row.code, text, seg_start, n, decimal, signed))
    found_rows = {(t.code, r.code) for t, r, _ in found}
    for table in template.tables(version):
        if table.section != "s2":
            continue
        for row in table.rows:
            if (table.code, row.code) not in found_rows:
                # P20: bodies without rule-making power leave 规章 out; its cells are absent.
                layout.problems.append(
                    Problem(
                        "s2_row_absent",
                        "warning",
                        f"section 二 row {row.label} ({table.caption}) is not printed; its cells are absent",
                        [template.cell_id(table.code, row.code, c.code) for c in table.columns],
                    )
                )


def _read_s3(doc: DocText, version: template.Version, start: int, layout: Layout) -> int | None:
    """Read the section-三 rows; return the compact offset where section 四 starts."""
    compact = doc.compact
    rows = template.s3_rows(version)
    if version == "v2021" and _other_handling_aggregated(compact, start):
        # （六）其他处理 printed as one row with numbers, as in v2019 (hongze-2024.pdf).
        rows = tuple(r for r in rows if r.group != "other")
        other = next(r for r in template.s3_rows("v2019") if r.code == template.AGGREGATED_OTHER_V2021)
        at = next(i for i, r in enumerate(rows) if r.code == "total_processed")
        rows = rows[:at] + (other,) + rows[at:]
        layout.problems.append(
            Problem(
                "other_handling_aggregated",
                "warning",
                "section 三 prints （六）其他处理 as one row with numbers (the v2019 layout) instead of "
                "its three v2021 items; it is recorded as other_handling",
                [],
            )
        )
    found: list[tuple[template.Row, re.Match[str]]] = []
    pos = start
    for row in rows:
        m = _find_row(row.key, compact, pos)
        if m is None or (found and m.start() - pos > READER.s3_row_gap):
            # An absent row leaves H1–H3 unverifiable: the report needs review.
            layout.problems.append(
                Problem(
                    "row_missing",
                    "error",
                    f"section 三 row {row.code} ({row.label}) not found",
                    [f"s3/{row.code}/{c}" for c in template.APPLICANT_CODES],
                )
            )
            continue
        found.append((row, m))
        pos = m.end()
    if not found:
        return None
    s4 = S4_HEAD.search(compact, pos)
    s4_compact = s4.start() if s4 else None
    s4_text = _section_start(doc, s4_compact) if s4_compact is not None else len(doc.text)
    for i, (row, m) in enumerate(found):
        seg_start = _after(doc, m.end())
        seg_end = doc.to_text(found[i + 1][1].start()) if i + 1 < len(found) else s4_text
        text = trim_segment(doc.text[seg_start:seg_end])
        layout.rows.append(_row_text(doc, "s3", row.code, text, seg_start, [7], True))
    return s4_compact


def _find_row(key: str, compact: str, pos: int) -> re.Match[str] | None:
    """The row label after ``pos``.  A key's first alternative is its full, numbered
    form (``3.其他``, ``(七)总计``): taken when it is near, because the bare form
    (``其他``, ``总计``) is also a column header, repeated mid-table on a page break (P3)."""
    full = key.split("|")[0]
    if full != key and "(" not in full.replace(r"\(", ""):
        m = re.compile(full).search(compact, pos, pos + READER.s3_row_gap)
        if m is not None:
            return m
    return re.compile(key).search(compact, pos)


def _other_handling_aggregated(compact: str, start: int) -> bool:
    window = compact[start : start + READER.s3_other_window]
    end = window.find("结转下年度")
    window = window[:end] if end >= 0 else window
    return "其他处理" in window and "逾期不补正" not in window and "收费通知" not in window


def _read_s4(doc: DocText, start: int, layout: Layout) -> None:
    compact = doc.compact
    s5 = S5_HEAD.search(compact, start)
    end_compact = s5.start() if s5 else min(len(compact), start + READER.s4_window)
    headers = list(S4_LAST_HEADER.finditer(compact, start, end_compact))
    values_from = headers[-1].end() if headers else start
    seg_start = _after(doc, values_from)
    seg_end = _section_start(doc, end_compact) if end_compact < len(compact) else len(doc.text)
    raw = doc.text[seg_start:seg_end]
    row = _row_text(doc, "s4", "*", trim_segment(raw), seg_start, [5, 5, 5], True)
    # Untrimmed: trailing blank cells count here.
    if whole := _full_width_line(raw, seg_start, 15):
        # The one values row with a cell for each of the 15 columns: blanks
        # keep their places, even leading ones (P1 on 行政复议).
        row.candidates = [Candidate(whole, "cells")]
    layout.rows.append(row)


def _full_width_line(text: str, start: int, n: int) -> tuple[Token | None, ...] | None:
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text) if re.search(r"\d", m.group())]
    if len(lines) != 1 or "\t" not in lines[0][1]:
        return None
    offset, line = lines[0]
    fields = line.split("\t")
    while len(fields) > n and not fields[-1].strip():
        fields.pop()
    if len(fields) != n:
        return None
    cells: list[Token | None] = []
    for content in fields:
        cell = read_cells(content, start + offset)
        if len(cell) > 1 or (cell and cell[0] is None) or (not cell and re.search(r"\d", content)):
            return None
        cells.append(cell[0] if cell else None)
        offset += len(content) + 1
    return tuple(cells)


def _s2_row(
    doc: DocText,
    table: str,
    row: str,
    text: str,
    start: int,
    n: int,
    decimal: list[bool],
    signed: list[bool],
) -> RowText:
    """A section-二 row: no identity checks it, so a value is read only from a cell
    that holds exactly one number, or one that every reading of a run gives (``88-720``:
    88 | -7 | 20 or 88 | -72 | 0 or 88 | -720 | blank, so 88); any other text is unread,
    its readings listed."""
    limit = READER.max_candidates_listed
    where, raw = doc.where(start), " ".join(text.split())
    blank = RowText(table, row, [Candidate((None,) * n, "cells")], where, False, raw)
    if not re.search(r"\d", text):
        return blank  # printed with no values at all
    merged = merged_cell(text)
    if merged is not None:
        # The row's numbers share one cell (spanning the value columns): a run.
        text, start = merged[0], start + merged[1]
    if is_run(text):
        # Each word with a digit must be one number (label text glued before it allowed).
        numbers = [t for t in read_cells(text, start) if t is not None]
        if not unreadable_words(text) and len(numbers) == n:
            return RowText(table, row, [Candidate(tuple(numbers), "cells")], where, True, raw)
        pieces = run_pieces(text)
        code = "cell_count_mismatch" if len(pieces) > n else "ambiguous_values"
        readings = run_readings(text, signed) if not any(decimal) else None
        agreed = agreed_cells(readings or [])
        if agreed and all(v is not None for v in agreed):
            # Every reading of the run is the same (``000`` is 0 | 0 | 0): decided, no problem.
            first = re.search(r"\d", text)
            pos = start + (first.start() if first else 0)
            tokens = tuple(Token(v, raw, pos) for v in agreed)
            return RowText(table, row, [Candidate(tokens, "split")], where, True, raw)
        return RowText(
            table,
            row,
            [],
            where,
            True,
            raw,
            code,
            # The exhaustive readings where the run is one of integers, else those the pieces allow.
            readings[: limit + 1] if readings else listed_readings(text, n, decimal, limit + 1),
            agreed=agreed,
        )
    by_line = label_line_candidate(text, start, n)
    if by_line is not None:
        return RowText(table, row, [by_line], where, False, raw)
    numbers = [c for c in read_cells(text, start) if c is not None]
    if not unreadable_words(text) and len(numbers) == n:
        return RowText(table, row, [Candidate(tuple(numbers), "cells")], where, False, raw)
    # A cell holding two numbers where the row has room for them is a run no evidence splits
    # (`12 5` over three cells); otherwise a number is extra or missing.
    groups = [len(re.findall(r"\d+(?:[.,]\d+)*", f)) for f in re.split(r"[\t\n]", text)]
    ambiguous = max(groups, default=0) > 1 and sum(groups) <= n
    return RowText(
        table,
        row,
        [],
        where,
        False,
        raw,
        "ambiguous_values" if ambiguous else "cell_count_mismatch",
        listed_readings(text, n, decimal, limit + 1, split=False),
    )


def _row_text(
    doc: DocText,
    table: str,
    row: str,
    text: str,
    start: int,
    groups: list[int],
    balanced: bool,
    decimal: list[bool] | None = None,
) -> RowText:
    merged = merged_cell(text)
    if merged is not None:
        # The row's numbers share one cell (a cell spanning the value columns): its spaces
        # are padding inside the cell, not cell boundaries, so the row is a run.
        text, start = merged[0], start + merged[1]
    run = is_run(text)
    if run:
        candidates = run_candidates(text, start, groups, balanced, decimal or [])
    else:
        cells = read_cells(text, start)
        if unreadable_words(text):
            # A cell holds digits that are no number ("88-720", "1 036" split over a
            # tab): reading around it would shift its neighbours.
            raw = " ".join(text.split())
            return RowText(table, row, [Candidate((None,) * sum(groups), "none")], doc.where(start), run, raw)
        candidates = cell_candidates(cells, sum(groups))
        by_line = label_line_candidate(text, start, sum(groups))
        if by_line is not None and by_line.tokens != candidates[0].tokens:
            # Prefer the label line's own cells; the other readings stay for the identities.
            candidates = [by_line] + [replace(c, rank=c.rank + 1) for c in candidates]
        return RowText(table, row, candidates, doc.where(start), run, " ".join(text.split()), grid=by_line)
    return RowText(table, row, candidates, doc.where(start), run, " ".join(text.split()))
