"""Shared helpers of the benchmark scripts (bench/accuracy, bench/throughput)."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

T = TypeVar("T")
R = TypeVar("R")


def machine() -> dict[str, Any]:
    """nproc, memory, CPU model, Python: for the results file."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gb": mem_gb,
        "cpu": cpu,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def run_pool(fn: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        yield from (fn(i) for i in items)
        return
    # One document per task: documents take from 5 ms to several seconds, and bigger
    # chunks leave one worker finishing a chunk of slow ones while the other idles.
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(fn, items, chunksize=1)


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "extractors"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return out.stdout.strip() + (" (extractors/ modified)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")


def _burn(n: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - started


def calibrate(jobs: int) -> dict[str, float]:
    """How much CPU the machine really gives: one busy loop alone, then ``jobs`` at once.

    Virtual CPUs are often not whole cores; this tells what a pool of ``jobs`` can gain.
    """
    from concurrent.futures import ProcessPoolExecutor

    n = 10_000_000
    alone = min(_burn(n) for _ in range(2))
    with ProcessPoolExecutor(jobs) as pool:
        started = time.perf_counter()
        list(pool.map(_burn, [n] * jobs))
        together = time.perf_counter() - started
    return {"one_loop_s": alone, f"{jobs}_loops_wall_s": together, "pool_speedup": jobs * alone / together}
