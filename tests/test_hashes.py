"""pipeline.hashes: a reload does not read a document whose file is unchanged, and sees one that is.

Fast (no dbt): the reload's decision is the fingerprint of the records ``pool.extract_all``
finds (``pipeline.fingerprint``), so a touched document must give a new record and a new
fingerprint, and an untouched one must not be opened at all.  Opens are seen with a Python
audit hook (``sys.addaudithook``, the interpreter's own ``open`` event), not a hook in the product.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pipeline import fingerprint, hashes, pool

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
DAYONG = "003_dayong_2022.txt"

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], str | bytes | os.PathLike):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # cannot be removed; it records only inside ``opens()``


@contextmanager
def opens() -> Iterator[list[str]]:
    """Every file opened (by any thread) inside the block."""
    global _opened
    seen: list[str] = []
    _opened = seen
    try:
        yield seen
    finally:
        _opened = None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def report(warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report file hashed long enough after it was written to be remembered (not racily clean)."""
    monkeypatch.setenv(hashes.RACY_ENV, "0.05")
    monkeypatch.delenv(hashes.REHASH_ENV, raising=False)
    document = tmp_path / "inbox" / DAYONG
    document.parent.mkdir()
    shutil.copy(SAMPLES / DAYONG, document)
    time.sleep(0.1)
    return document


def test_an_untouched_document_is_not_read_again(report: Path) -> None:
    first = pool.extract_all([str(report)], 1)
    assert json.loads(hashes.cache_path().read_text(encoding="utf-8"))["entries"][str(report)][5] == sha(
        report
    )
    with opens() as seen:
        again = pool.extract_all([str(report)], 1)
    assert again == first
    assert str(report) not in seen
    assert first[0] in seen  # the record's head was read (its extractor version): the check ran
    # --rehash reads it.
    with opens() as seen:
        assert pool.extract_all([str(report)], 1, rehash=True) == first
    assert seen.count(str(report)) == 1


def test_a_touched_document_is_hashed_again_and_is_new(report: Path) -> None:
    [first] = pool.extract_all([str(report)], 1)
    before = fingerprint.compute([first], [str(report)])
    old = os.stat(report)
    data = report.read_bytes()
    at = data.index(b"1")  # a figure of the report, changed in place: the same size
    touched = data[:at] + b"7" + data[at + 1 :]
    report.write_bytes(touched)
    # Even with its mtime set back, the ctime (which no program can set) shows the change.
    os.utime(report, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert (os.stat(report).st_size, os.stat(report).st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    with opens() as seen:
        [second] = pool.extract_all([str(report)], 1)
    assert str(report) in seen
    assert Path(second).name == f"{hashlib.sha256(touched).hexdigest()}.json" != Path(first).name
    assert json.loads(Path(second).read_text(encoding="utf-8"))["source"]["sha256"] == sha(report)
    assert fingerprint.compute([second], [str(report)]).value != before.value


def test_a_document_hashed_as_it_was_written_is_hashed_again(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(hashes.RACY_ENV, raising=False)  # the default: 2 s
    document = tmp_path / DAYONG
    shutil.copy(SAMPLES / DAYONG, document)
    cache = hashes.HashCache.load()
    assert cache.sha256(document) == sha(document)
    cache.save()
    # Written less than 2 s before it was hashed: "racily clean", not remembered.
    assert str(document) not in hashes.HashCache.load().entries
    assert hashes.HashCache.load().sha256(tmp_path / "missing.txt") is None


def test_a_damaged_cache_is_ignored(report: Path) -> None:
    hashes.cache_path().write_text("{not json", encoding="utf-8")
    cache = hashes.HashCache.load()
    assert cache.entries == {}
    assert cache.sha256(report) == sha(report)
    cache.save()
    assert str(report) in hashes.HashCache.load().entries


# ----------------------------------------------------------- records: their extractor version


def extracted(documents: list[str]) -> tuple[list[str], int]:
    """``pool.extract_all`` of the documents: the records and how many were extracted."""
    done: list[pool.Done] = []
    return pool.extract_all(documents, 1, on_done=done.append), sum(d.extracted for d in done)


def test_an_unchanged_record_is_not_opened_again(report: Path) -> None:
    [record], _ = extracted([str(report)])
    time.sleep(0.1)  # the record, written just now, is "racily clean" until then
    extracted([str(report)])  # reads its head, remembers its version by its stat
    with opens() as seen:
        assert extracted([str(report)]) == ([record], 0)
    assert record not in seen and str(report) not in seen
    # --rehash reads the record's head again.
    with opens() as seen:
        assert pool.extract_all([str(report)], 1, rehash=True) == [record]
    assert record in seen


def test_a_rewritten_record_is_read_again(report: Path) -> None:
    [record], _ = extracted([str(report)])
    time.sleep(0.1)
    extracted([str(report)])
    assert str(Path(record)) in hashes.HashCache.load().records
    # The record replaced by one an older extractor made (another file, as a writer makes it).
    data = json.loads(Path(record).read_text(encoding="utf-8"))
    data["extractor_version"] = "0.0.1"
    replacement = Path(record).with_suffix(".tmp")
    replacement.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(replacement, record)
    assert extracted([str(report)]) == ([record], 1)
    assert json.loads(Path(record).read_text(encoding="utf-8"))["extractor_version"] != "0.0.1"


def test_a_new_extractor_version_reads_every_remembered_record_again(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import steps

    [record], _ = extracted([str(report)])
    time.sleep(0.1)
    extracted([str(report)])
    version = json.loads(Path(record).read_text(encoding="utf-8"))["extractor_version"]
    assert hashes.HashCache.load().records[record][1] == version
    monkeypatch.setattr(steps, "EXTRACTOR_VERSION", version + ".1")
    before = fingerprint.compute([record], [str(report)])
    monkeypatch.setattr(fingerprint, "EXTRACTOR_VERSION", version + ".1")
    assert fingerprint.compute([record], [str(report)]).value != before.value
    # The pool's workers import the real version (so the new record names it): what is looked
    # at is the pool's decision, to extract the record again.
    assert extracted([str(report)])[1] == 1


def test_two_savers_keep_each_others_entries(report: Path, tmp_path: Path) -> None:
    """The DAG's batches save concurrently: the second save must not drop the first's entries."""
    other = tmp_path / "inbox" / "other.txt"
    other.write_bytes(report.read_bytes() + b"\n")
    time.sleep(0.1)
    first, second = hashes.HashCache.load(), hashes.HashCache.load()
    first.sha256(report)
    second.sha256(other)
    first.save()
    second.save()
    assert {str(report), str(other)} <= set(hashes.HashCache.load().entries)


def test_the_files_that_are_gone_are_forgotten_when_the_cache_is_next_written(
    report: Path, tmp_path: Path
) -> None:
    gone = tmp_path / "inbox" / "gone.txt"
    gone.write_bytes(report.read_bytes() + b"\n")
    time.sleep(0.1)
    cache = hashes.HashCache.load()
    cache.sha256(gone)
    cache.save()
    assert str(gone) in hashes.HashCache.load().entries
    gone.unlink()
    cache = hashes.HashCache.load()
    cache.sha256(report)  # something to write
    cache.save()
    assert set(hashes.HashCache.load().entries) == {str(report)}
