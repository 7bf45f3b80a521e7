"""Write the code tables of docs/template.md from xxgk/template.py.

    python scripts/doc_tables.py          # rewrite the generated blocks in place
    python scripts/doc_tables.py --check  # exit 1 when a block differs (the tests run this check)

A generated block sits between ``<!-- generated: NAME -->`` and ``<!-- /generated -->``;
everything outside the blocks is written by hand.  The template module is the one
definition of codes and labels, so the document copies it instead of restating it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from xxgk import template  # noqa: E402  (after the path set-up above)

DOC = ROOT / "docs" / "template.md"
BLOCK = re.compile(r"<!-- generated: (?P<name>[^ ]+) -->\n(?P<body>.*?)<!-- /generated -->", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _code(code: str) -> str:
    return f"`{code}`"


def _s2(version: template.Version, table: template.Table) -> str:
    rows = [("row", _code(r.code), r.label, r.label_en, "") for r in table.rows]
    rows += [("column", _code(c.code), c.label, c.label_en, c.kind) for c in table.columns]
    return _table(("", "code", "中文", "English", "kind"), rows)


def _s3_rows(version: template.Version) -> str:
    return _table(
        ("", "code", "中文", "English", "level", "group", "leaf"),
        (
            ("row", _code(r.code), r.label, r.label_en, str(r.level), r.group, "✔" if r.leaf else "")
            for r in template.s3_rows(version)
        ),
    )


def _columns(columns: Iterable[template.Column]) -> str:
    return _table(
        ("", "code", "中文", "English", "kind"),
        (("column", _code(c.code), c.label, c.label_en, c.kind) for c in columns),
    )


def _s4_rows() -> str:
    return _table(
        ("", "code", "中文", "English"),
        (("row", _code(r.code), r.label, r.label_en) for r in template.S4_ROWS),
    )


def _term(row: str, col: str) -> str:
    # "*" is the row (r) or the column (c) the identity is expanded over.
    return f"{'r' if row == '*' else row}[{'c' if col == '*' else col}]"


def _side(terms: Iterable[tuple[str, str]]) -> str:
    return " + ".join(_term(r, c) for r, c in terms)


def _identities() -> str:
    rows = []
    for i in template.IDENTITIES:
        optional = f"; optional: {', '.join(_code(r) for r in i.optional_rows)}" if i.optional_rows else ""
        over = _over(i.over)
        rows.append(
            (
                f"**{i.id}**",
                i.table,
                f"`{_side(i.lhs)} = {_side(i.rhs)}`",
                over + optional,
                ", ".join(i.versions),
                i.description,
            )
        )
    return _table(("id", "table", "equation", "for each", "versions", "meaning"), rows)


def _over(over: tuple[str, ...]) -> str:
    if not over:
        return "one equation"
    if set(over) == set(template.APPLICANT_CODES):
        return "c ∈ the 7 applicant columns"
    return f"r ∈ {len(over)} rows (those of the report's version)"


def _soft_term(t: template.SoftTerm) -> str:
    year = "y" if t.year_offset == 0 else f"y{t.year_offset:+d}"
    name = _term(t.row, t.col)
    return f"{'− ' if t.sign < 0 else ''}{name}@{year}"


def _soft_side(terms: Iterable[template.SoftTerm]) -> str:
    return " + ".join(_soft_term(t) for t in terms).replace("+ − ", "− ")


def _soft_identities() -> str:
    rows = []
    for s in template.SOFT_IDENTITIES:
        over = (
            _over(s.over)
            if set(s.over) == set(template.APPLICANT_CODES)
            else "r ∈ " + ", ".join(_code(r) for r in s.over)
        )
        rows.append(
            (
                f"**{s.id}**",
                s.table,
                f"`{_soft_side(s.lhs)} {s.relation} {_soft_side(s.rhs)}`",
                over,
                ", ".join(s.versions),
                s.description,
            )
        )
    return _table(("id", "table", "relation", "for each", "versions", "meaning"), rows)


def _h7() -> str:
    return _table(
        ("column", "kind", "rule"),
        [(_code(c), "signed", "any integer") for c in sorted(template.SIGNED_COLUMNS)]
        + [(_code(c), "decimal", "any number ≥ 0") for c in sorted(template.DECIMAL_COLUMNS)],
    )


def _markers() -> str:
    return _table(
        ("version", "wording only this version prints"),
        [("v2021", " · ".join(template.V2021_MARKERS)), ("v2019", " · ".join(template.V2019_MARKERS))],
    )


def blocks() -> dict[str, str]:
    """Every generated block, by name, in the order the document uses them."""
    out: dict[str, str] = {"markers": _markers()}
    for version in template.VERSIONS:
        for t in template.tables(version):
            if t.section == "s2":
                out[f"{version}/{t.code}"] = _s2(version, t)
        out[f"{version}/s3/rows"] = _s3_rows(version)
    out["s3/columns"] = _columns(template.APPLICANTS)
    out["s4/rows"] = _s4_rows()
    out["s4/columns"] = _columns(template.S4_COLUMNS)
    out["identities/hard"] = _identities()
    out["identities/h7"] = _h7()
    out["identities/soft"] = _soft_identities()
    return out


def render(text: str) -> str:
    """The document with every generated block rewritten; unknown block names raise."""
    wanted = blocks()

    def replace(m: re.Match[str]) -> str:
        name = m["name"]
        if name not in wanted:
            raise KeyError(f"{DOC}: block {name!r} is not one scripts/doc_tables.py generates")
        return f"<!-- generated: {name} -->\n{wanted[name]}<!-- /generated -->"

    return BLOCK.sub(replace, text)


def missing_blocks(text: str) -> list[str]:
    present = {m["name"] for m in BLOCK.finditer(text)}
    return [name for name in blocks() if name not in present]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when a block is stale")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    missing = missing_blocks(text)
    if missing:
        print(
            f"{DOC}: no block for {', '.join(missing)}: add `<!-- generated: NAME -->` "
            "`<!-- /generated -->` where it belongs",
            file=sys.stderr,
        )
        return 1
    new = render(text)
    if new == text:
        return 0
    if args.check:
        print(
            f"{DOC}: the code tables differ from xxgk/template.py: run python scripts/doc_tables.py",
            file=sys.stderr,
        )
        return 1
    DOC.write_text(new, encoding="utf-8")
    print(f"rewrote the code tables of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
