"""Old binary Word (.doc) is read by converting it with LibreOffice, when installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from extractors import extract_path, word

TEMPLATE = Path(__file__).resolve().parent / "fixtures" / "real" / "blank-template-v2021.docx"


@pytest.mark.skipif(
    word.soffice() is None, reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
)
def test_doc_is_converted_and_read(tmp_path):
    # The national template saved as .doc by LibreOffice itself: its tables are read (the
    # template version comes from their column labels) and, holding no numbers, it is
    # rejected as the blank template, exactly as the .docx is.
    program = word.soffice()
    assert program is not None  # the skipif above
    subprocess.run(
        [
            program,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path),
            str(TEMPLATE),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    doc = tmp_path / "blank-template-v2021.doc"
    assert doc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    r = extract_path(doc)
    assert (r.source.format, r.template, r.status) == ("doc", "v2021", "rejected")
    assert [p.code for p in r.problems] == ["not_a_report"]
    assert "blank national template" in r.problems[0].message


def test_doc_without_libreoffice_is_rejected_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(word, "soffice", lambda: None)
    doc = tmp_path / "report.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    r = extract_path(doc)
    assert r.status == "rejected"
    assert [p.code for p in r.problems] == ["converter_missing"]
    assert "libreoffice-writer-nogui" in r.problems[0].message


def test_word_file_that_is_not_a_zip_is_rejected(tmp_path):
    bad = tmp_path / "report.docx"
    bad.write_bytes(TEMPLATE.read_bytes()[:4000])  # truncated download
    r = extract_path(bad)
    assert r.status == "rejected"
    assert r.problems[0].code == "corrupt"
    assert str(bad) in r.problems[0].message
