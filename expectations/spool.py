"""A query's rows written once to Parquet files, one per chunk, and read back chunk by chunk.

The gate validates the warehouse a chunk at a time so that its memory does not grow with the
warehouse.  Reading each chunk with its own query over the intermediate models would scan them
once per chunk (a filter on a list of documents does not prune a scan of a view or of a table in
load order), which makes the whole O(chunks × warehouse).  Instead the rows are spooled in one
pass: DuckDB streams them to ``<dir>/chunk=<n>/…parquet`` (``PARTITION_BY``), holding no more
than its ``memory_limit``, and each chunk is then a small file.  A chunk is read back with the
same column types as the query gives (Parquet keeps DuckDB's types), in the order asked for.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

CHUNK_COLUMN = "xxgk_chunk"


def spool(con: duckdb.DuckDBPyConnection, select: str, directory: Path) -> pd.DataFrame:
    """Write the rows of ``select`` (which has a ``xxgk_chunk`` column) under ``directory``.

    Returns an empty frame of the rows' columns (without the chunk column), for chunks with
    no rows.
    """
    directory.mkdir(parents=True, exist_ok=True)
    empty = con.sql(f"select * exclude ({CHUNK_COLUMN}) from ({select}) limit 0").df()
    target = str(directory).replace("'", "''")
    con.execute(
        f"copy ({select}) to '{target}' "
        f"(format parquet, partition_by ({CHUNK_COLUMN}), overwrite_or_ignore true)"
    )
    return empty


def n_chunks(directory: Path) -> int:
    """How many chunks ``spool`` wrote, when they are numbered from 0 with none left empty."""
    return len(list(directory.glob(f"{CHUNK_COLUMN}=*")))


def read_chunk(directory: Path, chunk: int, empty: pd.DataFrame, order_by: str) -> pd.DataFrame:
    """The rows of one chunk spooled by ``spool``, ordered by ``order_by``."""
    folder = directory / f"{CHUNK_COLUMN}={chunk}"
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if not files:
        return empty.copy()
    with duckdb.connect() as con:
        names = ", ".join(f"'{str(f).replace(chr(39), chr(39) * 2)}'" for f in files)
        return con.sql(
            f"select * exclude ({CHUNK_COLUMN}) from read_parquet([{names}], hive_partitioning = true) "
            f"order by {order_by}"
        ).df()
