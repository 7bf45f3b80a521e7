"""Scanned reports read by OCR (extractors/scan.py, extractors/ocr.py, extractors/ocr_evidence.py).

The fast tests check the pieces without the engine: which PDFs go to OCR, deskew and ruling
lines found in page images, which OCR readings the identities prove.  The slow ones OCR a
handful of pages in all (5–9 s a page on 2 idle cores), each document once per module:
a generated report scanned badly (150 dpi, turned, blurred, JPEG) with the generator's exact
key, and a rendering of the real huaian-2024.pdf's table pages with its hand-made key.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from scans import Block, Degradation, docx_of, page_images, scan_of

from extractors import dispatch, extract_path, ocr, ocr_evidence, scan
from extractors.grid import PageLine
from extractors.pdf import _rules, read_pdf
from extractors.problems import ReaderProblem
from generator import build, planning
from generator.pdf import font_available
from generator.score import same_value, score
from xxgk import template

ROOT = Path(__file__).resolve().parent.parent
HUAIAN = ROOT / "tests/fixtures/real/huaian-2024.pdf"
HUAIAN_KEY = ROOT / "bench/keys/huaian-2024.pdf.key.json"

needs_font = pytest.mark.skipif(not font_available(), reason="the CJK font of the generated PDFs is missing")
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="rapidocr/onnxruntime are not installed")


def _generated_pdf(seed: int = 7, index: int = 1, fmt: str = "pdf") -> tuple[bytes, dict]:
    """A clean generated PDF report (no bad input, no inconsistency) and its key."""
    plan = planning.plan_corpus(index + 1, seed, (fmt,), 0.0, 0.0)[index]
    g = build(plan)
    key = json.loads(g.key.to_json())
    key["document"] = g.name
    return g.data, key


# --- which PDFs are read by OCR ------------------------------------------------------------


@needs_font
def test_a_font_without_a_unicode_map_sends_the_pdf_to_ocr():
    data, _ = _generated_pdf()
    assert read_pdf(data).grid.text  # the text layer reads
    # The same file with its fonts' ToUnicode maps hidden (same length: offsets stay valid).
    blind = data.replace(b"/ToUnicode", b"/ToUnicodX")
    assert blind != data
    with pytest.raises(ReaderProblem) as err:
        read_pdf(blind)
    assert err.value.code == "ocr_needed"
    assert "map to no text" in err.value.message


@needs_font
def test_an_image_only_pdf_is_sent_to_ocr():
    data, _ = _generated_pdf()
    with pytest.raises(ReaderProblem) as err:
        read_pdf(scan_of(data, Degradation(dpi=72)))
    assert err.value.code == "ocr_needed"
    assert "no text layer" in err.value.message


# --- Word files: pictures of the tables are read by OCR, a logo is not -------------------


def _logo():
    from PIL import Image, ImageDraw

    logo = Image.new("L", (160, 160), 255)  # a round stamp, shown 2 cm wide
    ImageDraw.Draw(logo).ellipse((10, 10, 150, 150), outline=0, width=8)
    return logo


def _with_picture(docx: bytes, picture: bytes) -> bytes:
    """A generated Word file with a picture (the logo, shown 60 pt wide) before its first paragraph."""
    import io
    import zipfile

    stamp = zipfile.ZipFile(io.BytesIO(picture))
    src = zipfile.ZipFile(io.BytesIO(docx))
    drawing = stamp.read("word/document.xml").decode().split("<w:body>")[1].split("</w:body>")[0]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                head, rest = text.split("<w:body>", 1)
                for prefix in ("wp", "a", "pic", "r"):  # the drawing's namespaces on the root
                    if f"xmlns:{prefix}=" not in head:
                        uri = {
                            "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
                            "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
                            "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
                            "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                        }[prefix]
                        head = head.replace("<w:document ", f'<w:document xmlns:{prefix}="{uri}" ', 1)
                data = (head + "<w:body>" + drawing + rest).encode()
            elif item.filename == "word/_rels/document.xml.rels":
                rel = stamp.read("word/_rels/document.xml.rels").decode()
                entry = rel.split("<Relationship ", 1)[1].split("/>", 1)[0]
                data = data.replace(b"</Relationships>", f"<Relationship {entry}/></Relationships>".encode())
            z.writestr(item, data)
        z.writestr("word/media/image1.png", stamp.read("word/media/image1.png"))
    return out.getvalue()


def _never(*args, **kwargs):
    raise AssertionError("OCR was run")


@needs_font
def test_a_word_file_with_text_tables_and_a_stamp_is_not_ocrd(tmp_path, monkeypatch):
    docx, key = _generated_pdf(seed=7, index=1, fmt="docx")
    # The logo as big as a table picture would be: still not read, the text holds the tables.
    stamped = _with_picture(docx, docx_of([(_logo().resize((800, 800)), 453.0)]))
    monkeypatch.setattr(dispatch, "read_images", _never)
    monkeypatch.setattr(ocr, "recognise", _never)
    path = tmp_path / "stamped.docx"
    path.write_bytes(stamped)
    record = extract_path(path).to_dict()
    assert "ocr" not in record["source"]
    assert record["status"] != "rejected"
    assert score(record, key).silent == []
    assert {c["basis"] for c in record["cells"]} & {"printed", "decided"}


@needs_font
def test_a_word_file_whose_tables_are_pictures_needs_the_engine(tmp_path, monkeypatch):
    data, _ = _generated_pdf()
    pages = page_images(data, Degradation(dpi=72))
    # A stamp, a page shown too small to be a table, and the pages: only the pages may hold tables.
    path = tmp_path / "pictures.docx"
    blocks: list[Block] = ["附件", (_logo(), 60.0), (pages[0], 150.0), *[(p, 453.0) for p in pages]]
    path.write_bytes(docx_of(blocks))
    monkeypatch.setattr(ocr, "available", lambda: False)
    record = extract_path(path).to_dict()
    assert record["status"] == "rejected"
    problem = record["problems"][0]
    assert problem["code"] == "ocr_needed"
    assert f"{len(pages)} picture(s)" in problem["message"]


# --- pages and cores ----------------------------------------------------------------------


def test_ocr_uses_the_share_of_cores_it_is_given(monkeypatch):
    monkeypatch.setenv(ocr.CORES_ENV, "1")
    assert ocr.cores() == 1
    monkeypatch.delenv(ocr.CORES_ENV)
    assert ocr.cores() == len(os.sched_getaffinity(0))


def test_pages_are_read_at_once_only_with_cores_and_memory_to_spare(monkeypatch):
    from xxgk.settings import READER, WORKER

    # Up to ocr_threads cores: one page at a time, the engine's threads on the cores.
    assert scan.page_plan(5, cores=1) == (1, 1)
    assert scan.page_plan(5, cores=2) == (1, 2)
    # More cores: pages at once, one thread each, never more than there are pages ...
    assert scan.page_plan(3, cores=8)[0] == 3
    # ... nor more than the worker's ceiling holds.
    at_once, threads = scan.page_plan(20, cores=32)
    assert threads == 1
    assert READER.ocr_engine_memory_mb + (at_once - 1) * READER.ocr_page_memory_mb <= WORKER.memory_mb
    monkeypatch.setattr(ocr, "memory_ceiling_mb", lambda: READER.ocr_engine_memory_mb)
    assert scan.page_plan(20, cores=32) == (1, READER.ocr_threads)


def _fake_pages(monkeypatch, n: int, fail: int | None = None) -> list[scan.PageImage]:
    """Blank pages whose "OCR" names the page, for the page loop without the engine."""
    import numpy as np

    monkeypatch.setattr(ocr, "engine", lambda threads=None: None)

    def read_image(image, scale, page=1):
        return [ocr.OcrBox("甲乙丙丁戊"[page - 1] + "机关", 100, 100, 140, 110, 0.99, page)]

    monkeypatch.setattr(ocr, "read_image", read_image)

    def page(number: int) -> scan.Render:
        def render(dpi: float):
            if number == fail:
                raise ValueError("a broken page")
            return np.full((200, 150), 255, dtype=np.uint8), dpi / 72

        return render

    return [scan.PageImage(i + 1, page(i + 1)) for i in range(n)]


def test_pages_read_at_once_read_as_pages_in_turn(monkeypatch):
    pages = _fake_pages(monkeypatch, 5)
    alone = scan.read_pages(pages, plan=(1, 1))
    together = scan.read_pages(pages, plan=(3, 1))
    assert together.plan == (3, 1)
    assert together.grid.text == alone.grid.text == "\n".join(c + "机关" for c in "甲乙丙丁戊")
    assert together.grid.line_where == alone.grid.line_where
    # A page that fails fails the document, whichever thread read it.
    with pytest.raises(ValueError):
        scan.read_pages(_fake_pages(monkeypatch, 5, fail=4), plan=(3, 1))


def test_the_start_of_ocr_is_announced_to_the_listener_before_the_first_page(monkeypatch):
    heard: list[object] = []
    pages = _fake_pages(monkeypatch, 3)
    rendered = pages[0].render

    def first_render(dpi: float):
        heard.append("page 1")
        return rendered(dpi)

    pages[0] = scan.PageImage(1, first_render)
    scan.on_ocr(heard.append)
    try:
        scan.read_pages(pages, time_limit_s=42.0, plan=(1, 1))
    finally:
        scan.on_ocr(None)
    # What pipeline.pool's worker sends its pool: the pages and the CPU budget, before any page.
    assert heard[0] == scan.OcrStarted(pages=3, cpu_budget_s=42.0)
    assert heard.count(scan.OcrStarted(pages=3, cpu_budget_s=42.0)) == 1 and "page 1" in heard
    scan.read_pages(_fake_pages(monkeypatch, 1), plan=(1, 1))  # nobody listens: nothing to tell


# --- page images: skew and rules -----------------------------------------------------------


@needs_font
@pytest.mark.parametrize("turn", [0.0, 0.6, -0.9])
def test_the_skew_of_a_scanned_page_is_measured(turn: float):
    import numpy as np

    data, _ = _generated_pdf()
    image = np.asarray(page_images(data, Degradation(dpi=100, rotate_deg=turn), pages=[0])[0])
    # skew_angle gives the turn that levels the page: the opposite of the scanner's.
    assert scan.skew_angle(image) == pytest.approx(-turn, abs=0.1)


@needs_font
def test_the_rules_of_a_page_image_are_those_of_the_pdf():
    import numpy as np

    data, _ = _generated_pdf(seed=7, index=3)  # ruled tables
    pdf = pdfium.PdfDocument(data)
    page = next(i for i in range(len(pdf)) if len(_rules(pdf[i])) > 20)
    # The PDF's rules are in page space turned upright (top = -y); an image's top is 0.
    height = pdf[page].get_height()
    drawn = [type(r)(r.x0, r.top + height, r.x1, r.bottom + height) for r in _rules(pdf[page])]
    image = np.asarray(page_images(data, Degradation(dpi=200), pages=[page])[0])
    found = scan.find_rules(image, 200 / 72)

    def lines(rules, horizontal):
        pos = sorted(
            round((r.top + r.bottom) / 2 if horizontal else (r.x0 + r.x1) / 2)
            for r in rules
            if r.horizontal == horizontal
        )
        return sorted({p for p in pos})

    for horizontal in (True, False):
        want, got = lines(drawn, horizontal), lines(found, horizontal)
        assert all(any(abs(g - w) <= 2 for g in got) for w in want), (horizontal, want, got)


# --- which OCR readings publish ------------------------------------------------------------


def _s4(values: Mapping[str, int]) -> dict[str, int | Decimal | None]:
    out: dict[str, int | Decimal | None] = {}
    for row in ("review", "litigation_direct", "litigation_after_review"):
        parts = [values.get(f"{row}/{c}", 0) for c in ("upheld", "corrected", "other", "pending")]
        for c, v in zip(("upheld", "corrected", "other", "pending"), parts):
            out[f"s4/{row}/{c}"] = v
        out[f"s4/{row}/total"] = values.get(f"{row}/total", sum(parts))
    return out


def test_an_ocr_number_is_proven_only_where_every_identity_it_stands_in_holds():
    values = _s4({"review/upheld": 3, "review/other": 1, "litigation_direct/pending": 2})
    values["s4/litigation_direct/total"] = 5  # 2 was printed: H5 fails
    values["s2.art20_1/regulations/issued_this_year"] = 4
    sure = ocr_evidence.proven(values, "v2021")
    assert {f"s4/review/{c}" for c in ("upheld", "corrected", "other", "pending", "total")} <= sure
    assert not any(c.startswith("s4/litigation_direct/") for c in sure)
    assert "s2.art20_1/regulations/issued_this_year" not in sure  # no identity checks section 二
    values["s4/review/upheld"] = None  # an unread term: nothing proves the rest of the row
    assert not any(c.startswith("s4/review/") for c in ocr_evidence.proven(values, "v2021"))


def test_a_rows_confidences_follow_its_number_fields():
    boxes = [
        ocr.OcrBox("行政许可", 70, 100, 110, 108, 0.99),
        ocr.OcrBox("1", 80, 100, 84, 108, 0.5),  # a digit of the label ("1.属于…") is no value
        ocr.OcrBox("12", 200, 100, 210, 108, 0.97),
        ocr.OcrBox("0", 300, 100, 305, 108, 0.61),
        ocr.OcrBox("7", 300, 130, 305, 138, 0.1),  # the next row
    ]
    row = PageLine(99.0, "1行政许可\t12\t0", ["1行政许可", "12", "0"])
    assert scan.field_scores(row, boxes, 129.0) == [None, 0.97, 0.61]
    # Fields and words that do not line up: every field gets the band's lowest confidence.
    odd = PageLine(99.0, "行政许可\t120", ["行政许可", "120"])
    assert scan.field_scores(odd, boxes, 129.0) == [None, 0.5]


def test_the_problem_codes_of_ocr_are_documented():
    text = (ROOT / "docs/record.md").read_text(encoding="utf-8")
    for code in ("ocr_unproven", "ocr_low_confidence"):
        assert f"`{code}`" in text


# --- end to end: scans read by OCR (slow) --------------------------------------------------


def _reading_accuracy(record: dict, key: dict) -> tuple[int, int, list]:
    """Cells whose OCR reading (the value, or the flagged candidate) is the key's value."""
    flagged: dict[str, object] = {}
    for p in record["problems"]:
        if p["code"].startswith("ocr_") and p.get("candidates"):
            flagged.update(zip(p["cells"], p["candidates"][0]))
    expected = {f"{c['table']}/{c['row']}/{c['col']}": c["value"] for c in key["cells"]}
    got = {f"{c['table']}/{c['row']}/{c['col']}": c for c in record["cells"]}
    wrong = []
    for cid, want in expected.items():
        cell = got.get(cid)
        read = None if cell is None else (cell["value"] if cell["value"] is not None else flagged.get(cid))
        if not same_value(read, want):
            wrong.append((cid, want, read))
    return len(expected) - len(wrong), len(expected), wrong


@pytest.fixture(scope="module")
def degraded_scan(tmp_path_factory) -> tuple[dict, dict]:
    data, key = _generated_pdf(seed=7, index=1)
    how = Degradation(dpi=150, rotate_deg=random.Random(3).uniform(0.4, 1.0), blur=0.6, jpeg_quality=70)
    path = tmp_path_factory.mktemp("scan") / f"scan-{how}.pdf"
    path.write_bytes(scan_of(data, how))
    return extract_path(path).to_dict(), key


@pytest.mark.slow
@needs_ocr
@needs_font
def test_a_badly_scanned_report_publishes_only_what_the_identities_prove(degraded_scan):
    record, key = degraded_scan
    assert record["source"]["ocr"]["engine"] == "rapidocr"
    assert record["source"]["ocr"]["table_pages"]
    assert (record["org_name"], record["year"], record["template"]) == (
        key["org_name"],
        key["year"],
        key["template"],
    )
    s = score(record, key)
    assert s.silent == [], s.describe()
    right, n, wrong = _reading_accuracy(record, key)
    assert right / n >= 0.995, wrong
    bases = {c["basis"] for c in record["cells"] if c["table"] in ("s3", "s4") and c["value"] is not None}
    assert bases <= {"ocr", "imputed"} and "ocr" in bases
    # Section 二 has no identity within a report: none of its OCR numbers publishes.
    s2 = [c for c in record["cells"] if c["table"].startswith("s2")]
    assert s2 and all(c["value"] is None and c["basis"] == "unread" for c in s2)
    flagged = {cid for p in record["problems"] if p["code"] == "ocr_unproven" for cid in p["cells"]}
    assert {f"{c['table']}/{c['row']}/{c['col']}" for c in s2 if c["where"].get("ocr_raw")} <= flagged
    assert record["status"] == "needs_review"
    assert all(0 < c["confidence"] <= 1 for c in record["cells"] if c["basis"] == "ocr")


@pytest.fixture(scope="module")
def huaian_scan(tmp_path_factory) -> dict:
    # The title page and the pages of sections 二 to 四 (3–5), as a 200 dpi scan.
    pages = [0, 2, 3, 4]
    path = tmp_path_factory.mktemp("huaian") / "huaian-2024.scan.pdf"
    path.write_bytes(scan_of(HUAIAN.read_bytes(), Degradation(dpi=200, rotate_deg=0.5), pages))
    return extract_path(path).to_dict()


@pytest.mark.slow
@needs_ocr
def test_a_scan_of_the_real_huaian_report_reads_its_tables(huaian_scan):
    record = huaian_scan
    key = json.loads(HUAIAN_KEY.read_text(encoding="utf-8"))
    assert (record["org_name"], record["year"]) == ("淮安市人民政府", 2024)
    s = score(record, key)
    assert s.silent == [], s.describe()
    right, n, wrong = _reading_accuracy(record, key)
    assert right / n >= 0.995, wrong
    published = [c for c in record["cells"] if c["basis"] == "ocr"]
    assert len(published) >= 100  # sections 三 and 四 balance: they publish
    # A real figure, read from the picture: 行政处罚 3985758 (section 二, so flagged, not published).
    penalty = next(c for c in record["cells"] if c["row"] == "administrative_penalty")
    assert penalty["value"] is None and penalty["where"]["ocr_raw"] == "3985758"


@pytest.fixture(scope="module")
def pictured_docx(tmp_path_factory) -> tuple[dict, dict]:
    # A township's report whose pages were scanned (150 dpi, turned, blurred, JPEG) and pasted
    # into a Word file 16 cm wide, after a line of text and a stamp.
    data, key = _generated_pdf(seed=7, index=1)
    pages = page_images(data, Degradation(dpi=150, rotate_deg=0.6, blur=0.5, jpeg_quality=75))
    path = tmp_path_factory.mktemp("docx") / "pictures.docx"
    blocks: list[Block] = ["附件", (_logo(), 60.0), *[(p, 453.0) for p in pages]]
    path.write_bytes(docx_of(blocks, dpi=150))
    return extract_path(path).to_dict(), key


@pytest.mark.slow
@needs_ocr
@needs_font
def test_a_word_file_whose_tables_are_pictures_is_read_by_ocr(pictured_docx):
    record, key = pictured_docx
    ocr_info = record["source"]["ocr"]
    assert ocr_info["engine"] == "rapidocr" and ocr_info["images"] == 3  # the stamp is not read
    assert ocr_info["table_images"] == [1, 2] and ocr_info["dpi"] == 150  # the pictures' own
    assert set(ocr_info["deskewed_images"]) == {"1", "2"}
    assert (record["org_name"], record["year"], record["template"]) == (
        key["org_name"],
        key["year"],
        key["template"],
    )
    assert score(record, key).silent == []
    right, n, wrong = _reading_accuracy(record, key)
    assert (right, n) == (200, 200), wrong
    published = [c for c in record["cells"] if c["basis"] == "ocr"]
    assert len(published) == 190 and all(c["table"] in ("s3", "s4") for c in published)
    assert all(c["where"]["media"].startswith("word/media/") and c["confidence"] > 0.95 for c in published)
    s2 = [c for c in record["cells"] if c["table"].startswith("s2")]
    assert s2 and all(c["value"] is None and c["basis"] == "unread" for c in s2)
    flagged = {cid for p in record["problems"] if p["code"] == "ocr_unproven" for cid in p["cells"]}
    assert {f"{c['table']}/{c['row']}/{c['col']}" for c in s2} == flagged
    assert record["status"] == "needs_review"


def test_the_identities_cover_every_cell_of_sections_three_and_four():
    """What makes an OCR number of 三 and 四 provable at all: each cell stands in an equation."""
    for version in template.VERSIONS:
        covered = {c for eq in template.equations(version) for c in eq.lhs + eq.rhs}
        cells = {
            template.cell_id(t.code, r.code, c.code)
            for t in template.tables(version)
            if t.code in ("s3", "s4")
            for r in t.rows
            for c in t.columns
        }
        assert cells <= covered, sorted(cells - covered)[:5]


def test_the_ocr_time_limit_counts_cpu_time_not_waiting():
    import time

    from extractors.limits import TimeLimitExceeded, time_limit

    with time_limit(0.2, cpu=True):
        time.sleep(0.4)  # waiting for a busy machine's cores is not the document's fault
    with pytest.raises(TimeLimitExceeded), time_limit(0.2, cpu=True):
        while True:
            sum(range(1000))


def test_a_pool_worker_is_given_its_share_of_the_cores(monkeypatch):
    """``xxgk run --jobs N``: each worker's OCR uses cores ÷ N (at least 1), unless set already."""
    from pipeline import pool
    from xxgk.settings import WORKER

    started: list[dict[str, str]] = []

    class Ctx:
        def Pipe(self):  # noqa: N802 - multiprocessing's name
            return object(), type("End", (), {"close": lambda self: None})()

        def Process(self, target, args, name, daemon):  # noqa: N802
            started.append(args[2])
            return type("P", (), {"start": lambda self: None})()

    monkeypatch.delenv(ocr.CORES_ENV, raising=False)
    pool._Worker(Ctx(), WORKER, ocr_cores=1)
    monkeypatch.setenv(ocr.CORES_ENV, "3")
    pool._Worker(Ctx(), WORKER, ocr_cores=1)
    assert [env[pool.OCR_CORES_ENV] for env in started] == ["1", "3"]
    assert pool.OCR_CORES_ENV == ocr.CORES_ENV
