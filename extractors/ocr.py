"""Offline OCR of page images: rapidocr on onnxruntime, with the models its wheel ships.

rapidocr 3.x carries PP-OCRv6 (det and rec, "small") inside the package; the engine is
built with the explicit paths of those files, so it never looks for (or downloads) a
model anywhere else.  One engine per process (``engine()``), built on first use: it
holds ~0.5–1 GB, so a process that OCRs several documents reuses it.

The output is positioned text in the grid builder's own terms (``extractors.grid.TextBox``,
page units = PDF points): each recognised word with its box and the engine's confidence.
"""

from __future__ import annotations

import os
import resource
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from extractors.grid import TextBox
from extractors.problems import ReaderProblem
from xxgk.settings import READER, WORKER

ENGINE = "rapidocr"
# The cores this process's OCR may use: ``xxgk run --jobs N`` gives each of its workers the
# machine's cores divided by N (pipeline.pool); a deployment running several extraction
# processes (Celery workers) sets it the same way.  Unset: every core the process may run on.
CORES_ENV = "XXGK_OCR_CORES"
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"


class OcrBox(TextBox):
    """A recognised word where it stands, with the engine's confidence (0–1)."""

    __slots__ = ("score",)

    def __init__(
        self, text: str, x0: float, top: float, x1: float, bottom: float, score: float, page: int = 1
    ) -> None:
        super().__init__(text, x0, top, x1, bottom, False, page)
        self.score = score


@dataclass(frozen=True)
class EngineInfo:
    engine: str
    version: str
    runtime: str
    models: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "version": self.version,
            "runtime": self.runtime,
            "models": list(self.models),
        }


def _model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def available() -> bool:
    """Whether the engine and its shipped models are installed."""
    try:
        models = _model_dir()
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return (models / DET_MODEL).is_file() and (models / REC_MODEL).is_file()


@lru_cache(maxsize=1)
def info() -> EngineInfo:
    return EngineInfo(
        ENGINE,
        metadata.version("rapidocr"),
        f"onnxruntime {metadata.version('onnxruntime')}",
        (DET_MODEL.removesuffix(".onnx"), REC_MODEL.removesuffix(".onnx")),
    )


def cores() -> int:
    """The cores this process's OCR may use (``XXGK_OCR_CORES``, else its CPU affinity)."""
    text = os.environ.get(CORES_ENV, "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return max(1, len(os.sched_getaffinity(0)))


def memory_ceiling_mb() -> int:
    """The address space this process may use: its RLIMIT_AS (a pool worker's), and never more
    than a worker's ceiling (``WorkerLimits.memory_mb``), so OCR sizes itself the same alone."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = WORKER.memory_mb
    if soft != resource.RLIM_INFINITY:
        ceiling = min(ceiling, soft // (1024 * 1024))
    return int(ceiling)


_lock = threading.Lock()
_engine: Any = None
_engine_threads = 0


def require() -> None:
    """``ocr_needed`` when the engine is not installed."""
    if not available():
        raise ReaderProblem(
            "ocr_needed",
            "the document's tables are only in page images (a scan) and the OCR engine is not "
            "installed: install the project's pinned packages (rapidocr, onnxruntime) and extract again",
        )


def engine(threads: int | None = None) -> Any:
    """The process's one OCR engine, with ``threads`` onnxruntime threads per page (default
    ``ocr_threads``); ``ocr_needed`` when it is not installed.  Built on first use; asked for
    another number of threads, it is built again (the old one freed: still one per process);
    ``None`` takes the engine as it is."""
    global _engine, _engine_threads
    if _engine is not None and threads in (None, _engine_threads):
        return _engine
    threads = max(1, threads or READER.ocr_threads)
    with _lock:
        if _engine is None or _engine_threads != threads:
            _engine = None
            require()
            from rapidocr import RapidOCR

            models = _model_dir()
            _engine = RapidOCR(
                params={
                    # Pages are upright once deskewed: the orientation classifier is not needed.
                    "Global.use_cls": False,
                    "Global.log_level": "warning",
                    # A 200 dpi A4 page is 2339 px high: keep it at full size.
                    "Global.max_side_len": 4096,
                    "Global.model_root_dir": str(models),
                    "Det.model_path": str(models / DET_MODEL),
                    "Rec.model_path": str(models / REC_MODEL),
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
            _engine_threads = threads
    return _engine


# Detected text boxes are padded around the glyphs (the detector's unclip): a CJK word's box
# is ~1.3 times the font's height.  The grid builder's tolerances (same line, wrapped label)
# are shares of the font's height, so boxes are brought back to it about their centre.
BOX_HEIGHT_SHARE = 0.75
# A detected line this much taller than wide is text set vertically (a merged cell's label
# one character per line, or characters of stacked rows read as one column).
VERTICAL_RATIO = 1.5

# (text, score, quad, word results) of each detected line
RawLine = tuple[str, float, Any, Any]


def recognise(image: np.ndarray) -> list[RawLine]:
    """The engine's lines of a page image: text, confidence, box (pixels), word boxes."""
    out = engine()(image, return_word_box=True)
    if out.txts is None or out.boxes is None:
        return []
    words = out.word_results if len(out.word_results) == len(out.txts) else [()] * len(out.txts)
    return [
        (str(t), float(s), np.asarray(q, dtype=float).tolist(), w)
        for t, s, q, w in zip(out.txts, out.scores, out.boxes, words)
    ]


def read_image(image: np.ndarray, scale: float, page: int = 1) -> list[OcrBox]:
    """The words of a page image (pixels = page units × ``scale``), in page units."""
    return boxes_of(recognise(image), scale, page)


def boxes_of(lines: list[RawLine], scale: float, page: int = 1) -> list[OcrBox]:
    boxes: list[OcrBox] = []
    for text, score, quad, line_words in lines:
        q = np.asarray(quad, dtype=float)
        width, height = np.ptp(q[:, 0]), np.ptp(q[:, 1])
        chars = [ch for ch in text if not ch.isspace()]
        if height > VERTICAL_RATIO * width and len(chars) >= 2:
            # Vertical: one character under the other, each in its own share of the box.
            x0, x1 = q[:, 0].min() / scale, q[:, 0].max() / scale
            top, step = q[:, 1].min() / scale, height / scale / len(chars)
            for i, ch in enumerate(chars):
                boxes.append(_box(ch, x0, top + i * step, x1, top + (i + 1) * step, score, page))
            continue
        parts = [
            (w[0], float(w[1]), w[2]) for w in line_words or () if w and w[2] is not None and w[0].strip()
        ]
        if not parts:
            parts = [(text, score, quad)]
        pieces: list[list[Any]] = []  # [text, x0, top, x1, bottom, score]
        for word, word_score, word_quad in parts:
            wq = np.asarray(word_quad, dtype=float)
            x0, top = float(wq[:, 0].min()) / scale, float(wq[:, 1].min()) / scale
            x1, bottom = float(wq[:, 0].max()) / scale, float(wq[:, 1].max()) / scale
            # A word with spaces inside ("0 0 0") is its parts, the box shared by length.
            for piece, (p0, p1) in _split_spaces(word, x0, x1):
                pieces.append([piece, p0, top, p1, bottom, min(word_score, score)])
        # The engine places the characters of a CJK word with gaps between them; the
        # recognised text says they are one word: close the gaps narrower than a character
        # (never next to a number, whose digits must stay apart from another cell's).
        for a, b in zip(pieces, pieces[1:]):
            if not (_numeric(a[0]) or _numeric(b[0])) and 0 < b[1] - a[3] < a[4] - a[2]:
                a[3] = b[1]
        for piece, x0, top, x1, bottom, piece_score in pieces:
            boxes.append(_box(piece, x0, top, x1, bottom, piece_score, page))
    return boxes


def _numeric(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _box(text: str, x0: float, top: float, x1: float, bottom: float, score: float, page: int) -> OcrBox:
    cy, half = (top + bottom) / 2, (bottom - top) * BOX_HEIGHT_SHARE / 2
    return OcrBox(text, float(x0), float(cy - half), float(x1), float(cy + half), float(score), page)


def _split_spaces(word: str, x0: float, x1: float) -> list[tuple[str, tuple[float, float]]]:
    """A recognised word with spaces inside ("0 0 0") as its parts, the box shared by length."""
    pieces = word.split()
    if len(pieces) <= 1:
        return [(word.strip(), (x0, x1))]
    width = (x1 - x0) / max(len(word), 1)
    out, pos = [], 0
    for piece in pieces:
        start = word.index(piece, pos)
        pos = start + len(piece)
        out.append((piece, (x0 + start * width, x0 + pos * width)))
    return out
