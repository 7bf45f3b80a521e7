"""Word documents.

DOCX is read straight from its XML: paragraphs become lines, and a table's
cells, merged across columns (``gridSpan``) and rows (``vMerge``), are placed
on a grid by the same cell model as a ruled PDF table (``extractors.grid``):
each row a line of tab-separated cells, a blank cell an empty field in its
place, a label merged over rows its own line before its first row.

DOC (old binary Word, and WPS files saved as .doc) is converted to DOCX by
LibreOffice in headless mode when it is installed.

A Word file whose tables are pictures (a scanned page pasted in) is read by OCR: the
pictures are listed with their place in the text (``docx_parts``) and the dispatcher has
them read (``extractors.scan.read_images``) when the text alone does not hold the tables.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from extractors.grid import DomCell, dom_lines, dom_row
from extractors.problems import ReaderProblem
from extractors.text import DocText
from xxgk.settings import READER

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CONVERT_TIMEOUT_S = READER.doc_convert_timeout_s


def _text(element: ET.Element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == W + "t" and node.text:
            parts.append(node.text)
        elif node.tag == W + "tab" or node.tag in (W + "br", W + "cr"):
            parts.append(" ")
    return "".join(parts)


def read_zip_entry(archive: zipfile.ZipFile, name: str, limit: int | None = None) -> bytes:
    """One entry of a zip file, refused before it is read when it expands beyond ``limit``.

    The size the archive declares is checked first, then the bytes are read in chunks and
    counted, so an entry that lies about its size is cut off at the limit, never held whole.
    """
    limit = READER.max_zip_entry_bytes if limit is None else limit
    info = archive.getinfo(name)
    too_large = ReaderProblem(
        "too_large",
        f"{name} inside the Word file expands to more than {limit / 1e6:.0f} MB "
        f"({info.compress_size / 1e6:.1f} MB compressed): a zip bomb or not a report; it was not read",
    )
    if info.file_size > limit:
        raise too_large
    chunks, total = [], 0
    with archive.open(info) as entry:
        while chunk := entry.read(1 << 20):
            total += len(chunk)
            if total > limit:
                raise too_large
            chunks.append(chunk)
    return b"".join(chunks)


# A picture's place in the XML: DrawingML (Word 2007+) and VML (older files, WPS).
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_V = "{urn:schemas-microsoft-com:vml}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
EMU_PER_PT = 12700


@dataclass(frozen=True)
class Picture:
    """A picture in the body of a Word file, where it stands."""

    name: str  # its entry in the file, e.g. word/media/image1.png
    after_line: int  # how many lines of text come before it
    shown_width_pt: float | None  # the width the document shows it at


@dataclass
class DocxParts:
    """The text of a Word file as lines with their provenance, and the pictures between them."""

    lines: list[str]
    where: list[dict[str, Any]]
    pictures: list[Picture] = field(default_factory=list)

    def text(self) -> DocText:
        return DocText.from_raw("\n".join(self.lines), self.where)

    def with_pictures(self, read: DocText, unit: str = "image") -> DocText:
        """The text with the lines read from each picture (``read``, its lines' ``where`` naming
        the picture by number, 1-based in ``pictures`` order) in the picture's place."""
        by_picture: dict[int, list[tuple[str, dict[str, Any]]]] = {}
        for text, here in zip(read.text.split("\n"), read.line_where):
            by_picture.setdefault(int(here.get(unit, 0)), []).append((text, here))
        lines: list[str] = []
        where: list[dict[str, Any]] = []
        anchors: dict[int, list[int]] = {}
        for number, picture in enumerate(self.pictures, 1):
            anchors.setdefault(picture.after_line, []).append(number)
        for i in range(len(self.lines) + 1):
            for number in anchors.get(i, []):
                for text, here in by_picture.get(number, []):
                    lines.append(text)
                    where.append(dict(here))
            if i < len(self.lines):
                lines.append(self.lines[i])
                where.append(self.where[i])
        return DocText.from_raw("\n".join(lines), where)


def docx_text(data: bytes) -> DocText:
    return docx_parts(data).text()


def docx_parts(data: bytes) -> DocxParts:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = read_zip_entry(archive, "word/document.xml")
            rels = (
                read_zip_entry(archive, "word/_rels/document.xml.rels")
                if "word/_rels/document.xml.rels" in archive.namelist()
                else None
            )
        root = ET.fromstring(xml)
        targets = _relationships(rels)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, EOFError, NotImplementedError, ValueError) as err:
        raise ReaderProblem(
            "corrupt",
            f"the Word file cannot be read ({err}); it may be truncated or damaged: download it again",
        ) from err
    body = root.find(W + "body")
    out = DocxParts([], [])
    seen: set[str] = set()
    paragraph = table_index = 0
    for element in body if body is not None else []:
        if element.tag == W + "p":
            paragraph += 1
            text = _text(element).strip()
            if text:
                out.lines.append(text)
                out.where.append({"paragraph": paragraph})
        elif element.tag == W + "tbl":
            table_index += 1
            rows: list[list[DomCell]] = []
            for row in element.iter(W + "tr"):
                cells = []
                for cell in row.findall(W + "tc"):
                    props = cell.find(W + "tcPr")
                    span, continued = 1, False
                    if props is not None:
                        grid = props.find(W + "gridSpan")
                        if grid is not None and grid.get(W + "val", "1").isdigit():
                            span = min(int(grid.get(W + "val", "1")), READER.max_colspan)
                        merge = props.find(W + "vMerge")
                        continued = merge is not None and merge.get(W + "val", "continue") == "continue"
                    cells.append(DomCell(" ".join(_text(cell).split()), span, 1, continued))
                rows.append(cells)
            # The same cell model as a ruled PDF table (extractors.grid).
            for line in dom_lines(rows):
                out.lines.append(line.text)
                out.where.append({"table": table_index, "row": dom_row(line) + 1})
        # A picture stands after the text of the paragraph (or table) that holds it; one used
        # twice is read once.
        for name, width in _pictures(element, targets):
            if name not in seen:
                seen.add(name)
                out.pictures.append(Picture(name, len(out.lines), width))
    return out


def _relationships(rels: bytes | None) -> dict[str, str]:
    """Relationship id → the entry it names inside the file (``media/image1.png`` → word/…)."""
    if rels is None:
        return {}
    out = {}
    for rel in ET.fromstring(rels).iter(_RELS + "Relationship"):
        target, mode = rel.get("Target", ""), rel.get("TargetMode", "")
        if target and mode != "External":
            out[rel.get("Id", "")] = posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join("word", target)
            )
    return out


def _pictures(element: ET.Element, targets: dict[str, str]) -> list[tuple[str, float | None]]:
    """The pictures inside a body element: (entry name, shown width in points or None)."""
    out: list[tuple[str, float | None]] = []
    for drawing in element.iter(W + "drawing"):
        extent = drawing.find(f".//{_WP}extent")
        cx = extent.get("cx", "") if extent is not None else ""
        width = int(cx) / EMU_PER_PT if cx.isdigit() else None
        for blip in drawing.iter(_A + "blip"):
            name = targets.get(blip.get(_R + "embed", ""))
            if name:
                out.append((name, width))
    for image in element.iter(_V + "imagedata"):
        name = targets.get(image.get(_R + "id", ""))
        if name:
            out.append((name, None))
    return out


def picture_bytes(data: bytes, name: str) -> bytes | None:
    """A picture's bytes from the Word file, None when it is missing or too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return read_zip_entry(archive, name)
    except (zipfile.BadZipFile, KeyError, EOFError, NotImplementedError, ValueError, ReaderProblem):
        return None


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def doc_to_docx(data: bytes, name: str) -> bytes:
    """Convert old binary Word to DOCX with LibreOffice (headless)."""
    program = soffice()
    if program is None:
        raise ReaderProblem(
            "converter_missing",
            "old Word (.doc) files need LibreOffice to be read: apt-get install libreoffice-writer-nogui",
        )
    with tempfile.TemporaryDirectory(prefix="xxgk-doc-") as tmp:
        src = Path(tmp) / (Path(name).stem + ".doc")
        src.write_bytes(data)
        try:
            subprocess.run(
                [
                    program,
                    "--headless",
                    "--norestore",
                    f"-env:UserInstallation=file://{tmp}/profile",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=CONVERT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as err:
            raise ReaderProblem(
                "timeout", f"LibreOffice did not convert the file in {CONVERT_TIMEOUT_S} s"
            ) from err
        except subprocess.CalledProcessError as err:
            raise ReaderProblem(
                "corrupt",
                f"LibreOffice could not convert the file: {err.stderr.decode(errors='replace')[-300:]}",
            ) from err
        out = src.with_suffix(".docx")
        if not out.exists():
            raise ReaderProblem(
                "corrupt",
                "LibreOffice could not convert the file (no output); "
                "it may be damaged or not a Word document",
            )
        return out.read_bytes()
