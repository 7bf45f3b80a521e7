"""What the copied-text check (C1) remembers between runs, in the build database.

C1 compares every current report's narrative sections (``expectations.narrative_checks``), and a
warehouse of 100 000 reports holds 300 000 of them: their shingles, MinHash signatures and the
exact Jaccard similarity of millions of candidate pairs were ~90 of C1's ~110 CPU s a run
(bench/RESULTS.md), though a new year changes a tenth of them. Both are functions of the texts
alone, so they are kept by the text's digest (``staging.text_signatures``) and by the pair of
digests (``staging.text_pair_similarity``), under a digest of the code and settings that made
them (``similarity_version``): a run computes them only for the texts and pairs it has not met,
and gives the figures a run without them would. What no current report prints any more is
dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from xxgk import similarity
from xxgk.settings import OfficeSettings

# A text's digest: the low 64 bits of its MD5, computed in DuckDB (two of 300 000 texts share
# one with probability ~2^-29; the shingles already take 64-bit hashes as the characters).
_DIGEST = "md5_number_lower(body_text)"

_SECTION_READ = f"""
    with texts as (
        select document_id, {_DIGEST} as text_digest, body_text, line, line_to
        from stg.stg_narratives
        where section = $section and document_id in (select unnest($ids::varchar[]))
    ),
    known as (
        -- one row per digest: a run inserts only the digests it did not find
        select text_digest, n_chars, n_shingles, signature
        from staging.text_signatures
        where similarity_version = $version
    )
    select texts.document_id, texts.text_digest, texts.line, texts.line_to,
           known.n_chars, known.n_shingles, known.signature,
           -- the text itself only where it is new
           case when known.text_digest is null then texts.body_text end as body_text
    from texts
    left join known using (text_digest)
    order by texts.document_id
"""


def similarity_version(settings: OfficeSettings) -> str:
    """A digest of what a text's signature and a pair's similarity depend on."""
    digest = hashlib.sha256(Path(similarity.__file__).read_bytes())
    digest.update(f"shingle_chars={settings.shingle_chars};num_perm={settings.minhash_num_perm}".encode())
    return digest.hexdigest()[:32]


@dataclass
class SectionTexts:
    """One section of the reports long enough to compare (``min_section_chars``), by document id."""

    document_ids: list[str]
    digests: np.ndarray  # uint64, one per document
    signatures: np.ndarray  # (documents, num_perm) uint32
    has_shingles: np.ndarray  # bool: an empty set is never paired
    lines: list[tuple[int | None, int | None]]
    # The shingles computed in this run, by digest (the texts new to the memory).
    shingles: dict[int, np.ndarray] = field(default_factory=dict)


class TextMemory:
    """C1's signatures and similarities over one writable connection to the build database."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: OfficeSettings) -> None:
        self.con = con
        self.settings = settings
        self.version = similarity_version(settings)
        self.seen: set[int] = set()  # every digest read: what the memory keeps after ``prune``
        self.n_texts_computed = 0
        self.n_pairs_computed = 0

    def section(self, ids: list[str], section: str) -> SectionTexts:
        """The section's texts of these reports, each signed (from the memory, else now)."""
        frame = self.con.execute(
            _SECTION_READ, {"section": section, "ids": ids, "version": self.version}
        ).df()
        digests = frame["text_digest"].to_numpy(dtype=np.uint64)
        self.seen.update(digests.tolist())
        new = frame[frame["n_chars"].isna()].drop_duplicates("text_digest")
        shingles, learnt = self._learn(new)
        # The memory's rows and the new ones, one per digest.
        known = frame[frame["n_chars"].notna()][["text_digest", "n_chars", "n_shingles", "signature"]]
        signed = pd.concat([known, learnt], ignore_index=True).drop_duplicates("text_digest")
        by_digest = signed.set_index("text_digest").loc[frame["text_digest"]]
        eligible = by_digest["n_chars"].to_numpy() >= self.settings.min_section_chars
        kept = by_digest[eligible]
        has_shingles = kept["n_shingles"].to_numpy() > 0
        empty = bytes(4 * self.settings.minhash_num_perm)
        blobs = [b if has else empty for b, has in zip(kept["signature"], has_shingles, strict=True)]
        sigs = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(
            len(blobs), self.settings.minhash_num_perm
        )
        chosen = frame[eligible]
        return SectionTexts(
            document_ids=[str(d) for d in chosen["document_id"]],
            digests=digests[eligible],
            signatures=sigs,
            has_shingles=has_shingles,
            lines=[(_int(a), _int(b)) for a, b in zip(chosen["line"], chosen["line_to"], strict=True)],
            shingles=shingles,
        )

    def scores(self, texts: SectionTexts, section: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The exact Jaccard similarity of the pairs of rows (a, b) of ``texts``: the memory's,
        else computed now (reading the texts it needs) and remembered."""
        lo = np.minimum(texts.digests[a], texts.digests[b])
        hi = np.maximum(texts.digests[a], texts.digests[b])
        scores = np.ones(len(a))  # one text printed twice: a non-empty set equals itself
        differ = np.flatnonzero(lo != hi)
        if not differ.size:
            return scores
        wanted = pd.DataFrame({"pos": differ, "lo": lo[differ], "hi": hi[differ]})
        with self._registered("xxgk_wanted_pairs", wanted):
            found = self.con.execute(
                """
                select known.jaccard
                from xxgk_wanted_pairs as wanted
                left join staging.text_pair_similarity as known
                    on known.text_digest_a = wanted.lo and known.text_digest_b = wanted.hi
                    and known.similarity_version = ?
                order by wanted.pos
                """,
                [self.version],
            ).df()
        scores[differ] = found["jaccard"].to_numpy(dtype=float)  # nan: not known
        missing = np.flatnonzero(np.isnan(scores))
        if missing.size:
            scores[missing] = self._compare(texts, section, a[missing], b[missing], lo[missing], hi[missing])
        return scores

    def prune(self) -> None:
        """Forget what no text read in this run needs, and every other version's rows."""
        with self._registered("xxgk_seen_texts", pd.DataFrame({"d": np.fromiter(self.seen, np.uint64)})):
            self.con.execute(
                "delete from staging.text_signatures where similarity_version <> ? "
                "or text_digest not in (select d from xxgk_seen_texts)",
                [self.version],
            )
            self.con.execute(
                "delete from staging.text_pair_similarity where similarity_version <> ? "
                "or text_digest_a not in (select d from xxgk_seen_texts) "
                "or text_digest_b not in (select d from xxgk_seen_texts)",
                [self.version],
            )

    @contextmanager
    def _registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    def _insert(self, table: str, rows: pd.DataFrame) -> None:
        with self._registered("xxgk_new_rows", rows):
            self.con.execute(f"insert into staging.{table} by name select * from xxgk_new_rows")

    def _learn(self, new: pd.DataFrame) -> tuple[dict[int, np.ndarray], pd.DataFrame]:
        """The shingles of texts new to the memory, and their rows, which are remembered."""
        digests = [int(d) for d in new["text_digest"]]
        shingles = {
            d: similarity.shingles(t, self.settings.shingle_chars)
            for d, t in zip(digests, new["body_text"], strict=True)
        }
        sigs = similarity.signatures([shingles[d] for d in digests], self.settings.minhash_num_perm)
        rows = pd.DataFrame(
            {
                "text_digest": np.array(digests, dtype=np.uint64),
                "n_chars": [len(similarity.cleaned(t)) for t in new["body_text"]],
                "n_shingles": [shingles[d].size for d in digests],
                "signature": [
                    sig.tobytes() if shingles[d].size else None for d, sig in zip(digests, sigs, strict=True)
                ],
            }
        )
        if shingles:
            self._insert("text_signatures", rows.assign(similarity_version=self.version))
            self.n_texts_computed += len(shingles)
        return shingles, rows

    def _compare(
        self, texts: SectionTexts, section: str, a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> np.ndarray:
        """Jaccard of the pairs of rows (a, b), digests (lo, hi), that the memory lacks; the texts
        not read in this run are read now.  As arrays: the first run has millions."""
        need = {int(texts.digests[i]): texts.document_ids[i] for i in np.unique(np.r_[a, b]).tolist()}
        unread = {d: doc for d, doc in need.items() if d not in texts.shingles}
        if unread:
            text_of = dict(
                self.con.execute(
                    "select document_id, body_text from stg.stg_narratives "
                    "where section = ? and document_id in (select unnest(?::varchar[]))",
                    [section, sorted(unread.values())],
                ).fetchall()
            )
            for d, doc in unread.items():
                texts.shingles[d] = similarity.shingles(text_of[doc], self.settings.shingle_chars)
        order = np.lexsort((hi, lo))
        lo_sorted, hi_sorted = lo[order], hi[order]
        first = np.r_[True, (lo_sorted[1:] != lo_sorted[:-1]) | (hi_sorted[1:] != hi_sorted[:-1])]
        new_lo, new_hi = lo_sorted[first], hi_sorted[first]
        shingles = texts.shingles
        computed = np.fromiter(
            (
                similarity.jaccard(shingles[x], shingles[y])
                for x, y in zip(new_lo.tolist(), new_hi.tolist(), strict=True)
            ),
            dtype=float,
            count=len(new_lo),
        )
        rows = pd.DataFrame(
            {
                "text_digest_a": new_lo,
                "text_digest_b": new_hi,
                "similarity_version": self.version,
                "jaccard": computed,
            }
        )
        self._insert("text_pair_similarity", rows)
        self.n_pairs_computed += len(computed)
        scores = np.empty(len(lo))
        scores[order] = computed[np.cumsum(first) - 1]
        return scores


def _int(value: float | None) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
