"""What a publication was built from, as one hash: how ``xxgk run`` knows there is nothing new.

The marts are a function of the staged readings (every document staged so far, by its bytes'
SHA-256 and its record's digest), the paths each was seen under, the extractor version, the
reviewers' corrections file, the code (the dbt project, the expectation suites' generator, the
loader) and the gate's settings.  ``xxgk run`` computes this fingerprint after extraction, from
the build database and this run's documents, before it loads anything; when it equals the
fingerprint stored in the manifest of the published publication, loading, dbt, the gate and
publishing would make the same marts again, so the run says so and publishes nothing (a new
publication would push a real one out of the kept ones, ``XXGK_PUBLICATIONS_KEEP``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extractors.version import EXTRACTOR_VERSION
from warehouse import corrections, paths

# The code the marts depend on; a change to any file under these (of these kinds) is new.
CODE_DIRS = ("xxgk", "extractors", "warehouse", "expectations", "pipeline", "dbt_project")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".md"}
# Folders of the dbt project that dbt writes, not the author.
_SKIPPED_DIRS = {"target", "logs", "dbt_packages", "__pycache__"}


@dataclass(frozen=True)
class Fingerprint:
    value: str
    n_documents: int  # documents the marts would hold (staged and of this run)
    extractor_version: str
    corrections_sha256: str | None
    code_sha256: str

    def describe(self) -> dict[str, object]:
        """What the publication's manifest stores beside the value."""
        return {
            "value": self.value,
            "documents": self.n_documents,
            "extractor_version": self.extractor_version,
            "corrections_sha256": self.corrections_sha256,
            "code_sha256": self.code_sha256,
        }


def code_hash(root: Path | None = None) -> str:
    root = root or paths.PROJECT_DIR
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted(_files(root / folder)):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files(folder: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith(".")]
        for name in filenames:
            if Path(name).suffix in CODE_SUFFIXES:
                yield Path(dirpath) / name


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def compute(
    record_paths: Sequence[str], documents: Sequence[str], build_db: Path | None = None
) -> Fingerprint:
    """The fingerprint of the marts a load of these records (made for these documents) would make.

    A record's file name is its document's SHA-256 (``steps._write_record``).
    """
    db = build_db or paths.build_db()
    # String operations, not Path: at 100 000 records Path(r).stem took a second.
    stems = [record_id(r) for r in record_paths]
    sightings = set(zip(stems, documents, strict=True))
    readings: dict[str, str | None] = dict.fromkeys(stems)
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            readings.update(
                con.execute("select document_id, record_digest from staging.documents").fetchall()
            )
            sightings.update(
                con.execute("select document_id, source_path from staging.document_paths").fetchall()
            )
        except duckdb.CatalogException:
            pass  # a build database the loader has not written yet
        finally:
            con.close()
    corrections_sha = _file_hash(corrections.corrections_path())
    code = code_hash()
    lines = [
        f"extractor {EXTRACTOR_VERSION}",
        f"corrections {corrections_sha}",
        f"code {code}",
        # The gate accepts report years up to this one: a new year can pass a report.
        f"year {datetime.now(UTC).year}",
        *sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("XXGK_GATE_")),
        *sorted([f"reading {d} {r}" for d, r in readings.items()]),
        *sorted([f"path {d} {p}" for d, p in sightings]),
    ]
    # One update of every line and its newline: the same digest as line by line, a tenth of the time.
    text = "\n".join(lines) + "\n"
    value = hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()
    return Fingerprint(value, len(readings), EXTRACTOR_VERSION, corrections_sha, code)


def record_id(record_path: str) -> str:
    """The document id a record file is named by (``<sha256>.json``)."""
    return os.path.basename(record_path).removesuffix(".json")
