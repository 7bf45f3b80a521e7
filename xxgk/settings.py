"""The reader's thresholds, in one place, each with the reason for its value.

Windows are counted in characters of the *compact* text (whitespace removed,
``extractors.text.DocText.compact``), so they do not depend on how a format
spaces its cells.  The modules read ``READER``; a test or a caller that needs
other limits builds its own ``ReaderSettings`` with ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderSettings:
    # 上年结转 must follow 本年新收 within this many characters for the pair to be
    # the section-三 table: the first row with its 7 values and the second label fit
    # in ~60 characters; narrative that mentions both words is longer than 400.
    s3_second_row_window: int = 400
    # The next section-三 row label is looked for within this many characters of the
    # previous one: the longest row (a v2021 （六） item label, ~40 characters, plus 7
    # values of up to 7 digits and a repeated page header, P3) stays well under 1500;
    # a label further away is narrative, and the row counts as missing.
    s3_row_gap: int = 1500
    # A section-二 title counts only when a table marker (第二十条第 / 信息内容)
    # follows within this many characters: the title line and the first table
    # caption take < 100; a title in the report's introduction has no table after it.
    s2_table_window: int = 300
    # How far after 本年新收 to look for （六）其他处理 and its v2021 items, to tell
    # the v2019-style aggregated row (hongze-2024.pdf): the whole section-三 table
    # up to 结转下年度 is ~1200–2500 characters.
    s3_other_window: int = 3000
    # Without a section-五 title the section-四 values are taken from this many
    # characters after its heading: the header row and 15 values take ~150–400.
    s4_window: int = 800
    # Above this many joint readings of the section-三 rows the search is no longer a
    # plain enumeration but a branch-and-bound over the identities; 2 000 product
    # readings are evaluated in well under a second.
    max_combinations: int = 2_000
    # The branch-and-bound gives up after visiting this many partial readings and
    # reports ``search_truncated``: a complete reading costs ~0.5 ms to score, so this
    # bounds the search at ~10 s, well inside ``time_limit_s``; real reports need < 100.
    max_search_nodes: int = 20_000
    # A row with fewer numbers than cells and no tabs marking its blanks offers every
    # placement of its numbers to the identities when there are at most this many
    # (a section-三 row of 7 cells with 3 numbers: 35); beyond, the row is unread.
    max_placements: int = 64
    # A tab/line row with this many numbers too many (P4) or too few (P5) is offered to
    # the identities with every choice of the extra or missing cells; the seeds show one
    # or two, more means the row is not the row.
    max_cells_off: int = 2
    # The report's title is searched in the first lines: a web page's chrome, a cover
    # page and a table of contents take at most ~30.
    title_lines: int = 40
    # A web-page cell never spans more columns than the widest table (15 in section 四);
    # a larger colspan is markup noise and is capped here.
    max_colspan: int = 50
    # Readings kept per row that no identity decides, to list as candidates in a
    # problem; beyond this the list says it was cut.
    max_candidates_listed: int = 20
    # A value never has more digits than this (a fee in 万元 with 6 decimals, or a
    # city's yearly penalties count): longer digit strings are two cells joined.
    max_digits: int = 13
    # A digit run longer than this is not split at all (left unread): 15 section-四
    # values of 4 digits each are 60 characters.
    max_run_digits: int = 60
    # Real reports take well under a second; a file that takes this long is malformed.
    time_limit_s: float = 60.0
    # LibreOffice converts a report-sized .doc in 2–10 s, most of it starting up; two
    # minutes means it hangs on the file.
    doc_convert_timeout_s: float = 120.0


READER = ReaderSettings()


@dataclass(frozen=True)
class WorkerLimits:
    """The limits of one extraction worker (``xxgk run --jobs N``, ``pipeline.pool``).

    A worker is a child process that reads one document at a time; a document that breaks a
    limit kills only its worker (the pool starts another) and is recorded as rejected with the
    reason, so no document can stop the load.  ``XXGK_WORKER_MEMORY_MB`` and
    ``XXGK_WORKER_TIME_LIMIT_S`` override them (``pipeline.pool.limits``).
    """

    # Address space (RLIMIT_AS) of a worker: a worker starts at ~0.5 GB of address space
    # (Python, pypdfium2, numpy, their thread arenas) and real reports add < 100 MB; a document
    # that needs more than 2 GB is a zip bomb or a malformed file, and two workers stay far
    # below the memory of a 4 GB machine.
    memory_mb: int = 2048
    # Wall-clock seconds for one document: the reader's own limit (``time_limit_s``, 60 s) is
    # checked between steps and a native library can overrun it; three times that means the
    # worker is stuck.
    time_limit_s: float = 180.0


WORKER = WorkerLimits()
