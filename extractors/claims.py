"""The S6 claims (``xxgk.narrative.CLAIMS``) a report's narrative sections state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extractors.narrative import Section
from extractors.text import DocText
from xxgk.narrative import CLAIMS


def find_claims(doc: DocText, sections: list[Section]) -> list[dict[str, Any]]:
    """Every claim the narrative states, with the phrase and the line it was read from.

    Only the narrative sections are searched: the tables' rows hold the same words with their
    values run together, which are the tables, not claims about them.
    """
    found: list[dict[str, Any]] = []
    for section in sections:
        for claim in CLAIMS:
            for m in claim.pattern.finditer(section.text):
                value = Decimal(m.group("value"))
                found.append(
                    {
                        "claim": claim.code,
                        "section": section.section,
                        "value": int(value) if value == value.to_integral_value() else float(value),
                        "cells": list(claim.cells),
                        "where": {**_line_of(doc, section, m.group(0)), "raw": m.group(0)},
                    }
                )
    return found


def _line_of(doc: DocText, section: Section, phrase: str) -> dict[str, Any]:
    # The section's text was squashed (tabs to spaces); find the phrase's first characters in
    # the document's text after the section's first line to give its own line.
    start = section.where.get("line") or 1
    lines = doc.text.split("\n")
    probe = phrase[:12]
    for i in range(start - 1, len(lines)):
        if probe in lines[i].replace("\t", " "):
            return dict(doc.line_where[i]) if i < len(doc.line_where) else {"line": i + 1}
    return {k: v for k, v in section.where.items() if k in ("page", "line")}
