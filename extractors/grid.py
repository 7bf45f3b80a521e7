"""Tables from positioned text: one grid builder for every source of text boxes.

The input is a page's text as boxes with a position (PDF characters now, OCR
words later) and the page's ruling lines.  The output is the page as lines in
reading order (top to bottom): a table row is one line, ``label<TAB>cell<TAB>…``
with an empty field for a blank cell, so the row reader finds each number in
its own place; other text is one line per visual line.

Where a table is ruled (inner vertical rules), its cells are the rectangles
between the rules, merged where a rule is missing (a merged cell).  Where it
is not (no rules, or an outer frame only), the value columns are the bands
where the numbers of its rows stand, and a row is a line with numbers plus the
label lines that wrap with it.  Characters of two cells never join: a word
ends at a rule, at a space, or at a gap.

Coordinates are page units with ``top`` growing downwards.
"""

from __future__ import annotations

import bisect
import math
import operator
import re
from dataclasses import dataclass, field

# A word ends where the gap to the next character is wider than this share of the text height.
WORD_GAP = 0.25
# Characters whose vertical centres differ by less than this share of the height share a line.
SAME_LINE = 0.4
# Lines of one wrapped cell are at most this many text heights apart (centre to centre);
# rows are further apart by the cell padding.
WRAP_PITCH = 1.45
# Value words of a row closer than this many text heights stand in one cell: the row's
# numbers printed as one run in a cell spanning the value columns (``10 0 0 012``), its
# spaces padding, not column gaps (columns are several heights apart).
RUN_GAP = 1.0
# Rules: thinner than this (page units) and at least this long.
RULE_THICKNESS = 2.5
RULE_MIN_LENGTH = 4.0
# Two rule coordinates closer than this are the same line.
SNAP = 2.0

# A page number ("- 3 -", "第 3 页 共 6 页", "3") is text, not a row of values.
PAGE_NUMBER = re.compile(r"[-—–]?\s*\d{1,3}\s*[-—–]?|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?")
# What an unruled table prints in a cell instead of a number.
FILLER = re.compile(r"[-—–/／\\*]{1,2}|无")
NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?")


class TextBox:
    """A character or a word where it is printed (a plain class: pages have thousands)."""

    __slots__ = ("text", "x0", "top", "x1", "bottom", "space_before", "page", "height", "cx", "cy")

    def __init__(
        self,
        text: str,
        x0: float,
        top: float,
        x1: float,
        bottom: float,
        space_before: bool = False,
        page: int = 1,
    ) -> None:
        self.text = text
        self.page = page
        self.x0, self.top, self.x1, self.bottom = x0, top, x1, bottom
        self.space_before = space_before  # a space character stood just before it
        self.height = max(bottom - top, 0.1)
        self.cx = (x0 + x1) / 2
        self.cy = (top + bottom) / 2

    def __repr__(self) -> str:
        return f"TextBox({self.text!r}, {self.x0:.1f}, {self.top:.1f}, {self.x1:.1f}, {self.bottom:.1f})"


@dataclass(frozen=True)
class Rule:
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def horizontal(self) -> bool:
        return self.x1 - self.x0 >= self.bottom - self.top


@dataclass
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    bbox: tuple[float, float, float, float]


@dataclass
class PageLine:
    """One line of a page's text; ``cells`` is set for a table row (fields in order)."""

    top: float
    text: str
    cells: list[str] | None = None
    bbox: tuple[float, float, float, float] | None = None


@dataclass
class _Line:
    words: list[TextBox] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(w.height for w in self.words)

    def text(self) -> str:
        return _join_words(self.words)


def is_number(text: str) -> bool:
    return bool(NUMBER.fullmatch(text))


# --- words and lines ------------------------------------------------------------------------

_by_cy = operator.attrgetter("cy")
_by_x0 = operator.attrgetter("x0")


def _visual_lines(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into lines by their vertical centre, each line left to right."""
    lines: list[list[TextBox]] = []
    centres: list[float] = []
    for box in sorted(boxes, key=_by_cy):
        if lines and abs(box.cy - centres[-1]) <= SAME_LINE * box.height:
            lines[-1].append(box)
            n = len(lines[-1])
            centres[-1] += (box.cy - centres[-1]) / n
        else:
            lines.append([box])
            centres.append(box.cy)
    return [sorted(line, key=_by_x0) for line in lines]


def words(chars: list[TextBox]) -> list[list[TextBox]]:
    """Characters into words, line by line.  A word ends at a space or at a gap."""
    out = []
    for line in _visual_lines(chars):
        current: list[TextBox] = [line[0]]
        line_words: list[TextBox] = []
        prev = line[0]
        for ch in line[1:]:
            h = ch.height if ch.height > prev.height else prev.height
            if ch.space_before or ch.x0 - prev.x1 > WORD_GAP * h:
                line_words.append(_merge(current) if len(current) > 1 else current[0])
                current = []
            current.append(ch)
            prev = ch
        line_words.append(_merge(current) if len(current) > 1 else current[0])
        out.append(line_words)
    return out


def _merge(chars: list[TextBox]) -> TextBox:
    first = chars[0]
    x0, top, x1, bottom = first.x0, first.top, first.x1, first.bottom
    for c in chars:
        if c.top < top:
            top = c.top
        if c.bottom > bottom:
            bottom = c.bottom
        if c.x1 > x1:
            x1 = c.x1
    # The characters of a word come left to right: the first one starts it.
    return TextBox(
        "".join(c.text for c in chars), min(x0, chars[-1].x0), top, x1, bottom, first.space_before, first.page
    )


def _join_words(ws: list[TextBox]) -> str:
    return " ".join(w.text for w in sorted(ws, key=lambda w: w.x0))


def _join_lines(parts: list[str]) -> str:
    """Lines of one cell: CJK wraps join directly, two numbers keep a space between them."""
    out = ""
    for part in parts:
        if out and (out[-1].isascii() and out[-1].isalnum() and part[:1].isascii() and part[:1].isalnum()):
            out += " "
        out += part
    return out


# --- ruled tables ---------------------------------------------------------------------------


@dataclass
class _Seg:
    pos: float  # y of a horizontal rule, x of a vertical one
    start: float
    end: float


def _segments(rules: list[Rule], horizontal: bool) -> list[_Seg]:
    raw = []
    for r in rules:
        if r.horizontal != horizontal:
            continue
        if horizontal:
            raw.append(_Seg((r.top + r.bottom) / 2, r.x0, r.x1))
        else:
            raw.append(_Seg((r.x0 + r.x1) / 2, r.top, r.bottom))
    # Rules along one line (positions within SNAP) merge where they overlap or touch.
    raw.sort(key=lambda s: s.pos)
    groups: list[list[_Seg]] = []
    for s in raw:
        if groups and s.pos - groups[-1][-1].pos <= SNAP:
            groups[-1].append(s)
        else:
            groups.append([s])
    merged: list[_Seg] = []
    for group in groups:
        pos = sum(s.pos for s in group) / len(group)
        run: _Seg | None = None
        for s in sorted(group, key=lambda s: s.start):
            if run is not None and s.start <= run.end + SNAP:
                run.end = max(run.end, s.end)
            else:
                run = _Seg(pos, s.start, s.end)
                merged.append(run)
    return merged


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _tables_from_rules(rules: list[Rule]) -> list[tuple[list[_Seg], list[_Seg]]]:
    """Groups of crossing rules; each group with inner vertical rules is a ruled table."""
    hs, vs = _segments(rules, True), _segments(rules, False)
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.start - SNAP <= v.pos <= h.end + SNAP and v.start - SNAP <= h.pos <= v.end + SNAP:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    out = []
    for g_hs, g_vs in groups.values():
        xs = _cluster([v.pos for v in g_vs], SNAP)
        ys = _cluster([h.pos for h in g_hs], SNAP)
        if len(xs) >= 3 and len(ys) >= 2:
            out.append((g_hs, g_vs))
    return out


def _coverage(segs: list[_Seg], edges: list[float], bands: list[float]) -> list[list[bool]]:
    """covered[i][j]: a rule along edge i runs across band j (between bands[j] and bands[j+1])."""
    out = []
    for pos in edges:
        near = [s for s in segs if abs(s.pos - pos) <= SNAP]
        out.append(
            [
                any(s.start - SNAP <= (a + b) / 2 <= s.end + SNAP for s in near)
                for a, b in zip(bands, bands[1:])
            ]
        )
    return out


def ruled_grid(chars: list[TextBox], hs: list[_Seg], vs: list[_Seg]) -> tuple[list[GridCell], list[TextBox]]:
    """The cells of one ruled table and the characters outside it."""
    xs = _cluster([v.pos for v in vs], SNAP)
    ys = _cluster([h.pos for h in hs], SNAP)
    nrows, ncols = len(ys) - 1, len(xs) - 1
    # Elementary cells join where the rule between them is missing (a merged cell).
    parent = list(range(nrows * ncols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    v_cover = _coverage(vs, xs, ys)  # v_cover[edge][row]
    h_cover = _coverage(hs, ys, xs)  # h_cover[edge][col]
    for r in range(nrows):
        for c in range(ncols):
            if c + 1 < ncols and not v_cover[c + 1][r]:
                parent[find(r * ncols + c + 1)] = find(r * ncols + c)
            if r + 1 < nrows and not h_cover[r + 1][c]:
                parent[find((r + 1) * ncols + c)] = find(r * ncols + c)
    inside: dict[int, list[TextBox]] = {}
    outside: list[TextBox] = []
    x_lo, x_hi, y_lo, y_hi = xs[0] - SNAP, xs[-1] + SNAP, ys[0] - SNAP, ys[-1] + SNAP
    for ch in chars:
        if not (x_lo <= ch.cx <= x_hi and y_lo <= ch.cy <= y_hi):
            outside.append(ch)
            continue
        c = min(max(bisect.bisect_right(xs, ch.cx) - 1, 0), ncols - 1)
        r = min(max(bisect.bisect_right(ys, ch.cy) - 1, 0), nrows - 1)
        inside.setdefault(find(r * ncols + c), []).append(ch)
    members: dict[int, list[int]] = {}
    for i in range(nrows * ncols):
        members.setdefault(find(i), []).append(i)
    cells = []
    for root, idx in members.items():
        rows = [i // ncols for i in idx]
        cols = [i % ncols for i in idx]
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        text = cell_text(inside.get(root, []))
        cells.append(
            GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, text, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        )
    cells.sort(key=lambda c: (c.row, c.col))
    return cells, outside


def _band(edges: list[float], v: float) -> int:
    for i in range(len(edges) - 1):
        if v < edges[i + 1]:
            return i
    return len(edges) - 2


def cell_text(chars: list[TextBox]) -> str:
    if not chars:
        return ""
    if len(chars) <= 24:
        # Most cells hold one short line (a number): no need to sort lines out.
        cy = chars[0].cy
        if all(abs(c.cy - cy) <= SAME_LINE * c.height for c in chars):
            line = sorted(chars, key=lambda c: c.x0)
            parts, prev = [line[0].text], line[0]
            for ch in line[1:]:
                if ch.space_before or ch.x0 - prev.x1 > WORD_GAP * max(ch.height, prev.height):
                    parts.append(" ")
                parts.append(ch.text)
                prev = ch
            return "".join(parts)
    return _join_lines([_join_words(line) for line in words(chars)])


def ruled_lines(cells: list[GridCell]) -> list[PageLine]:
    """A ruled table as lines: one per grid row, its cells that start there as fields.

    A label cell spanning several rows (三、本年度办理结果, （三）不予公开) is its own line
    before its first row, as the text stream has it; a column covered by a cell from a
    row above gives no field; an empty cell is an empty field in its place.
    """
    out: list[PageLine] = []
    by_row: dict[int, list[GridCell]] = {}
    for cell in cells:
        by_row.setdefault(cell.row, []).append(cell)
    for row in sorted(by_row):
        fields: list[str] = []
        spans: list[GridCell] = []
        for cell in sorted(by_row[row], key=lambda c: c.col):
            if cell.rowspan > 1 and not any(ch.isdigit() for ch in cell.text):
                spans.append(cell)
            else:
                fields.append(cell.text)
        top = min(c.bbox[1] for c in by_row[row])
        for cell in spans:
            if cell.text:
                out.append(PageLine(top - 0.01, cell.text, None, cell.bbox))
        if any(fields):
            bbox = (
                min(c.bbox[0] for c in by_row[row]),
                top,
                max(c.bbox[2] for c in by_row[row]),
                max(c.bbox[3] for c in by_row[row]),
            )
            out.append(PageLine(top, "\t".join(fields), fields, bbox))
    return out


# --- tables given as cells (HTML, DOCX) ------------------------------------------------------


@dataclass
class DomCell:
    """A table cell as a document model gives it: HTML ``colspan``/``rowspan``, DOCX
    ``gridSpan`` and ``vMerge`` (``continued``: covered by the cell above in its column)."""

    text: str
    colspan: int = 1
    rowspan: int = 1
    continued: bool = False


def dom_cells(rows: list[list[DomCell]]) -> list[GridCell]:
    """The grid cells of a table given row by row, as a ruled PDF table's are: each cell in
    its columns, a cell spanning rows covering its columns below (so the cells after it in
    those rows stand to its right).  The box of a cell is in grid units (column, row)."""
    covered: set[tuple[int, int]] = set()
    out: list[GridCell] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in covered:
                c += 1
            span = max(1, cell.colspan)
            above = next((g for g in out if cell.continued and g.col == c and g.row + g.rowspan == r), None)
            if above is not None:
                # A vertical merge goes on: the cell above grows by this row.
                above.rowspan += 1
                above.bbox = (above.bbox[0], above.bbox[1], above.bbox[2], float(r + 1))
            else:
                text = "" if cell.continued else cell.text
                down = max(1, cell.rowspan)
                out.append(
                    GridCell(r, c, down, span, text, (float(c), float(r), float(c + span), float(r + down)))
                )
                for k in range(1, down):
                    covered.update((r + k, c + j) for j in range(span))
            c += span
    out.sort(key=lambda g: (g.row, g.col))
    return out


def dom_lines(rows: list[list[DomCell]]) -> list[PageLine]:
    """A table given as cells, as lines (``ruled_lines``): ``line.top`` is its grid row
    (a label spanning rows, its own line before its first row, at that row less 0.01)."""
    return ruled_lines(dom_cells(rows))


def dom_row(line: PageLine) -> int:
    """The table row (0-based) a line of ``dom_lines`` comes from."""
    return max(0, math.ceil(line.top))


# --- unruled tables -------------------------------------------------------------------------


def _stacks(lines: list[list[TextBox]]) -> tuple[list[list[TextBox]], list[PageLine]]:
    """Text printed one character per line (a merged cell written vertically) as its own line."""
    singles = [
        (i, w) for i, line in enumerate(lines) for w in line if len(w.text) == 1 and not w.text.isdigit()
    ]
    used: set[int] = set()
    stacks: list[list[tuple[int, TextBox]]] = []
    for k, (i, w) in enumerate(singles):
        if id(w) in used:
            continue
        stack = [(i, w)]
        for j, v in singles[k + 1 :]:
            last = stack[-1][1]
            if (
                j > stack[-1][0]
                and abs(v.cx - last.cx) < 0.3 * w.height
                and v.top - last.bottom < 0.5 * w.height
            ):
                stack.append((j, v))
        if len(stack) >= 3:
            stacks.append(stack)
            used.update(id(v) for _, v in stack)
    kept = [[w for w in line if id(w) not in used] for line in lines]
    out = [PageLine(s[0][1].top, "".join(v.text for _, v in s)) for s in stacks]
    return [line for line in kept if line], out


def unruled_lines(lines: list[list[TextBox]]) -> list[PageLine]:
    """Lines of words (top to bottom) as table rows where numbers stand in columns."""
    lines, out = _stacks(lines)
    i, done = 0, 0  # lines[done:i] are text lines not yet written
    while i < len(lines):
        if not _has_values(lines[i]):
            i += 1
            continue
        # The first row's label may wrap above its values (a centred cell).
        start = i
        value_x0 = min(w.x0 for w in _values(lines[i]))
        height = max(w.height for w in lines[i])
        while (
            start > done
            and not any(w.x1 > value_x0 for w in lines[start - 1])
            and _cy(lines[start]) - _cy(lines[start - 1]) <= WRAP_PITCH * height
        ):
            start -= 1
        out.extend(PageLine(min(w.top for w in line), _join_words(line)) for line in lines[done:start])
        end = _block_end(lines, i)
        out.extend(_block_rows(lines[start:end]))
        i = done = end
    out.extend(PageLine(min(w.top for w in line), _join_words(line)) for line in lines[done:])
    return out


def _has_values(line: list[TextBox]) -> bool:
    return bool(_values(line)) and not PAGE_NUMBER.fullmatch(_join_words(line))


def _block_end(lines: list[list[TextBox]], start: int) -> int:
    """Where a block of rows with numbers ends: at a line with text over the value columns."""
    value_x0 = min(w.x0 for w in _values(lines[start]))
    last_values = start
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if _has_values(line):
            value_x0 = min([value_x0] + [w.x0 for w in _values(line)])
            last_values = i
        elif any(w.x1 > value_x0 for w in line) or _cy(line) - _cy(lines[i - 1]) > 3 * line[0].height:
            break
        i += 1
    end = last_values + 1
    # The last row's label may wrap below its values.
    height = max(w.height for w in lines[last_values])
    while (
        end < len(lines)
        and not any(w.x1 > value_x0 for w in lines[end])
        and _cy(lines[end]) - _cy(lines[end - 1]) <= WRAP_PITCH * height
    ):
        end += 1
    return end


def _values(line: list[TextBox]) -> list[TextBox]:
    """The numbers of a line that stand in value cells (not a label's leading number).

    In a table row everything after the first value is a value too (or a dash);
    a line of narrative goes on with words after its numbers ("共 17 件,均已…").
    """
    if all(is_number(w.text) for w in line):
        return line
    first = next((i for i, w in enumerate(line) if i > 0 and is_number(w.text)), None)
    if first is None or not all(is_number(w.text) or FILLER.fullmatch(w.text) for w in line[first:]):
        return []
    return [w for w in line[first:] if is_number(w.text)]


def _is_run_line(line: list[TextBox], value_x0: float) -> bool:
    """The line's value words stand closer together than cells do: one cell holds them."""
    vals = [w for w in line if w.cx >= value_x0]
    return len(vals) > 1 and any(
        b.x0 - a.x1 < RUN_GAP * max(a.height, b.height) for a, b in zip(vals, vals[1:])
    )


def _block_rows(lines: list[list[TextBox]]) -> list[PageLine]:
    value_x0 = min(w.x0 for line in lines for w in _values(line)) - 0.5
    height = max(w.height for line in lines for w in line)
    runs = {i for i, line in enumerate(lines) if _has_values(line) and _is_run_line(line, value_x0)}
    # The columns are where the numbers of rows printed cell by cell stand.
    centres = _cluster(
        [w.cx for i, line in enumerate(lines) if i not in runs for w in line if w.x0 >= value_x0]
        or [w.cx for line in lines for w in line if w.x0 >= value_x0],
        1.5 * height,
    )
    edges = [value_x0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [float("inf")]
    # Rows: each line with values, with the label lines that wrap with it: the nearest
    # such line, when no row padding lies between them.
    anchors = [i for i, line in enumerate(lines) if _has_values(line)]
    members: dict[int, list[int]] = {i: [i] for i in anchors}
    for i, line in enumerate(lines):
        if i in members:
            continue
        near = min(anchors, key=lambda a: abs(_cy(lines[a]) - _cy(line)))
        if abs(_cy(lines[near]) - _cy(line)) <= WRAP_PITCH * height:
            members[near].append(i)
        else:
            members[i] = [i]
    out = []
    labelled = any(w.cx < value_x0 for line in lines for w in line)
    # The row labels' left edge: where most lines with values start their label.
    # (the label word nearest the values; on a tie the inner column).
    starts = [
        round(max((w for w in line if w.cx < value_x0), key=lambda w: w.x0).x0)
        for line in lines
        if _has_values(line) and line[0].cx < value_x0
    ]
    label_x0 = max(set(starts), key=lambda x: (starts.count(x), x)) if starts else value_x0
    for key in sorted(members, key=lambda k: min(members[k])):
        row = [lines[i] for i in sorted(members[key])]
        group_parts: list[str] = []
        label_parts: list[str] = []
        cols: list[list[TextBox]] = [[] for _ in centres]
        run_row = any(i in runs for i in members[key])
        for line in row:
            group = [w for w in line if w.cx < value_x0 and w.x0 < label_x0 - SNAP]
            label = [w for w in line if w.cx < value_x0 and w.x0 >= label_x0 - SNAP]
            if group:
                group_parts.append(_join_words(group))
            if label:
                label_parts.append(_join_words(label))
            for w in line:
                if w.cx >= value_x0:
                    cols[min(max(_band(edges, w.cx), 0), len(centres) - 1)].append(w)
        # A group label (（六）其他处理) left of the row labels reads before them, as printed.
        label_text = " ".join(t for t in (_join_lines(group_parts), _join_lines(label_parts)) if t)
        top = min(w.top for line in row for w in line)
        if any(cols):
            # A block with no label column (section 四's one row of values) has no label field.
            fields = [label_text] * labelled + [_join_words(c) for c in cols]
            if run_row:
                # One run in one cell: one field, whatever columns its words fall in.
                fields = [label_text] * labelled + [_join_words([w for c in cols for w in c])]
            out.append(PageLine(top, "\t".join(fields), fields))
        else:
            out.append(PageLine(top, label_text))
    return out


def _cy(line: list[TextBox]) -> float:
    return (min(w.top for w in line) + max(w.bottom for w in line)) / 2


# --- pages ---------------------------------------------------------------------------------


def _words_of(line: PageLine) -> set[str]:
    return set(line.text.split())


def drop_repeated_headers(pages: list[list[PageLine]]) -> list[list[PageLine]]:
    """A table continued on the next page repeats its header: drop the repeat.

    The header is what stands just above the table's first row on the page
    where the table starts; on the next page, the lines above the first row
    whose words all belong to that header go (a row label never does: it is
    not in the header).
    """
    out = [pages[0]] if pages else []
    header: set[str] = _header_words(pages[0]) if pages else set()
    for page in pages[1:]:
        first = next((i for i, line in enumerate(page) if _is_row(line)), None)
        kept = page
        if header and first is not None and _ends_in_table(out[-1]):
            kept = [
                line
                for i, line in enumerate(page)
                if i >= first or not line.text.strip() or not _words_of(line) <= header
            ]
        out.append(kept)
        header = _header_words(page) or header
    return out


def _is_row(line: PageLine) -> bool:
    return line.cells is not None and any(is_number(f.strip()) for f in line.cells)


def _ends_in_table(page: list[PageLine]) -> bool:
    tail = [line for line in page if line.text.strip() and not PAGE_NUMBER.fullmatch(line.text.strip())]
    return any(_is_row(line) for line in tail[-3:])


def _header_words(page: list[PageLine], depth: int = 8) -> set[str]:
    """Words of the lines above the first row of the page's last table."""
    rows = [i for i, line in enumerate(page) if _is_row(line)]
    if not rows:
        return set()
    start = rows[-1]
    for i in reversed(rows[:-1]):
        if start - i > 4:
            break
        start = i
    words_: set[str] = set()
    for line in page[max(0, start - depth) : start]:
        if not _is_row(line):
            words_ |= _words_of(line)
    return words_


# --- a page ---------------------------------------------------------------------------------


def page_lines(chars: list[TextBox], rules: list[Rule]) -> list[PageLine]:
    """A page's text as lines top to bottom, tables row by row."""
    out: list[PageLine] = []
    if not chars:
        return out
    rest = chars
    for hs, vs in _tables_from_rules(rules):
        cells, rest = ruled_grid(rest, hs, vs)
        out.extend(ruled_lines(cells))
    out.extend(unruled_lines(words(rest)))
    out.sort(key=lambda line: line.top)
    return out


def read_pages(boxes: list[TextBox], rules: dict[int, list[Rule]] | None = None) -> list[list[PageLine]]:
    """A document's boxes (each with its page, 1-based) as lines, page by page, with the
    headers that tables repeat after a page break dropped.  For any source of boxes: PDF
    characters, OCR words."""
    by_page: dict[int, list[TextBox]] = {}
    for box in boxes:
        by_page.setdefault(box.page, []).append(box)
    last = max(list(by_page) + list(rules or {}), default=0)
    return drop_repeated_headers(
        [page_lines(by_page.get(p, []), (rules or {}).get(p, [])) for p in range(1, last + 1)]
    )
