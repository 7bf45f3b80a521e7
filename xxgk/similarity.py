"""How alike two texts are: character shingles, Jaccard similarity and MinHash candidates.

The copied-text check (C1, docs/template.md §4) compares each narrative section of a report
with the same body's previous report and with every other body's report of the same year.
Comparing all pairs exactly is quadratic; MinHash signatures with LSH banding find the pairs
likely to be similar (Broder 1997), and only those are compared exactly, so the warning's
figure is always the exact Jaccard similarity of the two shingle sets.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Mapping

import numpy as np

# Digits, Latin letters, punctuation and spaces go: a copy with only the year and the numbers
# changed has the same characters left.
_NOT_HAN = re.compile(r"[^\u3400-\u9fff]+")
_PRIME = (1 << 31) - 1  # a Mersenne prime above every crc32 value taken mod it


def cleaned(text: str) -> str:
    return _NOT_HAN.sub("", text)


def shingles(text: str, k: int) -> frozenset[str]:
    """The set of k-character substrings of the cleaned text."""
    t = cleaned(text)
    return frozenset(t[i : i + k] for i in range(max(len(t) - k + 1, 0)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def signature(items: frozenset[str], num_perm: int, seed: int = 1) -> np.ndarray:
    """The MinHash signature: per permutation h(x) = (a·x + b) mod p, the minimum over the set."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _PRIME, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, _PRIME, size=num_perm, dtype=np.uint64)
    if not items:
        return np.full(num_perm, _PRIME, dtype=np.uint64)
    x = np.fromiter(
        (zlib.crc32(s.encode("utf-8")) % _PRIME for s in items), dtype=np.uint64, count=len(items)
    )
    # a < 2^31 and x < 2^31: the product fits in 64 bits.
    sig: np.ndarray = ((np.outer(x, a) + b) % _PRIME).min(axis=0)
    return sig


def candidate_pairs(sets: Mapping[str, frozenset[str]], num_perm: int, bands: int) -> set[tuple[str, str]]:
    """Pairs of keys whose signatures agree on every row of at least one band (LSH)."""
    rows = num_perm // bands
    buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)
    for key, items in sets.items():
        if not items:
            continue
        sig = signature(items, num_perm)
        for band in range(bands):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(key)
    pairs: set[tuple[str, str]] = set()
    order = {k: i for i, k in enumerate(sets)}
    for keys in buckets.values():
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                pairs.add((first, second) if order[first] < order[second] else (second, first))
    return pairs
