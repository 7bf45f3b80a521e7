"""Synthetic annual reports with answer keys, for accuracy and throughput benchmarks.

``generate_corpus(outdir, count, seed)`` writes ``outdir/docs/<name>`` (the
documents, an inbox for ``xxgk run``) and ``outdir/keys/<name>.key.json`` (what
a correct extractor returns for each), plus ``outdir/corpus.json`` (the
parameters and the share of every pitfall).  The same seed gives the same
documents and keys.  Modules: ``plan`` (what each document is), ``numbers``
(true values), ``printing`` (what cells print, value-level pitfalls),
``tables`` (the template's merged-cell grids, layout pitfalls), ``document``
(narrative), ``txt``/``html``/``docx``/``pdf`` (one per format), ``phenomena``
(value-level phenomena of real reports, R*), ``readings`` (what a run of numbers
proves), ``keys``.  Nothing here imports the extractor (``extractors``): the keys
are the generator's own knowledge (tests/test_generate.py checks the imports).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from generator import phenomena
from generator import plan as planning
from generator.document import Document, build_document
from generator.keys import Key, bad_key, report_key
from generator.model import FORMATS, DocPlan
from generator.numbers import inject_inconsistency, make_values
from generator.printing import apply_units, make_printed

__all__ = ["FORMATS", "Generated", "build", "generate_corpus", "planning", "write_documents"]


@dataclass
class Generated:
    name: str
    data: bytes
    key: Key


def build(plan: DocPlan) -> Generated:
    """The bytes and the answer key of one planned document."""
    if plan.bad is not None:
        return _build_bad(plan)
    data, key = _build_report(plan)
    return Generated(plan.filename, data, key)


def _build_report(plan: DocPlan, encrypt: str | None = None) -> tuple[bytes, Key]:
    rng = planning.doc_rng(plan.seed, plan.index, "doc")
    # The phenomena of real reports (R*) draw from a stream of their own: documents
    # without them are the same bytes as before they existed.
    prng = planning.doc_rng(plan.seed, plan.index, "phenomena")
    values = make_values(rng, plan.body, plan.version)
    for attempt in range(20):
        # R1 (totals printed 0) needs applications to be seen: redraw an empty section 三.
        if "R1" not in plan.pitfalls or values.get("s3", "total_processed", "total"):
            break
        values = make_values(
            planning.doc_rng(plan.seed, plan.index, f"r1-{attempt}"), plan.body, plan.version
        )
    if "P20" in plan.pitfalls:
        values.rows_omitted.add("s2.art20_1/regulations")
    apply_units(plan, values)
    phenomena.prepare_values(prng, plan, values)
    inc = inject_inconsistency(rng, values) if plan.inconsistent else None
    printed = make_printed(rng, plan, values, inc)
    phenomena.apply(prng, plan, values, printed)
    doc = build_document(rng, plan, values, printed, vertical_groups=plan.fmt == "pdf")
    data = render(doc, plan.fmt, rng, encrypt)
    return data, report_key(plan, values, printed, inc, doc.org_name)


def render(doc: Document, fmt: str, rng: random.Random, encrypt: str | None = None) -> bytes:
    if fmt == "txt":
        from generator.txt import render_txt

        return render_txt(doc, rng)
    if fmt == "html":
        from generator.html import render_html

        return render_html(doc, rng)
    if fmt in ("docx", "doc"):
        from generator.docx import render_docx

        data = render_docx(doc, rng)
        return to_doc(data) if fmt == "doc" else data
    if fmt == "pdf":
        from generator.pdf import render_pdf

        return render_pdf(doc, rng, encrypt)
    raise ValueError(f"unknown format {fmt!r}")


def to_doc(docx: bytes) -> bytes:
    """Old binary Word, converted from the DOCX by LibreOffice (as publishers' WPS/Word save it)."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        raise RuntimeError("the doc format needs LibreOffice: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory(prefix="xxgk-gen-") as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx)
        subprocess.run(
            [
                program,
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--convert-to",
                "doc",
                "--outdir",
                tmp,
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (Path(tmp) / "report.doc").read_bytes()


def _build_bad(plan: DocPlan) -> Generated:
    from generator import bad

    assert plan.bad is not None
    rng = planning.doc_rng(plan.seed, plan.index, "bad")
    clean = replace(plan, pitfalls={}, features={}, bad=None, inconsistent=False)
    if plan.bad == "empty_file":
        data = b""
    elif plan.bad == "truncated_pdf":
        from generator.pdf import truncate

        data = truncate(_build_report(clean)[0], rng)
    elif plan.bad == "encrypted_pdf":
        data = _build_report(clean, encrypt="xxgk-" + str(rng.randint(1000, 9999)))[0]
    elif plan.bad == "image_pdf":
        from generator.pdf import image_only_pdf

        data = image_only_pdf(bad.scan_lines(clean, rng), rng)
    elif plan.bad == "not_a_report":
        data = render(bad.notice(clean, rng), plan.fmt, rng)
    else:
        data = render(bad.report_without_tables(clean, rng), plan.fmt, rng)
    title_org = clean.body.name
    return Generated(plan.filename, data, bad_key(plan, title_org, plan.year, plan.fmt))


def _build_and_write(args: tuple[DocPlan, str]) -> dict:
    plan, outdir = args
    generated = build(plan)
    out = Path(outdir)
    (out / "docs" / generated.name).write_bytes(generated.data)
    (out / "keys" / f"{generated.name}.key.json").write_text(generated.key.to_json() + "\n", encoding="utf-8")
    return {
        "name": generated.name,
        "format": plan.fmt,
        "template": plan.version,
        "status": generated.key.status,
        "bad": plan.bad,
        "pitfalls": sorted(plan.pitfalls, key=planning.trait_order),
    }


def write_documents(plans: list[DocPlan], outdir: Path, jobs: int = 1) -> list[dict]:
    """Build and write planned documents and their keys under ``outdir/docs`` and ``outdir/keys``."""
    outdir = Path(outdir)
    (outdir / "docs").mkdir(parents=True, exist_ok=True)
    (outdir / "keys").mkdir(parents=True, exist_ok=True)
    work = [(p, str(outdir)) for p in plans]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(_build_and_write, work, chunksize=max(1, min(32, len(work) // (4 * jobs)))))
    return [_build_and_write(w) for w in work]


def generate_corpus(
    outdir: Path,
    count: int,
    seed: int,
    formats: Iterable[str] = FORMATS,
    jobs: int = 1,
    bad_share: float = planning.BAD_SHARE,
    inconsistent_share: float = planning.INCONSISTENT_SHARE,
) -> list[dict]:
    """Write ``count`` documents and their keys under ``outdir``; return one summary per document."""
    formats = tuple(formats)
    unknown = [f for f in formats if f not in planning.ALL]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(planning.ALL)}")
    outdir = Path(outdir)
    (outdir / "docs").mkdir(parents=True, exist_ok=True)
    (outdir / "keys").mkdir(parents=True, exist_ok=True)
    plans = planning.plan_corpus(count, seed, formats, bad_share, inconsistent_share)
    summary = write_documents(plans, outdir, jobs)
    manifest = {
        "schema": "xxgk.corpus/1",
        "seed": seed,
        "count": count,
        "formats": list(formats),
        "bad_share": bad_share,
        "inconsistent_share": inconsistent_share,
        "v2019_share": planning.V2019_SHARE,
        "pitfall_shares": {
            t.code: {"share": t.share, "formats": list(t.formats), "variants": list(t.variants)}
            for t in planning.PITFALLS
        },
        "phenomenon_shares": {
            t.code: {
                "share": t.share if not t.value_level else None,
                "formats": list(t.formats),
                "variants": list(t.variants),
            }
            for t in planning.PHENOMENA
        },
        "value_phenomena_share": planning.VALUE_PHENOMENA_SHARE,
        "documents": summary,
    }
    (outdir / "corpus.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return summary
