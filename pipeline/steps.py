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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from expectations.gate import GateResult, check_systemic, require_marts, run_gate
from extractors import extract_path
from extractors.dispatch import sniff_format
from pipeline.inbox import discover, iter_documents
from warehouse import paths, staging
from warehouse.publish import parquet_dir
from warehouse.publish import publish as publish_marts
from warehouse.transform import build
from xxgk.record import Report, Source, rejected

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


# ---------------------------------------------------------------------- extract

def extract_to_file(path: str) -> str:
    """Extract one document into ``<warehouse>/records/<sha256>.json``; return that path.

    Never raises for a bad document: the extractor returns a rejected record for
    what it cannot read, and if it crashes anyway the crash itself becomes a
    rejected record, so one bad file never stops the batch and nothing is lost.
    """

    document = Path(path)
    # A document is its bytes: one already extracted (an unchanged reload, a
    # retried task) keeps its record, so a reload costs a hash, not a parse.
    with contextlib.suppress(OSError):
        known = paths.records_dir() / f"{hashlib.sha256(document.read_bytes()).hexdigest()}.json"
        if known.exists():
            log.info("already extracted %s -> %s", path, known.name)
            return str(known)
    try:
        record = extract_path(document)
        if not _is_sha256(record.source.sha256):
            raise ValueError(f"extractor returned sha256 {record.source.sha256!r}")
    except Exception as exc:  # noqa: BLE001 - any extractor bug must become a record
        log.error("extractor crashed on %s: %s", path, exc, exc_info=True)
        record = _crash_record(document, exc)
    target = _write_record(record)
    log.info("extracted %s: %s (%d cells, %d problems) -> %s", path, record.status,
             len(record.cells), len(record.problems), Path(target).name)
    return target


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _crash_record(document: Path, exc: BaseException) -> Report:
    where = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return rejected(_source_of(document), "extractor_crash", f"the extractor raised {where}")


def _source_of(document: Path) -> Source:
    """The source of a document the extractor could not describe itself."""

    try:
        data = document.read_bytes()
    except OSError:
        # Unreadable bytes still need a stable identity so the record is kept.
        data = f"unreadable:{document}".encode()
    return Source(path=str(document), sha256=hashlib.sha256(data).hexdigest(),
                  format=sniff_format(data) if data else "unknown")

def _write_atomically(target: Path, text: str) -> None:
    # A reader (the load step, a user) sees the old record or the new one, never half.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; records are shared data
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------- load

def load(record_paths: Sequence[str]) -> dict[str, int]:
    """Stage the records in the build database; already staged documents are skipped."""

    con = staging.connect(paths.build_db())
    try:
        return staging.load_records(con, staging.read_records(Path(p) for p in record_paths))
    finally:
        con.close()


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
# staging skips documents it already holds, so every step can be run again after a kill.

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
        chunk = documents[index * size:(index + 1) * size]
        digest = hashlib.sha256("\n".join(chunk).encode()).hexdigest()[:12]
        target = folder / f"{index + 1:05d}-{digest}.json"
        if not target.exists():
            _write_atomically(target, json.dumps(
                {"run": run_key, "inbox": str(inbox), "batch": index + 1, "of": n,
                 "documents": chunk}, ensure_ascii=False, indent=1))
        manifests.append(str(target))
    log.info("planned %d batches of at most %d documents (%d documents) in %s",
             n, size, len(documents), folder)
    return manifests


def extract_batch(manifest: str) -> str:
    """Extract every document of a batch to its record file; return the batch's result file.

    Touches no database.  Safe to run again: documents done by an earlier attempt are skipped.
    """
    batch_file = Path(manifest)
    batch = json.loads(batch_file.read_text(encoding="utf-8"))
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
            if records:
                _maybe_crash_for_test(batch_file)
            _append_journal(journal, {"event": "start", "i": i, "document": document})
            try:
                record = extract_to_file(document)
            except BaseException:
                # An exception (a full disk, Airflow's SIGTERM or time-out) is not a dead
                # worker: only an attempt that vanished without a word counts against the document.
                _append_journal(journal, {"event": "abort", "i": i})
                raise
        _append_journal(journal, {"event": "done", "i": i, "record": record})
        records.append(record)
    result = batch_file.with_suffix(".records.json")
    _write_atomically(result, json.dumps(
        {"batch": batch.get("batch"), "documents": len(documents), "records": records},
        ensure_ascii=False, indent=1))
    log.info("batch %s/%s: %d documents, %d resumed from an earlier attempt, %d reported as "
             "killing their worker -> %s", batch.get("batch"), batch.get("of"), len(documents),
             resumed, died, result.name)
    return str(result)


def load_batches(results: Sequence[str], chunk: int | None = None) -> dict[str, int]:
    """Stage the records of every finished batch, in chunks; the one writer of the build DB."""
    chunk = chunk or _env_int("XXGK_LOAD_CHUNK", DEFAULT_LOAD_CHUNK)
    record_paths: list[str] = []
    n_documents = 0
    for result in results:
        batch = json.loads(Path(result).read_text(encoding="utf-8"))
        if len(batch["records"]) != batch["documents"]:
            raise RuntimeError(f"{result}: {len(batch['records'])} records for "
                               f"{batch['documents']} documents")
        n_documents += batch["documents"]
        record_paths.extend(batch["records"])
    # The same bytes under two names are one document (one record, keyed by sha256).
    unique = list(dict.fromkeys(record_paths))
    totals: Counter[str] = Counter()
    for start in range(0, len(unique), chunk):
        totals.update(load(unique[start:start + chunk]))
    totals["documents"] = n_documents
    totals["batches"] = len(results)
    if totals["new_documents"] + totals["already_staged"] != len(unique):
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


def _append_journal(journal: Path, event: dict[str, object]) -> None:
    with journal.open("a", encoding="utf-8") as f:
        f.write(json.dumps(event, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _write_record(record: Report) -> str:
    target = paths.records_dir() / f"{record.source.sha256}.json"
    _write_atomically(target, record.to_json())
    return str(target)


def _worker_died_record(document: Path, attempts: int) -> Report:
    source = _source_of(document)
    log.error("%s killed its worker on %d attempts: reported as rejected", document, attempts)
    return rejected(source, "worker_died",
                    f"the worker extracting this document died on {attempts} attempts "
                    "(killed, out of memory or crashed) before it finished")


def _maybe_crash_for_test(batch_file: Path) -> None:
    """Fault injection for the tests: ``XXGK_TEST_CRASH_ONCE=<flag file>[:exit]``.

    The first batch to get here (after its first document) creates the flag file and raises,
    or with ``:exit`` ends its process at once like a killed worker; later attempts go on.
    """
    spec = os.environ.get("XXGK_TEST_CRASH_ONCE")
    if not spec:
        return
    flag = spec.removesuffix(":exit")
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return
    os.write(fd, f"{batch_file}\n".encode())
    os.close(fd)
    log.error("XXGK_TEST_CRASH_ONCE: crashing in %s", batch_file.name)
    if spec.endswith(":exit"):
        os._exit(3)
    raise RuntimeError(f"XXGK_TEST_CRASH_ONCE: simulated crash in {batch_file.name}")


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

    result = run_gate()
    log.info("gate: %d of %d reports passed, %d published with warnings", result.n_passed,
             result.n_checked, len(result.warned_documents))
    log.info("gate: validation report (Great Expectations Data Docs): %s",
             result.data_docs or "not built (see the error above)")
    check_systemic(result)
    return result


def publish() -> Path:
    """Check the built marts, then publish them as a new publication (database and Parquet).

    Raises ``MartsCheckError`` (nothing is published) when the marts break what the gate
    guarantees, e.g. a fact table empty although reports passed.
    """

    check = require_marts()
    published = publish_marts()
    log.info("published %s (Parquet: %s; validation report: %s)", published, parquet_dir(),
             check.data_docs)
    return published


# -------------------------------------------------------------------------- run

def run(inbox: Path | None = None) -> RunSummary:
    """The whole yearly load, in the same order as the DAG."""
    inbox = inbox or paths.sample_inbox()
    documents = discover(inbox)
    record_paths = []
    for i, document in enumerate(documents, 1):
        log.info("extract [%d/%d] %s", i, len(documents), document)
        record_paths.append(extract_to_file(document))
    loaded = load(record_paths)
    transform(BEFORE_GATE)
    result = gate()
    transform(AFTER_GATE)
    published = publish()

    records = [json.loads(Path(p).read_text(encoding="utf-8")) for p in record_paths]
    return RunSummary(
        n_documents=len(documents),
        statuses=dict(Counter(r["status"] for r in records)),
        loaded=loaded,
        n_checked=result.n_checked,
        n_passed=result.n_passed,
        published_db=published,
        quarantined=quarantined([r["source"]["sha256"] for r in records]),
        n_warned=len(result.warned_documents),
        n_warnings=len(result.warnings),
        data_docs=result.data_docs,
        parquet_dir=parquet_dir(),
        corrections=_correction_counts(),
    )


def _correction_counts() -> dict[str, int]:
    """Reviewers' corrections staged by this run, by status (``warehouse.corrections``)."""

    con = duckdb.connect(str(paths.build_db()), read_only=True)
    try:
        return dict(con.execute("select status, count(*) from staging.corrections "
                                "group by status order by status").fetchall())
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
                   (select string_agg(distinct f.identity_id, ', ' order by f.identity_id)
                      from staging.gate_failures f where f.document_id = d.document_id),
                   (select string_agg(p.code, ', ' order by p.problem_seq)
                      from staging.problems p
                     where p.document_id = d.document_id and p.severity = 'error')
              from staging.documents d
              left join staging.gate_results g using (document_id)
             where d.document_id in (select unnest(?))
               and (d.status = 'rejected' or g.passed is distinct from true)
             order by d.source_path
            """, [ids]).fetchall()
    finally:
        con.close()
    out = []
    for doc_id, source_path, org, year, status, passed, failed_ids, error_codes in rows:
        if status == "rejected":
            reason = f"rejected by the extractor ({error_codes or 'no problem given'})"
        elif passed is None:
            reason = "not checked by the gate"
        else:
            reason = f"gate failed: {failed_ids or 'see staging.gate_failures'}"
        out.append(Quarantined(doc_id, source_path, org, year, status, reason))
    return out


def format_summary(summary: RunSummary) -> str:
    statuses = ", ".join(f"{summary.statuses.get(s, 0)} {s}"
                         for s in ("ok", "needs_review", "rejected"))
    lines = [
        f"documents:   {summary.n_documents} ({statuses})",
        f"staged:      {summary.loaded.get('new_documents', 0)} new, "
        f"{summary.loaded.get('already_staged', 0)} already staged",
        f"gate:        {summary.n_passed} of {summary.n_checked} reports passed",
        f"warnings:    {summary.n_warned} published report(s) with {summary.n_warnings} "
        "soft-identity warning(s) (marts.report_warnings)",
    ]
    if summary.corrections:
        lines.append("corrections: " + ", ".join(f"{n} {status}" for status, n in
                                                 sorted(summary.corrections.items())))
    lines += [
        f"published:   {summary.published_db}",
    ]
    if summary.parquet_dir is not None:
        lines.append(f"parquet:     {summary.parquet_dir}")
    lines.append(f"data docs:   {summary.data_docs or 'not built (see the log)'}")
    lines.append(f"quarantined: {len(summary.quarantined)}")
    for q in summary.quarantined:
        lines.append(f"  - {Path(q.source_path).name} ({q.org_name or '?'} {q.year or '?'}, "
                     f"{q.status}): {q.reason}")
    return "\n".join(lines)


def main(inbox: Path | None = None) -> int:
    """``xxgk run``: 0 when the load ran (bad documents are quarantined, not fatal), 1 when it
    failed as a whole (a systemic gate failure, marts that must not be published, a crash)."""
    if inbox is not None and not inbox.exists():
        print(f"xxgk run: {inbox}: no such file or folder", file=sys.stderr)
        return 2
    try:
        summary = run(inbox)
    except Exception as exc:  # noqa: BLE001 - report a systemic failure as an exit code
        log.error("the load failed: %s", exc, exc_info=True)
        print(f"xxgk run: failed: {exc}", file=sys.stderr)
        return 1
    print(format_summary(summary), flush=True)
    return 0
