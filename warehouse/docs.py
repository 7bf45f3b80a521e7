"""``xxgk docs``: the dbt documentation as one self-contained HTML file.

``dbt docs generate --static`` writes ``static_index.html`` with the manifest and the catalog
inlined, so it opens from disk (no ``dbt docs serve``, no HTTP server, no Python call).  It
describes the build database's models, the same descriptions the published files carry as
comments and in ``marts.data_dictionary``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from warehouse import paths, transform

DBT_DOCS = "dbt-docs.html"


class DocsError(RuntimeError):
    """The docs could not be built; the message says why and what to do."""


def docs_dir() -> Path:
    return paths.warehouse_dir() / "docs"


def build(out: Path | None = None) -> dict[str, Path]:
    """Write the dbt docs to ``out`` (default ``<warehouse>/docs``); what was written, by label."""
    build_db = paths.build_db()
    if not build_db.exists():
        raise DocsError(f"build database {build_db} does not exist: run `xxgk run` first")
    folder = out or docs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        target = transform.docs_static(build_db)
    except transform.TransformError as err:
        raise DocsError(f"dbt docs generate failed: {err}") from None
    page = folder / DBT_DOCS
    tmp = page.with_name(f".{page.name}.tmp")
    shutil.copyfile(target / "static_index.html", tmp)
    tmp.replace(page)
    written = {"dbt docs": page}
    report = paths.warehouse_dir() / "data_docs" / "index.html"
    if report.exists():
        written["validation report"] = report
    return written
