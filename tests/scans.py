"""Scans made from PDFs: each page rendered to an image, degraded as a scanner and a
publisher degrade it, and wrapped back into a PDF without a text layer.

Used by the OCR tests and bench/ocr: the numbers on the pages are those of the PDF, so a
generated document's answer key (the generator's own) stays exact for its scan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageFilter


@dataclass(frozen=True)
class Degradation:
    dpi: float = 200.0
    rotate_deg: float = 0.0  # counter-clockwise
    blur: float = 0.0  # Gaussian radius in pixels
    jpeg_quality: int | None = None  # None: lossless (PNG-like) images

    def __str__(self) -> str:
        parts = [f"{self.dpi:.0f}dpi"]
        if self.rotate_deg:
            parts.append(f"rot{self.rotate_deg:+.1f}")
        if self.blur:
            parts.append(f"blur{self.blur:g}")
        if self.jpeg_quality:
            parts.append(f"jpeg{self.jpeg_quality}")
        return "-".join(parts)


def page_images(pdf_bytes: bytes, how: Degradation, pages: list[int] | None = None) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        out = []
        for i in range(len(pdf)):
            if pages is not None and i not in pages:
                continue
            image = pdf[i].render(scale=how.dpi / 72, grayscale=True).to_pil().convert("L")
            if how.rotate_deg:
                image = image.rotate(how.rotate_deg, resample=Image.Resampling.BICUBIC, fillcolor=255)
            if how.blur:
                image = image.filter(ImageFilter.GaussianBlur(how.blur))
            if how.jpeg_quality:
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=how.jpeg_quality)
                image = Image.open(io.BytesIO(buffer.getvalue()))
                image.load()
            out.append(image)
        return out
    finally:
        pdf.close()


def images_to_pdf(images: list[Image.Image], dpi: float) -> bytes:
    """An image-only PDF, each image one A4-sized page at ``dpi``."""
    buffer = io.BytesIO()
    first, *rest = [im.convert("RGB") if im.mode not in ("L", "RGB") else im for im in images]
    first.save(buffer, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return buffer.getvalue()


def scan_of(pdf_bytes: bytes, how: Degradation, pages: list[int] | None = None) -> bytes:
    """The PDF as a scanner would give it back: pictures of its pages, no text layer."""
    return images_to_pdf(page_images(pdf_bytes, how, pages), how.dpi)
