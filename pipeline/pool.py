"""Extraction in worker processes: what ``xxgk run --jobs N`` and ``xxgk reextract`` use.

N child processes read one document at a time each and write its record
(``steps.extract_to_file``).  Every worker has a memory ceiling (``RLIMIT_AS``) and every
document a hard time limit (``xxgk.settings.WORKER``), so a document that blows up kills only
its worker: the pool records it as rejected with the reason (``worker_died`` when the worker
died or ran out of memory, ``timeout`` when it overran the limit), starts a new worker and goes
on.  The Airflow DAG gets the same guarantee from its own workers and the batch journals
(``steps.extract_batch``).

A scan is the exception to the wall-clock limit: its worker tells the pool when the document
goes to OCR (a small message on its pipe), and from then on the pool measures that worker's CPU
time, the measure of OCR's own limits (a busy machine slows OCR down; it does not make a scan
stuck), with a wall ceiling derived from the OCR budget for a worker stuck without spinning
(``WorkerLimits.ocr_wall_factor``).  CPU time alone for every document would let a document
stuck waiting (no CPU) hold its worker far longer; the 180 s wall limit stays for all the rest.

Workers are forked from a fork server that has imported the extractors once, so a worker
starts in milliseconds and its address space is the extractors', not that of a parent which
has loaded dbt.  A document already extracted by this extractor version is not sent to a
worker at all: its record is found by the hash of its bytes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from pipeline import hashes
from warehouse import paths
from xxgk.settings import WORKER, WorkerLimits

log = logging.getLogger(__name__)

MEMORY_ENV = "XXGK_WORKER_MEMORY_MB"
OCR_CORES_ENV = "XXGK_OCR_CORES"  # extractors.ocr.CORES_ENV (this module does not import the engine)
TIME_LIMIT_ENV = "XXGK_WORKER_TIME_LIMIT_S"
OCR_WALL_FACTOR_ENV = "XXGK_WORKER_OCR_WALL_FACTOR"


@dataclass(frozen=True)
class Done:
    """A document of the run whose record is written."""

    index: int  # its position in the run's documents
    document: str
    record: str
    extracted: bool  # False: an earlier run's record of the same bytes was current


# Called once per document, in the order they finish (progress display).
OnDone = Callable[[Done], None]


def default_jobs() -> int:
    """The cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def limits() -> WorkerLimits:
    """``xxgk.settings.WORKER`` with the ``XXGK_WORKER_*`` environment overrides."""
    out = WORKER
    memory = os.environ.get(MEMORY_ENV, "").strip()
    if memory:
        out = replace(out, memory_mb=_positive(MEMORY_ENV, memory, int))
    seconds = os.environ.get(TIME_LIMIT_ENV, "").strip()
    if seconds:
        out = replace(out, time_limit_s=_positive(TIME_LIMIT_ENV, seconds, float))
    factor = os.environ.get(OCR_WALL_FACTOR_ENV, "").strip()
    if factor:
        out = replace(out, ocr_wall_factor=_positive(OCR_WALL_FACTOR_ENV, factor, float))
    return out


def _positive(name: str, text: str, kind: type[int] | type[float]) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}={text}: must be more than 0")
    return value


def extract_all(
    documents: Sequence[str],
    jobs: int,
    *,
    force: bool = False,
    on_done: OnDone | None = None,
    limit: WorkerLimits | None = None,
    rehash: bool = False,
) -> list[str]:
    """Write the record of every document; return the record paths, in the documents' order.

    ``force`` extracts every document again even when its record is current.  A document whose
    file is unchanged since an earlier run hashed it is not read (``pipeline.hashes``) unless
    ``rehash``.  Never raises for a document: what a worker cannot finish becomes a rejected record.
    """
    from pipeline import steps

    limit = limit or limits()
    records: list[str | None] = [None] * len(documents)
    todo: deque[int] = deque()
    folder = str(paths.records_dir())
    cache = hashes.HashCache.load(rehash=rehash)

    def look(document: str, sha: str | None = None) -> tuple[str | None, str | None]:
        if sha is None:
            sha = cache.sha256(document)
        if force or sha is None:
            return sha, None  # unreadable: its worker writes the record that says why
        return sha, steps.current_record_file(document, folder, sha256=sha, cache=cache)

    # A document unchanged since it was hashed costs two stats and two look-ups (its own and its
    # record's), done here: handing 100 000 of them to threads cost more than the work.
    looked: list[tuple[str | None, str | None]] = []
    unknown: list[int] = []
    for i, document in enumerate(documents):
        sha = cache.known_sha256(document)
        if sha is None:
            unknown.append(i)
            looked.append((None, None))
        else:
            looked.append(look(document, sha))
    # Hashing the bytes is the rest; hashlib releases the GIL, so threads share it.
    if unknown:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
            for i, result in zip(unknown, threads.map(look, [documents[i] for i in unknown]), strict=True):
                looked[i] = result
    cache.save()
    if documents:
        log.info(
            "hashed %d of %d documents (%d unchanged since they were hashed, %s)",
            cache.hashed,
            len(documents),
            cache.trusted,
            hashes.cache_path().name,
        )
    shas = [sha for sha, _ in looked]
    found = [known for _, known in looked]
    for i, (document, known) in enumerate(zip(documents, found, strict=True)):
        if known is None:
            todo.append(i)
            continue
        records[i] = str(known)
        if on_done is not None:
            on_done(Done(i, document, str(known), extracted=False))
    # The same bytes under several names are read once, from the first name, as a serial run
    # would (the record names that path); two workers must not race to write one record.
    first_of: dict[str, int] = {}
    copies: list[tuple[int, int]] = []  # (a later name, the first name's index)
    for i in list(todo):
        key = shas[i]
        if key is not None and key in first_of:
            todo.remove(i)
            copies.append((i, first_of[key]))
        elif key is not None:
            first_of[key] = i
    if todo:
        log.info("extracting %d of %d documents with %d worker(s)", len(todo), len(documents), jobs)
        _Pool(max(1, min(jobs, len(todo))), limit, force).run(documents, todo, records, on_done)
    for i, first in copies:
        records[i] = records[first]
        if on_done is not None and records[i] is not None:
            on_done(Done(i, documents[i], str(records[i]), extracted=False))
    missing = [documents[i] for i, r in enumerate(records) if r is None]
    if missing:  # the pool gives every document a record; this is a bug, not a bad document
        raise RuntimeError(f"no record was written for {len(missing)} document(s), e.g. {missing[0]}")
    return [r for r in records if r is not None]


@dataclass(frozen=True)
class _Finished:
    """Worker to pool: the record of the document it was given."""

    index: int
    record: str


@dataclass(frozen=True)
class _Ocr:
    """Worker to pool: the document it was given went to OCR (``extractors.scan.OcrStarted``)."""

    index: int
    pages: int
    cpu_budget_s: float


_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (all its threads); None when /proc cannot tell."""
    try:
        # The command name in parentheses may hold spaces: the fields come after the last ")".
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime (proc(5) fields 14, 15)
    except (OSError, ValueError, IndexError):
        return None


class _Worker:
    def __init__(self, ctx: Any, limit: WorkerLimits, ocr_cores: int = 1) -> None:
        self.conn, child = ctx.Pipe()
        env = {k: v for k, v in os.environ.items() if k.startswith("XXGK_")}
        # OCR in a worker uses its share of the cores, not all of them: N workers of 2 onnxruntime
        # threads each on 2 cores spin against each other (a page took 32 s instead of 18.5).
        env.setdefault(OCR_CORES_ENV, str(ocr_cores))
        self.process: BaseProcess = ctx.Process(
            target=_serve,
            args=(child, limit.memory_mb, env, logging.getLogger().getEffectiveLevel()),
            name="xxgk-extract",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.limit = limit
        self.task: int | None = None
        self.started = 0.0
        self.cpu_started: float | None = None
        self.ocr: _Ocr | None = None

    def give(self, index: int, document: str, force: bool) -> None:
        self.task, self.started, self.ocr = index, time.monotonic(), None
        self.cpu_started = _cpu_seconds(self.process.pid)
        self.conn.send((index, document, force))

    def receive(self) -> str | None:
        """Read what the worker sent: the record when it finished its document, else None."""
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if isinstance(message, _Ocr) and message.index == self.task:
                    self.ocr = message
                elif isinstance(message, _Finished) and message.index == self.task:
                    return message.record
        except (EOFError, OSError):
            pass  # it died while answering: its sentinel says how
        return None

    def wall_limit_s(self) -> float:
        if self.ocr is None:
            return self.limit.time_limit_s
        return self.limit.time_limit_s + self.limit.ocr_wall_factor * self.ocr.cpu_budget_s

    def cpu_limit_s(self) -> float:
        """CPU seconds its document in OCR may take: the hard limit plus the OCR budget."""
        assert self.ocr is not None
        return self.limit.time_limit_s + self.ocr.cpu_budget_s

    def cpu_used_s(self) -> float | None:
        """CPU seconds of its document so far; None without OCR (wall time is the measure then)."""
        if self.ocr is None or self.cpu_started is None:
            return None
        now = _cpu_seconds(self.process.pid)
        return None if now is None else now - self.cpu_started

    def overrun(self) -> str | None:
        """Why the document is to be stopped for its time (the record's message), None if not."""
        wall = self.wall_limit_s()
        if self.ocr is None:
            if time.monotonic() - self.started < wall:
                return None
            return (
                f"reading took more than {wall:g} s (the hard limit per document, {TIME_LIMIT_ENV}); "
                "the worker reading it was stopped"
            )
        budget = self.ocr.cpu_budget_s
        cpu = self.cpu_used_s()
        if cpu is not None and cpu >= self.cpu_limit_s():
            return (
                f"reading by OCR ({self.ocr.pages} page(s)) took more than "
                f"{self.cpu_limit_s():g} CPU seconds (the hard limit per document, "
                f"{self.limit.time_limit_s:g}, plus the OCR budget of {budget:g}) without OCR's own "
                "limit stopping it; the worker reading it was stopped"
            )
        if time.monotonic() - self.started >= wall:
            return (
                f"reading by OCR ({self.ocr.pages} page(s)) took more than {wall:g} s (the hard limit "
                f"per document, {self.limit.time_limit_s:g} s, plus {self.limit.ocr_wall_factor:g} "
                f"({OCR_WALL_FACTOR_ENV}) times the OCR budget of {budget:g} CPU seconds); the worker "
                "reading it was stopped"
            )
        return None

    def next_check(self, cores: int) -> float:
        """The monotonic time at which it may first overrun: the wall limit, or sooner, the CPU
        limit were its threads to have every core from now on."""
        at = self.started + self.wall_limit_s()
        cpu = self.cpu_used_s()
        if cpu is not None and self.ocr is not None:
            left = self.cpu_limit_s() - cpu
            at = min(at, time.monotonic() + max(0.05, left / cores))
        return at

    def stop(self, kill: bool = False) -> None:
        if kill or self.task is not None:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class _Pool:
    def __init__(self, jobs: int, limit: WorkerLimits, force: bool) -> None:
        self.jobs, self.limit, self.force = jobs, limit, force
        self.ctx = multiprocessing.get_context("forkserver")
        # The fork server imports the extractors once; each worker is a fork of it.
        self.ctx.set_forkserver_preload(["pipeline.steps"])

    def run(
        self,
        documents: Sequence[str],
        todo: deque[int],
        records: list[str | None],
        on_done: OnDone | None,
    ) -> None:
        from pipeline import steps

        cores = default_jobs()
        ocr_cores = max(1, cores // self.jobs)
        workers = [_Worker(self.ctx, self.limit, ocr_cores) for _ in range(self.jobs)]

        def finish(worker: _Worker, record: str, extracted: bool = True) -> None:
            index = worker.task
            assert index is not None
            worker.task = None
            records[index] = record
            if on_done is not None:
                on_done(Done(index, documents[index], record, extracted))

        def replace_worker(worker: _Worker) -> _Worker:
            worker.task = None
            worker.stop(kill=True)
            fresh = _Worker(self.ctx, self.limit, ocr_cores)
            workers[workers.index(worker)] = fresh
            return fresh

        try:
            while todo or any(w.task is not None for w in workers):
                for worker in workers:
                    if worker.task is None and todo:
                        i = todo.popleft()
                        try:
                            worker.give(i, documents[i], self.force)
                        except OSError:  # the idle worker died: start another and give it there
                            worker = replace_worker(worker)
                            worker.give(i, documents[i], self.force)
                busy = [w for w in workers if w.task is not None]
                deadline = min(w.next_check(cores) for w in busy)
                ready = wait(
                    [w.conn for w in busy] + [w.process.sentinel for w in busy],
                    timeout=max(0.0, deadline - time.monotonic()),
                )
                for worker in busy:
                    index = worker.task
                    assert index is not None
                    if worker.conn in ready:
                        done = worker.receive()
                        if done is not None:
                            finish(worker, done)
                            continue
                    overrun = worker.overrun()
                    if worker.process.sentinel in ready or not worker.process.is_alive():
                        worker.process.join(timeout=5)
                        reason = _death(worker.process.exitcode, self.limit)
                        log.error("%s killed its worker (%s): recorded as rejected", documents[index], reason)
                        record = steps.record_failure(
                            documents[index],
                            "worker_died",
                            f"the worker extracting this document died ({reason}) before it finished",
                        )
                        finish(worker, record)
                        replace_worker(worker)
                    elif overrun is not None:
                        log.error("%s: %s: recorded as rejected", documents[index], overrun)
                        record = steps.record_failure(documents[index], "timeout", overrun)
                        finish(worker, record)
                        replace_worker(worker)
        finally:
            for worker in workers:
                worker.stop()


def _death(exitcode: int | None, limit: WorkerLimits) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if -exitcode == signal.SIGKILL:
            return f"killed by {name}: out of memory, or killed from outside"
        return f"killed by {name}"
    if exitcode == MEMORY_EXIT:
        return (
            f"out of memory: the document needed more than the ceiling of {limit.memory_mb} MB ({MEMORY_ENV})"
        )
    return f"exit status {exitcode}"


# A worker that ran out of memory exits with this status: its heap may be in pieces, so the
# pool starts a fresh one rather than trust it with the next document.
MEMORY_EXIT = 75


def _serve(conn: Connection, memory_mb: int, env: dict[str, str], run_log_level: int) -> None:
    """A worker: extract the documents the pool sends until it sends None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for name in [k for k in os.environ if k.startswith("XXGK_")]:
        os.environ.pop(name)
    os.environ.update(env)  # the fork server's environment is that of the run that started it
    ceiling = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    # OCR takes seconds a page: its line per page is the run's progress within a scan (not --quiet).
    if run_log_level <= logging.INFO:
        logging.getLogger("extractors.scan").setLevel(logging.INFO)
    from extractors import scan
    from pipeline import steps

    task: tuple[int, str, bool] | None = None

    def tell_ocr(started: scan.OcrStarted) -> None:
        if task is not None:
            conn.send(_Ocr(task[0], started.pages, started.cpu_budget_s))

    scan.on_ocr(tell_ocr)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, document, force = task
        try:
            record = steps.extract_to_file(document, force=force, raise_memory_error=True)
        except MemoryError:
            os._exit(MEMORY_EXIT)
        conn.send(_Finished(index, record))
