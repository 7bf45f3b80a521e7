"""Compare an extracted record with an answer key.

Used by ``bench/accuracy`` and the format tests.  A cell is right when the
record has it with the key's value (numbers compared as decimals, so 1036 and
1036.0 agree; a ``null`` matches only ``null``).  A record cell the key does
not list is an error too.  A *silent error* is a record marked ``ok`` that has
a wrong cell or whose key says the document must be flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


@dataclass
class DocScore:
    document: str
    n_expected: int = 0
    n_correct: int = 0
    wrong: list[tuple[str, Any, Any]] = field(default_factory=list)   # (cell, expected, got)
    extra: list[str] = field(default_factory=list)
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
        return (self.cells_ok and self.status_ok and not self.problems_missing
                and all(self.meta_ok.values()) and self.imputed_expected == self.imputed_got)

    @property
    def silent_error(self) -> bool:
        return self.status_got == "ok" and (not self.cells_ok or self.status_expected != "ok")

    def describe(self) -> str:
        parts = []
        if self.wrong:
            shown = ", ".join(f"{c}: expected {e!r} got {g!r}" for c, e, g in self.wrong[:6])
            parts.append(f"{len(self.wrong)} wrong cell(s) ({shown}{', …' if len(self.wrong) > 6 else ''})")
        if self.extra:
            parts.append(f"{len(self.extra)} unexpected cell(s) ({', '.join(self.extra[:4])})")
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
        if other is None:
            s.wrong.append((cid, cell["value"], "absent"))
        elif same_value(cell["value"], other["value"]):
            s.n_correct += 1
        else:
            s.wrong.append((cid, cell["value"], other["value"]))
    if not key.get("partial"):
        s.extra = sorted(cid for cid in got if cid not in expected)
    s.status_expected, s.status_got = key["status"], record.get("status", "")
    codes = {p["code"] for p in record.get("problems", [])}
    s.problems_missing = [c for c in key.get("problems", []) if c not in codes]
    for field_name in ("org_name", "year", "template"):
        if field_name in key and not (key.get("partial") and key[field_name] is None):
            s.meta_ok[field_name] = record.get(field_name) == key[field_name]
    s.imputed_expected = any(c.get("imputed") for c in key.get("cells", []))
    s.imputed_got = any(c.get("imputed") for c in record.get("cells", []))
    if key.get("partial"):
        s.imputed_got = s.imputed_expected   # real documents: only the listed cells are checked
    return s
