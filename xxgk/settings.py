"""The reader's thresholds, in one place, each with the reason for its value.

Windows are counted in characters of the *compact* text (whitespace removed,
``extractors.text.DocText.compact``), so they do not depend on how a format
spaces its cells.  The modules read ``READER``; a test or a caller that needs
other limits builds its own ``ReaderSettings`` with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
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
    # The 落款 date is looked for in the document's last non-empty lines: the signature
    # (body, date) and a page footer take at most ~8.
    signature_lines: int = 8
    # A 落款 line holds the body's name and the date (``平潭综合实验区管委会办公室 2024年1月20日``,
    # ~30 characters); a longer line is a sentence that merely mentions a date.
    signature_max_chars: int = 40
    # --- OCR of scanned pages (extractors.scan) ---
    # A text layer with fewer characters than this per page, or with less than this share
    # of its characters readable (CJK, ASCII, CJK punctuation; a font without a Unicode map
    # gives control or private-use codes), is not used: the pages are OCR'd.
    ocr_min_readable_share: float = 0.8
    # Table pages are read at this resolution: PP-OCRv6 read all 193 number cells of a
    # real table page at 200 dpi and one digit wrong at 144 dpi.
    ocr_dpi: float = 200.0
    # The cheap first pass (every page: narrative text, title, which pages hold tables).
    # The detector works on >= 736 px anyway, so a lower resolution saves nothing.
    ocr_scout_dpi: float = 100.0
    # A word the engine is less sure of than this is flagged, never published: correct
    # digits score > 0.98 on the generated and real scans; misreads seen scored 0.6–0.9.
    ocr_min_confidence: float = 0.95
    # CPU seconds (all threads) one page's OCR may take: a 200 dpi table page takes 10–20
    # (5–9 s on 2 idle cores); wall time is no measure on a shared machine (up to 250 s a page
    # was seen with six processes on 2 cores).  The document's limit below caps the whole.
    ocr_page_time_limit_s: float = 300.0
    # CPU seconds a scanned document may take in all (a report holds 2–4 table pages).
    ocr_time_limit_s: float = 1200.0
    # At most this many onnxruntime threads read one page (extractors.scan.page_plan): on 2 idle
    # cores a 200 dpi table page takes 12.4 s with 1 thread, 7.1 s with 2, and two pages at once
    # with one thread each take the same 14.3 s as one after the other with two, holding 1.5 GB
    # instead of 1.1; so up to 2 cores go to one page, and only more cores read pages at once.
    # A process never uses more cores than its share (``ocr.cores()``): under ``--jobs 2`` on
    # 2 cores, two workers of 2 threads each took 32 s a page, of 1 thread each 18.5 s.
    ocr_threads: int = 2
    # Address space (MB) of a process reading one 200 dpi page (VmPeak 2.0 GB, huaian-2024.pdf
    # 2.2 GB), and what each further page read at the same time adds (+0.33 GB of address space,
    # +0.44 GB resident): pages at once are as many as fit in the worker's ceiling
    # (``WorkerLimits.memory_mb``).
    ocr_engine_memory_mb: int = 2300
    ocr_page_memory_mb: int = 500
    # A picture in a Word file is read as a page when it could hold a table: at least this many
    # pixels wide and high, and shown at least this wide (points; a stamp or a logo is ~110 pt,
    # a table at least a third of the text width); above ``ocr_max_picture_pixels`` (a 600 dpi
    # A4 scan is 35 million) it is not a report's picture and is not decoded.
    ocr_min_picture_px: int = 300
    ocr_min_picture_shown_pt: float = 200.0
    ocr_max_picture_pixels: int = 60_000_000
    # Skew up to this many degrees is measured and undone (scans are seldom off by more).
    ocr_max_skew_deg: float = 2.0
    # A report as text or a web page is well under 5 MB (a page with inline images a few
    # more); text beyond this is not a report, and decoding it would outlast the time limit
    # (the limit cannot interrupt a codec running in C).
    max_text_bytes: int = 50_000_000
    # No part of a report's Word file expands beyond this (the largest real document.xml
    # seen is ~10 MB, and parsing takes ~20 times its size in memory); a larger entry is a zip
    # bomb or not a report, and is never read.
    max_zip_entry_bytes: int = 50_000_000
    # Text is binary data when more than this share of its first characters are control
    # characters or undecodable bytes: random bytes give ~15 %, a text report 0 (one stray
    # byte in 6 000 characters is 0.02 %).
    max_binary_share: float = 0.01
    # How much of a text file the binary test and the encoding detector look at.
    sniff_bytes: int = 65_536


READER = ReaderSettings()


@dataclass(frozen=True)
class OfficeSettings:
    """The checks an office runs on the reports it collects (docs/template.md §4, S6 and C1–C3)."""

    # Copied text (C1): shingles of this many characters of a section's text, digits and
    # punctuation removed (a copy with only the year and numbers changed still matches). Five
    # characters are about two Chinese words: common phrasing alone (政府信息公开, 进一步加强)
    # shares few five-character shingles between independently written texts.
    shingle_chars: int = 5
    # A section shorter than this (after removing digits and punctuation) is not compared:
    # "无。" or "本年度未收取信息处理费" is identical in thousands of honest reports.
    min_section_chars: int = 80
    # Jaccard similarity of the shingle sets at or above which a section is flagged as copied.
    # Independently written sections of two bodies share < 0.3 of their shingles even on the
    # same template sentences; a report re-dated with light edits keeps > 0.9.
    copied_text_similarity: float = 0.8
    # MinHash signature length and LSH bands (rows per band = num_perm / bands): candidate
    # pairs are then checked exactly, so the signature only has to find them. With 128/32, a
    # pair at Jaccard 0.8 becomes a candidate with probability > 0.999.
    minhash_num_perm: int = 128
    minhash_bands: int = 32
    # Peers each section is compared with within one LSH bucket, its neighbours in the bucket's
    # order: a sentence block that hundreds of reports share puts them all in one bucket, whose
    # pairs grow with the square of its size (190 893 warnings on 1 000 generated reports,
    # bench/RESULTS.md); each section still meets this many of its look-alikes in every band,
    # enough to warn on it, and memory and time stay linear in the reports. (The same body's
    # previous report is compared whatever the buckets.)
    minhash_bucket_peers: int = 20
    # Identical number sets (C2): two reports print exactly the same values in at least this
    # many non-zero cells of sections 二–四 (a body with almost nothing to report prints mostly
    # zeros, identical every year).
    identical_numbers_min_nonzero: int = 10
    # Lateness (C3, 条例 第四十九条): the report on year Y is due by this month/day of Y+1 —
    # departments (部门) by 31 January, 县级以上 governments by 31 March; townships and
    # streets (乡镇, 街道) report to their county with the departments.
    deadline_department: tuple[int, int] = (1, 31)
    deadline_government: tuple[int, int] = (3, 31)
    deadline_township: tuple[int, int] = (1, 31)
    # Rankings (the site) need at least this many bodies with a value in one year.
    min_ranking_sample: int = 5


OFFICE = OfficeSettings()


@dataclass(frozen=True)
class WorkerLimits:
    """The limits of one extraction worker (``xxgk run --jobs N``, ``pipeline.pool``).

    A worker is a child process that reads one document at a time; a document that breaks a
    limit kills only its worker (the pool starts another) and is recorded as rejected with the
    reason, so no document can stop the load.  ``XXGK_WORKER_MEMORY_MB``,
    ``XXGK_WORKER_TIME_LIMIT_S`` and ``XXGK_WORKER_OCR_WALL_FACTOR`` override them
    (``pipeline.pool.limits``).
    """

    # Address space (RLIMIT_AS) of a worker, not its resident memory: a worker starts at ~0.5 GB
    # of address space (Python, pypdfium2, numpy, their thread arenas) and a text-layer report
    # adds < 100 MB, but OCR of a scan (onnxruntime, OpenCV) reaches 2.2 GB of address space for
    # 1.25 GB resident (huaian-2024.pdf scanned at 200 dpi), and 2 GB made it fail with
    # bad_alloc. A document that needs more than 4 GB is a zip bomb or a malformed file.
    memory_mb: int = 4096
    # Wall-clock seconds for one document: the reader's own limit (``time_limit_s``, 60 s) is
    # checked between steps and a native library can overrun it; three times that means the
    # worker is stuck.  Not for a scan: OCR takes seconds a page, and more on a busy machine.
    time_limit_s: float = 180.0
    # A document whose worker says it went to OCR (``extractors.scan.on_ocr``) is measured by the
    # worker's CPU time instead, as OCR's own limits are (``ocr_time_limit_s``, 1200 CPU s): it is
    # stopped past ``time_limit_s`` plus its OCR budget in CPU seconds (OCR stuck in a native
    # call that spins), or past ``time_limit_s`` plus this many times that budget in wall seconds
    # (stuck without spinning).  A 4-page scan at load 9 on 2 cores took 171 s wall for 38 CPU s
    # (4.5 wall s a CPU s, bench/RESULTS.md); 5 keeps a legitimate scan within its budget alive.
    ocr_wall_factor: float = 5.0


WORKER = WorkerLimits()


@dataclass(frozen=True)
class GateSettings:
    """How the gate (``expectations.gate``) reads and validates the staged reports."""

    # Documents read and validated together: a report has ~190 cells, so 1 000 documents are
    # ~190 000 cell rows, ~150 MB in pandas with the identity frames and Great Expectations'
    # results; memory then stays flat however many documents the warehouse holds.  The rows of
    # every chunk are spooled to Parquet in one scan of the models (``expectations.spool``).
    chunk_documents: int = 1000
    # Rows of the soft identities (S1–S3, a few per current report) validated together.
    soft_chunk_rows: int = 100_000
    # Fact rows of the marts checked together before publication (``check_marts``): whole
    # bodies at a time (~190 rows per report), at least one body however many rows it has.
    marts_chunk_rows: int = 200_000
    # Unexpected rows of each expectation kept in the run's merged validation results (the Data
    # Docs, ``GateResult.validations``; their counts stay whole): the verdicts are made from each
    # chunk's own results, and a first run over a warehouse of 100 000 reports fails ~400 000.
    report_rows_kept: int = 1000


GATE = GateSettings()


@dataclass(frozen=True)
class HashCacheSettings:
    """When a reload may trust a document's remembered SHA-256 instead of reading it (``pipeline.hashes``)."""

    # A file whose ctime is this close to the moment it was hashed is hashed again next time
    # ("racily clean", as git's index): a rewrite in the same clock tick, or on a file server whose
    # clock is a little behind ours, could keep every stat field.  Linux stamps files with a
    # coarse clock (a few ms); NFS servers' clocks drift by up to a second or two.
    # ``XXGK_HASH_CACHE_RACY_S`` overrides it.
    racy_s: float = 2.0


HASH_CACHE = HashCacheSettings()


# DuckDB's memory in the warehouse's own connections (publishing; dbt's profile and the gate
# read the same variable): beyond it DuckDB spills to disk instead of growing with the warehouse.
DUCKDB_MEMORY_ENV = "XXGK_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY = "1GB"


def duckdb_memory_limit() -> str:
    return os.environ.get(DUCKDB_MEMORY_ENV, "").strip() or DEFAULT_DUCKDB_MEMORY
