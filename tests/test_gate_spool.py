"""The gate's spool: a query's rows written once by chunk, read back as the query gives them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from expectations import gate, spool


def _cells(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        create table cells as
        select * from (values
            ('d2', 's3/a/b', 1.5::decimal(38, 6), true, null::integer, ['x']),
            ('d1', 's2.1/a/b', null, false, 3, []),
            ('d1', 's2.1/a/a', 2::decimal(38, 6), null, 4, ['y', 'z']),
            ('d3', 's4/a/a', 0::decimal(38, 6), true, 5, null)
        ) as t(document_id, cell_id, value, flag, line, names)
    """)


def test_a_chunk_reads_back_as_the_query_gives_it(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        _cells(con)
        con.register("todo", pd.DataFrame({"document_id": ["d1", "d2", "d3"], "xxgk_chunk": [0, 0, 1]}))
        select = "select cells.*, todo.xxgk_chunk from cells inner join todo using (document_id)"
        empty = spool.spool(con, select, tmp_path / "cells")
        direct = [
            con.sql(
                f"select cells.* from cells where document_id in ({ids}) order by document_id, cell_id"
            ).df()
            for ids in ("'d1', 'd2'", "'d3'", "'none'")
        ]
    read = [spool.read_chunk(tmp_path / "cells", c, empty, "document_id, cell_id") for c in (0, 1)]
    for got, want in zip(read, direct[:2], strict=True):
        pd.testing.assert_frame_equal(got, want)
    assert list(read[0]["cell_id"]) == ["s2.1/a/a", "s2.1/a/b", "s3/a/b"]
    # A chunk without rows (documents without cells) has the columns and types, and no rows.
    none = spool.read_chunk(tmp_path / "cells", 2, empty, "document_id")
    assert len(none) == 0
    pd.testing.assert_frame_equal(none, direct[2])


def test_bodies_are_cut_into_chunks_of_whole_bodies() -> None:
    chunks = gate._body_chunks([("a", 3), ("b", 3), ("c", 5), ("d", 0), (None, 2)], 6)
    assert list(chunks["xxgk_chunk"]) == [0, 0, 1, 1, 2]
    # A body with more rows than a chunk has a chunk of its own.
    assert list(gate._body_chunks([("a", 1), ("b", 10), ("c", 1)], 4)["xxgk_chunk"]) == [0, 1, 2]


def test_stored_rows_are_read_when_used_and_compare_as_a_list(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "db.duckdb")) as con:
        con.execute("create table t as select * from (values ('b', 2.5::decimal(38, 6)), ('a', 1)) v(k, x)")
        rows = gate.StoredRows(con, "select k, x from t order by k", lambda k, x: (k, x))
        con.execute("delete from t")  # the rows are those of when the result was made
    assert len(rows) == 2 and rows._rows is None
    assert rows == [("a", Decimal("1")), ("b", Decimal("2.5"))]
    assert rows[1] == ("b", Decimal("2.5")) and rows != [("a", Decimal("1"))]
