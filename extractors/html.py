"""Web pages: text, with each table's cells placed on a grid by the cell model of
ruled PDF tables (``extractors.grid.dom_lines``): ``colspan`` and ``rowspan`` give
a cell its columns and rows, each row is a line of tab-separated cells, a label
spanning rows is its own line before its first row.  Empty cells and ``&nbsp;``
stay empty (a blank is not a zero).  Each output line remembers the line of the
page source it came from.
"""

from __future__ import annotations

from html.parser import HTMLParser

from extractors.grid import DomCell, dom_lines, dom_row
from extractors.text import DocText
from xxgk.settings import READER

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "tr",
    "table",
    "title",
    "dd",
    "dt",
    "blockquote",
    "pre",
}
_SKIP = {"script", "style", "noscript", "template"}


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.where: list[dict[str, int]] = []
        self._line: list[str] = []
        self._line_src = 1
        self._skip = 0
        self._rows: list[list[DomCell]] = []  # the current table's rows so far
        self._row_srcs: list[int] = []
        self._cells: list[DomCell] | None = None  # the current table row
        self._cell: list[str] | None = None
        self._span = (1, 1)  # the current cell's colspan, rowspan
        self._row_src = 1
        self._pre = 0  # inside <pre>, where a line break is a line break
        self._stack: list[tuple[list[list[DomCell]], list[int], list[DomCell] | None, list[str] | None]] = []

    def _flush(self) -> None:
        # A line break in the page source is a space on the page, except inside <pre>;
        # either way each output line keeps one provenance entry (DocText needs one per line).
        raw = "".join(self._line)
        if self._pre:
            for offset, part in enumerate(raw.split("\n")):
                if part.strip():
                    self.lines.append(part.strip())
                    self.where.append({"line": self._line_src + offset})
        else:
            text = " ".join(raw.split("\n")).strip()
            if text:
                self.lines.append(text)
                self.where.append({"line": self._line_src})
        self._line = []

    def _flush_cell_as_line(self) -> None:
        if self._cell is not None and "".join(self._cell).strip():
            self.lines.append(" ".join("".join(self._cell).split()))
            self.where.append({"line": self._row_src})
            self._cell = []
        self._flush()

    def _emit_rows(self) -> None:
        """The table's rows so far, placed on a grid by the cell model of ruled PDF tables."""
        for line in dom_lines(self._rows):
            self.lines.append(line.text)
            self.where.append({"line": self._row_srcs[min(dom_row(line), len(self._row_srcs) - 1)]})
        self._rows, self._row_srcs = [], []

    def _end_row(self) -> None:
        if self._cells is not None:
            self._rows.append(self._cells)
            self._row_srcs.append(self._row_src)
            self._cells = None

    def finish(self) -> None:
        self._end_row()
        self._emit_rows()
        self._flush()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
            return
        if tag == "pre":
            self._flush()
            self._pre += 1
            return
        if tag == "table":
            # Pages often wrap the report in layout tables: a table inside a cell
            # is read on its own, then the outer row carries on.
            self._flush_cell_as_line()
            self._emit_rows()
            self._stack.append((self._rows, self._row_srcs, self._cells, self._cell))
            self._rows, self._row_srcs, self._cells, self._cell = [], [], None, None
            return
        if tag == "tr":
            self._flush()
            self._end_row()
            self._cells = []
            self._row_src = self.getpos()[0]
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
            self._span = (_span(attrs, "colspan"), _span(attrs, "rowspan"))
        elif tag in _BLOCK:
            if self._cell is not None:
                self._cell.append(" ")
            else:
                self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag == "pre":
            self._flush()
            self._pre = max(0, self._pre - 1)
            return
        if tag == "table":
            self._end_row()
            self._emit_rows()
            if self._stack:
                self._rows, self._row_srcs, self._cells, self._cell = self._stack.pop()
            return
        if tag in ("td", "th") and self._cells is not None and self._cell is not None:
            self._cells.append(DomCell(" ".join("".join(self._cell).split()), *self._span))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            self._end_row()
        elif tag in _BLOCK and self._cell is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            if not self._line:
                self._line_src = self.getpos()[0]
            self._line.append(data)


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    value = (dict(attrs).get(name) or "1").strip()
    return max(1, min(int(value), READER.max_colspan)) if value.isdigit() else 1


def html_text(source: str) -> DocText:
    builder = _TextBuilder()
    builder.feed(source)
    builder.close()
    builder.finish()
    return DocText.from_raw("\n".join(builder.lines), builder.where)
