"""The bad-input battery (issue 17): small files made at test time from the bundled samples.

Each builder writes one kind of bad input into a folder and returns the names it made; the
tests say what each must become (a record's status and problem code, or a skip reason).
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
GOOD = SAMPLES / "001_tangjiahui_2019.txt"  # extracts `ok`, 198 cells
GOOD_2022 = SAMPLES / "003_dayong_2022.txt"  # extracts `ok`, 200 cells
GOOD_BODY = "汤家汇镇"


def good_text() -> str:
    return GOOD.read_text(encoding="utf-8")


def as_html(text: str, charset: str = "utf-8", breaks: bool = True) -> str:
    """A web page of a text report: its lines in <p>, with line breaks inside them and a <pre>."""
    lines = []
    for line in text.splitlines():
        if "\t" in line:
            cells = "".join(f"<td>{c}</td>" for c in line.split("\t"))
            lines.append(f"<table><tr>{cells}</tr></table>")
        elif line.strip():
            # A long paragraph wrapped in the page source, as editors save them.
            body = line[:6] + "\n" + line[6:] if breaks and len(line) > 12 else line
            lines.append(f"<p>{body}</p>")
    pre = "<pre>附件：\n一、说明\n二、联系方式</pre>" if breaks else ""
    return (
        f'<html><head><meta charset="{charset}"><title>年度报告</title></head><body>\n'
        + "\n".join(lines)
        + f"\n{pre}\n</body></html>\n"
    )


def docx_with_document_xml(xml_size: int) -> bytes:
    """A DOCX whose word/document.xml expands to ``xml_size`` bytes (a zip bomb, in small)."""
    head = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    tail = b"</w:body></w:document>"
    filler = b" " * max(0, xml_size - len(head) - len(tail))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", head + filler + tail)
    return buffer.getvalue()


def random_bytes(size: int, seed: int = 17) -> bytes:
    return random.Random(seed).randbytes(size)


def make_battery(folder: Path) -> dict[str, str]:
    """Write the battery's files; return {case: file name}."""
    folder.mkdir(parents=True, exist_ok=True)
    text = good_text()
    made: dict[str, str] = {}

    def put(case: str, name: str | bytes, data: bytes) -> None:
        target = os.path.join(os.fsencode(folder), os.fsencode(name))
        with open(target, "wb") as f:
            f.write(data)
        made[case] = os.fsdecode(name)

    put("good", "good.txt", text.encode())
    put("html_utf8", "page-utf8.html", as_html(text).encode("utf-8"))
    put("html_gbk", "page-gbk.html", as_html(text, "gbk").encode("gb18030"))
    put("html_utf16", "page-utf16.html", as_html(text, "utf-16").encode("utf-16"))
    big5 = text.replace(GOOD_BODY, "台北市政府")
    put("html_big5", "page-big5.html", as_html(big5, "big5").encode("big5", errors="replace"))
    put("stray_byte", "stray-byte.txt", GOOD_2022.read_bytes().replace("总体情况".encode(), b"\x80", 1))
    put("non_utf8_name", b"report-\xff\xfe.txt", text.replace(GOOD_BODY, "黄土镇").encode())
    put("dash_name", "-leading dash.txt", text.replace(GOOD_BODY, "白水镇").encode())
    put("nul_body", "nul-body.txt", text.replace(GOOD_BODY, "汤家\x00汇镇", 1).encode())
    put("control_body", "control-body.txt", text.replace(GOOD_BODY, "\x01\x02\x1b").encode())
    put("random_pdf", "random.pdf", random_bytes(200_000))
    put("empty", "empty.pdf", b"")
    put("not_a_report", "notice.txt", "关于开展春季植树活动的通知\n各单位：请于三月参加。\n".encode())
    put("same_1", "copy-a.txt", GOOD_2022.read_bytes())
    put("same_2", "copy-b.txt", GOOD_2022.read_bytes())
    put("same_3", "copy-c.txt", GOOD_2022.read_bytes())
    loop = folder / "loop.txt"
    loop.symlink_to(loop.name)
    made["symlink_loop"] = loop.name
    (folder / "dangling.pdf").symlink_to("no-such-file.pdf")
    made["dangling_link"] = "dangling.pdf"
    os.mkfifo(folder / "fifo.txt")
    made["fifo"] = "fifo.txt"
    return made
