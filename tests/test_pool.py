"""pipeline.pool: extraction in worker processes with a memory ceiling and a time limit.

Fast (no dbt): the pool's records are compared with each other and with what the extractor
makes in-process; a document that needs more memory than a worker may have, or more time,
becomes a rejected record with the reason while the other documents are read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

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


def test_worker_limits_come_from_settings_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_WORKER_MEMORY_MB", raising=False)
    monkeypatch.delenv("XXGK_WORKER_TIME_LIMIT_S", raising=False)
    assert (pool.limits().memory_mb, pool.limits().time_limit_s) == (4096, 180.0)  # xxgk.settings.WORKER
    monkeypatch.setenv("XXGK_WORKER_MEMORY_MB", "512")
    monkeypatch.setenv("XXGK_WORKER_TIME_LIMIT_S", "30")
    assert (pool.limits().memory_mb, pool.limits().time_limit_s) == (512, 30.0)
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
