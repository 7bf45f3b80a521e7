"""Offline OCR of page images: rapidocr on onnxruntime, with the models its wheel ships.

rapidocr 3.x carries PP-OCRv6 (det and rec, "small") inside the package; the engine is
built with the explicit paths of those files, so it never looks for (or downloads) a
model anywhere else.  One engine per process (``engine()``), built on first use: it
holds ~0.5–1 GB, so a process that OCRs several documents reuses it.

The output is positioned text in the grid builder's own terms (``extractors.grid.TextBox``,
page units = PDF points): each recognised word with its box and the engine's confidence.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from extractors.grid import TextBox
from extractors.problems import ReaderProblem
from xxgk.settings import READER

ENGINE = "rapidocr"
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


_lock = threading.Lock()
_engine: Any = None


def engine() -> Any:
    """The process's one OCR engine; ``ocr_needed`` when it is not installed."""
    global _engine
    if _engine is not None:
        return _engine
    with _lock:
        if _engine is None:
            if not available():
                raise ReaderProblem(
                    "ocr_needed",
                    "the PDF has no usable text layer (a scan) and the OCR engine is not installed: "
                    "install the project's pinned packages (rapidocr, onnxruntime) and extract again",
                )
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
                    "EngineConfig.onnxruntime.intra_op_num_threads": READER.ocr_threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
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
