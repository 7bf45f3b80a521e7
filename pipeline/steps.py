"""The yearly load as plain functions: what ``xxgk run`` and the Airflow DAG both call.

Each step takes and returns plain values (paths as strings, dicts of counts) so
that the DAG can pass them between tasks as XComs and the CLI can chain them
in-process.  The steps hand data to each other through files, never through
memory: a record JSON per document, then the build database, then the
published database (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from extractors import extract_path
from extractors.dispatch import sniff_format, unreadable_sha256
from extractors.version import EXTRACTOR_VERSION
from pipeline import hashes
from pipeline.inbox import EmptyInbox, Skipped, discover, discover_walk, iter_documents
from warehouse import paths, readings, staging
from warehouse.lock import RunLocked, run_lock
from warehouse.publish import current as published_publication
from warehouse.publish import parquet_dir
from warehouse.publish import publish as publish_marts
from warehouse.transform import build
from xxgk.names import display_path, fs_path
from xxgk.record import Report, Source, rejected

if TYPE_CHECKING:
    from expectations.gate import GateResult
    from pipeline.hashes import HashCache

log = logging.getLogger(__name__)

# The two dbt selections around the gate: marts are built only from what the
# gate has judged, so the gate runs between them.
BEFORE_GATE = "staging intermediate"
AFTER_GATE = "marts"


@dataclass(frozen=True)
class Quarantined:
    """A document of this run that did not reach the marts as a checked report."""

    document_id: str
    source_path: str
    org_name: str | None
    year: int | None
    status: str
    reason: str
    # Its causes as the summary counts them, e.g. "rejected by the extractor: not_a_report",
    # "section 二 held back: ambiguous_values" (one per held-back section).
    causes: tuple[str, ...] = ()


@dataclass
class RunSummary:
    n_documents: int
    statuses: dict[str, int]
    loaded: dict[str, int]
    n_checked: int
    n_passed: int
    published_db: Path
    quarantined: list[Quarantined] = field(default_factory=list)
    # Published reports with a soft-identity (S1–S3) warning, and the warnings on them.
    n_warned: int = 0
    n_warnings: int = 0
    # The gate's validation report (Great Expectations Data Docs) and the Parquet marts.
    data_docs: Path | None = None
    parquet_dir: Path | None = None
    corrections: dict[str, int] = field(default_factory=dict)
    # The cells new readings changed in this run (marts.reading_changes), first ones first.
    changes: list[CellChange] = field(default_factory=list)
    n_reextracted: int = 0  # documents this run was told to extract again
    several_paths: int = 0  # of this run's documents, those known under 2+ paths
    skipped: list[Skipped] = field(default_factory=list)  # inbox entries not read, with why
    extracted: int = 0  # documents extracted by this run (the others' records were current)
    # The id of the published publication when nothing was new (nothing loaded or published).
    nothing_new: str | None = None


@dataclass(frozen=True)
class CellChange:
    """A cell a new reading of a document changed (``staging.reading_changes``)."""

    document_id: str
    source_path: str
    cell_id: str
    change: str  # changed, added, removed
    previous_value: Decimal | None
    value: Decimal | None
    previous_basis: str | None
    basis: str | None
    previous_extractor_version: str | None
    extractor_version: str | None


# ---------------------------------------------------------------------- extract


def extract_to_file(path: str, force: bool = False, *, raise_memory_error: bool = False) -> str:
    """Extract one document into ``<warehouse>/records/<sha256>.json``; return that path.

    A document already extracted by this version of the extractor (or a newer one) keeps its
    record unless ``force``; one whose record an older extractor made (or a schema-1 record,
    which names none) is read again, and the load then stages the new reading.

    Never raises for a bad document: the extractor returns a rejected record for
    what it cannot read, and if it crashes anyway the crash itself becomes a
    rejected record, so one bad file never stops the batch and nothing is lost.  Running out of
    memory is recorded as ``worker_died``; a worker of the extraction pool passes
    ``raise_memory_error`` to die instead, so the pool replaces it (``pipeline.pool``).
    """

    document = Path(path)
    if not force:
        known = current_record(document)
        if known is not None:
            return str(known)
    try:
        record = extract_path(document)
        if not _is_sha256(record.source.sha256):
            raise ValueError(f"extractor returned sha256 {record.source.sha256!r}")
    except MemoryError:
        if raise_memory_error:
            raise
        log.error("out of memory extracting %s", path)
        record = _made_here(
            rejected(
                _source_of(document),
                "worker_died",
                "the extractor ran out of memory reading this document before it finished",
            )
        )
    except Exception as exc:  # noqa: BLE001 - any extractor bug must become a record
        log.error("extractor crashed on %s: %s", path, exc, exc_info=True)
        record = _crash_record(document, exc)
    target = _write_record(record)
    log.info(
        "extracted %s: %s (%d cells, %d problems) -> %s",
        path,
        record.status,
        len(record.cells),
        len(record.problems),
        Path(target).name,
    )
    return target


def current_record(
    document: Path,
    records: Path | None = None,
    sha256: str | None = None,
    cache: HashCache | None = None,
) -> Path | None:
    """The record of these bytes, when this extractor (or a newer one) made it.

    A document is its bytes: one already extracted (an unchanged reload, a retried task, the
    same file under another name) keeps its record, so a reload costs a hash, not a parse.
    ``records`` is the records folder (default ``paths.records_dir()``); ``sha256`` the bytes'
    hash when the caller knows it (``pipeline.hashes``), else the document is read; ``cache``
    remembers the record's extractor version by the record file's stat (``pipeline.hashes``),
    else its head is read.
    """
    known = current_record_file(str(document), str(records or paths.records_dir()), sha256, cache)
    return None if known is None else Path(known)


def current_record_file(
    document: str, records: str, sha256: str | None = None, cache: HashCache | None = None
) -> str | None:
    """``current_record`` with paths as strings: the reload's loop over 100 000 documents."""
    try:
        if sha256 is None:
            sha256 = hashlib.sha256(Path(document).read_bytes()).hexdigest()
        known = os.path.join(records, f"{sha256}.json")
        if cache is not None:
            version = cache.record_version(known, _record_version)  # OSError when there is none
        elif not os.path.exists(known):
            return None
        else:
            version = _record_version(known)
    except (OSError, ValueError):
        return None  # unreadable bytes or a damaged record: extract (again)
    if readings.is_older(version, EXTRACTOR_VERSION):
        log.info(
            "re-reading %s: its record was made by extractor %s, this is %s",
            document,
            version or "(none: schema 1)",
            EXTRACTOR_VERSION,
        )
        return None
    log.debug("already extracted %s -> %s", document, known)
    return known


# A record's JSON opens with its schema and extractor version (xxgk.record.Report.to_dict), so
# a reload of 10 000 documents reads their first bytes, not 10 000 whole records.
_VERSION_AT_HEAD = re.compile(r'^\{\s*"schema":\s*"[^"]*",\s*"extractor_version":\s*(null|"([^"]*)")')


def _record_version(record: str | Path) -> str | None:
    with open(record, "rb") as f:
        head = f.read(512).decode("utf-8", errors="replace")
    found = _VERSION_AT_HEAD.match(head)
    if found:
        return found.group(2)
    version = json.loads(Path(record).read_text(encoding="utf-8")).get("extractor_version")
    return version if isinstance(version, str) else None


def record_failure(document: str, code: str, message: str) -> str:
    """Write the rejected record of a document the extraction could not finish; return its path."""
    return _write_record(_made_here(rejected(_source_of(Path(document)), code, message)))


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _crash_record(document: Path, exc: BaseException) -> Report:
    where = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return _made_here(rejected(_source_of(document), "extractor_crash", f"the extractor raised {where}"))


def _made_here(record: Report) -> Report:
    # Records the pipeline writes for the extractor name it too: a newer extractor tries again.
    record.extractor_version = EXTRACTOR_VERSION
    return record


def _source_of(document: Path) -> Source:
    """The source of a document the extractor could not describe itself."""

    name = display_path(document)
    try:
        data = document.read_bytes()
    except OSError:
        # Unreadable bytes still need a stable identity so the record is kept.
        return Source(path=name, sha256=unreadable_sha256(name), format="unknown")
    return Source(
        path=name,
        sha256=hashlib.sha256(data).hexdigest(),
        format=sniff_format(data) if data else "unknown",
    )


def _write_atomically(target: Path, text: str) -> None:
    # A reader (the load step, a user) sees the old record or the new one, never half.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; records are shared data
        # A file name that is not UTF-8 is held with lone surrogates; written escaped
        # (\udcff), it is valid JSON that reads back as the same name.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------- load


def load(record_paths: Sequence[str], document_paths: Sequence[str] | None = None) -> dict[str, int]:
    """Stage the records in the build database, as one load (``load_in_chunks`` for many).

    ``document_paths`` (one per record path, in the same order) are the files the records were
    made or found for: the same bytes under two names give the same record twice, and both
    names are kept.  Records already staged change nothing; a record that reads a staged
    document differently is staged as its new reading.
    """
    return _load_chunks([(record_paths, document_paths)])


def _load_chunks(chunks: Iterable[tuple[Sequence[str], Sequence[str] | None]]) -> dict[str, int]:
    """One load of several chunks, each in a transaction of its own (memory stays one chunk's);
    what is resolved against every staged document is done once, after the last."""
    totals: Counter[str] = Counter()
    db = paths.build_db()
    first = True
    for record_paths, document_paths in chunks:
        con = staging.connect(db)
        try:
            if first:
                staging.prepare_load(con)
                first = False
            totals.update(_load_chunk(con, record_paths, document_paths))
        finally:
            con.close()
    if not first:
        con = staging.connect(db)
        try:
            staging.stage_references(con)
        finally:
            con.close()
    return dict(totals)


def _load_chunk(
    con: duckdb.DuckDBPyConnection, record_paths: Sequence[str], document_paths: Sequence[str] | None
) -> dict[str, int]:
    seen_at: dict[str, list[str]] = {}
    for i, record_path in enumerate(record_paths):
        found = seen_at.setdefault(record_path, [])
        if document_paths is not None and document_paths[i] not in found:
            found.append(document_paths[i])
    # A record file is named by its document's sha256 (_write_record), so the paths seen are known
    # without reading it, and the records are read one at a time as staging takes them: memory
    # holds the rows being staged, not every record of the chunk as well.
    seen_as: dict[str, list[str]] = {}
    for record_path, found in seen_at.items():
        if found:
            seen_as.setdefault(_document_id_of(record_path), []).extend(found)
    # A record file staged before and unchanged since (its stat) is not opened: a year added to
    # 100 000 documents reads the new year's records, not every one.
    files = {p: hashes.absolute(p) for p in seen_at}
    stats = hashes.settled_stats(files.values())
    unchanged = staging.unchanged_record_files(con, stats)
    reads = (
        _read_record(Path(p), files[p], stats.get(files[p])) for p in seen_at if files[p] not in unchanged
    )
    return staging.stage_record_files(con, reads, seen_as, unchanged=unchanged.values())


# A name that is not UTF-8 is written as escaped lone surrogates (\udcff, _write_atomically),
# which DuckDB's JSON reader refuses: such a record's cells are staged from the parsed record.
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _read_record(path: Path, absolute: str, stat: str | None) -> staging.RecordRead:
    """A record and the file DuckDB may read its cells from (``staging.stage_record_files``)."""
    text = path.read_text(encoding="utf-8")
    cells_from = None if _LONE_SURROGATE.search(text) else path
    return staging.RecordRead(json.loads(text), cells_from, absolute, stat)


def _document_id_of(record_path: str) -> str:
    stem = Path(record_path).stem
    if _is_sha256(stem):
        return stem
    return str(json.loads(Path(record_path).read_text(encoding="utf-8"))["source"]["sha256"])


# ------------------------------------------------------- at scale: batches of documents
#
# The DAG extracts in parallel over *batches* of documents (XXGK_BATCH_SIZE, 200 by default:
# 50 000 reports make 250 mapped tasks, not 50 000), on Celery workers on other machines that
# share the inbox and the warehouse directory.  Batches hand over through files in the
# warehouse, never through DuckDB and never through big XComs:
#
#   <warehouse>/batches/<run>/<NNNNN>-<hash>.json           the batch: its document paths
#   <warehouse>/batches/<run>/<NNNNN>-<hash>.journal        progress, one JSON line per event
#   <warehouse>/batches/<run>/<NNNNN>-<hash>.records.json   the batch's record paths, when done
#
# A retried batch resumes after the documents its journal says are done.  A document that
# was started but never finished by as many attempts as XXGK_DOCUMENT_ATTEMPTS (2) killed
# its worker (killed for its memory, a crash in a native library): the next attempt
# writes a rejected record saying so instead of trying it again, so the batch completes and
# the document is reported, not dropped.  The single loader then stages the records in
# chunks (XXGK_LOAD_CHUNK, each a load of its own, in document order, so memory stays flat);
# staging skips readings it already holds, so every step can be run again after a kill.

DEFAULT_BATCH_SIZE = 200
DEFAULT_DOCUMENT_ATTEMPTS = 2
DEFAULT_LOAD_CHUNK = 1000


def default_year(when: datetime) -> int:
    """The report year a run loads by default: the year before its date, in China's time.

    Reports for year Y are published in the first months of Y + 1.  (Airflow hands dates in
    UTC, where a run before 08:00 on 1 January in Beijing still falls in the year before.)
    """

    if when.tzinfo is not None:
        when = when.astimezone(ZoneInfo("Asia/Shanghai"))
    return when.year - 1


def resolve_inbox(year: int, inbox_root: str | None, inbox: str) -> Path:
    """``<inbox_root>/<year>`` when that folder exists, else ``inbox``."""
    if inbox_root:
        by_year = Path(inbox_root) / str(year)
        if by_year.is_dir():
            return by_year
    return Path(inbox)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name}={value}: must be a whole number of at least 1")
    return number


def batch_size() -> int:
    return _env_int("XXGK_BATCH_SIZE", DEFAULT_BATCH_SIZE)


def batches_dir(run_key: str) -> Path:

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_key).strip("._") or "run"
    path = paths.warehouse_dir() / "batches" / safe
    path.mkdir(parents=True, exist_ok=True)
    return path


def plan_batches(inbox: Path, run_key: str, size: int | None = None) -> list[str]:
    """Discover the inbox and split it into batch files of ``size`` documents; return their paths.

    A batch's file name holds a hash of its documents, so planning the same inbox again in the
    same run gives the same files (and a retried batch finds its journal).
    """
    size = size or batch_size()
    documents = discover(inbox)
    folder = batches_dir(run_key)
    n = (len(documents) + size - 1) // size
    manifests = []
    for index in range(n):
        chunk = documents[index * size : (index + 1) * size]
        digest = hashlib.sha256(b"\n".join(os.fsencode(d) for d in chunk)).hexdigest()[:12]
        target = folder / f"{index + 1:05d}-{digest}.json"
        if not target.exists():
            _write_atomically(
                target,
                json.dumps(
                    {"run": run_key, "inbox": str(inbox), "batch": index + 1, "of": n, "documents": chunk},
                    ensure_ascii=False,
                    indent=1,
                ),
            )
        manifests.append(str(target))
    log.info(
        "planned %d batches of at most %d documents (%d documents) in %s", n, size, len(documents), folder
    )
    return manifests


def extract_batch(manifest: str) -> str:
    """Extract every document of a batch to its record file; return the batch's result file.

    Touches no database.  Safe to run again: documents done by an earlier attempt are skipped.
    A document whose file is unchanged since it was hashed is not read (``pipeline.hashes``, as
    in ``xxgk run``; ``XXGK_REHASH=1`` reads every one).
    """
    from pipeline.hashes import HashCache, batch_cache_path

    batch_file = Path(manifest)
    batch = json.loads(batch_file.read_text(encoding="utf-8"))
    cache = HashCache.load(batch_cache_path(batch["documents"]))
    try:
        return _extract_batch(batch_file, batch, cache)
    finally:
        cache.save()


def _extract_batch(batch_file: Path, batch: dict[str, Any], cache: HashCache) -> str:
    documents: list[str] = batch["documents"]
    journal = batch_file.with_suffix(".journal")
    started, done = _read_journal(journal)
    attempts = _env_int("XXGK_DOCUMENT_ATTEMPTS", DEFAULT_DOCUMENT_ATTEMPTS)
    records: list[str] = []
    resumed = died = 0
    for i, document in enumerate(documents):
        record = done.get(i)
        if record and Path(record).exists():
            records.append(record)
            resumed += 1
            continue
        if started.get(i, 0) >= attempts:
            # Every earlier attempt died on this document: report it instead of dying again.
            record = _write_record(_worker_died_record(Path(document), started[i]))
            died += 1
        else:
            sha = cache.sha256(document)
            known = None if sha is None else current_record(Path(document), sha256=sha, cache=cache)
            if known is not None:
                # Nothing was extracted, so nothing could kill the worker: no "start", and a
                # "done" that a kill may lose (the retry looks the record up again).
                journal_event(journal, {"event": "done", "i": i, "record": str(known)}, durable=False)
                records.append(str(known))
                continue
            journal_event(journal, {"event": "start", "i": i, "document": document})
            try:
                # Unreadable (no hash) or not current: extracted (the extractor says why).
                record = extract_to_file(document)
            except BaseException:
                # An exception (a full disk, Airflow's SIGTERM or time-out) is not a dead
                # worker: only an attempt that vanished without a word counts against the document.
                journal_event(journal, {"event": "abort", "i": i})
                raise
        journal_event(journal, {"event": "done", "i": i, "record": record})
        records.append(record)
    result = batch_file.with_suffix(".records.json")
    _write_atomically(
        result,
        json.dumps(
            {
                "batch": batch.get("batch"),
                "documents": len(documents),
                "records": records,
                "document_paths": documents,
            },
            ensure_ascii=False,
            indent=1,
        ),
    )
    log.info(
        "batch %s/%s: %d documents, %d resumed from an earlier attempt, %d reported as "
        "killing their worker -> %s",
        batch.get("batch"),
        batch.get("of"),
        len(documents),
        resumed,
        died,
        result.name,
    )
    return str(result)


def load_batches(results: Sequence[str], chunk: int | None = None) -> dict[str, int]:
    """Stage the records of every finished batch, in chunks; the one writer of the build DB."""
    chunk = chunk or _env_int("XXGK_LOAD_CHUNK", DEFAULT_LOAD_CHUNK)
    found: dict[str, list[str]] = {}  # record path -> the documents it was made or found for
    n_documents = 0
    for result in results:
        batch = json.loads(Path(result).read_text(encoding="utf-8"))
        if len(batch["records"]) != batch["documents"]:
            raise RuntimeError(
                f"{result}: {len(batch['records'])} records for {batch['documents']} documents"
            )
        n_documents += batch["documents"]
        # Result files written before document_paths existed name only the records.
        for record, document in zip(
            batch["records"], batch.get("document_paths") or [None] * len(batch["records"]), strict=True
        ):
            found.setdefault(record, [])
            if document is not None:
                found[record].append(document)
    # The same bytes under two names are one document (one record, keyed by sha256), seen
    # at both paths.
    unique = list(found)
    totals = Counter(
        _load_chunks(_pairs(found, unique[start : start + chunk]) for start in range(0, len(unique), chunk))
    )
    totals["documents"] = n_documents
    totals["batches"] = len(results)
    if totals["new_documents"] + totals["already_staged"] + totals["reread_documents"] != len(unique):
        raise RuntimeError(f"staged {dict(totals)} for {len(unique)} records")
    log.info("loaded %d batches: %s", len(results), dict(totals))
    return dict(totals)


def _read_journal(journal: Path) -> tuple[dict[int, int], dict[int, str]]:
    """How often each document's worker died on it, and the finished documents' records."""
    started: Counter[int] = Counter()
    done: dict[int, str] = {}
    if journal.exists():
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line cut short by the kill
            if event.get("event") == "start":
                started[event["i"]] += 1
            elif event.get("event") == "abort":
                started[event["i"]] -= 1
            elif event.get("event") == "done":
                done[event["i"]] = event["record"]
    return {i: n for i, n in started.items() if i not in done}, done


def journal_event(journal: Path, event: dict[str, object], durable: bool = True) -> None:
    """Append one progress event to a batch's journal; ``durable``: on disk before it returns
    (it must survive a kill)."""
    with journal.open("a", encoding="utf-8", errors="backslashreplace") as f:
        f.write(json.dumps(event, ensure_ascii=False) + "\n")
        if durable:
            f.flush()
            os.fsync(f.fileno())


def _write_record(record: Report) -> str:
    target = paths.records_dir() / f"{record.source.sha256}.json"
    _write_atomically(target, record.to_json())
    return str(target)


def _worker_died_record(document: Path, attempts: int) -> Report:
    source = _source_of(document)
    log.error("%s killed its worker on %d attempts: reported as rejected", document, attempts)
    return _made_here(
        rejected(
            source,
            "worker_died",
            f"the worker extracting this document died on {attempts} "
            "attempts (killed, out of memory or crashed) before it finished",
        )
    )


# ----------------------------------------------------- transform, gate, publish


def transform(select: str | None = None) -> None:
    """``dbt build`` of the selection in the build database."""

    log.info("dbt build --select %s", select or "(everything)")
    # dbt prints its progress on stdout; keep stdout for the run's summary.
    with contextlib.redirect_stdout(sys.stderr):
        build(select)


def gate() -> GateResult:
    """Check every staged report's identities; results go to ``staging.gate_*``.

    A failing report is quarantined, not fatal; raises ``SystemicGateError`` when the load as a
    whole is wrong (``XXGK_GATE_MAX_FAIL_SHARE`` of it failing, from ``XXGK_GATE_MIN_REPORTS``
    documents), which fails the run and the Airflow task.
    """

    from expectations.gate import check_systemic, run_gate

    result = run_gate()
    log.info(
        "gate: %d of %d reports passed, %d published with warnings",
        result.n_passed,
        result.n_checked,
        result.n_warned,
    )
    log.info(
        "gate: validation report (Great Expectations Data Docs): %s",
        result.data_docs or "not built (see the error above)",
    )
    check_systemic(result)
    return result


def publish(fingerprint: dict[str, object] | None = None) -> Path:
    """Check the built marts, then publish them as a new publication (database and Parquet).

    ``fingerprint`` (``pipeline.fingerprint``) is stored in the publication's manifest: what
    it was built from, so that a run with nothing new can tell.

    Raises ``MartsCheckError`` (nothing is published) when the marts break what the gate
    guarantees, e.g. a fact table empty although reports passed.
    """
    if not paths.build_db().exists():
        raise FileNotFoundError(
            f"nothing to publish: no load has run on this warehouse yet ({paths.warehouse_dir()}): "
            "run `xxgk run` first"
        )
    from expectations.gate import require_marts  # GX loads in seconds: only where it is needed

    # The published publication's check is the evidence for the bodies whose rows did not change.
    previous = published_publication()
    check = require_marts(checked=previous.marts_checked if previous else None)
    published = publish_marts(fingerprint=fingerprint, marts_checked=check.bodies)
    log.info("published %s (Parquet: %s; validation report: %s)", published, parquet_dir(), check.data_docs)
    return published


def build_site(out: Path | None = None) -> Path:
    """Rewrite the offline web site of the published warehouse (``<warehouse>/site`` by default)."""
    from warehouse import site

    target = out if out is not None else paths.warehouse_dir() / "site"
    counts = site.build_site(target)
    log.info("site: %s (%d report cards)", target / "index.html", counts["cards"])
    return target


# -------------------------------------------------------------------------- run


def run(
    inbox: Path | None = None,
    *,
    documents: Sequence[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    quiet: bool = False,
    rehash: bool = False,
) -> RunSummary:
    """The whole yearly load, in the same order as the DAG.

    ``documents`` loads these files instead of an inbox; ``force`` extracts every one again
    (``xxgk reextract``) even when its record is current; ``rehash`` reads every document to hash
    it, even one whose file is unchanged since it was hashed (``pipeline.hashes``).  Extraction
    runs in ``jobs`` worker processes (default: the machine's cores, ``pipeline.pool``).  When
    nothing is new (the fingerprint of the marts' inputs equals the published publication's,
    ``pipeline.fingerprint``) nothing is loaded or published and the summary says so.
    """
    from pipeline import fingerprint

    started = datetime.now(UTC).replace(tzinfo=None)
    check = reload_check(inbox, documents=documents, force=force, jobs=jobs, quiet=quiet, rehash=rehash)
    documents, record_paths, skipped = check.documents, check.record_paths, check.skipped
    document_ids = [fingerprint.record_id(p) for p in record_paths]  # named by its document's sha256
    if check.nothing_new is not None:
        log.info(
            "nothing new since publication %s (fingerprint %s)", check.nothing_new, check.fingerprint[:12]
        )
        return RunSummary(
            n_documents=len(documents),
            statuses=staged_statuses(document_ids),
            loaded={},
            n_checked=0,
            n_passed=0,
            published_db=paths.published_db(),
            parquet_dir=parquet_dir(),
            nothing_new=check.nothing_new,
            extracted=check.extracted,
            skipped=skipped,
        )
    loaded = load_in_chunks(record_paths, documents)
    transform(BEFORE_GATE)
    result = gate()
    transform(AFTER_GATE)
    # Stored with the publication: the fingerprint of what it was built from, after the load.
    published_db = publish(fingerprint.compute(record_paths, documents).describe())

    return RunSummary(
        n_documents=len(documents),
        statuses=staged_statuses(document_ids),
        loaded=loaded,
        n_checked=result.n_checked,
        n_passed=result.n_passed,
        published_db=published_db,
        quarantined=quarantined(document_ids),
        n_warned=result.n_warned,
        n_warnings=result.n_warnings,
        data_docs=result.data_docs,
        parquet_dir=parquet_dir(),
        corrections=_correction_counts(),
        changes=reading_changes(started),
        n_reextracted=len(documents) if force else 0,
        several_paths=documents_with_several_paths(document_ids),
        extracted=check.extracted,
        skipped=skipped,
    )


@dataclass(frozen=True)
class ReloadCheck:
    """What a run does before it loads anything: its documents, their records, and whether any is new."""

    documents: list[str]
    skipped: list[Skipped]
    record_paths: list[str]
    extracted: int  # documents extracted (the others' records were current)
    fingerprint: str  # of the marts these records would make (pipeline.fingerprint)
    nothing_new: str | None  # the published publication built from the same, if any


def reload_check(
    inbox: Path | None = None,
    *,
    documents: Sequence[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    quiet: bool = False,
    rehash: bool = False,
) -> ReloadCheck:
    """Discover, extract what is not extracted yet, and compare with the published publication.

    All that a run with nothing new does besides its summary (``run``): at 10 000 unchanged
    documents it reads no document (``pipeline.hashes``), only the records' first bytes.
    """
    from pipeline import fingerprint, pool
    from pipeline.progress import ExtractionProgress

    skipped: list[Skipped] = []
    if documents is None:
        found = discover_walk(inbox or paths.sample_inbox())
        documents, skipped = found.documents, found.skipped
    documents = list(documents)
    with ExtractionProgress(len(documents), quiet=quiet) as progress:
        record_paths = pool.extract_all(
            documents, jobs or pool.default_jobs(), force=force, on_done=progress, rehash=rehash
        )
    before = fingerprint.compute(record_paths, documents)
    published = current_publication()
    same = not force and published is not None and published[1] == before.value
    return ReloadCheck(
        documents=documents,
        skipped=skipped,
        record_paths=record_paths,
        extracted=progress.counts["extracted"],
        fingerprint=before.value,
        nothing_new=published[0] if same and published is not None else None,
    )


def current_publication() -> tuple[str, str | None] | None:
    """The published publication's id and the fingerprint it was built from (None: no such)."""
    from warehouse import publish as publications

    found = publications.current()
    if found is None:
        return None
    stored = found.manifest().get("fingerprint")
    return found.id, stored.get("value") if isinstance(stored, dict) else None


def load_in_chunks(
    record_paths: Sequence[str], documents: Sequence[str], chunk: int | None = None
) -> dict[str, int]:
    """``load`` the records ``XXGK_LOAD_CHUNK`` (1000) at a time, in document order.

    Memory stays that of one chunk, whatever the number of documents.  The same record for
    two documents (the same bytes under two names) is loaded once, with both paths.
    """
    chunk = chunk or _env_int("XXGK_LOAD_CHUNK", DEFAULT_LOAD_CHUNK)
    found: dict[str, list[str]] = {}
    for record, document in zip(record_paths, documents, strict=True):
        found.setdefault(record, []).append(document)
    unique = list(found)
    return _load_chunks(
        _pairs(found, unique[start : start + chunk]) for start in range(0, len(unique), chunk)
    )


def _pairs(found: dict[str, list[str]], records: list[str]) -> tuple[list[str], list[str] | None]:
    """A chunk of records as (record paths, document paths): a record found for two documents
    comes twice; records found for none (result files older than document paths) come alone."""
    if not all(found[r] for r in records):
        return records, None
    pairs = [(r, d) for r in records for d in found[r]]
    return [r for r, _ in pairs], [d for _, d in pairs]


def staged_statuses(document_ids: Sequence[str], build_db: Path | None = None) -> dict[str, int]:
    """How many of these documents are ok / needs_review / rejected, as staged: one count per
    file given, so the same bytes under two names count twice, as in ``n_documents``."""
    ids = sorted(set(document_ids))
    db = build_db or paths.build_db()
    if not ids or not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        status_of = dict(
            con.execute(
                "select document_id, status from staging.documents where document_id in (select unnest(?))",
                [ids],
            ).fetchall()
        )
    finally:
        con.close()
    return dict(sorted(Counter(status_of[d] for d in document_ids if d in status_of).items()))


def _correction_counts() -> dict[str, int]:
    """Reviewers' corrections staged by this run, by status (``warehouse.corrections``)."""

    con = duckdb.connect(str(paths.build_db()), read_only=True)
    try:
        return dict(
            con.execute(
                "select status, count(*) from staging.corrections group by status order by status"
            ).fetchall()
        )
    finally:
        con.close()


def reading_changes(since: datetime, build_db: Path | None = None) -> list[CellChange]:
    """Every cell changed by a reading staged at or after ``since`` (UTC), by document and cell."""
    con = duckdb.connect(str(build_db or paths.build_db()), read_only=True)
    try:
        rows = con.execute(
            """
            select c.document_id, d.source_path,
                   c.table_code || '/' || c.row_code || '/' || c.col_code, c.change,
                   c.previous_value, c.value, c.previous_basis, c.basis,
                   c.previous_extractor_version, c.extractor_version
              from staging.reading_changes c
              join staging.documents d using (document_id)
             where c.read_at >= ?
             order by d.source_path, c.document_id, c.reading_seq, c.table_code, c.row_code,
                      c.col_code
            """,
            [since],
        ).fetchall()
    finally:
        con.close()
    return [CellChange(*row) for row in rows]


def documents_with_several_paths(document_ids: Sequence[str], build_db: Path | None = None) -> int:
    """How many of these documents are known under more than one name or path."""
    ids = sorted(set(document_ids))
    if not ids:
        return 0
    con = duckdb.connect(str(build_db or paths.build_db()), read_only=True)
    try:
        return int(
            con.execute(
                "select count(*) from (select document_id from staging.document_paths "
                "where document_id in (select unnest(?)) group by document_id having count(*) > 1)",
                [ids],
            ).fetchall()[0][0]
        )
    finally:
        con.close()


def quarantined(document_ids: Sequence[str], build_db: Path | None = None) -> list[Quarantined]:
    """Documents that were rejected or did not pass the gate, with the reason."""

    ids = sorted(set(document_ids))
    if not ids:
        return []
    con = duckdb.connect(str(build_db or paths.build_db()), read_only=True)
    try:
        rows = con.execute(
            """
            select d.document_id, d.source_path, d.org_name, d.report_year, d.status,
                   g.passed,
                   (select string_agg('section '
                                      || case s.section when 's2' then '二' when 's3' then '三' else '四' end
                                      || ' held back: ' || coalesce(s.reason, s.cause),
                                      '; ' order by s.section)
                      from staging.gate_sections s
                     where s.document_id = d.document_id and s.verdict = 'held_back'),
                   (select string_agg(distinct f.identity_id, ', ' order by f.identity_id)
                      from staging.gate_failures f where f.document_id = d.document_id),
                   (select string_agg(p.code, ', ' order by p.problem_seq)
                      from staging.problems p
                     where p.document_id = d.document_id and p.severity = 'error'),
                   (select list('section '
                                || case s.section when 's2' then '二' when 's3' then '三' else '四' end
                                || ' held back: ' || coalesce(split_part(s.reason, ': ', 1), s.cause)
                                order by s.section)
                      from staging.gate_sections s
                     where s.document_id = d.document_id and s.verdict = 'held_back')
              from staging.documents d
              left join staging.gate_results g using (document_id)
             where d.document_id in (select unnest(?))
               and (d.status = 'rejected' or g.passed is distinct from true)
             order by d.source_path
            """,
            [ids],
        ).fetchall()
    finally:
        con.close()
    out = []
    for row in rows:
        doc_id, source_path, org, year, status, passed, held_back, failed_ids, error_codes, keys = row
        if status == "rejected":
            reason = f"rejected by the extractor ({error_codes or 'no problem given'})"
            causes = [f"rejected by the extractor: {(error_codes or 'no problem given').split(', ')[0]}"]
        elif passed is None:
            reason = causes_text = "not checked by the gate"
            causes = [causes_text]
        else:
            # The sections held back and the first cause of each (xxgk quarantine has the rest).
            reason = held_back or f"gate failed: {failed_ids or 'see staging.gate_failures'}"
            causes = list(keys or []) or [f"gate failed: {(failed_ids or '?').split(', ')[0]}"]
        out.append(Quarantined(doc_id, source_path, org, year, status, _shortened(reason), tuple(causes)))
    return out


def _shortened(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The causes the summary counts; `xxgk quarantine` lists every report with all of its causes.
SHOWN_CAUSES = 10


def format_summary(summary: RunSummary) -> str:
    """The run's output: counts, the commonest causes of quarantine, where to look next."""
    statuses = ", ".join(f"{summary.statuses.get(s, 0)} {s}" for s in ("ok", "needs_review", "rejected"))
    lines = [f"documents:   {summary.n_documents} ({statuses}); {summary.extracted} extracted by this run"]
    if summary.nothing_new is not None:
        return "\n".join(
            [
                *lines,
                f"nothing new: the same documents, extractor, corrections and code as publication "
                f"{summary.nothing_new}; nothing was loaded or published",
                f"published:   {summary.published_db} (unchanged)",
            ]
        )
    lines += [
        f"staged:      {summary.loaded.get('new_documents', 0)} new, "
        f"{summary.loaded.get('already_staged', 0)} already staged, "
        f"{summary.loaded.get('reread_documents', 0)} re-read",
        f"gate:        {summary.n_passed} of {summary.n_checked} reports passed whole; the others "
        "publish the sections that passed",
        f"warnings:    {summary.n_warned} published report(s) with {summary.n_warnings} "
        "soft-identity warning(s) (marts.report_warnings)",
    ]
    lines += _reread_lines(summary)
    if summary.several_paths:
        lines.append(
            f"paths:       {summary.several_paths} document(s) known under more than one "
            "name or path (marts.dim_document_path)"
        )
    if summary.corrections:
        lines.append(
            "corrections: " + ", ".join(f"{n} {status}" for status, n in sorted(summary.corrections.items()))
        )
    lines += [
        f"published:   {summary.published_db}",
    ]
    if summary.parquet_dir is not None:
        lines.append(f"parquet:     {summary.parquet_dir}")
    lines.append(f"data docs:   {summary.data_docs or 'not built (see the log)'}")
    if summary.skipped:
        lines.append(f"skipped:     {len(summary.skipped)} inbox entries that are not files (not loaded)")
        lines += [f"  - {s.path}: {s.reason}" for s in summary.skipped]
    lines.append(f"quarantined: {len(summary.quarantined)} document(s)")
    lines += cause_lines(summary.quarantined)
    if summary.quarantined:
        lines.append("next:        xxgk quarantine  (every report held back: its causes, cells and pages)")
    return "\n".join(lines)


def cause_lines(quarantined: Sequence[Quarantined]) -> list[str]:
    """The commonest causes, each with how many documents and the first one's file."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for q in quarantined:
        for cause in dict.fromkeys(q.causes or (q.reason,)):
            counts[cause] += 1
            example.setdefault(cause, Path(q.source_path).name)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"  {n:>6} × {cause}  (e.g. {example[cause]})" for cause, n in ranked[:SHOWN_CAUSES]]
    if len(ranked) > SHOWN_CAUSES:
        rest = sum(n for _, n in ranked[SHOWN_CAUSES:])
        lines.append(f"  … and {len(ranked) - SHOWN_CAUSES} other cause(s) of {rest} document(s)")
    return lines


# The changed cells the summary shows; marts.reading_changes has all of them.
SHOWN_CHANGES = 5


def _reread_lines(summary: RunSummary) -> list[str]:
    n_reread = summary.loaded.get("reread_documents", 0)
    if not (n_reread or summary.n_reextracted or summary.changes):
        return []
    head = f"re-read:     {n_reread} document(s) re-read, {len(summary.changes)} cell(s) changed"
    if summary.n_reextracted:
        head += f" ({summary.n_reextracted} extracted again on request)"
    lines = [head + (" (marts.reading_changes)" if summary.changes else "")]
    for c in summary.changes[:SHOWN_CHANGES]:
        versions = f"extractor {c.previous_extractor_version or '?'} → {c.extractor_version or '?'}"
        lines.append(
            f"  - {Path(c.source_path).name} {c.cell_id}: "
            f"{_reading(c.previous_value, c.previous_basis, c.change == 'added')} → "
            f"{_reading(c.value, c.basis, c.change == 'removed')} ({versions})"
        )
    if len(summary.changes) > SHOWN_CHANGES:
        lines.append(f"  … and {len(summary.changes) - SHOWN_CHANGES} more")
    return lines


def _reading(value: Decimal | None, basis: str | None, absent: bool) -> str:
    if absent:
        return "(no cell)"
    if value is None:
        text = "blank"
    else:
        text = f"{value:f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text} [{basis}]" if basis else text


# ``xxgk run --no-wait`` when another load holds the warehouse (sysexits' EX_TEMPFAIL: try later).
EXIT_LOCKED = 75


def main(
    inbox: Path | None = None,
    jobs: int | None = None,
    quiet: bool = False,
    *,
    wait: bool = True,
    rehash: bool = False,
) -> int:
    """``xxgk run``: 0 when the load ran (bad documents are quarantined, not fatal), 1 when it
    failed as a whole (a systemic gate failure, marts that must not be published, a crash, an
    inbox with no documents), ``EXIT_LOCKED`` when another load runs and ``wait`` is off."""
    if inbox is not None and not inbox.exists():
        print(f"xxgk run: {display_path(inbox)}: no such file or folder", file=sys.stderr)
        return 2
    command = "xxgk run" + (f" --inbox {display_path(inbox)}" if inbox is not None else "")
    return _locked(command, wait, lambda: run(inbox, jobs=jobs, quiet=quiet, rehash=rehash))


def _locked(command: str, wait: bool, load: Callable[[], RunSummary]) -> int:
    """Run a load under the warehouse's run lock; print its summary or why it did not run."""
    name = command.split(" --")[0]
    try:
        with run_lock(command, wait=wait):
            summary = load()
    except RunLocked as err:
        print(f"{name}: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except EmptyInbox as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - report a systemic failure as an exit code
        # The traceback is for developers (--debug); the user gets the reason.
        log.debug("the load failed", exc_info=True)
        print(f"{name}: failed: {exc}", file=sys.stderr)
        print(f"{name}: (--debug shows where it failed)", file=sys.stderr)
        return 1
    print(format_summary(summary), flush=True)
    return 0


def known_documents(build_db: Path | None = None) -> tuple[list[str], list[str]]:
    """Every staged document at a path where its bytes still are; and those found at none.

    A document is looked for at every path it was seen under (``staging.document_paths``).
    """
    db = build_db or paths.build_db()
    if not db.exists():
        return [], []
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """
            select d.document_id, list(distinct coalesce(p.source_path, d.source_path)
                                       order by coalesce(p.source_path, d.source_path))
              from staging.documents d
              left join staging.document_paths p using (document_id)
             group by d.document_id order by d.document_id
            """
        ).fetchall()
    finally:
        con.close()
    found, missing = [], []
    for document_id, candidates in rows:
        for candidate in candidates:
            with contextlib.suppress(OSError):
                on_disk = fs_path(candidate)  # a stored name shows non-UTF-8 bytes as \xNN
                if hashlib.sha256(Path(on_disk).read_bytes()).hexdigest() == document_id:
                    found.append(on_disk)
                    break
        else:
            missing.append(f"{document_id[:12]}… ({', '.join(candidates)})")
    return found, missing


def reextract_main(
    paths_given: Sequence[Path],
    all_documents: bool,
    jobs: int | None = None,
    quiet: bool = False,
    *,
    wait: bool = True,
    rehash: bool = False,
) -> int:
    """``xxgk reextract``: extract the documents again, then load, check and publish as ``run``."""
    missing = [p for p in paths_given if not p.exists()]
    for p in missing:
        print(f"xxgk reextract: {p}: no such file or folder", file=sys.stderr)
    if missing:
        return 2
    documents = [str(p) for p in iter_documents(list(paths_given))]
    if all_documents:
        found, lost = known_documents()
        if not found and not lost:
            print(
                f"xxgk reextract --all: nothing is loaded yet ({paths.build_db()}): run `xxgk run` first",
                file=sys.stderr,
            )
            return 1
        for what in lost:
            print(
                f"xxgk reextract: not re-read, its file is at none of its known paths: {what}",
                file=sys.stderr,
            )
        documents += [d for d in found if d not in documents]
    if not documents:
        print("xxgk reextract: no documents: give PATH… or --all", file=sys.stderr)
        return 2
    return _locked(
        "xxgk reextract",
        wait,
        lambda: run(documents=documents, force=True, jobs=jobs, quiet=quiet, rehash=rehash),
    )
