"""How alike two texts are: character shingles, Jaccard similarity and MinHash candidates.

The copied-text check (C1, docs/template.md §4) compares each narrative section of a report
with the same body's previous report and with every other body's report of the same year.
Comparing all pairs exactly is quadratic; MinHash signatures with LSH banding find the pairs
likely to be similar (Broder 1997), and only those are compared exactly, so the warning's
figure is always the exact Jaccard similarity of the two shingle sets (of their 64-bit hashes).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

# Digits, Latin letters, punctuation and spaces go: a copy with only the year and the numbers
# changed has the same characters left.
_NOT_HAN = re.compile(r"[^\u3400-\u9fff]+")
_PRIME = (1 << 31) - 1  # a Mersenne prime: x mod p < 2^31, so a·x + b fits in 64 bits
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd (2^64 / golden ratio): the polynomial hashes' base


def cleaned(text: str) -> str:
    return _NOT_HAN.sub("", text)


def shingles(text: str, k: int) -> np.ndarray:
    """The set of k-character substrings of the cleaned text, each as a 64-bit polynomial hash
    (sorted, unique). A set of Python strings takes ~60 bytes a shingle, 4 GB for 100 000
    sections (bench/similarity); eight bytes do, and two distinct shingles of 5 Han characters
    share a hash with probability ~2^-64."""
    t = cleaned(text)
    n = len(t) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        h = h * _MULTIPLIER + codes[j : j + n]  # wraps mod 2^64, as meant
    unique: np.ndarray = np.unique(h)
    return unique


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size and not b.size:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def signature(items: np.ndarray, num_perm: int, seed: int = 1) -> np.ndarray:
    """The MinHash signature: per permutation h(x) = (a·x + b) mod p, the minimum over the set."""
    a, b = _permutations(num_perm, seed)
    if not items.size:
        return np.full(num_perm, _PRIME, dtype=np.uint64)
    x = items % np.uint64(_PRIME)
    # a < 2^31 and x < 2^31: the product fits in 64 bits.
    sig: np.ndarray = ((np.outer(x, a) + b) % _PRIME).min(axis=0)
    return sig


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _PRIME, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, _PRIME, size=num_perm, dtype=np.uint64)
    return a, b


def candidate_pairs(
    sets: Mapping[str, np.ndarray], num_perm: int, bands: int, bucket_peers: int | None = None
) -> set[tuple[str, str]]:
    """The pairs of ``candidate_index_pairs`` as keys, each (earlier, later) in ``sets``' order."""
    keys = list(sets)
    pairs = candidate_index_pairs([sets[k] for k in keys], num_perm, bands, bucket_peers)
    return {(keys[a], keys[b]) for a, b in pairs.tolist()}


def candidate_index_pairs(
    sets: Sequence[np.ndarray], num_perm: int, bands: int, bucket_peers: int | None = None
) -> np.ndarray:
    """Pairs of indices i < j whose signatures agree on every row of at least one band (LSH),
    as a sorted (m, 2) array without repeats; empty sets are never paired (``banded_pairs``)."""
    keys = np.flatnonzero([items.size > 0 for items in sets]).astype(np.int64)
    if len(keys) < 2:
        return np.empty((0, 2), dtype=np.int64)
    sigs = signatures([sets[k] for k in keys.tolist()], num_perm)
    # keys increase, so the pairs stay sorted and i < j
    found: np.ndarray = keys[banded_pairs(sigs, bands, bucket_peers)]
    return found


def banded_pairs(
    sigs: np.ndarray,
    bands: int,
    bucket_peers: int | None = None,
    comparable: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Pairs of rows i < j of ``sigs`` (one per set, ``signatures``) that agree on
    every row of at least one band, as a sorted (m, 2) array without repeats.

    Per band, each signature's rows are folded into one 64-bit key and the keys sorted: runs of
    equal keys are the band's buckets (an accidental equal key only adds a candidate, which the
    exact comparison then drops). With ``bucket_peers``, a member of a bucket is paired with the
    next ``bucket_peers`` members only, which keeps the pairs linear in the sets when thousands
    share one bucket (at most bands × sets × bucket_peers; the bands' windows mostly coincide,
    tests/test_offices.py). ``comparable(a, b)`` (arrays of rows) keeps only the pairs a caller
    would compare; the windows are still those of every member, so the pairs kept are the same
    as filtering afterwards, but are never sorted. The pairs are made and deduplicated as arrays
    of ``i · n + j``: a Python set of the pairs of 100 000 sections made half of the check's 210
    CPU s and 0.4 GB of its 1.7 GB (bench/RESULTS.md).
    """
    n = len(sigs)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    rows = sigs.shape[1] // bands
    found: list[np.ndarray] = []
    n_found = folded = 0
    position = np.arange(n)
    for band in range(bands):
        h = np.zeros(n, dtype=np.uint64)
        for r in range(band * rows, (band + 1) * rows):
            h = h * _MULTIPLIER + sigs[:, r]
        members = np.argsort(h, kind="stable")
        sorted_h = h[members]
        starts = np.flatnonzero(np.r_[True, sorted_h[1:] != sorted_h[:-1]])
        ends = np.r_[starts[1:], n]
        # Each position's bucket end: its partners are the next positions before it.
        bucket_end = np.repeat(ends, ends - starts)
        widest = int((ends - starts).max()) - 1
        reach = widest if bucket_peers is None else min(bucket_peers, widest)
        for offset in range(1, reach + 1):
            first = position[position + offset < bucket_end]
            if not first.size:
                break
            a, b = members[first], members[first + offset]
            if comparable is not None:
                kept = comparable(a, b)
                a, b = a[kept], b[kept]
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            n_found += found[-1].size
        # Fold when what was found since the last fold outgrows the distinct pairs folded (and
        # 8 million): memory stays near the distinct pairs, and the folds' sorts sum to a few.
        if n_found - folded > max(folded, 8_000_000):
            found = [_distinct(np.concatenate(found))]
            n_found = folded = found[0].size
    pairs = _distinct(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return np.stack([pairs // n, pairs % n], axis=1)


def signatures(sets: Sequence[np.ndarray], num_perm: int) -> np.ndarray:
    """``signature`` of each set as one row of uint32 (every value is below 2^31)."""
    if not sets:
        return np.empty((0, num_perm), dtype=np.uint32)
    return np.stack([signature(items, num_perm).astype(np.uint32) for items in sets])


def _distinct(values: np.ndarray) -> np.ndarray:
    # Sorted, without repeats: numpy 2's np.unique hashes (15 ms for 20 000 integers here).
    if not values.size:
        return values
    values = np.sort(values)
    kept: np.ndarray = values[np.r_[True, values[1:] != values[:-1]]]
    return kept
