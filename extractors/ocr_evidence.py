"""Which OCR readings publish: the ones the identities prove, with every digit sure.

OCR can misread a digit (a 9 as a 6) and a misread digit is a plausible number, so a
reading alone is no evidence.  A section-三 or -四 value read by OCR publishes (basis
``ocr``) only when every hard identity it takes part in holds and at least one of them
has all its terms read: a wrong digit would have to be balanced by another wrong digit in
every equation it stands in.  Section 二 has no equation within one report (S3 is an
inequality), so no check supports its OCR numbers: each is flagged.  A word the engine is
less sure of than ``ocr_min_confidence`` is flagged whatever the identities say.

A flagged cell is ``unread`` (value null), its OCR reading kept in ``where.ocr_raw`` and
as the one candidate of the problem that flags it (``ocr_unproven``,
``ocr_low_confidence``), so a reviewer can confirm it with a correction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from extractors.scan import ScanReading
from xxgk import template
from xxgk.identities import Number, present_terms, sides
from xxgk.record import Cell, Problem, Report, Value
from xxgk.settings import READER

_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def proven(values: Mapping[str, Number | None], version: template.Version) -> set[str]:
    """Cells that a hard identity with every term known checks, and that no identity breaks."""
    present_rows = {cid.split("/")[1] for cid in values if cid.startswith("s3/")}
    checked: set[str] = set()
    broken: set[str] = set()
    for eq in template.equations(version, present_rows):
        terms = present_terms(eq, values)
        both = sides(eq, values)
        if terms is None or both is None:
            continue
        cells = set(terms[0] + terms[1])
        if both[0] == both[1]:
            checked |= cells
        else:
            broken |= cells
    return checked - broken


def cell_confidence(cell: Cell, reading: ScanReading, lines: Mapping[tuple[int, int], str]) -> float | None:
    """The engine's confidence of the field the cell's value was read from (the lowest of the
    row's fields that print the same number when several do); 0 when no field of its row
    prints the number as read (the reading cannot be traced to a word: it is not sure)."""
    key = _key(cell.where, reading.unit)
    raw = str(cell.where.get("raw") or "")
    scores = reading.field_scores.get(key)
    text = lines.get(key)
    if not raw or scores is None or text is None:
        return None
    fields = text.split("\t")
    wanted = re.sub(r"\s", "", raw)
    found = [
        s
        for f, s in zip(fields, scores)
        if s is not None and wanted in (m.group() for m in _NUMBER.finditer(re.sub(r"\s", "", f)))
    ]
    return min(found) if found else 0.0


def _key(where: Mapping[str, object], unit: str) -> tuple[int, int]:
    """(page or picture, line) of a cell's or a line's provenance; (0, 0) for text not OCR'd."""
    page, line = where.get(unit, 0), where.get("line", 0)
    return (page, line) if isinstance(page, int) and isinstance(line, int) else (0, 0)


def apply(report: Report, reading: ScanReading) -> None:
    """Give the cells of a record read by OCR their basis and confidence; flag the rest.

    Only cells read from OCR'd lines: a Word file's cells from its own text keep their basis."""
    if report.template is None or not report.cells:
        return
    lines = {
        _key(w, reading.unit): text for w, text in zip(reading.grid.line_where, reading.grid.text.split("\n"))
    }
    values: dict[str, Value] = {c.id: c.value for c in report.cells}
    sure = proven(values, report.template)
    unsure: list[Cell] = []
    unproven: list[Cell] = []
    for cell in report.cells:
        if cell.value is None or cell.basis not in ("printed", "decided"):
            continue  # unread stays unread; an imputed blank keeps its own evidence
        if _key(cell.where, reading.unit) not in lines:
            continue  # printed in the text, not read from a picture
        cell.confidence = cell_confidence(cell, reading, lines)
        if cell.confidence is not None and cell.confidence < READER.ocr_min_confidence:
            unsure.append(cell)
        elif cell.id not in sure:
            unproven.append(cell)
        else:
            cell.basis = "ocr"
    for code, cells, why in (
        (
            "ocr_low_confidence",
            unsure,
            f"the OCR engine is less sure than {READER.ocr_min_confidence} of these numbers",
        ),
        (
            "ocr_unproven",
            unproven,
            "no identity proves these OCR readings (section 二 has none; in 三 and 四 an "
            "identity they stand in does not hold or cannot be checked)",
        ),
    ):
        if not cells:
            continue
        report.problems.append(
            Problem(
                code,
                "error",
                f"{len(cells)} number(s) read by OCR are not published: {why}; "
                "each is unread, its OCR reading the candidate to confirm",
                [c.id for c in cells],
                candidates=[[c.value for c in cells]],
            )
        )
        for c in cells:
            c.where["ocr_raw"] = c.where.get("raw", "")
            c.value = None
            c.basis = "unread"
