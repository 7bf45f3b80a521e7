"""The validation report (GX Data Docs) renders offline: every script, style and image its
templates load from a CDN has a vendored copy, and the pages link to the copies."""

from __future__ import annotations

import re
from pathlib import Path

import great_expectations

from expectations import data_docs_offline

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
# What a page loads (not the links a reader may click): <script src>, <link href>, <img src>, url().
LOADED = re.compile(
    r"""(?:<(?:script|img|link)\b[^>]*?\s(?:src|href)=|url\()["']?(https?://[^"'\s)?{]+)""", re.IGNORECASE
)


def template_resources() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.rglob("*.j2"):
        found |= set(LOADED.findall(template.read_text(encoding="utf-8")))
    return found


def test_every_resource_of_the_gx_templates_has_a_vendored_copy() -> None:
    resources = template_resources()
    assert "https://code.jquery.com/jquery-3.7.1.min.js" in resources
    assert len(resources) >= 15
    assert sorted(resources - set(data_docs_offline._LOCAL)) == []
    for target in data_docs_offline._LOCAL.values():
        if target.startswith("vendor/"):
            assert (data_docs_offline.ASSETS / target.removeprefix("vendor/")).is_file(), target


def test_pages_are_rewritten_to_relative_copies(tmp_path: Path) -> None:
    site = tmp_path / "data_docs"
    (site / "validations" / "suite").mkdir(parents=True)
    (site / "static" / "images").mkdir(parents=True)
    head = "".join(
        f'<script src="{url}" integrity="sha384-x" crossorigin="anonymous"></script>\n'
        for url in sorted(template_resources())
    )
    page = site / "validations" / "suite" / "run.html"
    page.write_text(
        f"<html><head>{head}<style>a {{ background: url('https://great-expectations-web-assets.s3.us-east-2."
        "amazonaws.com/full_logo_dark.png') }}</style></head>"
        '<body><a href="https://greatexpectations.io">GX</a></body></html>',
        encoding="utf-8",
    )

    assert data_docs_offline.make_offline(site) == []

    text = page.read_text(encoding="utf-8")
    assert LOADED.findall(text) == []
    assert "integrity=" not in text and "crossorigin=" not in text
    assert '<script src="../../static/vendor/jquery/jquery.min.js"></script>' in text
    assert "url('../../static/images/logo-long.png')" in text
    assert '<a href="https://greatexpectations.io">' in text  # a link to click, not a load
    assert (
        (site / "static" / "vendor" / "jquery" / "jquery.min.js")
        .read_bytes()
        .startswith(b"/*! jQuery v3.7.1")
    )
