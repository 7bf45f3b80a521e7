"""Word documents.

DOCX is read straight from its XML: paragraphs become lines, and a table's
cells, merged across columns (``gridSpan``) and rows (``vMerge``), are placed
on a grid by the same cell model as a ruled PDF table (``extractors.grid``):
each row a line of tab-separated cells, a blank cell an empty field in its
place, a label merged over rows its own line before its first row.

DOC (old binary Word, and WPS files saved as .doc) is converted to DOCX by
LibreOffice in headless mode when it is installed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
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


def docx_text(data: bytes) -> DocText:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = read_zip_entry(archive, "word/document.xml")
        root = ET.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, EOFError, NotImplementedError, ValueError) as err:
        raise ReaderProblem(
            "corrupt",
            f"the Word file cannot be read ({err}); it may be truncated or damaged: download it again",
        ) from err
    body = root.find(W + "body")
    lines: list[str] = []
    where: list[dict[str, int]] = []
    paragraph = table_index = 0
    for element in body if body is not None else []:
        if element.tag == W + "p":
            paragraph += 1
            text = _text(element).strip()
            if text:
                lines.append(text)
                where.append({"paragraph": paragraph})
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
                lines.append(line.text)
                where.append({"table": table_index, "row": dom_row(line) + 1})
    return DocText.from_raw("\n".join(lines), where)


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
