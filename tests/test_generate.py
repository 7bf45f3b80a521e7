"""The report generator (xxgk/generate): determinism, shares, identities, template structure."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from xxgk import template
from generator import build, generate_corpus
from generator import plan as planning
from generator.keys import broken_identities, prove
from generator.pdf import CJK_FONT, font_available

TEXT_FORMATS = ("txt", "html", "docx")
needs_font = pytest.mark.skipif(not font_available(), reason=f"CJK font {CJK_FONT} missing "
                                "(apt-get install fonts-wqy-microhei): PDFs cannot be generated")
FORMATS = ("pdf", "docx", "html", "txt") if font_available() else TEXT_FORMATS


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_same_documents_and_keys(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_corpus(a, 16, seed=5, formats=FORMATS, bad_share=0.1)
    generate_corpus(b, 16, seed=5, formats=FORMATS, bad_share=0.1, jobs=2)
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    for name in fa:
        if name.startswith("keys/") or name.endswith((".txt", ".html", ".docx")) or name == "corpus.json":
            assert fa[name] == fb[name], name
    # PDFs: the same keys (checked above); reportlab's invariant mode makes the bytes equal too.
    assert any(n.endswith(".pdf") for n in fa) == ("pdf" in FORMATS)


def test_another_seed_gives_other_documents(tmp_path):
    generate_corpus(tmp_path / "a", 6, seed=1, formats=TEXT_FORMATS)
    generate_corpus(tmp_path / "b", 6, seed=2, formats=TEXT_FORMATS)
    assert _files(tmp_path / "a") != _files(tmp_path / "b")


def test_a_document_does_not_depend_on_the_corpus_size():
    small = planning.plan_corpus(12, 3, FORMATS)
    large = planning.plan_corpus(40, 3, FORMATS)
    for p, q in zip(small, large):
        assert (p.filename, p.pitfalls, p.features, p.bad, p.inconsistent) == \
            (q.filename, q.pitfalls, q.features, q.bad, q.inconsistent)


def test_shares_are_the_documented_ones():
    plans = planning.plan_corpus(4000, 9, ("pdf", "docx", "html", "txt"))
    regular = [p for p in plans if p.bad is None]
    assert abs(sum(p.bad is not None for p in plans) / len(plans) - planning.BAD_SHARE) < 0.01
    assert abs(sum(p.inconsistent for p in regular) / len(regular) - planning.INCONSISTENT_SHARE) < 0.01
    assert abs(sum(p.version == "v2019" for p in regular) / len(regular) - planning.V2019_SHARE) < 0.01
    assert Counter(p.bad for p in plans if p.bad) == Counter(
        {k: sum(1 for p in plans if p.bad) // len(planning.BAD_KINDS) for k in planning.BAD_KINDS}) or \
        max(Counter(p.bad for p in plans if p.bad).values()) - min(Counter(p.bad for p in plans if p.bad).values()) <= 1
    for trait in planning.PITFALLS:
        for fmt in trait.formats:
            if fmt == "doc":
                continue
            docs = [p for p in regular if p.fmt == fmt]
            share = sum(trait.code in p.pitfalls for p in docs) / len(docs)
            # Value-level pitfalls skip the documents with an injected inconsistency; P20 is
            # dropped for city governments (they make rules), P4/P5 when P1 left no free row.
            target = trait.share * (1 - planning.INCONSISTENT_SHARE if trait.value_level else 1)
            if (trait.code, fmt) == ("P19", "txt"):
                target = 0.7      # not in the txt layouts without empty cells (web_lines, pipes)
            slack = 0.12 if trait.code == "P20" else 0.03
            assert target - slack <= share <= target + 0.03, (trait.code, fmt, share)


def test_report_keys_satisfy_the_identities_unless_an_inconsistency_was_injected():
    for plan in planning.plan_corpus(120, 4, TEXT_FORMATS, bad_share=0.0):
        key = build(plan).key
        cells = {f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in key.cells}
        broken = broken_identities(cells, plan.version)
        if key.inconsistency is None:
            assert broken == set(), plan.filename
            assert key.status == ("ok" if not any(c.get("imputed") for c in key.cells)
                                  and None not in cells.values() else "needs_review")
        else:
            assert broken and broken <= set(key.problems), plan.filename
            assert key.status == "needs_review"
            # The key keeps the printed (wrong) number; the true one is recorded beside it.
            assert cells[key.inconsistency["cell"]] == key.inconsistency["printed"]
            assert key.inconsistency["printed"] != key.inconsistency["true"]


def test_blanks_get_the_value_the_identities_prove():
    # A zero lost from a row whose 总计 is printed: H2 proves it.
    values = {template.cell_id("s3", r.code, c): 0 for r in template.s3_rows("v2021")
              for c in template.APPLICANT_CODES}
    values["s3/granted/natural_person"] = values["s3/granted/total"] = 3
    values["s3/new_received/natural_person"] = values["s3/new_received/total"] = 3
    values["s3/total_processed/natural_person"] = values["s3/total_processed/total"] = 3
    values["s3/granted/commercial_enterprise"] = None
    proven = prove(values, "v2021")
    assert proven["s3/granted/commercial_enterprise"] == 0
    # Carried over and carried forward both blank: H1 only says they are equal.
    values["s3/carried_over_from_last_year/natural_person"] = None
    values["s3/carried_to_next_year/natural_person"] = None
    values["s3/carried_over_from_last_year/total"] = None
    values["s3/carried_to_next_year/total"] = None
    proven = prove(values, "v2021")
    assert proven["s3/carried_over_from_last_year/natural_person"] is None


def test_bad_input_keys():
    plans = [p for p in planning.plan_corpus(200, 2, FORMATS, bad_share=0.2) if p.bad]
    assert {p.bad for p in plans} == set(planning.BAD_KINDS) - (
        set() if "pdf" in FORMATS else {"truncated_pdf", "encrypted_pdf", "image_pdf"})
    for plan in plans[:12]:
        g = build(plan)
        assert g.key.status == "rejected" and g.key.cells == []
        assert g.key.problems == [{"empty_file": "empty_file", "truncated_pdf": "corrupt",
                                   "encrypted_pdf": "encrypted", "image_pdf": "ocr_needed",
                                   "not_a_report": "not_a_report", "table_missing": "table_missing"}[plan.bad]]
        if plan.bad == "empty_file":
            assert g.data == b""


def _structure(tbl) -> list[list[tuple[int, str | None]]]:
    from generator.docx import W

    rows = []
    for tr in tbl.findall(W + "tr"):
        cells = []
        for tc in tr.findall(W + "tc"):
            pr = tc.find(W + "tcPr")
            span = pr.find(W + "gridSpan") if pr is not None else None
            merge = pr.find(W + "vMerge") if pr is not None else None
            cells.append((int(span.get(W + "val")) if span is not None else 1,
                          None if merge is None else merge.get(W + "val", "continue")))
        rows.append(cells)
    return rows


def test_v2021_word_tables_have_the_national_templates_merged_cells():
    """An unchanged v2021 report has the blank template's gridSpan/vMerge, cell for cell."""
    import random
    import zipfile
    from xml.etree import ElementTree as ET

    from generator.docx import TEMPLATE, W, _Prototypes, _table
    from generator.model import DocPlan, Printed
    from generator.names import make_body
    from generator.numbers import make_values
    from generator.tables import s3_tables, s4_table, style_of

    with zipfile.ZipFile(TEMPLATE) as z:
        body = ET.fromstring(z.read("word/document.xml")).find(W + "body")
    proto = _Prototypes(body)
    rng = random.Random(1)
    plan = DocPlan(0, 0, "x", "docx", "v2021", 2023, make_body(rng))
    values = make_values(rng, plan.body, "v2021")
    printed = Printed({cid: str(v) for cid, v in values.cells.items()})
    style = style_of(plan)
    (s3,) = s3_tables(plan, printed, style, rng)
    ours_s3 = _table(s3, proto.tables["s3"], None)
    ours_s4 = _table(s4_table(plan, printed, style), proto.tables["s4"], None)
    assert _structure(ours_s3) == _structure(proto.tables["s3"])
    assert _structure(ours_s4) == _structure(proto.tables["s4"])

    def labels(tbl) -> list[str]:
        return ["".join(t.text or "" for t in tc.iter(W + "t")) for tc in tbl.iter(W + "tc")]

    # The labels of xxgk.template are the national template's, character for character.
    template_labels = [t for t in labels(proto.tables["s3"]) if t.strip()]
    ours = [t for t in labels(ours_s3) if t.strip() and not t.isdigit()]
    assert ours == template_labels


def test_cli_generate(tmp_path):
    out = tmp_path / "corpus"
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "generate", "--count", "3", "--seed", "2",
                             "--formats", "txt,html", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 documents" in result.stdout
    docs = sorted(p.name for p in (out / "docs").iterdir())
    assert len(docs) == 3
    for name in docs:
        key = json.loads((out / "keys" / f"{name}.key.json").read_text(encoding="utf-8"))
        assert key["schema"] == "xxgk.key/1" and key["document"] == name
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["seed"] == 2
    bad = subprocess.run([sys.executable, "-m", "pipeline.cli", "generate", "--formats", "rtf", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown format" in bad.stderr


@needs_font
def test_pdf_keys_do_not_depend_on_the_run(tmp_path):
    plan = next(p for p in planning.plan_corpus(8, 6, ("pdf",), bad_share=0.0))
    first, second = build(plan), build(plan)
    assert first.key.to_json() == second.key.to_json()
    assert first.data[:5] == b"%PDF-"
