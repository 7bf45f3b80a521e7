"""The DAG's steps at scale (``pipeline.steps``): batches, resumable extraction, dead workers, the loader.

No Airflow and no dbt here: these are the functions the DAG's tasks call, run in-process
(and in subprocesses that die, for a worker killed on a document).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from faults import crash_once

from pipeline import steps as pipeline
from warehouse import paths

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"


def journal_events(manifest: str) -> list[dict]:
    journal = Path(manifest).with_suffix(".journal")
    return [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]


# ----------------------------------------------------------------------- planning


def test_the_year_defaults_to_the_one_before_the_run() -> None:
    assert pipeline.default_year(datetime(2025, 3, 1, 3, 0)) == 2024
    # Airflow's dates are in UTC: 1 January 02:00 in Beijing is still 31 December in UTC.
    assert pipeline.default_year(datetime(2024, 12, 31, 18, 0, tzinfo=UTC)) == 2024


def test_the_inbox_of_a_year_is_its_folder_when_it_exists(tmp_path: Path) -> None:
    (tmp_path / "root" / "2023").mkdir(parents=True)
    fallback = str(tmp_path / "fallback")
    assert pipeline.resolve_inbox(2023, str(tmp_path / "root"), fallback) == tmp_path / "root" / "2023"
    assert pipeline.resolve_inbox(2022, str(tmp_path / "root"), fallback) == Path(fallback)
    assert pipeline.resolve_inbox(2023, "", fallback) == Path(fallback)


def test_batches_split_the_inbox_in_order(warehouse: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(7):
        (inbox / f"{i}.txt").write_text(str(i))
    manifests = pipeline.plan_batches(inbox, run_key="manual__2024-03-01T03:00:00+08:00", size=3)

    assert len(manifests) == 3
    batches = [json.loads(Path(m).read_text(encoding="utf-8")) for m in manifests]
    assert [b["documents"] for b in batches] == [
        [str(inbox / f"{i}.txt") for i in range(0, 3)],
        [str(inbox / f"{i}.txt") for i in range(3, 6)],
        [str(inbox / "6.txt")],
    ]
    assert [(b["batch"], b["of"]) for b in batches] == [(1, 3), (2, 3), (3, 3)]
    # Inside the warehouse, one folder per run, with a file-system-safe name.
    assert {Path(m).parent for m in manifests} == {
        warehouse / "batches" / "manual__2024-03-01T03_00_00_08_00"
    }
    # Planned again in the same run (discover retried): the same files.
    assert pipeline.plan_batches(inbox, run_key="manual__2024-03-01T03:00:00+08:00", size=3) == manifests


def test_fifty_thousand_documents_make_two_hundred_and_fifty_tasks(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [f"/inbox/2024/{i:05d}.pdf" for i in range(50_000)]
    monkeypatch.setattr(pipeline, "discover", lambda inbox: documents)
    manifests = pipeline.plan_batches(Path("/inbox/2024"), run_key="big")
    assert len(manifests) == 250
    assert sum(len(json.loads(Path(m).read_text())["documents"]) for m in manifests) == 50_000


def test_the_batch_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_BATCH_SIZE", raising=False)
    assert pipeline.batch_size() == 200
    monkeypatch.setenv("XXGK_BATCH_SIZE", "50")
    assert pipeline.batch_size() == 50
    monkeypatch.setenv("XXGK_BATCH_SIZE", "0")
    with pytest.raises(ValueError, match="XXGK_BATCH_SIZE"):
        pipeline.batch_size()


# --------------------------------------------------------------------- extraction


def test_a_batch_writes_one_record_per_document_and_no_database(warehouse: Path) -> None:
    [manifest] = pipeline.plan_batches(SAMPLES, run_key="r", size=20)
    result = json.loads(Path(pipeline.extract_batch(manifest)).read_text(encoding="utf-8"))
    assert result["documents"] == 9
    assert sorted(Path(r).name for r in result["records"]) == sorted(
        p.name for p in (warehouse / "records").iterdir()
    )
    assert not (warehouse / "build").exists()


def test_a_batch_of_unchanged_documents_reads_none_of_them(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``xxgk run``: a document whose stat is the one it was hashed with is not read again."""
    from test_hashes import opens

    from pipeline import hashes

    monkeypatch.setenv(hashes.RACY_ENV, "0.05")
    monkeypatch.delenv(hashes.REHASH_ENV, raising=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("pingtan-2023.page.txt", "003_dayong_2022.txt"):
        (inbox / name).write_bytes((SAMPLES / name).read_bytes())
    time.sleep(0.1)
    [first] = pipeline.plan_batches(inbox, run_key="first", size=10)
    before = json.loads(Path(pipeline.extract_batch(first)).read_text(encoding="utf-8"))
    time.sleep(0.1)  # the records, just written, are remembered from the next batch on
    [second] = pipeline.plan_batches(inbox, run_key="second", size=10)
    pipeline.extract_batch(second)
    [third] = pipeline.plan_batches(inbox, run_key="third", size=10)
    with opens() as seen:
        again = json.loads(Path(pipeline.extract_batch(third)).read_text(encoding="utf-8"))
    assert again["records"] == before["records"]
    assert not {*before["document_paths"], *before["records"]} & set(seen)
    # Nothing was extracted: no "start" (no fsync per document), every document "done".
    assert [e["event"] for e in journal_events(third)] == ["done", "done"]

    # A document changed in place (same size) is read, hashed and extracted again.
    changed = inbox / "003_dayong_2022.txt"
    data = changed.read_bytes()
    at = data.index(b"1")
    changed.write_bytes(data[:at] + b"7" + data[at + 1 :])
    [fourth] = pipeline.plan_batches(inbox, run_key="fourth", size=10)
    with opens() as seen:
        result = json.loads(Path(pipeline.extract_batch(fourth)).read_text(encoding="utf-8"))
    assert str(changed) in seen
    assert result["records"][0] != before["records"][0] and result["records"][1] == before["records"][1]
    assert [e["event"] for e in journal_events(fourth)] == ["start", "done", "done"]


def test_a_crashed_batch_resumes_where_it_stopped(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "crashed"
    monkeypatch.setenv("XXGK_TEST_CRASH_ONCE", str(flag))
    monkeypatch.setattr(pipeline, "journal_event", crash_once.crashing(pipeline.journal_event, str(flag)))
    [manifest] = pipeline.plan_batches(SAMPLES, run_key="r", size=20)
    with pytest.raises(RuntimeError, match="simulated crash"):
        pipeline.extract_batch(manifest)
    assert flag.exists()
    assert [e["event"] for e in journal_events(manifest)] == ["start", "done"]

    result = json.loads(Path(pipeline.extract_batch(manifest)).read_text(encoding="utf-8"))
    assert len(result["records"]) == 9
    events = journal_events(manifest)
    # The first document was not extracted again; every document is done once.
    assert sum(1 for e in events if e["event"] == "start" and e["i"] == 0) == 1
    assert sorted(e["i"] for e in events if e["event"] == "done") == list(range(9))


def test_the_fault_injection_reaches_a_subprocess_through_pythonpath(warehouse: Path, tmp_path: Path) -> None:
    """tests/faults on PYTHONPATH installs the crash in any process, as in the Airflow tests."""
    [manifest] = pipeline.plan_batches(SAMPLES, run_key="r", size=20)
    flag = tmp_path / "crashed"
    env = {
        **os.environ,
        "XXGK_WAREHOUSE_DIR": str(warehouse),
        "XXGK_TEST_CRASH_ONCE": f"{flag}:exit",
        "PYTHONPATH": crash_once.pythonpath(os.environ.get("PYTHONPATH")),
    }
    code = "import sys; from pipeline import steps; steps.extract_batch(sys.argv[1])"

    killed = subprocess.run(
        [sys.executable, "-c", code, manifest], env=env, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == 3, killed.stderr[-2000:]
    assert flag.read_text().strip() == manifest
    assert [e["event"] for e in journal_events(manifest)] == ["start", "done"]
    # Without the variable nothing is installed: the product has no such hook.
    survived = subprocess.run(
        [sys.executable, "-c", code, manifest],
        env={**env, "XXGK_TEST_CRASH_ONCE": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert survived.returncode == 0, survived.stderr[-2000:]
    assert sorted(e["i"] for e in journal_events(manifest) if e["event"] == "done") == list(range(9))
    assert not hasattr(pipeline, "_maybe_crash_for_test")


KILLER = textwrap.dedent("""
    import os, sys
    from pipeline import steps as pipeline

    real = pipeline.extract_path
    def extract_path(path):
        if "poison" in str(path):
            os._exit(9)            # like a worker killed by the kernel: no exception, no word
        return real(path)
    pipeline.extract_path = extract_path
    pipeline.extract_batch(sys.argv[1])
""")


def test_a_document_that_kills_its_worker_is_reported_not_dropped(warehouse: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("pingtan-2023.page.txt", "003_dayong_2022.txt"):
        (inbox / name).write_bytes((SAMPLES / name).read_bytes())
    poison = inbox / "1_poison.pdf"
    poison.write_bytes(b"%PDF-1.4 a file that kills the reader")
    [manifest] = pipeline.plan_batches(inbox, run_key="r", size=10)
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(warehouse)}

    for _attempt in (1, 2):  # the task's first two attempts die on the poisoned document
        died = subprocess.run(
            [sys.executable, "-c", KILLER, manifest], env=env, capture_output=True, text=True, timeout=300
        )
        assert died.returncode == 9, died.stderr[-2000:]
    # The third attempt reports it instead of trying again, and finishes the batch.
    survived = subprocess.run(
        [sys.executable, "-c", KILLER, manifest], env=env, capture_output=True, text=True, timeout=300
    )
    assert survived.returncode == 0, survived.stderr[-2000:]

    result = json.loads(Path(manifest).with_suffix(".records.json").read_text(encoding="utf-8"))
    records = [json.loads(Path(r).read_text(encoding="utf-8")) for r in result["records"]]
    assert [Path(r["source"]["path"]).name for r in records] == [
        "003_dayong_2022.txt",
        "1_poison.pdf",
        "pingtan-2023.page.txt",
    ]
    poisoned = records[1]
    assert poisoned["status"] == "rejected"
    assert poisoned["source"]["format"] == "pdf"
    [problem] = poisoned["problems"]
    assert problem["code"] == "worker_died"
    assert "2 attempts" in problem["message"]
    assert records[0]["status"] != "rejected" and records[2]["status"] != "rejected"

    # The loader stages it as a rejected document, with the reason.
    loaded = pipeline.load_batches([str(Path(manifest).with_suffix(".records.json"))])
    assert loaded["new_documents"] == 3
    con = duckdb.connect(str(paths.build_db()), read_only=True)
    try:
        assert con.execute(
            "select d.status, p.code from staging.documents d join staging.problems p "
            "using (document_id) where d.source_path like '%poison%'"
        ).fetchall() == [("rejected", "worker_died")]
    finally:
        con.close()


def test_an_exception_is_not_taken_for_a_dead_worker(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [manifest] = pipeline.plan_batches(SAMPLES, run_key="r", size=20)

    def disk_full(path: str) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "extract_to_file", disk_full)
    monkeypatch.setenv("XXGK_DOCUMENT_ATTEMPTS", "1")
    for _ in range(3):
        with pytest.raises(OSError):
            pipeline.extract_batch(manifest)
    monkeypatch.undo()
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(warehouse))
    result = json.loads(Path(pipeline.extract_batch(manifest)).read_text(encoding="utf-8"))
    statuses = {json.loads(Path(r).read_text())["status"] for r in result["records"]}
    assert "rejected" not in statuses


# -------------------------------------------------------------------------- load


def test_the_loader_is_idempotent_in_any_chunk_size(warehouse: Path) -> None:
    manifests = pipeline.plan_batches(SAMPLES, run_key="r", size=4)
    results = [pipeline.extract_batch(m) for m in manifests]

    first = pipeline.load_batches(results, chunk=2)
    assert (first["documents"], first["batches"], first["new_documents"]) == (9, 3, 9)
    again = pipeline.load_batches(results, chunk=5)
    assert (again["new_documents"], again["already_staged"]) == (0, 9)

    con = duckdb.connect(str(paths.build_db()), read_only=True)
    try:
        assert con.execute(
            "select count(*), count(distinct document_id) from staging.documents"
        ).fetchone() == (9, 9)
        n_cells = con.execute("select count(*) from staging.cells").fetchone()
        n_distinct = con.execute(
            "select count(*) from (select distinct document_id, table_code, row_code, col_code from staging.cells)"
        ).fetchone()
        assert n_cells is not None and n_distinct is not None  # aggregates give one row each
        assert n_cells[0] == n_distinct[0]
    finally:
        con.close()


def test_a_load_killed_between_chunks_finishes_on_the_next_run(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = pipeline.plan_batches(SAMPLES, run_key="r", size=9)
    results = [pipeline.extract_batch(m) for m in manifests]
    real_load = pipeline._load_chunk
    calls = []

    def dies_on_the_second_chunk(con: object, record_paths: list[str], *paths_seen: object) -> dict[str, int]:
        calls.append(len(record_paths))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_load(con, record_paths, *paths_seen)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_load_chunk", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        pipeline.load_batches(results, chunk=4)
    monkeypatch.setattr(pipeline, "_load_chunk", real_load)

    done = pipeline.load_batches(results, chunk=4)
    assert (done["new_documents"], done["already_staged"]) == (5, 4)


def test_the_loader_refuses_a_batch_that_lost_a_document(warehouse: Path, tmp_path: Path) -> None:
    result = tmp_path / "00001-x.records.json"
    result.write_text(json.dumps({"batch": 1, "documents": 3, "records": ["a.json", "b.json"]}))
    with pytest.raises(RuntimeError, match="2 records for 3 documents"):
        pipeline.load_batches([str(result)])
