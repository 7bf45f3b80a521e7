"""Born-digital PDF reports drawn with reportlab, with a real CJK text layer.

Tables are platypus ``Table``s built from the grid model: merged cells are
``SPAN``s, the merged cell 三、本年度办理结果 is printed vertically one
character per line, long labels wrap inside their cells, tables are ruled
(a full grid), framed (outer box and header line) or unruled; page numbers are ``- 3 -`` or ``第 3 页 共 6 页``.
When section 三's table is split (P3) the break falls inside a merged group
and the second page repeats the three header rows, as huaian-2024.pdf does.
Bad inputs (encrypted, truncated, image-only) are made here too.

reportlab runs in invariant mode, so a seed gives the same bytes.
"""

from __future__ import annotations

import io
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.document import Block, Document
from generator.tables import GTable

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WQYMicroHei"


def font_available() -> bool:
    return CJK_FONT.exists()


@lru_cache(maxsize=1)
def _setup() -> dict[str, Any]:
    from reportlab import rl_config
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.invariant = 1  # no timestamps or random ids: reproducible bytes
    if not font_available():
        raise RuntimeError(f"the CJK font {CJK_FONT} is missing: apt-get install fonts-wqy-microhei")
    pdfmetrics.registerFont(TTFont(FONT, str(CJK_FONT), subfontIndex=0))
    base = dict(fontName=FONT, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontSize=17, leading=26, alignment=TA_CENTER, spaceAfter=6, **base),
        "heading": ParagraphStyle("heading", fontSize=13, leading=22, spaceBefore=6, spaceAfter=4, **base),
        "para": ParagraphStyle("para", fontSize=11.5, leading=20, firstLineIndent=23, **base),
        "right": ParagraphStyle("right", fontSize=11.5, leading=20, alignment=TA_RIGHT, **base),
        "cell": ParagraphStyle("cell", fontSize=8, leading=10, alignment=TA_LEFT, **base),
        "cell_c": ParagraphStyle("cell_c", fontSize=8, leading=10, alignment=TA_CENTER, **base),
        "value": ParagraphStyle("value", fontSize=8, leading=10, alignment=TA_CENTER, **base),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table_flowable(table: GTable, styles: dict[str, Any], ruled: str, width: float) -> Any:
    from reportlab.platypus import Paragraph, Table, TableStyle

    data: list[list[Any]] = [["" for _ in range(table.ncols)] for _ in table.rows]
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for i, row in enumerate(table.rows):
        for cell in row.cells:
            if cell.col >= table.ncols:
                continue
            if cell.vertical:
                text = "<br/>".join(_escape(ch) for ch in cell.text)
                para = Paragraph(text, styles["cell_c"])
            elif cell.role == "value":
                para = Paragraph(_escape(cell.text), styles["value"])
            else:
                style = (
                    styles["cell_c"]
                    if cell.role in ("header", "corner", "caption", "group")
                    else styles["cell"]
                )
                para = Paragraph("<br/>".join(_escape(p) for p in cell.text.split("\n")), style)
            data[i][cell.col] = para
            if cell.colspan > 1 or cell.rowspan > 1:
                commands.append(("SPAN", (cell.col, i), (cell.col + cell.colspan - 1, i + cell.rowspan - 1)))
    if ruled == "grid":
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, "black"))
    elif ruled == "frame":
        # Unruled inside: only the outer frame and the line under the header (ruling "none": no line at all).
        commands.append(("BOX", (0, 0), (-1, -1), 0.5, "black"))
        if table.header_rows:
            commands.append(
                ("LINEBELOW", (0, table.header_rows - 1), (-1, table.header_rows - 1), 0.5, "black")
            )
    total = sum(table.widths)
    widths = [width * w / total for w in table.widths]
    flow = Table(data, colWidths=widths, repeatRows=table.header_rows or 0, hAlign="CENTER")
    flow.setStyle(TableStyle(commands))
    return flow


def _canvas_class(page_style: str) -> Any:
    """A canvas that prints page numbers once the number of pages is known."""
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            n = self._pageNumber
            if page_style == "dash":
                text = f"- {n} -"
            elif page_style == "of":
                text = f"第 {n} 页 共 {total} 页"
            else:
                return
            self.setFont(FONT, 10)
            self.drawCentredString(self._pagesize[0] / 2, 36, text)

    return NumberedCanvas


def render_pdf(doc: Document, rng: random.Random, encrypt: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepTogether, PageBreak, SimpleDocTemplate, Spacer

    styles = _setup()
    plan = doc.plan
    ruled = plan.features.get("ruling", "grid")
    buffer = io.BytesIO()
    margin = 2.4 * cm
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=2.6 * cm,
        bottomMargin=2.4 * cm,
        title=doc.title,
        author=plan.body.name,
        encrypt=encrypt,
    )
    width = A4[0] - 2 * margin
    story: list[Any] = []
    pending: list[Any] = []  # a heading kept with what follows it
    for block in doc.blocks:
        flow = _flowable(block, styles, ruled, width)
        if block.kind == "pagebreak":
            story.extend(pending)
            pending = []
            story.append(PageBreak())
            continue
        if block.kind == "heading" or (pending and block.kind == "para" and len(pending) < 2):
            pending.append(flow)
            continue
        if pending:
            story.append(KeepTogether(pending + [flow]))
            pending = []
        else:
            story.append(flow)
    story.extend(pending)
    story.append(Spacer(1, 6))
    template.build(story, canvasmaker=_canvas_class(plan.features.get("page_numbers", "dash")))
    return buffer.getvalue()


def _flowable(block: Block, styles: dict[str, Any], ruled: str, width: float) -> Any:
    from reportlab.platypus import Paragraph, Spacer

    if block.kind == "table" and block.table is not None:
        return _table_flowable(block.table, styles, ruled, width)
    if block.kind == "pagebreak":
        return None
    if block.kind == "title":
        return Paragraph(_escape(block.text), styles["title"])
    if block.kind in ("heading", "subheading"):
        return Paragraph(_escape(block.text), styles["heading"])
    if block.kind in ("signature", "date"):
        return Paragraph(_escape(block.text), styles["right"])
    if not block.text:
        return Spacer(1, 6)
    return Paragraph(_escape(block.text), styles["para"])


# --- bad inputs ------------------------------------------------------------------------------


def truncate(data: bytes, rng: random.Random) -> bytes:
    """A download cut short: the end of the file (cross-reference table, trailer) is gone."""
    return data[: int(len(data) * rng.uniform(0.3, 0.85))]


def image_only_pdf(lines: list[str], rng: random.Random, pages: int = 2) -> bytes:
    """A scan: every page is a picture of text, there is no text layer."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    _setup()
    font = ImageFont.truetype(str(CJK_FONT), 26, index=0)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    per_page = max(1, len(lines) // pages + 1)
    for p in range(pages):
        img = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(img)
        y = 120
        for line in lines[p * per_page : (p + 1) * per_page]:
            draw.text((110, y), line[:40], font=font, fill=0)
            y += 44
        # A scanned page is slightly grey and tilted.
        img = img.rotate(rng.uniform(-0.8, 0.8), fillcolor=255)
        c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    return buffer.getvalue()
