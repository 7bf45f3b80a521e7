"""Data Docs that work offline: the scripts, styles and images their pages load from CDNs
(jQuery, Bootstrap, bootstrap-table, Font Awesome, Vega, GX's logo) are served from copies in
the site itself, so the validation report renders on an intranet without Internet access.

The copies are vendored in ``expectations/data_docs_assets/`` (their npm releases, the exact
versions the GX 1.24 templates name, with their licences; nothing is fetched at run time) and
copied to ``<data_docs>/static/vendor/``; every page's links are rewritten to relative paths.
A link this module does not know stays as it is and is logged, so a GX upgrade that adds one
shows up (``tests/test_data_docs_offline.py`` fails on it).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "data_docs_assets"
VENDOR = Path("static") / "vendor"

_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_TABLE = "https://unpkg.com/bootstrap-table@"
_FILTER = "dist/extensions/filter-control/bootstrap-table-filter-control"
_JSDELIVR = "https://cdn.jsdelivr.net/npm"
_GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com"

# CDN address (up to a query string) → file under the site's static/ (vendor/: the copies).
_LOCAL: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "vendor/jquery/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "vendor/bootstrap/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "vendor/bootstrap/bootstrap.min.js"
    ),
    f"{_CDNJS}/popper.js/1.12.9/umd/popper.min.js": "vendor/popper.js/popper.min.js",
    f"{_TABLE}1.19.1/dist/bootstrap-table.min.css": "vendor/bootstrap-table/bootstrap-table.min.css",
    f"{_TABLE}1.19.1/dist/bootstrap-table.min.js": "vendor/bootstrap-table/bootstrap-table.min.js",
    f"{_TABLE}1.19.1/{_FILTER}.min.js": "vendor/bootstrap-table/bootstrap-table-filter-control.min.js",
    f"{_TABLE}1.19.0/{_FILTER}.min.css": "vendor/bootstrap-table/bootstrap-table-filter-control.min.css",
    f"{_TABLE}1.19.0/{_FILTER}.css": "vendor/bootstrap-table/bootstrap-table-filter-control.min.css",
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "vendor/bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "vendor/bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    f"{_JSDELIVR}/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "vendor/bootstrap-dark/bootstrap-prefers-dark.min.css"
    ),
    f"{_CDNJS}/font-awesome/6.6.0/css/all.min.css": "vendor/fontawesome/css/all.min.css",
    f"{_JSDELIVR}/vega@5": "vendor/vega/vega.min.js",
    f"{_JSDELIVR}/vega-lite@5": "vendor/vega/vega-lite.min.js",
    f"{_JSDELIVR}/vega-embed@6": "vendor/vega/vega-embed.min.js",
    # GX's logo, which the site also ships in static/images
    f"{_GX_ASSETS}/logo-long.png": "images/logo-long.png",
    f"{_GX_ASSETS}/full_logo_dark.png": "images/logo-long.png",
}
# A loaded resource: src="…", href="…" of a <link>, or url('…') in a style.
_RESOURCE = re.compile(
    r"""(?P<lead>(?:<(?:script|img|link)\b[^>]*?\s(?:src|href)=)|url\()(?P<q>["']?)(?P<url>https?://[^"')\s]+)(?P=q)""",
    re.IGNORECASE,
)
# Subresource integrity and CORS mode mean nothing for a local file and make file:// refuse it.
_SRI = re.compile(r"""\s(?:integrity|crossorigin)=(["'])[^"']*\1""", re.IGNORECASE)


def make_offline(site: Path) -> list[str]:
    """Copy the vendored files into ``site`` and rewrite every page's CDN links to them;
    returns the remote resources no copy exists for (none with the GX version pinned)."""
    vendor = site / VENDOR
    if vendor.exists():
        shutil.rmtree(vendor)
    shutil.copytree(ASSETS, vendor, ignore=shutil.ignore_patterns("README.md"))
    unknown: set[str] = set()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        static = os.path.relpath(site / "static", page.parent).replace(os.sep, "/")

        def local(match: re.Match[str], static: str = static) -> str:
            url = match.group("url")
            target = _LOCAL.get(url.split("?", 1)[0])
            if target is None:
                unknown.add(url)
                return match.group(0)
            return f"{match.group('lead')}{match.group('q')}{static}/{target}{match.group('q')}"

        rewritten = _RESOURCE.sub(local, text)
        rewritten = re.sub(r"<(script|link)\b[^>]*>", lambda m: _SRI.sub("", m.group(0)), rewritten)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
    for url in sorted(unknown):
        log.warning("Data Docs load %s, which has no local copy: the page needs the Internet for it", url)
    return sorted(unknown)
