"""Plain data shared by the generator's modules.

A generated document starts as a :class:`DocPlan` (what to write: body, year,
format, which pitfalls), gets its true numbers as :class:`Values`, and ends
as bytes plus an answer key (``generator.keys``).  Cell ids are the
contract's ``table/row/col`` (``xxgk.template.cell_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from xxgk import template

Number = int | Decimal

# Formats the generator writes; "doc" is a DOCX converted by LibreOffice.
FORMATS: tuple[str, ...] = ("pdf", "docx", "html", "txt")
OPTIONAL_FORMATS: tuple[str, ...] = ("doc",)

# Kinds of bad input (key problem code in brackets):
BAD_KINDS: tuple[str, ...] = (
    "empty_file",  # zero bytes                       [empty_file]
    "truncated_pdf",  # a PDF cut short                   [corrupt]
    "encrypted_pdf",  # user password set                 [encrypted]
    "image_pdf",  # pages are pictures of a report without tables, no text layer: OCR reads
    # the title and finds no table                                    [table_missing]
    "not_a_report",  # an unrelated government notice   [not_a_report]
    "table_missing",  # a report whose tables were left out [table_missing]
)
BAD_PROBLEM: dict[str, str] = {
    "empty_file": "empty_file",
    "truncated_pdf": "corrupt",
    "encrypted_pdf": "encrypted",
    "image_pdf": "table_missing",
    "not_a_report": "not_a_report",
    "table_missing": "table_missing",
}


@dataclass(frozen=True)
class Body:
    """The publishing body."""

    name: str  # as printed in the title, e.g. 清河县石桥镇人民政府
    kind: str  # township | county_gov | city_gov | county_dept | city_dept
    short: str  # how the narrative refers to itself (我镇, 本局, …)
    portal: str = ""  # the government whose web portal publishes the report


@dataclass
class Inconsistency:
    """One printed number that differs from the number the identities need."""

    family: str  # H1 | H2 | H3 | H4-H6: which kind of cell was changed
    cell: str  # cell id
    true: Number
    printed: Number


@dataclass
class DocPlan:
    index: int
    seed: int
    stem: str  # file name without extension
    fmt: str  # pdf | docx | html | txt | doc
    version: template.Version
    year: int
    body: Body
    pitfalls: dict[str, str] = field(default_factory=dict)  # code -> variant
    features: dict[str, str] = field(default_factory=dict)  # non-pitfall traits (encoding, ruling, …)
    bad: str | None = None  # one of BAD_KINDS
    inconsistent: bool = False

    @property
    def filename(self) -> str:
        return f"{self.stem}.{self.fmt}"


@dataclass
class Values:
    """True values by cell id; ``rows_omitted`` are rows the document leaves out (P20)."""

    version: template.Version
    cells: dict[str, Number]
    rows_omitted: set[str] = field(default_factory=set)  # "table/row"

    def get(self, table: str, row: str, col: str) -> Number:
        return self.cells[template.cell_id(table, row, col)]


@dataclass
class Printed:
    """What the document prints per cell: the text, or None for a blank cell.

    ``missing`` cells are not printed at all (P5: the row has one cell too few);
    ``extra`` maps a row ("table/row") to (position, text) of a spurious cell (P4);
    ``override`` holds cells printed with another number than the true one (R1: totals
    printed 0); ``runs`` maps a row to the one run of text its numbers are printed as,
    in a single cell over the row's value columns (R3 ``88-720``, R6 ``10 0 0 012``,
    R8 ``12 5``).
    """

    text: dict[str, str | None]
    missing: set[str] = field(default_factory=set)
    extra: dict[str, tuple[int, str]] = field(default_factory=dict)
    override: dict[str, Number] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
