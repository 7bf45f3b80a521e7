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
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import paths
from xxgk.record import Report, Source, rejected

if TYPE_CHECKING:
    from expectations.gate import GateResult

log = logging.getLogger(__name__)

# Checksums and manifests that travel with downloaded reports are not reports.
SUFFIXES_SKIPPED = {".md5", ".sha256", ".tsv"}

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


# --------------------------------------------------------------------- discover

def iter_documents(paths_given: Sequence[Path]) -> Iterator[Path]:
    """Files in the order given; folders walked in sorted path order."""
    for path in paths_given:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not child.name.startswith(".") and child.suffix.lower() not in SUFFIXES_SKIPPED:
                    yield child
        else:
            yield path


def discover(inbox: Path) -> list[str]:
    """The documents of an inbox folder, sorted by path (strings, for XCom); never empty."""
    if not inbox.exists():
        raise FileNotFoundError(f"inbox {inbox}: no such file or folder")
    documents = [str(p) for p in iter_documents([inbox])]
    if not documents:
        # An empty inbox is a wrong path or a failed delivery, not a quiet year.
        raise ValueError(f"inbox {inbox}: no documents")
    log.info("discovered %d documents in %s", len(documents), inbox)
    return documents


# ---------------------------------------------------------------------- extract

def extract_to_file(path: str) -> str:
    """Extract one document into ``<warehouse>/records/<sha256>.json``; return that path.

    Never raises for a bad document: the extractor returns a rejected record for
    what it cannot read, and if it crashes anyway the crash itself becomes a
    rejected record, so one bad file never stops the batch and nothing is lost.
    """
    from extractors import extract_path

    document = Path(path)
    try:
        record = extract_path(document)
        if not _is_sha256(record.source.sha256):
            raise ValueError(f"extractor returned sha256 {record.source.sha256!r}")
    except Exception as exc:  # noqa: BLE001 - any extractor bug must become a record
        log.error("extractor crashed on %s: %s", path, exc, exc_info=True)
        record = _crash_record(document, exc)
    target = paths.records_dir() / f"{record.source.sha256}.json"
    _write_atomically(target, record.to_json())
    log.info("extracted %s: %s (%d cells, %d problems) -> %s", path, record.status,
             len(record.cells), len(record.problems), target.name)
    return str(target)


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _crash_record(document: Path, exc: BaseException) -> Report:
    try:
        data = document.read_bytes()
    except OSError:
        # Unreadable bytes still need a stable identity so the record is kept.
        data = f"unreadable:{document}".encode()
    source = Source(path=str(document), sha256=hashlib.sha256(data).hexdigest(),
                    format=_sniff_format(data))
    where = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return rejected(source, "extractor_crash", f"the extractor raised {where}")


def _sniff_format(data: bytes) -> str:
    """What the bytes are (the contract's ``source.format``), for crash records only."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "pdf"
    if head.startswith(b"pk\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt"


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
    from warehouse import staging

    con = staging.connect(paths.build_db())
    try:
        return staging.load_records(con, staging.read_records(Path(p) for p in record_paths))
    finally:
        con.close()


# ----------------------------------------------------- transform, gate, publish

def transform(select: str | None = None) -> None:
    """``dbt build`` of the selection in the build database."""
    from warehouse.transform import build

    log.info("dbt build --select %s", select or "(everything)")
    # dbt prints its progress on stdout; keep stdout for the run's summary.
    with contextlib.redirect_stdout(sys.stderr):
        build(select)


def gate() -> GateResult:
    """Check every staged report's identities; results go to ``staging.gate_*``."""
    from expectations.gate import run_gate

    result = run_gate()
    log.info("gate: %d of %d reports passed", result.n_passed, result.n_checked)
    return result


def publish() -> Path:
    """Copy the marts into a new file and rename it over the published database."""
    from warehouse.publish import publish as publish_marts

    published = publish_marts()
    log.info("published %s", published)
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
    )


def quarantined(document_ids: Sequence[str], build_db: Path | None = None) -> list[Quarantined]:
    """Documents that were rejected or did not pass the gate, with the reason."""
    import duckdb

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
        f"published:   {summary.published_db}",
        f"quarantined: {len(summary.quarantined)}",
    ]
    for q in summary.quarantined:
        lines.append(f"  - {Path(q.source_path).name} ({q.org_name or '?'} {q.year or '?'}, "
                     f"{q.status}): {q.reason}")
    return "\n".join(lines)


def main(inbox: Path | None = None) -> int:
    """``xxgk run``: 0 when the load ran (bad documents are quarantined, not fatal)."""
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
