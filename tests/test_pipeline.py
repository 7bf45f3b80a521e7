"""pipeline.steps: the steps the CLI and the DAG share, and ``xxgk run`` end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import steps as pipeline
from warehouse import paths

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
XXGK = str(Path(sys.executable).parent / "xxgk")


def test_discover_lists_documents_sorted_and_skips_checksums(tmp_path: Path) -> None:
    for name in ("b/2.pdf", "a.txt", "c.docx", ".hidden", "a.txt.sha256", "list.tsv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert pipeline.discover(tmp_path) == [str(tmp_path / n) for n in ("a.txt", "b/2.pdf", "c.docx")]


def test_discover_refuses_a_missing_or_empty_inbox(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        pipeline.discover(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no documents"):
        pipeline.discover(tmp_path)


def test_the_samples_are_discovered() -> None:
    assert [Path(p).name for p in pipeline.discover(SAMPLES)] == sorted(p.name for p in SAMPLES.iterdir())
    assert len(pipeline.discover(SAMPLES)) == 9


def test_an_extractor_crash_becomes_a_rejected_record(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.7 not really")

    def crash(path: Path) -> None:
        raise ZeroDivisionError("division by zero in the table finder")

    monkeypatch.setattr(pipeline, "extract_path", crash)
    out = Path(pipeline.extract_to_file(str(document)))

    sha = hashlib.sha256(document.read_bytes()).hexdigest()
    assert out == warehouse / "records" / f"{sha}.json"
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["status"] == "rejected"
    assert record["source"] == {"path": str(document), "sha256": sha, "format": "pdf"}
    assert record["cells"] == []
    [problem] = record["problems"]
    assert problem["code"] == "extractor_crash"
    assert problem["severity"] == "error"
    assert "ZeroDivisionError" in problem["message"]
    assert "table finder" in problem["message"]
    # Written atomically: no temporary file left beside it.
    assert os.listdir(out.parent) == [out.name]


def test_a_sample_is_extracted_to_its_record_file(warehouse: Path) -> None:
    document = SAMPLES / "pingtan-2023.page.txt"
    out = Path(pipeline.extract_to_file(str(document)))

    sha = hashlib.sha256(document.read_bytes()).hexdigest()
    assert out == warehouse / "records" / f"{sha}.json"
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["schema"] == "xxgk.report/3"
    assert record["source"]["sha256"] == sha
    assert record["year"] == 2023
    assert "extractor_crash" not in {p["code"] for p in record["problems"]}
    assert record["status"] in {"ok", "needs_review"}
    assert record["cells"]


def snapshot(warehouse: Path) -> dict[str, object]:
    """Row counts of every table of both databases, and when each document was staged."""
    out: dict[str, object] = {}
    for db in (warehouse / "build" / "xxgk_build.duckdb", warehouse / "xxgk.duckdb"):
        con = duckdb.connect(str(db), read_only=True)
        try:
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by all"
            ).fetchall():
                counted = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
                assert counted is not None  # an aggregate gives one row
                if (schema, name) == ("staging", "record_files"):
                    # The loader's memory of the record files' stats, not what it staged: a file
                    # is remembered once it is older than a clock tick (pipeline.hashes).
                    continue
                out[f"{db.name}:{schema}.{name}"] = counted[0]
            if db.name == "xxgk_build.duckdb":
                out["loaded_at"] = con.execute(
                    "select document_id, loaded_at from staging.documents order by all"
                ).fetchall()
        finally:
            con.close()
    return out


def publications(warehouse: Path) -> list[Path]:
    return sorted(p for p in (warehouse / "publications").iterdir() if not p.name.startswith("."))


@pytest.mark.slow
def test_run_twice_over_the_samples_changes_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(warehouse)}
    env.pop("XXGK_CORRECTIONS", None)

    first = subprocess.run([XXGK, "run", "--jobs", "2"], env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-5000:]
    assert "documents:   9 (3 ok, 6 needs_review, 0 rejected); 9 extracted by this run" in first.stdout
    assert f"published:   {warehouse / 'xxgk.duckdb'}" in first.stdout
    assert "staged:      9 new, 0 already staged" in first.stdout
    assert len(list((warehouse / "records").glob("*.json"))) == 9
    # dbt's log is in the warehouse, not on stderr.
    assert (warehouse / "dbt" / "logs" / "dbt.log").stat().st_size > 0
    assert "Running with dbt" not in first.stderr and "START sql" not in first.stderr
    before = snapshot(warehouse)
    assert before["xxgk.duckdb:marts.dim_report"] == 9
    [publication] = publications(warehouse)
    assert publication.name.startswith("2")

    # Nothing new: no load, no dbt, no new publication pushing a kept one out.
    second = subprocess.run([XXGK, "run"], env=env, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr[-5000:]
    assert second.stdout.splitlines() == [
        "documents:   9 (3 ok, 6 needs_review, 0 rejected); 0 extracted by this run",
        "nothing new: the same documents, extractor, corrections and code as publication "
        f"{publication.name}; nothing was loaded or published",
        f"published:   {warehouse / 'xxgk.duckdb'} (unchanged)",
    ]
    assert publications(warehouse) == [publication]
    assert snapshot(warehouse) == before
    assert len(list((warehouse / "records").glob("*.json"))) == 9

    # An edited corrections file is new (here a blank line: the same corrections), so the
    # load runs again and publishes the same marts.
    edited = tmp_path / "corrections.csv"
    edited.write_bytes((paths.PROJECT_DIR / "corrections" / "corrections.csv").read_bytes() + b"\n")
    third = subprocess.run(
        [XXGK, "run", "--quiet"],
        env={**env, "XXGK_CORRECTIONS": str(edited)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert third.returncode == 0, third.stderr[-5000:]
    assert "staged:      0 new, 9 already staged" in third.stdout
    assert third.stderr == ""  # --quiet: no progress, no log lines
    assert len(publications(warehouse)) == 2
    assert snapshot(warehouse) == before
    # Written by the first run, long settled: remembered, so the next load opens none of them.
    with duckdb.connect(str(warehouse / "build" / "xxgk_build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from staging.record_files").fetchall() == [(9,)]


def test_quarantined_names_rejected_and_failed_reports(warehouse: Path) -> None:
    from warehouse import staging

    con = staging.connect(paths.build_db())
    con.execute("""
        insert into staging.documents (document_id, source_path, source_format, org_name, region,
                                       report_year, template_version, status, n_cells,
                                       n_problems, loaded_at) values
          ('a', 'in/ok.pdf', 'pdf', '甲镇', [], 2023, 'v2021', 'ok', 10, 0, now()),
          ('b', 'in/bad.pdf', 'pdf', '乙镇', [], 2022, 'v2021', 'needs_review', 10, 1, now()),
          ('c', 'in/scan.pdf', 'pdf', null, [], null, null, 'rejected', 0, 1, now()),
          ('d', 'in/other.pdf', 'pdf', '丁镇', [], 2021, 'v2021', 'needs_review', 10, 0, now()),
          ('e', 'in/part.pdf', 'pdf', '戊镇', [], 2023, 'v2021', 'needs_review', 10, 1, now());
        insert into staging.problems (document_id, problem_seq, code, severity, message, cells)
        values ('c', 1, 'no_text_layer', 'error', 'scanned', []);
        insert into staging.gate_results (document_id, passed, checked_at)
        values ('a', true, now()), ('b', false, now()), ('e', false, now());
        insert into staging.gate_sections (document_id, section, verdict, cause, reason, n_cells,
                                           checked_at) values
          ('e', 's2', 'published', null, null, 22, now()),
          ('e', 's3', 'held_back', 'extractor', 'ambiguous_values: s3 row granted', 84, now());
        insert into staging.gate_failures (document_id, identity_id, equation_id, lhs_value,
                                           rhs_value, difference, cells) values
          ('b', 'H1', 'H1.total', 5, 6, -1, '[]'), ('b', 'H3', 'H3.x', 1, 2, -1, '[]');
    """)
    con.close()

    found = pipeline.quarantined(["a", "b", "c", "e"])  # 'd' is not of this run

    assert [(q.document_id, q.status, q.reason) for q in found] == [
        ("b", "needs_review", "gate failed: H1, H3"),
        ("e", "needs_review", "section 三 held back: ambiguous_values: s3 row granted"),
        ("c", "rejected", "rejected by the extractor (no_text_layer)"),
    ]


@pytest.mark.slow
def test_run_quarantines_a_document_that_is_not_a_report(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "pingtan-2023.page.txt").write_bytes((SAMPLES / "pingtan-2023.page.txt").read_bytes())
    (inbox / "notes.txt").write_text("会议纪要：本周无事。\n", encoding="utf-8")
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")}

    result = subprocess.run(
        [XXGK, "run", "--inbox", str(inbox)], env=env, capture_output=True, text=True, timeout=900
    )

    assert result.returncode == 0, result.stderr[-5000:]
    assert "documents:   2 (" in result.stdout
    assert "1 rejected" in result.stdout
    # pingtan-2023's section 二 is held back (unread cells): it is listed beside the rejected notes.
    assert "quarantined: 2" in result.stdout
    assert "notes.txt" in result.stdout and "rejected by the extractor" in result.stdout


def test_the_summary_counts_the_commonest_causes_not_every_report(tmp_path: Path) -> None:
    def held(n: int, cause: str) -> pipeline.Quarantined:
        return pipeline.Quarantined(f"d{n}", f"in/{n:02d}.pdf", "甲镇", 2023, "needs_review", cause, (cause,))

    # 12 causes over 30 documents: 10 lines, the rest summed.
    quarantined = [held(n, f"section 三 held back: H{n % 12:02d}") for n in range(30)]
    summary = pipeline.RunSummary(
        n_documents=40,
        statuses={"ok": 10, "needs_review": 30},
        loaded={"new_documents": 40},
        n_checked=40,
        n_passed=10,
        published_db=tmp_path / "xxgk.duckdb",
        quarantined=quarantined,
        extracted=40,
    )
    lines = pipeline.format_summary(summary).splitlines()
    start = lines.index("quarantined: 30 document(s)")
    assert lines[start + 1 :] == [
        *(f"       3 × section 三 held back: H{k:02d}  (e.g. {k:02d}.pdf)" for k in range(6)),
        *(f"       2 × section 三 held back: H{k:02d}  (e.g. {k:02d}.pdf)" for k in range(6, 10)),
        "  … and 2 other cause(s) of 4 document(s)",
        "next:        xxgk quarantine  (every report held back: its causes, cells and pages)",
    ]
    assert lines[0] == "documents:   40 (10 ok, 30 needs_review, 0 rejected); 40 extracted by this run"
