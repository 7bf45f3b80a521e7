"""Read the values of one table row from the text that follows its label.

A row's text comes in one of two shapes:

* **cells**: values separated by tabs or line breaks, blanks kept where a tab
  marks an empty cell (seeds 000–004, PDF text);
* **runs**: values run together (`801000081` is 80,1,0,0,0,0,81 in the 平潭
  pages).  Only the table's structure and its balancing identities can split
  those.  A space or a dash between digits is never inside a number, so a
  reading must cut there (``12 5`` is not 1/2/5 wherever the third cell went);
  but not every cut is marked (``10 0 0 012`` is 1,0,0,0,0,1,2).

Both produce *candidates*: every reading of the row that the text allows.
The solver (``extractors.solve``) picks the one the identities support.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import combinations
from math import comb

from xxgk.settings import READER

Number = int | Decimal

_NUM = r"(?:增加|减少)?[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|元|件|项|个)?"
NUMERIC_CELL = re.compile(rf"^{_NUM}$")
TRAILING_NUMBER = re.compile(rf"(?<![\d.]){_NUM}$")
_DIGITS = re.compile(r"[\d.]+")
# The start of the next row's label sticks to the end of a row's text: its
# ordinal ("2." of "2.其他法律…", glued to the values in run layouts) and
# group headings like "(三)不予公开" or "三、本年度办理结果".
_TRAILING_LABEL = re.compile(r"(?:[1-9]\s*[.、][^\d\s]*|[^\d\s]+)$")
MAX_DIGITS = READER.max_digits
# A dash between digits (``88-720``): a cell boundary, never part of a number.
_INNER_DASH = re.compile(r"(?<=\d)[-—–]+(?=\d)")


@dataclass(frozen=True)
class Token:
    value: Number | None
    raw: str
    pos: int  # offset in the document text
    unit: str | None = None


@dataclass(frozen=True)
class Candidate:
    tokens: tuple[Token | None, ...]
    # How the reading was made: "cells" (one number alone in each cell),
    # "window" (a number too many dropped), "inserted" (a missing one placed),
    # "split" (a digit run cut into cells)
    how: str
    rank: int = 0  # lower is more natural when the identities cannot decide


def parse_number(raw: str) -> tuple[Number | None, str | None]:
    """``"1,036"`` → 1036, ``"增加3"`` → 3, ``"减少2"`` → -2, ``"24.5万元"`` → (Decimal, "万元")."""
    text = raw.strip()
    unit = None
    for suffix in ("万元", "元", "件", "项", "个"):
        if text.endswith(suffix):
            text, unit = text[: -len(suffix)], suffix
            break
    sign = 1
    if text.startswith("增加"):
        text = text[2:]
    elif text.startswith("减少"):
        text, sign = text[2:], -1
    text = text.replace(",", "")
    try:
        value: Number = Decimal(text) if "." in text else int(text)
    except (ValueError, InvalidOperation):
        return None, None
    return sign * value, unit


def trim_segment(text: str) -> str:
    """Drop the start of the next row's label (text and ordinal) from a row's text."""
    while True:
        text = text.rstrip()
        match = _TRAILING_LABEL.search(text)
        if not match:
            return text
        text = text[: match.start()]


def _token(raw: str, pos: int) -> Token:
    value, unit = parse_number(raw)
    return Token(value, raw, pos, unit)


_DIGIT_WORD = re.compile(r"^[\d.,+\-—–]*\d[\d.,+\-—–]*$")


def unreadable_words(text: str) -> list[str]:
    """Words made of digits that are no number (``88-720``, ``1.0.3``): a cell whose
    text cannot be read, never a blank.  Label text with digits (``1.本机关…``) is not one."""
    return [w for w in text.split() if _DIGIT_WORD.match(w) and not NUMERIC_CELL.match(w)]


def is_run(text: str) -> bool:
    """True when values are not separated by tabs or line breaks."""
    lines_with_numbers = [line for line in text.split("\n") if re.search(r"\d", line)]
    return "\t" not in text and len(lines_with_numbers) <= 1


_WORD = re.compile(r"(?:增加|减少)\s+(?=[+-]?\d)\S+|\S+")


def read_cells(text: str, start: int) -> list[Token | None]:
    """Cells after a label: numbers and blanks (``None``) in reading order."""
    cells: list[Token | None] = []
    offset = start
    for i, line in enumerate(text.split("\n")):
        line_offset = offset
        offset += len(line) + 1
        if i > 0:
            # A tab at the start of a line opens its first cell (seed 001); it separates nothing.
            stripped = line.lstrip("\t")
            line_offset += len(line) - len(stripped)
            line = stripped
        fields = line.split("\t") if "\t" in line else [line]
        field_offset = line_offset
        for field in fields:
            here = field_offset
            field_offset += len(field) + 1
            content = field.strip()
            if not content:
                if "\t" in line:
                    cells.append(None)
                continue
            for m in _WORD.finditer(field):
                # 增加/减少 set apart from their number (``减少 12``) still sign it.
                word = re.sub(r"\s+", "", m.group())
                if NUMERIC_CELL.match(word):
                    cells.append(_token(word, here + m.start()))
                else:
                    # A value glued to the end of label text ("数量0").
                    # Only after label text: "88-720" is two numbers, not 720.
                    tail = TRAILING_NUMBER.search(word)
                    if tail and tail.start() > 0 and not re.search(r"\d", word[: tail.start()]):
                        cells.append(_token(tail.group(), here + m.start() + tail.start()))
    return cells


def cell_candidates(cells: Sequence[Token | None], n: int) -> list[Candidate]:
    """Readings of a tab/line layout: exact, extra cells (P4), missing cells (P5), blanks (P1)."""
    numbers = [c for c in cells if c is not None]
    k = len(numbers)
    if k == 0:
        return [Candidate((None,) * n, "cells")]
    first = next(i for i, c in enumerate(cells) if c is not None)
    positional = tuple(cells[first : first + n])
    positional += (None,) * (n - len(positional))
    out: list[Candidate] = []
    if k == n:
        out.append(Candidate(tuple(numbers), "cells"))
    elif k > n:
        # One cell too many: the extra one may be anywhere; try dropping any (k-n).
        if k - n <= READER.max_cells_off:
            for drop in combinations(range(k), k - n):
                kept = tuple(t for i, t in enumerate(numbers) if i not in drop)
                rank = 0 if drop == tuple(range(k - n)) else 1
                out.append(Candidate(kept, "window", rank))
        else:
            # Which of the numbers are the row's is anyone's guess: no reading.
            out.append(Candidate((None,) * n, "none"))
    else:
        # Tabs that mark the blanks place the numbers; without them the
        # positional reading is one placement among others.
        tab_backed = len(cells) - first >= n
        has_positional = tab_backed or n - k <= READER.max_cells_off
        if has_positional:
            out.append(Candidate(positional, "cells"))
        if n - k <= READER.max_cells_off or (not tab_backed and comb(n, n - k) <= READER.max_placements):
            for gaps in combinations(range(n), n - k):
                it = iter(numbers)
                vec = tuple(None if i in gaps else next(it) for i in range(n))
                if not has_positional or vec != positional:
                    out.append(Candidate(vec, "inserted", 1))
        if not out:
            out.append(Candidate((None,) * n, "none"))
    return out


def label_line_candidate(text: str, start: int, n: int) -> Candidate | None:
    """The row read as the last ``n`` cells of its label's line.

    In a tab layout the value cells end the label's line, so when the line is
    at least ``n`` cells wide its last ``n`` cells are the values, blanks
    included, wherever they are (a blank first cell: P1 on 自然人).
    """
    first, _, rest = text.partition("\n")
    if "\t" not in first or re.search(r"\d", rest):
        return None
    fields = first.split("\t")[1:]  # the first field is the rest of the label
    while fields and not fields[-1].strip():
        fields.pop()
    if len(fields) < n or any(re.search(r"\d", f) for f in fields[:-n]):
        return None
    offset = start + len(first) - len("\t".join(fields[-n:]))
    tokens: list[Token | None] = []
    for field in fields[-n:]:
        cell = read_cells(field, offset)
        if len(cell) > 1 or (not cell and re.search(r"\d", field)):
            return None  # two numbers in a cell, or digits that are no number
        tokens.append(cell[0] if cell else None)
        offset += len(field) + 1
    return Candidate(tuple(tokens), "cells")


def run_pieces(text: str) -> list[str]:
    """The digit strings of a run between marked cuts (spaces, dashes, any other
    character): a number never spans a cut.  Thousands separators are dropped."""
    return [p for p in (c.replace(",", "") for c in re.findall(r"[\d.,]+", text)) if re.search(r"\d", p)]


def _respects(parts: Sequence[str], cuts: frozenset[int]) -> bool:
    offsets, at = set(), 0
    for part in parts:
        at += len(part)
        offsets.add(at)
    return cuts <= offsets


def run_candidates(
    text: str, start: int, groups: Sequence[int], balanced: bool, decimal_parts: Sequence[bool] = ()
) -> list[Candidate]:
    """Readings of values run together.

    ``groups`` are the sizes of consecutive groups of values; when ``balanced``,
    the last value of each group is the sum of the others (H2, H4–H6), which is
    what makes a split possible at all.  A run with digits that no reading fits
    gives one candidate of ``how == "none"``: unreadable, not blank.
    """
    n = sum(groups)
    words = [(m.group(), m.start()) for m in re.finditer(r"\S+", text) if re.search(r"\d", m.group())]
    out: list[Candidate] = []
    if len(words) == n and all(NUMERIC_CELL.match(w) for w, _ in words):
        out.append(Candidate(tuple(_token(w, start + p) for w, p in words), "cells"))
    pieces = run_pieces(text)
    digits = "".join(pieces)
    if not digits:
        return out or [Candidate((None,) * n, "cells")]  # printed blank: no number at all
    if len(digits) > READER.max_run_digits:
        return out or [Candidate((None,) * n, "none")]
    cuts, at = set(), 0
    for piece in pieces[:-1]:
        at += len(piece)
        cuts.add(at)
    first = re.search(r"\d", text)
    pos = start + (first.start() if first else 0)
    raw = text.strip()
    seen = {tuple(t.value if t else None for t in c.tokens) for c in out}
    for parts in _split(digits, list(groups), balanced, list(decimal_parts) or [False] * n):
        if not _respects(parts, frozenset(cuts)):
            continue
        vec = tuple(Token(parse_number(p)[0], raw, pos) for p in parts)
        key = tuple(t.value for t in vec)
        if key not in seen:
            seen.add(key)
            out.append(Candidate(vec, "split", 2))
    dec = list(decimal_parts) or [False] * n
    if not out and len(pieces) < n and comb(n, n - len(pieces)) <= READER.max_placements:
        # No reading fills every cell: a blank cell leaves no trace in a run (P1 in a
        # PDF without inner rules), so the pieces are kept whole, a blank in each
        # possible place, and the identities choose.
        for places in combinations(range(n), len(pieces)):
            if not all(_valid_part(p, dec[i]) for p, i in zip(pieces, places)):
                continue
            it = iter(pieces)
            vec2 = tuple(
                Token(parse_number(next(it))[0], raw, pos) if i in places else None for i in range(n)
            )
            key = tuple(t.value if t else None for t in vec2)
            if key not in seen:
                seen.add(key)
                out.append(Candidate(vec2, "inserted", 3))
    return out or [Candidate((None,) * n, "none")]


def listed_readings(
    text: str, n: int, decimal: Sequence[bool], limit: int, split: bool = True
) -> list[tuple[Number | None, ...]]:
    """Every reading of a row that no identity checks, for a problem to list:
    the run cut into ``n`` numbers, or its pieces kept whole with blanks placed
    (too few) or with some dropped (too many).  At most ``limit``."""
    pieces = run_pieces(text)
    out: dict[tuple[Number | None, ...], None] = {}

    def add(vec: tuple[Number | None, ...]) -> bool:
        out.setdefault(vec)
        return len(out) >= limit

    digits = "".join(pieces)
    if split and digits and len(digits) <= READER.max_run_digits:
        cuts, at = set(), 0
        for piece in pieces[:-1]:
            at += len(piece)
            cuts.add(at)
        for parts in _split(digits, [n], False, list(decimal) or [False] * n):
            if _respects(parts, frozenset(cuts)) and add(tuple(parse_number(p)[0] for p in parts)):
                return list(out)
    values = [parse_number(p)[0] for p in pieces]
    if len(pieces) < n:
        for places in combinations(range(n), len(pieces)):
            it = iter(values)
            if add(tuple(next(it) if i in places else None for i in range(n))):
                return list(out)
    elif len(pieces) > n:
        for keep in combinations(range(len(pieces)), n):
            if add(tuple(values[i] for i in keep)):
                return list(out)
    else:
        add(tuple(values))
    return list(out)


def _valid_part(part: str, decimal: bool) -> bool:
    if not part or len(part) > MAX_DIGITS:
        return False
    if "." in part:
        if not decimal or part.count(".") > 1 or part[0] == "." or part[-1] == ".":
            return False
        whole = part.split(".")[0]
        return whole == "0" or not whole.startswith("0")
    return part == "0" or not part.startswith("0")


def _split(s: str, groups: list[int], balanced: bool, decimal: list[bool]) -> Iterator[list[str]]:
    if not groups:
        if not s:
            yield []
        return
    size, rest = groups[0], groups[1:]
    dec, dec_rest = decimal[:size], decimal[size:]
    if not rest and balanced and size > 1:
        yield from _split_last_balanced(s, size)
        return
    for head, tail in _split_group(s, size, balanced, dec):
        for more in _split(tail, rest, balanced, dec_rest):
            yield head + more


def _split_group(s: str, size: int, balanced: bool, decimal: list[bool]) -> Iterator[tuple[list[str], str]]:
    """Split a prefix of ``s`` into ``size`` parts; yield (parts, remaining string)."""

    def parts_from(i: int, k: int, budget: int | None) -> Iterator[tuple[list[str], int]]:
        if k == 0:
            yield [], i
            return
        for j in range(i + 1, min(len(s), i + MAX_DIGITS) + 1):
            part = s[i:j]
            if not _valid_part(part, decimal[size - k] if decimal else False):
                continue
            if budget is not None:
                value = int(part)
                if value > budget:
                    break
                for more, end in parts_from(j, k - 1, budget - value):
                    yield [part] + more, end
            else:
                for more, end in parts_from(j, k - 1, None):
                    yield [part] + more, end

    if not balanced or size < 2:
        for parts, end in parts_from(0, size, None):
            yield parts, s[end:]
        return
    # Balanced: the group's last part is the sum of the others.  Try each total
    # position: the addends come first, then the total.
    for addends, end in _addends(s, size - 1):
        for j in range(end + 1, min(len(s), end + MAX_DIGITS) + 1):
            total = s[end:j]
            if not _valid_part(total, False):
                continue
            if int(total) == sum(int(a) for a in addends):
                yield addends + [total], s[j:]


def _split_last_balanced(s: str, size: int) -> Iterator[list[str]]:
    """The whole of ``s`` is one balanced group: its total is a suffix, the
    addends (each at most the total) split the rest exactly."""
    for t in range(1, min(len(s) - size + 1, MAX_DIGITS) + 1):
        total = s[-t:]
        if not _valid_part(total, False):
            continue
        for addends in _exact_addends(s[:-t], t, 0, size - 1, int(total)):
            yield addends + [total]


def _exact_addends(head: str, width: int, i: int, k: int, budget: int) -> Iterator[list[str]]:
    """``k`` parts of at most ``width`` digits that split ``head[i:]`` exactly and sum to ``budget``."""
    if k == 0:
        if i == len(head) and budget == 0:
            yield []
        return
    for j in range(i + 1, min(len(head), i + width) + 1):
        part = head[i:j]
        if not _valid_part(part, False) or int(part) > budget:
            continue
        for more in _exact_addends(head, width, j, k - 1, budget - int(part)):
            yield [part] + more


def _addends(s: str, k: int) -> Iterator[tuple[list[str], int]]:
    def rec(i: int, k: int) -> Iterator[tuple[list[str], int]]:
        if k == 0:
            yield [], i
            return
        for j in range(i + 1, min(len(s), i + MAX_DIGITS) + 1):
            part = s[i:j]
            if not _valid_part(part, False):
                continue
            for more, end in rec(j, k - 1):
                yield [part] + more, end

    yield from rec(0, k)


def merged_cell(text: str) -> tuple[str, int] | None:
    """The one cell that holds every number of a row, when the row's cells are tab fields.

    A row printed as one run in a cell spanning the value columns (``10 0 0 012``,
    ``88-720``) comes from a grid (a ruled PDF's merged cell, an HTML colspan, a DOCX
    gridSpan, or the words of an unruled row that stand closer than its columns) as one
    field: its spaces are padding inside that cell, not cell boundaries, so it reads as a
    run.  Returns the field and its offset in ``text``; None when the numbers are in their
    own cells (or there are no tab fields).
    """
    offset = 0
    found: tuple[str, int] | None = None
    for line in text.split("\n"):
        if re.search(r"\d", line):
            if found is not None or "\t" not in line:
                return None
            at = offset
            for cell in line.split("\t"):
                if re.search(r"\d", cell):
                    if found is not None:
                        return None
                    found = (cell, at)
                at += len(cell) + 1
        offset += len(line) + 1
    if (
        found is None
        or len([w for w in found[0].split() if re.search(r"\d", w)]) < 2
        and not (unreadable_words(found[0]))
    ):
        return None
    return found


_SIGNED_NUMBER = re.compile(r"[+-]?\d+")


def run_readings(text: str, signed: Sequence[bool]) -> list[tuple[Number | None, ...]] | None:
    """Every reading of an integer run over cells that no identity checks, exhaustively.

    The run's numbers fill the cells in order with blanks anywhere (a blank leaves no
    trace in a run); a space or a dash between digits always ends a number, a sign
    ``+``/``-`` always starts one (and is allowed only in a signed column: 本年增/减),
    a number has no leading zero and a count is never negative.  None when the text is
    no integer run (decimals, other characters) or too long to enumerate.
    """
    pieces: list[str] = []
    words = text.split()
    # The rest of a label the row's key did not cover (``事项 52-937``) stands before the run.
    while words and not re.search(r"\d", words[0]):
        words.pop(0)
    for word in words:
        for part in re.split(r"[—–]+", word):
            pieces.extend(p for p in re.split(r"(?=[+-])", part) if p)
    if not pieces or not all(_SIGNED_NUMBER.fullmatch(p) for p in pieces):
        return None
    if sum(len(p.lstrip("+-")) for p in pieces) > READER.max_run_digits:
        return None
    n = len(signed)

    def splits(piece: str) -> list[list[str]]:
        sign = piece[0] if piece[0] in "+-" else ""
        digits = piece[len(sign) :]
        out = []
        for k in range(min(len(digits), n)):
            for cuts in combinations(range(1, len(digits)), k):
                bounds = (0, *cuts, len(digits))
                parts = [digits[a:b] for a, b in zip(bounds, bounds[1:])]
                if all(p == "0" or not p.startswith("0") for p in parts):
                    parts[0] = sign + parts[0]
                    out.append(parts)
        return out

    readings: set[tuple[Number | None, ...]] = set()

    def place(seq: list[str]) -> None:
        for places in combinations(range(n), len(seq)):
            if all(part[0] not in "+-" or (signed[at] and part[1:] != "0") for part, at in zip(seq, places)):
                vals: list[Number | None] = [None] * n
                for part, at in zip(seq, places):
                    vals[at] = int(part)
                readings.add(tuple(vals))

    def walk(i: int, seq: list[str]) -> None:
        if len(seq) > n:
            return
        if i == len(pieces):
            place(seq)
            return
        for parts in splits(pieces[i]):
            walk(i + 1, seq + parts)

    walk(0, [])
    # Every cell filled first, then by where the numbers stand (blanks last first), as listed.
    return sorted(
        readings,
        key=lambda t: (
            t.count(None),
            tuple(i for i, v in enumerate(t) if v is not None),
            tuple(v for v in t if v is not None),
        ),
    )


def agreed_cells(readings: Sequence[tuple[Number | None, ...]]) -> list[Number | None]:
    """Per cell, the value every reading gives it (None: they differ, or all leave it blank)."""
    if not readings:
        return []
    first = readings[0]
    return [
        v if v is not None and all(r[i] == v for r in readings[1:]) else None for i, v in enumerate(first)
    ]
