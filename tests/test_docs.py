"""docs/ states the template and the record contract: its code tables must match
xxgk/template.py and it must name every problem code the code emits."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from extractors.version import EXTRACTOR_VERSION
from xxgk import template
from xxgk.record import BASES, PROBLEM_CODES, SCHEMA, Problem

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DOC = ROOT / "docs" / "template.md"
RECORD_DOC = ROOT / "docs" / "record.md"


def _doc_tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location("doc_tables", ROOT / "scripts" / "doc_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks() -> dict[str, str]:
    text = TEMPLATE_DOC.read_text(encoding="utf-8")
    return {
        m["name"]: m["body"]
        for m in re.finditer(
            r"<!-- generated: (?P<name>[^ ]+) -->\n(?P<body>.*?)<!-- /generated -->", text, re.S
        )
    }


def _entries(body: str, kind: str) -> list[tuple[str, str, str]]:
    """(code, 中文, English) of the table lines whose first cell is ``kind`` (row or column)."""
    out = []
    for line in body.splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and cells[0] == kind:
            out.append((cells[1].strip("`"), cells[2], cells[3]))
    return out


def test_generated_tables_are_those_of_the_template_module() -> None:
    doc_tables = _doc_tables()
    text = TEMPLATE_DOC.read_text(encoding="utf-8")
    assert doc_tables.missing_blocks(text) == []
    assert doc_tables.render(text) == text, "run: python scripts/doc_tables.py"


def test_every_row_and_column_of_both_versions_is_in_the_document() -> None:
    # Read back from the Markdown, independently of the script that writes it.
    blocks = _blocks()
    for version in template.VERSIONS:
        for t in template.tables(version):
            if t.section == "s2":
                rows = cols = blocks[f"{version}/{t.code}"]
            elif t.section == "s3":
                rows, cols = blocks[f"{version}/s3/rows"], blocks["s3/columns"]
            else:
                rows, cols = blocks["s4/rows"], blocks["s4/columns"]
            assert _entries(rows, "row") == [(r.code, r.label, r.label_en) for r in t.rows], (version, t.code)
            assert _entries(cols, "column") == [(c.code, c.label, c.label_en) for c in t.columns], (
                version,
                t.code,
            )


def test_every_identity_is_stated_and_the_unchecked_ones_say_so() -> None:
    text = TEMPLATE_DOC.read_text(encoding="utf-8")
    blocks = _blocks()
    for ident in template.IDENTITIES:
        assert f"| **{ident.id}** | {ident.table} |" in blocks["identities/hard"]
    for soft in template.SOFT_IDENTITIES:
        assert f"| **{soft.id}** | {soft.table} |" in blocks["identities/soft"]
    checked = {s.id for s in template.SOFT_IDENTITIES}
    for n in range(1, 10):
        sid = f"S{n}"
        if sid not in checked:
            line = next((ln for ln in text.splitlines() if ln.startswith(f"| {sid} |")), None)
            assert line is not None and (
                "not yet checked" in line or "checked through" in line or "nothing to check" in line
            ), sid
    for n in range(1, 25):
        assert re.search(rf"^\| P{n} \| ", text, re.M), f"pitfall P{n}"


# A problem raised with a literal code: the scan checks that every such code is registered.
_EMITTED = (
    re.compile(r"\bProblem\(\s*\"([a-z][a-z0-9_]*)\""),
    re.compile(r"\bReaderProblem\(\s*\"([a-z][a-z0-9_]*)\""),
    re.compile(r"\b_reject\(\s*\w+,\s*\"([a-z][a-z0-9_]*)\""),
    # the code is the string literal followed by the message (an f-string or a plain one)
    re.compile(r"\brejected\((?:[^\"]|\"[^\"]*\")*?\"([a-z][a-z0-9_]*)\",\s*f?\""),
)


def _literal_codes() -> set[str]:
    codes: set[str] = set()
    for package in ("xxgk", "extractors", "pipeline"):
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for pattern in _EMITTED:
                codes.update(pattern.findall(source))
    return codes


def test_every_problem_code_is_registered_and_documented() -> None:
    literal = _literal_codes()
    # The scan itself must find the codes it is meant to find.
    assert {"unreadable", "worker_died", "ocr_needed", "readings_disagree"} <= literal
    assert sorted(literal - PROBLEM_CODES) == []
    text = RECORD_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z][a-z0-9_]*)`", text, re.M))
    for a, b in re.findall(r"^\| `(identity_h\d)` … `(identity_h\d)`", text, re.M):
        documented |= {f"identity_h{n}" for n in range(int(a[-1]), int(b[-1]) + 1)}
    codes_table = documented - set(BASES) - {"ok", "needs_review", "rejected"}
    assert sorted(PROBLEM_CODES - codes_table) == []


def test_an_unregistered_problem_code_is_refused() -> None:
    with pytest.raises(ValueError, match="PROBLEM_CODES"):
        Problem("made_up_code", "warning", "")


def test_record_contract_names_the_current_schema_and_every_basis() -> None:
    text = RECORD_DOC.read_text(encoding="utf-8")
    assert f'"schema": "{SCHEMA}"' in text
    assert f'"extractor_version": "{EXTRACTOR_VERSION}"' in text
    for basis in BASES:
        assert f"| `{basis}` |" in text, basis
