"""The report generator (package generator): determinism, shares, identities, template structure,
independence of its keys from the extractor, and the keys of the phenomena of real reports (R*)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from generator import build, generate_corpus
from generator import plan as planning
from generator.keys import broken_identities, prove
from generator.pdf import CJK_FONT, font_available
from generator.readings import row_readings
from xxgk import template

TEXT_FORMATS = ("txt", "html", "docx")
needs_font = pytest.mark.skipif(
    not font_available(),
    reason=f"CJK font {CJK_FONT} missing (apt-get install fonts-wqy-microhei): PDFs cannot be generated",
)
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
        assert (p.filename, p.pitfalls, p.features, p.bad, p.inconsistent) == (
            q.filename,
            q.pitfalls,
            q.features,
            q.bad,
            q.inconsistent,
        )


def test_shares_are_the_documented_ones():
    plans = planning.plan_corpus(4000, 9, ("pdf", "docx", "html", "txt"))
    regular = [p for p in plans if p.bad is None]
    assert abs(sum(p.bad is not None for p in plans) / len(plans) - planning.BAD_SHARE) < 0.01
    assert abs(sum(p.inconsistent for p in regular) / len(regular) - planning.INCONSISTENT_SHARE) < 0.01
    assert abs(sum(p.version == "v2019" for p in regular) / len(regular) - planning.V2019_SHARE) < 0.01
    assert (
        Counter(p.bad for p in plans if p.bad)
        == Counter({k: sum(1 for p in plans if p.bad) // len(planning.BAD_KINDS) for k in planning.BAD_KINDS})
        or max(Counter(p.bad for p in plans if p.bad).values())
        - min(Counter(p.bad for p in plans if p.bad).values())
        <= 1
    )
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
                target = 0.7  # not in the txt layouts without empty cells (web_lines, pipes)
            slack = 0.12 if trait.code == "P20" else 0.03
            assert target - slack <= share <= target + 0.03, (trait.code, fmt, share)


def test_phenomena_shares_are_the_documented_ones():
    plans = [p for p in planning.plan_corpus(4000, 9, ("pdf", "docx", "html", "txt")) if p.bad is None]
    for trait in planning.PHENOMENA:
        if trait.value_level:
            continue
        for fmt in trait.formats:
            if fmt == "doc":
                continue
            docs = [p for p in plans if p.fmt == fmt]
            share = sum(trait.code in p.pitfalls for p in docs) / len(docs)
            assert abs(share - trait.share) < 0.02, (trait.code, fmt, share)
    value_codes = {t.code for t in planning.VALUE_PHENOMENA}
    for fmt in ("pdf", "docx", "html", "txt"):
        clean = [
            p
            for p in plans
            if p.fmt == fmt and not p.inconsistent and not any(c in p.pitfalls for c in ("P1", "P4", "P5"))
        ]
        hit = [p for p in clean if value_codes & set(p.pitfalls)]
        assert abs(len(hit) / len(clean) - planning.VALUE_PHENOMENA_SHARE) < 0.02, fmt
        kinds = Counter(c for p in hit for c in p.pitfalls if c in value_codes)
        # In turn: R1, R2, R6 and R8 about equally often; R3 only in v2019 reports.
        assert max(kinds[c] for c in ("R1", "R2", "R6", "R8")) - min(
            kinds[c] for c in ("R1", "R2", "R6", "R8")
        ) <= 0.1 * len(hit)
        assert 0 < kinds["R3"] < kinds["R1"]


def test_report_keys_satisfy_the_identities_unless_an_inconsistency_was_injected():
    for plan in planning.plan_corpus(120, 4, TEXT_FORMATS, bad_share=0.0):
        key = build(plan).key
        cells = {f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in key.cells}
        broken = broken_identities(cells, plan.version)
        # The numbers the generator drew always balance; printed ones may not (R1, inconsistency).
        true = {f"{c['table']}/{c['row']}/{c['col']}": c.get("true", c["value"]) for c in key.cells}
        assert broken_identities(true, plan.version) == set(), plan.filename
        if "R1" in plan.pitfalls:
            assert broken and broken <= set(key.problems) and key.status == "needs_review", plan.filename
        elif key.inconsistency is None:
            assert broken == set(), plan.filename
            assert key.status == (
                "ok"
                if not any(c.get("imputed") for c in key.cells) and None not in cells.values()
                else "needs_review"
            )
        else:
            assert broken and broken <= set(key.problems), plan.filename
            assert key.status == "needs_review"
            # The key keeps the printed (wrong) number; the true one is recorded beside it.
            assert cells[key.inconsistency["cell"]] == key.inconsistency["printed"]
            assert key.inconsistency["printed"] != key.inconsistency["true"]


def test_blanks_get_the_value_the_identities_prove():
    # A zero lost from a row whose 总计 is printed: H2 proves it.
    values: dict[str, int | None] = {
        template.cell_id("s3", r.code, c): 0
        for r in template.s3_rows("v2021")
        for c in template.APPLICANT_CODES
    }
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
        set() if "pdf" in FORMATS else {"truncated_pdf", "encrypted_pdf", "image_pdf"}
    )
    for plan in plans[:12]:
        assert plan.bad is not None  # chosen by it above
        g = build(plan)
        assert g.key.status == "rejected" and g.key.cells == []
        assert g.key.problems == [
            {
                "empty_file": "empty_file",
                "truncated_pdf": "corrupt",
                "encrypted_pdf": "encrypted",
                "image_pdf": "table_missing",
                "not_a_report": "not_a_report",
                "table_missing": "table_missing",
            }[plan.bad]
        ]
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
            cells.append(
                (
                    int(span.get(W + "val")) if span is not None else 1,
                    None if merge is None else merge.get(W + "val", "continue"),
                )
            )
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
    assert body is not None, f"{TEMPLATE}: word/document.xml has no w:body"
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
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "generate",
            "--count",
            "3",
            "--seed",
            "2",
            "--formats",
            "txt,html",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3 documents" in result.stdout
    docs = sorted(p.name for p in (out / "docs").iterdir())
    assert len(docs) == 3
    for name in docs:
        key = json.loads((out / "keys" / f"{name}.key.json").read_text(encoding="utf-8"))
        assert key["schema"] == "xxgk.key/2" and key["document"] == name
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["seed"] == 2
    bad = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "generate", "--formats", "rtf", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "unknown format" in bad.stderr


@needs_font
def test_pdf_keys_do_not_depend_on_the_run(tmp_path):
    plan = next(p for p in planning.plan_corpus(8, 6, ("pdf",), bad_share=0.0))
    first, second = build(plan), build(plan)
    assert first.key.to_json() == second.key.to_json()
    assert first.data[:5] == b"%PDF-"


# --- independence -----------------------------------------------------------------------------

GENERATOR = Path(__file__).resolve().parents[1] / "generator"


def _imports(path: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_generator_does_not_import_the_extractor():
    """The keys are the generator's knowledge: an extractor bug must not be able to hide in them."""
    modules = sorted(GENERATOR.rglob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        bad = {
            n
            for n in _imports(path)
            if n == "extractors"
            or n.startswith("extractors.")
            or n in ("warehouse", "pipeline", "expectations")
            or n.startswith(("warehouse.", "pipeline."))
        }
        assert not bad, f"{path.relative_to(GENERATOR.parent)} imports {sorted(bad)}"


def test_the_generator_does_not_read_the_tests_folder():
    from generator.docx import TEMPLATE

    assert TEMPLATE.is_file() and GENERATOR in TEMPLATE.parents
    # The copy is the fixture's bytes, as generator/assets/SOURCES.md says.
    fixture = GENERATOR.parent / "tests" / "fixtures" / "real" / "blank-template-v2021.docx"
    assert TEMPLATE.read_bytes() == fixture.read_bytes()
    for path in GENERATOR.rglob("*.py"):
        assert '"tests"' not in path.read_text(encoding="utf-8"), path


# --- phenomena of real reports (R*) -----------------------------------------------------------

_PHENOMENA_PLANS = planning.plan_corpus(900, 23, ("pdf", "docx", "html", "txt"), bad_share=0.0)


def _with(code: str, fmt: str = "txt", variant: str | None = None):
    return next(
        p
        for p in _PHENOMENA_PLANS
        if p.fmt == fmt and code in p.pitfalls and (variant is None or p.pitfalls[code] == variant)
    )


def _cells(key) -> dict[str, dict]:
    return {f"{c['table']}/{c['row']}/{c['col']}": c for c in key.cells}


def _text(plan, data: bytes) -> str:
    if plan.fmt == "txt":
        enc = {"gbk": "gb18030", "utf-16": "utf-16", "utf-8-sig": "utf-8-sig"}.get(
            plan.features["encoding"], "utf-8"
        )
        return data.decode(enc)
    return data.decode("gb18030" if plan.features.get("encoding", "").startswith("gbk") else "utf-8")


def test_every_phenomenon_is_planned_in_every_format_it_applies_to():
    for trait in planning.PHENOMENA:
        for fmt in trait.formats:
            if fmt == "doc":
                continue
            assert any(trait.code in p.pitfalls for p in _PHENOMENA_PLANS if p.fmt == fmt), (trait.code, fmt)
    for p in _PHENOMENA_PLANS:
        value_level = [c for c in p.pitfalls if c in ("P1", "P4", "P5", "R1", "R2", "R3", "R6", "R8")]
        # One value-level cause per key: no phenomenon with P1/P4/P5 or an inconsistency.
        assert len([c for c in value_level if c.startswith("R")]) <= 1, p.filename
        if any(c.startswith("R") for c in value_level):
            assert not p.inconsistent and not any(c.startswith("P") for c in value_level), p.filename
        if "R3" in p.pitfalls:
            assert p.version == "v2019"


@pytest.mark.parametrize("variant", ["total_col", "total_row"])
def test_totals_printed_zero_keep_the_printed_zeros_and_break_identities(variant):
    plan = _with("R1", variant=variant)
    g = build(plan)
    cells = _cells(g.key)
    totals = [
        c
        for cid, c in cells.items()
        if cid.startswith("s3/")
        and (cid.endswith("/total") if variant == "total_col" else "/total_processed/" in cid)
    ]
    assert totals and all(c["value"] == 0 and c["basis"] == "printed" for c in totals)
    assert any(c.get("true", 0) > 0 for c in totals)  # the parts beside them are not zero
    assert g.key.status == "needs_review"
    expected = {"total_col": {"identity_h2"}, "total_row": {"identity_h1", "identity_h3"}}[variant]
    assert expected <= set(g.key.problems)


def test_a_row_with_no_values():
    s3 = build(_with("R2", variant="s3")).key
    imputed = [c for c in s3.cells if c["basis"] == "imputed"]
    assert len(imputed) == 7 and len({c["row"] for c in imputed}) == 1  # H3 fills the row
    assert "imputed_value" in s3.problems and s3.status == "needs_review"
    s2 = build(_with("R2", variant="s2")).key
    unread = [c for c in s2.cells if c["basis"] == "unread"]
    assert unread and all(c["value"] is None and "true" in c for c in unread)  # nothing proves section 二
    assert {c["table"] for c in unread} <= {
        "s2.art20_1",
        "s2.art20_5",
        "s2.art20_6",
        "s2.art20_8",
        "s2.art20_9",
    }
    assert "blank_cell" in s2.problems


def test_readings_of_runs():
    three = ["issued_this_year", "repealed_this_year", "currently_valid"]
    # 行政规范性文件 12 5: a blank leaves no trace, so four readings.
    assert set(row_readings("12 5", three)) == {(1, 2, 5), (12, 5, None), (12, None, 5), (None, 12, 5)}
    # 00 cannot be one number; 7 zeros fill 7 cells.
    assert row_readings("0 0 0 0 0 00", ["natural_person"] * 6 + ["total"]) == [(0,) * 7]
    # The minus starts a number: 88 is certain, the rest is not.
    assert set(row_readings("88-720", ["items_last_year", "items_change_this_year", "decisions"])) == {
        (88, -7, 20),
        (88, -72, 0),
        (88, -720, None),
    }


def test_a_section_two_run_is_unread():
    plan = _with("R8")
    g = build(plan)
    row = [c for c in g.key.cells if c["table"] == "s2.art20_1" and c["row"] == "normative_documents"]
    assert [c["basis"] for c in row] == ["unread"] * 3 and all(c["value"] is None for c in row)
    nums = [str(c["true"]) for c in row]
    text = _text(plan, g.data)
    assert " ".join(nums) not in text  # one separator is lost …
    assert any(
        " ".join(nums[:i]) + ("" if i == 0 else " ") + nums[i] + nums[i + 1] in text
        or nums[i] + nums[i + 1] in text
        for i in range(2)
    )  # … between two neighbours
    assert {"ambiguous_values", "blank_cell"} <= set(g.key.problems) and g.key.status == "needs_review"


def test_a_minus_inside_a_run():
    plan = _with("R3", fmt="docx")
    g = build(plan)
    row = [
        c
        for c in g.key.cells
        if c["row"]
        in (
            "administrative_licensing",
            "administrative_penalty",
            "administrative_coercion",
            "other_external_mgmt_services",
        )
        and c["basis"] != "printed"
    ]
    assert [c["col"] for c in row] == ["items_last_year", "items_change_this_year", "decisions"]
    items, change, decisions = row
    assert items["basis"] == "decided" and items["value"] > 0  # before the minus: certain
    assert change["basis"] == "unread" and change["true"] < 0
    if decisions["true"] >= 10 or change["true"] <= -10:
        assert decisions["basis"] == "unread"


def test_irregular_padding_is_decided_by_the_identities():
    plan = _with("R6")
    g = build(plan)
    decided = [c for c in g.key.cells if c["basis"] == "decided"]
    assert len(decided) == 7 and all("true" not in c for c in decided)
    assert g.key.status == "ok"
    values = " ".join(str(c["value"]) for c in decided)
    text = _text(plan, g.data)
    assert values not in text and values.replace(" ", "") in text.replace(" ", "")


def test_label_typos_heading_and_web_residue_are_printed():
    typo = _with("R4", fmt="html")
    text = _text(typo, build(typo).data)
    assert "钩稽关系" in text and "行政法复议" in text and "勾稽关系" not in text
    if typo.version == "v2021":
        assert "先行有效件数" in text
    heading = _with("R5", fmt="txt")
    assert "因政府信息公开工作被申请行政复议、提起行政诉讼情况" in _text(heading, build(heading).data)
    for fmt in ("txt", "html"):
        web = _with("R7", fmt=fmt)
        text = _text(web, build(web).data)
        assert "当前位置：" in text
        assert ("<!--[if !supportLists]-->" if fmt == "txt" else "&lt;!--[if !supportLists]--&gt;") in text


# --- the hand-made keys of real documents (bench/keys) ------------------------------------------

REAL_KEYS = sorted((GENERATOR.parent / "bench" / "keys").glob("*.key.json"))


@pytest.mark.parametrize("path", REAL_KEYS, ids=lambda p: p.name.split(".key")[0])
def test_real_keys_balance_and_state_the_evidence(path):
    key = json.loads(path.read_text(encoding="utf-8"))
    assert key["schema"] == "xxgk.key/2" and (GENERATOR.parent / key["path"]).is_file()
    assert all(c["basis"] in ("printed", "decided", "imputed", "unread") for c in key["cells"])
    assert all((c["value"] is None) == (c["basis"] == "unread") for c in key["cells"])
    values = {
        f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in key["cells"] if c["value"] is not None
    }
    assert broken_identities(values, key["template"]) == set()
    if any(c["basis"] in ("unread", "imputed") for c in key["cells"]):
        assert key["status"] == "needs_review"


@pytest.mark.parametrize(
    "path", [p for p in REAL_KEYS if p.name.startswith("pingtan")], ids=lambda p: p.name.split(".key")[0]
)
def test_real_digit_runs_admit_only_the_keys_reading(path):
    """平潭 pages print each section-三 row as one run of digits (640020470): given the other
    rows of the key, the identities admit exactly the key's reading (generator.readings)."""
    import re
    import unicodedata

    from generator.readings import agreed

    key = json.loads(path.read_text(encoding="utf-8"))
    version = key["template"]
    text = unicodedata.normalize("NFKC", (GENERATOR.parent / key["path"]).read_text(encoding="utf-8"))
    shown = {f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in key["cells"]}
    eqs = template.equations(version, {cid.split("/")[1] for cid in shown if cid.startswith("s3/")})
    checked = 0
    for r in template.s3_rows(version):
        ids = [template.cell_id("s3", r.code, c) for c in template.APPLICANT_CODES]
        digits = r"\s*".join("".join(str(shown[i]) for i in ids))
        m = re.search(f"(?:{r.key})[^0-9]{{0,60}}?({digits})(?=\\d[.．、]|[^\\d]|$)", text)
        assert m is not None, (r.code, "the key's digits are not printed after the row's label")
        got, n = agreed({**shown, **{i: None for i in ids}}, ids, m.group(1), eqs)
        assert n >= 1 and [got[i] for i in ids] == [shown[i] for i in ids], (r.code, m.group(1))
        checked += 1
    assert checked == len(template.s3_rows(version))
