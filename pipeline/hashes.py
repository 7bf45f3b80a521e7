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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import paths
from xxgk.settings import HASH_CACHE

log = logging.getLogger(__name__)

RACY_ENV = "XXGK_HASH_CACHE_RACY_S"
REHASH_ENV = "XXGK_REHASH"
FORMAT = 1
_CHUNK = 1 << 20

# size, mtime_ns, ctime_ns, inode, device
Stat = tuple[int, int, int, int, int]


def cache_path() -> Path:
    return paths.warehouse_dir() / "document-hashes.json"


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


def _stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


@dataclass
class HashCache:
    """The remembered hashes of one warehouse; ``sha256`` may be called from several threads."""

    path: Path
    rehash: bool = False
    entries: dict[str, tuple[Stat, str]] = field(default_factory=dict)
    hashed: int = 0  # documents read and hashed by this run
    trusted: int = 0  # documents whose remembered hash was taken
    _changed: bool = False
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
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
            log.warning("%s is damaged (%s): every document is hashed again", path, err)
        return cache

    def sha256(self, document: Path | str) -> str | None:
        """The SHA-256 of the document's bytes; None when it cannot be read (its record says why)."""
        name = os.path.abspath(document)  # a relative path means another file from another folder
        try:
            now = _stat_of(os.stat(name))
        except OSError:
            return None
        known = self.entries.get(name)
        if known is not None and known[0] == now and not self.rehash:
            with self._lock:
                self.trusted += 1
            return known[1]
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
                    self.entries[name] = (after, sha)
                    self._changed = True
            elif self.entries.pop(name, None) is not None:
                self._changed = True
        return sha

    def save(self) -> None:
        """Write the cache when this run changed it (atomically: a reader sees old or new)."""
        if not self._changed:
            return
        text = json.dumps(
            {"format": FORMAT, "entries": {k: [*s, sha] for k, (s, sha) in self.entries.items()}},
            separators=(",", ":"),
        )
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
        except OSError as err:  # only a cache: the next run hashes again
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            log.warning("could not write %s (%s): the next run hashes every document", self.path, err)
            return
        self._changed = False
