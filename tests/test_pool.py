"""pipeline.pool: extraction in worker processes with a memory ceiling and a time limit.

Fast (no dbt): the pool's records are compared with each other and with what the extractor
makes in-process; a document that needs more memory than a worker may have, or more time,
becomes a rejected record with the reason while the other documents are read.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing.forkserver
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import crash_once, slow_document

from pipeline import pool
from pipeline import steps as pipeline
from pipeline.progress import ExtractionProgress

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
# Two text samples: a worker reading them stays far below the memory ceilings used here.
DAYONG = "003_dayong_2022.txt"
PINGTAN = "pingtan-2023.page.txt"


def records(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_workers_write_the_records_one_worker_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = pipeline.discover(SAMPLES)
    written = {}
    for jobs in (1, 2):
        monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / f"wh{jobs}"))
        out = pool.extract_all(documents, jobs)
        # In the documents' order, each named by its document's hash.
        assert [Path(p).name for p in out] == [f"{sha(Path(d))}.json" for d in documents]
        written[jobs] = records(tmp_path / f"wh{jobs}" / "records")
    assert len(written[1]) == 9
    assert written[2] == written[1]  # byte for byte
    statuses = sorted(json.loads(text)["status"] for text in written[2].values())
    assert statuses == ["needs_review"] * 6 + ["ok"] * 3


def test_the_same_bytes_under_three_names_are_read_once_from_the_first(
    warehouse: Path, tmp_path: Path
) -> None:
    names = [tmp_path / n for n in ("copy-a.txt", "copy-b.txt", "copy-c.txt")]
    for name in names:
        shutil.copy(SAMPLES / DAYONG, name)
    seen: list[pool.Done] = []
    out = pool.extract_all([str(n) for n in names], 2, on_done=seen.append)
    assert out == [out[0]] * 3
    # The record names the first path, as a serial run's would (never a race between workers).
    assert json.loads(Path(out[0]).read_text(encoding="utf-8"))["source"]["path"] == str(names[0])
    assert sorted((d.index, d.extracted) for d in seen) == [(0, True), (1, False), (2, False)]


def test_a_current_record_is_not_sent_to_a_worker(warehouse: Path) -> None:
    document = str(SAMPLES / DAYONG)
    first = pool.extract_all([document], 1)
    seen: list[pool.Done] = []
    again = pool.extract_all([document], 1, on_done=seen.append)
    assert again == first
    assert seen == [pool.Done(0, document, first[0], extracted=False)]
    forced: list[pool.Done] = []
    pool.extract_all([document], 1, force=True, on_done=forced.append)
    assert [d.extracted for d in forced] == [True]


def memory_hog(folder: Path, megabytes: int = 40) -> Path:
    """A text file shaped like a report's rows, big enough that reading it takes > 300 MB."""
    line = "本年新收政府信息公开申请数量 1 2 3 4 5 6 7\n".encode()
    path = folder / "hog.txt"
    with path.open("wb") as f:
        f.write(line * (megabytes * 1024 * 1024 // len(line)))
    return path


def test_a_document_that_needs_more_memory_than_a_worker_has_is_recorded_as_worker_died(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (DAYONG, PINGTAN):
        shutil.copy(SAMPLES / name, inbox / name)
    hog = memory_hog(inbox)
    monkeypatch.setenv("XXGK_WORKER_MEMORY_MB", "300")
    documents = pipeline.discover(inbox)
    assert [Path(d).name for d in documents] == [DAYONG, "hog.txt", PINGTAN]

    out = pool.extract_all(documents, 2)

    got = [json.loads(Path(p).read_text(encoding="utf-8")) for p in out]
    assert [r["status"] for r in got] == ["ok", "rejected", "needs_review"]
    [problem] = got[1]["problems"]
    assert problem["code"] == "worker_died"
    assert problem["message"] == (
        "the worker extracting this document died (out of memory: the document needed more than "
        "the ceiling of 300 MB (XXGK_WORKER_MEMORY_MB)) before it finished"
    )
    assert got[1]["source"] == {"path": str(hog), "sha256": sha(hog), "format": "txt"}
    # The pool replaced the dead worker: the other documents read as they do in-process.
    for record, name in ((got[0], DAYONG), (got[2], PINGTAN)):
        monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / "alone"))
        alone = json.loads(Path(pipeline.extract_to_file(str(inbox / name))).read_text(encoding="utf-8"))
        assert record == alone


def test_a_document_over_the_time_limit_is_recorded_as_timeout(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A millisecond: no report is read that fast, so every worker is stopped and replaced.
    monkeypatch.setenv("XXGK_WORKER_TIME_LIMIT_S", "0.001")
    documents = [str(SAMPLES / DAYONG), str(SAMPLES / PINGTAN)]

    out = pool.extract_all(documents, 1)

    got = [json.loads(Path(p).read_text(encoding="utf-8")) for p in out]
    assert [r["source"]["path"] for r in got] == documents
    assert [r["status"] for r in got] == ["rejected", "rejected"]
    assert [[(p["code"], p["message"]) for p in r["problems"]] for r in got] == [
        [
            (
                "timeout",
                "reading took more than 0.001 s (the hard limit per document, "
                "XXGK_WORKER_TIME_LIMIT_S); the worker reading it was stopped",
            )
        ]
    ] * 2


@pytest.fixture
def slow_documents(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The pool's workers forked from a fork server that carries ``faults.slow_document``.

    The fork server is started once per test process with the environment of that moment, so
    it is stopped before (to start one with tests/faults on PYTHONPATH) and after (so that later
    tests get a clean one).  ``_stop`` is multiprocessing's own private reset, used by its tests.
    """
    monkeypatch.setenv("PYTHONPATH", crash_once.pythonpath(os.environ.get("PYTHONPATH")))
    monkeypatch.setenv(slow_document.ENV, "0:sleep")  # installs the wrapper; each test sets its own
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]
    yield monkeypatch
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]


def timed_run(document: str) -> tuple[dict[str, Any], float]:
    """The record the pool writes for one document, and the seconds the run took."""
    t0 = time.monotonic()
    [out] = pool.extract_all([document], 1)
    return json.loads(Path(out).read_text(encoding="utf-8")), time.monotonic() - t0


def problem_of(record: dict[str, Any]) -> tuple[str, str]:
    [problem] = record["problems"]
    return problem["code"], problem["message"]


def test_a_slow_document_without_ocr_is_stopped_at_the_wall_limit(slow_documents: pytest.MonkeyPatch) -> None:
    slow_documents.setenv("XXGK_WORKER_TIME_LIMIT_S", "0.5")
    slow_documents.setenv(slow_document.ENV, "60:sleep")  # stuck, without saying OCR

    record, took = timed_run(str(SAMPLES / DAYONG))

    assert record["status"] == "rejected"
    assert problem_of(record) == (
        "timeout",
        "reading took more than 0.5 s (the hard limit per document, XXGK_WORKER_TIME_LIMIT_S); "
        "the worker reading it was stopped",
    )
    assert took < 30  # stopped at the limit, not after the 60 s


def test_a_scan_past_the_wall_limit_within_its_ocr_budget_is_read(slow_documents: pytest.MonkeyPatch) -> None:
    # 3 s of wall time, four times the 0.5 s limit, idle; the OCR budget of 3 CPU s makes the
    # wall ceiling 0.5 + 5 x 3 = 15.5 s and the CPU limit 3.5 s (a text report takes < 0.5).
    slow_documents.setenv("XXGK_WORKER_TIME_LIMIT_S", "0.5")
    slow_documents.setenv(slow_document.ENV, "2:sleep:ocr=3")

    record, took = timed_run(str(SAMPLES / DAYONG))

    slow_documents.setenv(slow_document.ENV, "0:sleep")
    slow_documents.setenv("XXGK_WAREHOUSE_DIR", str(Path(os.environ["XXGK_WAREHOUSE_DIR"]) / "alone"))
    alone = json.loads(Path(pipeline.extract_to_file(str(SAMPLES / DAYONG))).read_text(encoding="utf-8"))
    assert record == alone  # the record of the document, not a timeout
    assert record["status"] == "ok"
    assert took > 2  # it did outlast the wall limit of a document without OCR


def test_a_scan_stuck_without_spinning_is_stopped_at_its_wall_ceiling(
    slow_documents: pytest.MonkeyPatch,
) -> None:
    slow_documents.setenv("XXGK_WORKER_TIME_LIMIT_S", "0.5")
    slow_documents.setenv(slow_document.ENV, "60:sleep:ocr=0.3")  # ceiling 0.5 + 5 x 0.3 = 2 s

    record, took = timed_run(str(SAMPLES / DAYONG))

    assert problem_of(record) == (
        "timeout",
        "reading by OCR (1 page(s)) took more than 2 s (the hard limit per document, 0.5 s, plus 5 "
        "(XXGK_WORKER_OCR_WALL_FACTOR) times the OCR budget of 0.3 CPU seconds); the worker reading "
        "it was stopped",
    )
    assert 2 <= took < 30


def test_a_scan_stuck_spinning_is_stopped_by_its_cpu_time(slow_documents: pytest.MonkeyPatch) -> None:
    # A wall ceiling of 0.5 + 1000 x 0.3 s: only the CPU limit, 0.8 CPU s, can stop it in time.
    slow_documents.setenv("XXGK_WORKER_TIME_LIMIT_S", "0.5")
    slow_documents.setenv("XXGK_WORKER_OCR_WALL_FACTOR", "1000")
    slow_documents.setenv(slow_document.ENV, "60:spin:ocr=0.3")

    record, took = timed_run(str(SAMPLES / DAYONG))

    assert problem_of(record) == (
        "timeout",
        "reading by OCR (1 page(s)) took more than 0.8 CPU seconds (the hard limit per document, 0.5, "
        "plus the OCR budget of 0.3) without OCR's own limit stopping it; the worker reading it was "
        "stopped",
    )
    assert took < 50


def test_worker_limits_come_from_settings_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_WORKER_MEMORY_MB", raising=False)
    monkeypatch.delenv("XXGK_WORKER_TIME_LIMIT_S", raising=False)
    monkeypatch.delenv("XXGK_WORKER_OCR_WALL_FACTOR", raising=False)
    got = pool.limits()
    assert (got.memory_mb, got.time_limit_s, got.ocr_wall_factor) == (4096, 180.0, 5.0)  # settings.WORKER
    monkeypatch.setenv("XXGK_WORKER_MEMORY_MB", "512")
    monkeypatch.setenv("XXGK_WORKER_TIME_LIMIT_S", "30")
    monkeypatch.setenv("XXGK_WORKER_OCR_WALL_FACTOR", "2.5")
    got = pool.limits()
    assert (got.memory_mb, got.time_limit_s, got.ocr_wall_factor) == (512, 30.0, 2.5)
    monkeypatch.setenv("XXGK_WORKER_MEMORY_MB", "lots")
    with pytest.raises(ValueError, match="XXGK_WORKER_MEMORY_MB='lots' is not a number"):
        pool.limits()


def test_progress_off_a_terminal_logs_a_line_per_tenth(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="pipeline.progress")
    with ExtractionProgress(20, bar=False) as progress:
        for i in range(20):
            progress(pool.Done(i, f"d{i}", f"r{i}", extracted=i % 2 == 0))
    assert [r.getMessage() for r in caplog.records] == [
        f"extract: {n} of 20 documents ({n // 2} already extracted, {n // 2} extracted)"
        for n in range(2, 21, 2)
    ]
    caplog.clear()
    with ExtractionProgress(20, quiet=True) as progress:
        for i in range(20):
            progress(pool.Done(i, f"d{i}", f"r{i}", extracted=True))
    assert caplog.records == []
