"""Scans made from PDFs: each page rendered to an image, degraded as a scanner and a
publisher degrade it, and wrapped back into a PDF without a text layer.

Used by the OCR tests and bench/ocr: the numbers on the pages are those of the PDF, so a
generated document's answer key (the generator's own) stays exact for its scan.
"""

from __future__ import annotations

import io
import zipfile
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


# --- Word files whose tables are pictures --------------------------------------------------

_W_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _drawing(rid: str, number: int, width_pt: float, height_pt: float) -> str:
    cx, cy = round(width_pt * 12700), round(height_pt * 12700)
    return (
        f'<w:p><w:r><w:drawing><wp:inline><wp:extent cx="{cx}" cy="{cy}"/>'
        f'<wp:docPr id="{number}" name="Picture {number}"/><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
        f'<pic:nvPicPr><pic:cNvPr id="{number}" name="image{number}"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{rid}"/></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm></pic:spPr>'
        "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )


Block = str | tuple[Image.Image, float]  # a paragraph, or a picture and its shown width (pt)


def docx_of(
    blocks: list[Block],
    dpi: float | None = None,
    tables_xml: str = "",
) -> bytes:
    """A Word file, written as Word lays one out: paragraphs of text (``str``) and pictures
    (an image and the width in points it is shown at), saved as PNG with ``dpi`` as their
    resolution (None: none recorded); ``tables_xml`` is appended to the body as it is."""
    body: list[str] = []
    rels: list[str] = []
    media: dict[str, bytes] = {}
    for block in blocks:
        if isinstance(block, str):
            body.append(f"<w:p><w:r><w:t>{_esc(block)}</w:t></w:r></w:p>")
            continue
        image, width_pt = block
        n = len(media) + 1
        buffer = io.BytesIO()
        image.save(buffer, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
        media[f"word/media/image{n}.png"] = buffer.getvalue()
        rels.append(
            f'<Relationship Id="rId{n + 10}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
            f'Target="media/image{n}.png"/>'
        )
        body.append(_drawing(f"rId{n + 10}", n, width_pt, width_pt * image.size[1] / image.size[0]))
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W_NS}><w:body>'
        + "".join(body)
        + tables_xml
        + "</w:body></w:document>"
    )
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="png" ContentType="image/png"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": document,
        "word/_rels/document.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(rels)
            + "</Relationships>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
        for name, data in media.items():
            z.writestr(name, data)
    return buffer.getvalue()
