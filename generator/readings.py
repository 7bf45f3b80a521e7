"""Every reading a run of numbers admits, and which cells all of them agree on.

Some phenomena print a row's numbers as one run of text instead of one number
per cell: ``行政规范性文件 12 5`` (a separator lost), ``88-720`` (a minus sign
inside the run), ``10 0 0 012`` (irregular space padding).  The key of such a
document must say which cells the document proves, and it must say so from
the generator's side, without the extractor's code.  The definition used:

* a space always separates two numbers; a run without spaces may hold several
  numbers (a lost separator), and a sign ``+``/``-`` always starts a number;
* a number is well formed: ``0`` or no leading zero, a sign only in the signed
  column, no negative count;
* a cell may be blank: a blank leaves no trace in a run, so the numbers of a
  run fill the row's cells in order with blanks anywhere;
* a reading is admitted when, with every provable blank filled
  (``xxgk.identities.propagate``), no hard identity breaks.

A cell is provable when every admitted reading gives it the same value; the
others are ``unread``.  Rows of section 二 have no identity, so a run with
fewer numbers than cells proves nothing there, which is the point of the
``12 5`` case.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence

from generator.model import Number
from xxgk import template
from xxgk.identities import is_valid_value, propagate, violations

_NUMBER = re.compile(r"[+-]?\d+")
# A run with more digits than this is not enumerated (the planner never writes one).
MAX_DIGITS = 16


def _pieces(token: str) -> list[str]:
    """A token cut before every sign: ``88-720`` → ``88``, ``-720``."""
    return [p for p in re.split(r"(?=[+-])", token) if p]


def _splits(piece: str) -> Iterator[list[str]]:
    """Every way to cut ``piece`` into numbers (a sign stays with the first one)."""
    sign = piece[0] if piece[0] in "+-" else ""
    digits = piece[len(sign) :]
    for k in range(len(digits)):
        for cuts in itertools.combinations(range(1, len(digits)), k):
            bounds = (0,) + cuts + (len(digits),)
            parts = [digits[a:b] for a, b in itertools.pairwise(bounds)]
            if all(p == "0" or not p.startswith("0") for p in parts):
                parts[0] = sign + parts[0]
                yield parts


def number_sequences(run: str) -> Iterator[list[str]]:
    """Every sequence of numbers the run's text can stand for."""
    pieces = [p for token in run.split() for p in _pieces(token)]
    for combo in itertools.product(*(list(_splits(p)) for p in pieces)):
        yield [n for part in combo for n in part]


def _well_formed(text: str, col: str) -> Number | None:
    if not _NUMBER.fullmatch(text):
        return None
    if text[0] in "+-" and (col not in template.SIGNED_COLUMNS or text[1:] == "0"):
        return None
    value = int(text)
    return value if is_valid_value(col, value) else None


def row_readings(run: str, cols: Sequence[str]) -> list[tuple[Number | None, ...]]:
    """The row's values (None: blank) in every placement of the run's numbers."""
    if sum(ch.isdigit() for ch in run) > MAX_DIGITS:
        raise ValueError(f"run {run!r} is too long to enumerate")
    out: set[tuple[Number | None, ...]] = set()
    for seq in number_sequences(run):
        if len(seq) > len(cols):
            continue
        for places in itertools.combinations(range(len(cols)), len(seq)):
            vals: list[Number | None] = [None] * len(cols)
            ok = True
            for text, at in zip(seq, places):
                v = _well_formed(text, cols[at])
                if v is None:
                    ok = False
                    break
                vals[at] = v
            if ok:
                out.add(tuple(vals))
    return sorted(out, key=lambda t: tuple((-1 if v is None else v) for v in t))


def agreed(
    shown: Mapping[str, Number | None], row_cells: Sequence[str], run: str, eqs: Sequence[template.Equation]
) -> tuple[dict[str, Number | None], int]:
    """The values every admitted reading agrees on, and how many readings were admitted.

    ``shown`` holds the document's other cells (None: blank); the row's cells are
    replaced by each reading in turn.  A cell the readings disagree on is None.
    """
    cols = [cid.split("/")[2] for cid in row_cells]
    admitted: list[dict[str, Number | None]] = []
    for reading in row_readings(run, cols):
        values = dict(shown)
        values.update(zip(row_cells, reading))
        filled = propagate(values, eqs)
        if violations(filled, eqs) == 0 and all(
            v is None or is_valid_value(cid.split("/")[2], v) for cid, v in filled.items()
        ):
            admitted.append(filled)
    if not admitted:
        return {cid: None for cid in shown}, 0
    first = admitted[0]
    return {cid: (v if all(a[cid] == v for a in admitted[1:]) else None) for cid, v in first.items()}, len(
        admitted
    )
