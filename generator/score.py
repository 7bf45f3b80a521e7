"""Compare an extracted record with an answer key.

Used by ``bench/accuracy`` and the format tests.  Numbers are compared as
decimals (1036 and 1036.0 agree; ``null`` matches only ``null``).

* A cell is **right** when the record holds the key's ``value`` (what the
  document proves; ``null`` where the key's basis is ``unread``).  A record cell
  the key does not list counts against accuracy too.
* A **silent error** is a cell the record publishes (a value with a basis other
  than ``unread``) that differs from the number the document stands for: the
  key's ``value``, or, where the key expects ``unread``, the generator's ``true``
  number.  There must be none.
* A **guess** is a published cell the key says the document does not prove
  (its value may happen to be right: a guess that balances is still a guess).
* A **lost** cell is one the record leaves unread (null) although the key says
  the document proves it.
* A **false alarm** is a document the key expects ``ok`` that comes out
  ``needs_review``; a **false ok** the reverse, the old document-level silent
  error (``ok`` although the key says the document must be flagged).

Keys of schema ``xxgk.key/1`` (the hand-made keys of real documents) have no
basis: a cell with a value is taken as ``printed``, a null one as ``unread``;
``partial`` keys list only the cells that were checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


def _cell_name(cell: dict[str, Any]) -> str:
    return "/".join(str(cell.get(k)) for k in ("table", "row", "col"))


def key_basis(cell: dict[str, Any]) -> str:
    if "basis" in cell:
        basis = cell["basis"]
        if not isinstance(basis, str):
            raise ValueError(f"answer key cell {_cell_name(cell)}: basis {basis!r} is not a string")
        return basis
    if cell.get("value") is None:
        return "unread"
    return "imputed" if cell.get("imputed") else "printed"


def record_basis(cell: dict[str, Any]) -> str:
    """The record's basis; records of schema 1 have none (a value then counts as printed)."""
    if cell.get("value") is None:
        return "unread"
    return cell.get("basis") or ("imputed" if cell.get("imputed") else "printed")


@dataclass
class DocScore:
    document: str
    n_expected: int = 0
    n_correct: int = 0
    wrong: list[tuple[str, Any, Any]] = field(default_factory=list)  # (cell, expected, got)
    extra: list[str] = field(default_factory=list)
    silent: list[tuple[str, Any, Any, str]] = field(default_factory=list)  # (cell, truth, got, basis)
    guesses: list[tuple[str, Any, Any]] = field(default_factory=list)  # (cell, truth, got)
    lost: list[tuple[str, Any]] = field(default_factory=list)  # (cell, provable value)
    bases: Counter = field(default_factory=Counter)  # (key basis, record basis)
    status_expected: str = ""
    status_got: str = ""
    problems_missing: list[str] = field(default_factory=list)
    meta_ok: dict[str, bool] = field(default_factory=dict)
    imputed_expected: bool = False
    imputed_got: bool = False

    @property
    def n_cells(self) -> int:
        """The denominator of cell accuracy: expected cells plus spurious ones."""
        return self.n_expected + len(self.extra)

    @property
    def cells_ok(self) -> bool:
        return not self.wrong and not self.extra

    @property
    def status_ok(self) -> bool:
        return self.status_expected == self.status_got

    @property
    def exact(self) -> bool:
        return (
            self.cells_ok
            and self.status_ok
            and not self.problems_missing
            and all(self.meta_ok.values())
            and self.imputed_expected == self.imputed_got
        )

    @property
    def false_ok(self) -> bool:
        """``ok`` with a wrong cell, or ``ok`` where the key says the document must be flagged."""
        return self.status_got == "ok" and (not self.cells_ok or self.status_expected != "ok")

    @property
    def silent_error(self) -> bool:
        """A published cell is wrong, or the document is ``ok`` where it must not be."""
        return bool(self.silent) or self.false_ok

    @property
    def false_alarm(self) -> bool:
        return self.status_expected == "ok" and self.status_got == "needs_review"

    def describe(self) -> str:
        parts = []
        if self.silent:
            shown = ", ".join(f"{c}: true {t!r} published {g!r} ({b})" for c, t, g, b in self.silent[:4])
            parts.append(f"{len(self.silent)} SILENT error(s) ({shown})")
        if self.wrong:
            shown = ", ".join(f"{c}: expected {e!r} got {g!r}" for c, e, g in self.wrong[:6])
            parts.append(f"{len(self.wrong)} wrong cell(s) ({shown}{', …' if len(self.wrong) > 6 else ''})")
        if self.extra:
            parts.append(f"{len(self.extra)} unexpected cell(s) ({', '.join(self.extra[:4])})")
        if self.guesses:
            parts.append(
                f"{len(self.guesses)} guess(es) published where the document proves nothing "
                f"({', '.join(c for c, _, _ in self.guesses[:4])})"
            )
        if not self.status_ok:
            parts.append(f"status expected {self.status_expected} got {self.status_got}")
        if self.problems_missing:
            parts.append(f"missing problem code(s) {', '.join(self.problems_missing)}")
        bad_meta = [k for k, ok in self.meta_ok.items() if not ok]
        if bad_meta:
            parts.append(f"wrong {', '.join(bad_meta)}")
        if self.imputed_expected != self.imputed_got:
            parts.append(f"imputed cells expected {self.imputed_expected} got {self.imputed_got}")
        return "; ".join(parts) or "exact"


def score(record: dict[str, Any], key: dict[str, Any]) -> DocScore:
    """``record`` is ``Report.to_dict()`` (or a line of ``xxgk extract``); ``key`` a loaded key."""
    s = DocScore(key["document"])
    got = {f"{c['table']}/{c['row']}/{c['col']}": c for c in record.get("cells", [])}
    expected = {f"{c['table']}/{c['row']}/{c['col']}": c for c in key.get("cells", [])}
    s.n_expected = len(expected)
    for cid, cell in expected.items():
        other = got.get(cid)
        kb = key_basis(cell)
        rb = "absent" if other is None else record_basis(other)
        s.bases[(kb, rb)] += 1
        value = None if other is None else other["value"]
        if other is not None and same_value(cell["value"], value):
            s.n_correct += 1
        else:
            s.wrong.append((cid, cell["value"], "absent" if other is None else value))
        truth = cell["value"] if cell["value"] is not None else cell.get("true")
        if rb not in ("unread", "absent") and value is not None:
            if truth is not None and not same_value(truth, value):
                s.silent.append((cid, truth, value, rb))
            elif cell["value"] is None:
                s.guesses.append((cid, truth, value))
        if cell["value"] is not None and value is None:
            s.lost.append((cid, cell["value"]))
    if not key.get("partial"):
        s.extra = sorted(cid for cid in got if cid not in expected)
    s.status_expected, s.status_got = key["status"], record.get("status", "")
    codes = {p["code"] for p in record.get("problems", [])}
    s.problems_missing = [c for c in key.get("problems", []) if c not in codes]
    for field_name in ("org_name", "year", "template"):
        if field_name in key and not (key.get("partial") and key[field_name] is None):
            s.meta_ok[field_name] = record.get(field_name) == key[field_name]
    s.imputed_expected = any(key_basis(c) == "imputed" for c in key.get("cells", []))
    s.imputed_got = any(c.get("imputed") for c in record.get("cells", []))
    if key.get("partial"):
        s.imputed_got = s.imputed_expected  # real documents: only the listed cells are checked
    return s
