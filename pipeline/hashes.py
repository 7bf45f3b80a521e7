"""The documents' SHA-256, remembered by their files' stat: why a reload with nothing new is quick.

A document is its bytes (its SHA-256 names its record), so a reload must know every document's
hash; reading 10 000 documents to hash them took 12.8 s on a busy machine, most of a run that then
does nothing.  As git's index and rsync's quick check do, a file whose stat is the one it had when
it was hashed is taken to hold the same bytes and is not read: the path, size, mtime, ctime, inode
and device must all match (``<warehouse>/document-hashes.json``).

The trade-off: a change that keeps every one of those fields is not seen.  Writing a file sets
its ctime to the kernel's clock and no program can set it back (``touch -d`` and ``os.utime``
set the mtime, and move the ctime to now), so that takes a change of the system clock, a write
to the disk under the file system, or a file system that does not keep ctime.  Two cases are
guarded: a file changed in the same clock tick as it was hashed (its ctime is less than
``XXGK_HASH_CACHE_RACY_S``, 2 s, before the hash: it is hashed again next time, as git treats
"racily clean" entries), and a file changed while it was read (its stat before and after differ:
not remembered).  ``xxgk run --rehash`` (or ``XXGK_REHASH=1``) reads and hashes every document.

Entries of files that are gone are forgotten when the cache is next written.

A record's extractor version is remembered the same way, by the record file's stat: a reload
checks that every record is current (``steps.current_record``), and at 100 000 documents opening
every record to read its first bytes was a third of the reload.  A record rewritten (re-extracted,
edited, replaced) has a new stat, so its head is read again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from warehouse import paths
from xxgk.settings import HASH_CACHE

log = logging.getLogger(__name__)

RACY_ENV = "XXGK_HASH_CACHE_RACY_S"
REHASH_ENV = "XXGK_REHASH"
# "records" was added to format 1 as an optional key: code that predates it reads the file as before.
FORMAT = 1
_CHUNK = 1 << 20

# size, mtime_ns, ctime_ns, inode, device
Stat = tuple[int, int, int, int, int]
_T = TypeVar("_T")


def cache_path() -> Path:
    return paths.warehouse_dir() / "document-hashes.json"


def batch_cache_path(documents: Sequence[str]) -> Path:
    """The cache of one batch of the DAG (``steps.extract_batch``), named by its documents.

    Not the warehouse's one file: each of 500 batch tasks (100 000 documents) would read and
    rewrite every document's entry, far more than hashing its own 200.  An unchanged inbox is
    split into the same batches, so a reload finds every batch's cache; a batch that changed is
    hashed as before.
    """
    digest = hashlib.sha256(b"\n".join(os.fsencode(d) for d in documents)).hexdigest()[:16]
    folder = paths.warehouse_dir() / "document-hashes" / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{digest}.json"


def rehash_requested() -> bool:
    return os.environ.get(REHASH_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def racy_ns() -> int:
    text = os.environ.get(RACY_ENV, "").strip()
    if not text:
        return int(HASH_CACHE.racy_s * 1e9)
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{RACY_ENV}={text!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{RACY_ENV}={text}: must be 0 or more")
    return int(seconds * 1e9)


def settled_stats(files: Iterable[str]) -> dict[str, str]:
    """The stat of each of these files (absolute paths) as one string, for those last changed
    before this clock tick (``racy_ns``: a file changed again within it could keep its stat);
    none when ``XXGK_REHASH`` asks for every file to be read.  What ``steps.load`` remembers of
    a record file it staged, to know it unchanged next time without opening it."""
    if rehash_requested():
        return {}
    settled_before = time.time_ns() - racy_ns()
    out: dict[str, str] = {}
    for name in files:
        try:
            st = _stat_of(os.stat(name))
        except OSError:
            continue
        if st[2] < settled_before:
            out[name] = ":".join(map(str, st))
    return out


def absolute(path: Path | str) -> str:
    """The key of a file: its absolute path (a path given absolute is taken as it is: normalising
    200 000 of them was a tenth of a reload; an unnormalised one is only another key)."""
    if isinstance(path, str) and path.startswith("/"):
        return path
    return os.path.abspath(path)


def _stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass
class HashCache:
    """The remembered hashes of one warehouse; ``sha256`` may be called from several threads."""

    path: Path
    rehash: bool = False
    entries: dict[str, tuple[Stat, str]] = field(default_factory=dict)
    # Record file -> its stat and the extractor version its head names (None: schema 1).
    records: dict[str, tuple[Stat, str | None]] = field(default_factory=dict)
    hashed: int = 0  # documents read and hashed by this run
    trusted: int = 0  # documents whose remembered hash was taken
    # What this run changed (None: forgotten), applied to the file as it is when saved: the
    # DAG's extract tasks save the cache concurrently, each its own documents.
    _edited: dict[str, tuple[Stat, str] | None] = field(default_factory=dict)
    _edited_records: dict[str, tuple[Stat, str | None] | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: Path | None = None, rehash: bool = False) -> HashCache:
        """The warehouse's cache (empty when there is none or it is damaged: then all is hashed)."""
        path = path or cache_path()
        cache = cls(path, rehash=rehash or rehash_requested())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                cache.entries = {
                    name: ((int(s[0]), int(s[1]), int(s[2]), int(s[3]), int(s[4])), str(s[5]))
                    for name, s in data["entries"].items()
                }
                cache.records = {
                    name: (
                        (int(s[0]), int(s[1]), int(s[2]), int(s[3]), int(s[4])),
                        None if s[5] is None else str(s[5]),
                    )
                    for name, s in data.get("records", {}).items()
                }
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
            log.warning("%s is damaged (%s): every document is hashed again", path, err)
        return cache

    def known_sha256(self, document: Path | str) -> str | None:
        """The remembered SHA-256 when the file's stat is the one it was hashed with, else None
        (then ``sha256`` reads it).  No lock, no read: the loop over every document of a reload."""
        if self.rehash:
            return None
        name = absolute(document)
        known = self.entries.get(name)
        if known is None:
            return None
        try:
            now = _stat_of(os.stat(name))
        except OSError:
            return None
        if known[0] != now:
            return None
        self.trusted += 1  # the caller's thread only (sha256 runs in the others)
        return known[1]

    def sha256(self, document: Path | str) -> str | None:
        """The SHA-256 of the document's bytes; None when it cannot be read (its record says why)."""
        name = absolute(document)  # a relative path means another file from another folder
        try:
            now = _stat_of(os.stat(name))
        except OSError:
            return None
        known = self.entries.get(name)
        if known is not None and known[0] == now and not self.rehash:
            with self._lock:
                self.trusted += 1
            return known[1]
        return self._hash(name)

    def _hash(self, name: str) -> str | None:
        hashed_at = time.time_ns()
        try:
            with open(name, "rb") as f:
                before = _stat_of(os.fstat(f.fileno()))
                digest = hashlib.sha256()
                while block := f.read(_CHUNK):
                    digest.update(block)
                after = _stat_of(os.fstat(f.fileno()))
        except OSError:
            return None
        sha = digest.hexdigest()
        with self._lock:
            self.hashed += 1
            # Remembered only when the file did not change while read, and not in the same clock tick.
            if before == after and after[2] < hashed_at - racy_ns():
                if self.entries.get(name) != (after, sha):
                    self.entries[name] = self._edited[name] = (after, sha)
            elif self.entries.pop(name, None) is not None:
                self._edited[name] = None
        return sha

    def record_version(self, record: str, read: Callable[[str], str | None]) -> str | None:
        """The extractor version of a record file, remembered by its stat; ``read`` reads it from
        the file when the stat is not the remembered one.  Raises OSError when there is no file."""
        name = absolute(record)
        now = _stat_of(os.stat(name))
        known = self.records.get(name)
        if known is not None and known[0] == now and not self.rehash:
            return known[1]
        read_at = time.time_ns()
        version = read(record)
        with self._lock:
            # As for documents: not remembered when the record was written in this clock tick.
            if now[2] < read_at - racy_ns() and _stat_of(os.stat(name)) == now:
                if known != (now, version):
                    self.records[name] = self._edited_records[name] = (now, version)
            elif self.records.pop(name, None) is not None:
                self._edited_records[name] = None
        return version

    def save(self) -> None:
        """Write this run's changes into the cache file, if any (atomically: a reader sees the old
        file or the new; under a lock, over the file as it is then: concurrent savers keep each
        other's entries)."""
        if not (self._edited or self._edited_records):
            return
        tmp = None
        try:
            with open(self.path.with_name(f".{self.path.name}.lock"), "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                on_disk = HashCache.load(self.path)
                _apply(on_disk.entries, self._edited)
                _apply(on_disk.records, self._edited_records)
                # Files that are gone are forgotten, or the cache would only ever grow (a stat
                # each, 0.3 s at 100 000, paid only by a run that changed something).
                forgotten = _prune(on_disk.entries) + _prune(on_disk.records)
                if forgotten:
                    log.info("%s: forgot %d files that are gone", self.path, forgotten)
                text = json.dumps(
                    {
                        "format": FORMAT,
                        "entries": {k: [*s, sha] for k, (s, sha) in on_disk.entries.items()},
                        "records": {k: [*s, version] for k, (s, version) in on_disk.records.items()},
                    },
                    separators=(",", ":"),
                )
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, self.path)
        except OSError as err:  # only a cache: the next run hashes again
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            log.warning("could not write %s (%s): the next run hashes every document", self.path, err)
            return
        self._edited.clear()
        self._edited_records.clear()


def _prune(entries: dict[str, _T]) -> int:
    gone = [name for name in entries if not os.path.lexists(name)]
    for name in gone:
        del entries[name]
    return len(gone)


def _apply(entries: dict[str, _T], edits: dict[str, _T | None]) -> None:
    for name, entry in edits.items():
        if entry is None:
            entries.pop(name, None)
        else:
            entries[name] = entry
