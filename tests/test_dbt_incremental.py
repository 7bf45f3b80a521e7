"""The models incremental by document build, load after load, what a full refresh builds.

One warehouse is loaded three times as the pipeline does (load, ``build("staging
intermediate")``, gate, ``build("marts")``), each load changing what the incremental models
must notice about documents already built:

1. five reports: two that pass, one whose 总计 column does not add up (quarantined), one
   that will be read again, one rejected;
2. a new version of a published body-year (it becomes current, the old one is superseded), a
   new body whose fuller name moves an old report to another body (大涌镇 → 中山市大涌镇), a
   reviewer's correction that releases the quarantined report, and a new reading of a
   published report that now fails the gate (its facts must go);
3. the correction withdrawn, nothing else new;
4. nothing loaded, but the gate's causes of the quarantined report name another cell, as a
   newer gate's would (its cells unchanged: quarantine_cells must notice the causes).

The new body's report of load 2 also has a cell whose codes are in no template: the warning
test on such cells (assert_cells_use_template_codes) must warn in that build and no other.

After each load a copy of the build database is rebuilt from scratch (dbt ``--full-refresh``)
and every table of the marts and of the intermediate layer must equal, row for row, the one
the incremental builds left.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import records

from expectations.gate import run_gate
from warehouse import paths, staging, transform

pytestmark = pytest.mark.slow

HEADER = "document,cell,value,reason,corrected_by,corrected_at,printed_value\n"

DAYONG = records.clean_v2021("inc-dayong-2021", "大涌镇", 2021)
DAYONG_AGAIN = records.clean_v2021("inc-dayong-2021-republished", "大涌镇", 2021)
_ZHONGSHAN = records.clean_v2021("inc-zhongshan-dayong-2022", "中山市大涌镇", 2022)
ZHONGSHAN_DAYONG = {
    **_ZHONGSHAN,
    "cells": [*_ZHONGSHAN["cells"], {**_ZHONGSHAN["cells"][0], "row": "no_such_row"}],
}
TANGJIAHUI = records.clean_v2019("inc-tangjiahui-2019", "金寨县汤家汇镇", 2019)
# 81 in the 总计 column of 新收政府信息公开申请数量 where the persons add up to 80 (H1).
TOTAL_CELL = "s3/new_received/total"
BROKEN = records.with_value(
    records.clean_v2021("inc-bing-base", "丙镇", 2021), "inc-bing-2021", TOTAL_CELL, 81
)
REREAD = records.clean_v2021("inc-ding-2022", "丁镇", 2022)
# The same document read again by a newer extractor, with one cell read differently.
NEW_READING = {
    **records.with_value(REREAD, "inc-ding-2022", "s3/new_received/natural_person", 72),
    "extractor_version": "99.0.0",
}
REJECTED = records.rejected("inc-rejected")

LOADS: tuple[list[records.Record], ...] = (
    [DAYONG, TANGJIAHUI, BROKEN, REREAD, REJECTED],
    [DAYONG_AGAIN, ZHONGSHAN_DAYONG, NEW_READING],
    [],
    [],
)
# Load 4: the cell the broken report's causes name instead of the 总计 cell.
OTHER_CELL = "s3/new_received/natural_person"


def corrections_file(path: Path, released: bool) -> None:
    right = records.cell_value(records.clean_v2021("inc-bing-base", "丙镇", 2021), TOTAL_CELL)
    row = (
        f"{records.doc_id(BROKEN)},{TOTAL_CELL},{right},the persons add up to {right},审核员,2024-05-01,81\n"
    )
    path.write_text(HEADER + (row if released else ""), encoding="utf-8")


def load(batch: list[records.Record]) -> tuple[str, int]:
    """The load, and the status and failures of assert_cells_use_template_codes in its build."""
    with staging.connect(paths.build_db()) as con:
        staging.load_records(con, batch)
    transform.build("staging intermediate")
    results = json.loads((paths.warehouse_dir() / "dbt" / "target" / "run_results.json").read_text())
    [template_codes] = [
        (r["status"], r["failures"])
        for r in results["results"]
        if r["unique_id"].endswith(".assert_cells_use_template_codes")
    ]
    run_gate()
    transform.build("marts")
    return template_codes


def name_another_cell(db: Path, document_id: str) -> None:
    """The gate's causes of a report name another cell, its verdict and rows unchanged."""
    with duckdb.connect(str(db)) as con:
        changed = con.execute(
            "update staging.gate_failures set cells = replace(cells, ?, ?) "
            "where document_id = ? and contains(cells, ?)",
            [TOTAL_CELL, OTHER_CELL, document_id, TOTAL_CELL],
        ).fetchall()
    assert changed[0][0] > 0


def tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('marts', 'intermediate') and not table_name like '%\\_\\_digests' escape '\\' "
                "order by 1, 2"
            ).fetchall()
        ]


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int, int]]:
    """Per table that differs: (rows only in the incremental build, only in the full one, rows)."""
    out = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as fresh (read_only)")
        for table in tables(full):
            only_inc = con.execute(
                f"select count(*) from (from inc.{table} except all from fresh.{table})"
            ).fetchone()
            only_full = con.execute(
                f"select count(*) from (from fresh.{table} except all from inc.{table})"
            ).fetchone()
            n = con.execute(f"select count(*) from fresh.{table}").fetchone()
            assert only_inc is not None and only_full is not None and n is not None
            if only_inc[0] or only_full[0]:
                out[table] = (only_inc[0], only_full[0], n[0])
    return out


def rebuilt_from_scratch(db: Path, where: Path) -> Path:
    # Same file name: dbt-duckdb's views name the database after the file's stem.
    where.mkdir()
    copy = where / db.name
    shutil.copy(db, copy)
    transform.build(None, build_db=copy, full_refresh=True)
    return copy


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict]]:
    root = tmp_path_factory.mktemp("incremental")
    corrections = root / "corrections.csv"
    out = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root / "warehouse"))
        mp.setenv("XXGK_CORRECTIONS", str(corrections))
        db = paths.build_db()
        for n, batch in enumerate(LOADS, 1):
            corrections_file(corrections, released=n == 2)
            if n == 4:
                name_another_cell(db, records.doc_id(BROKEN))
            template_codes = load(batch)
            full = rebuilt_from_scratch(db, root / f"full-{n}")
            with duckdb.connect(str(db), read_only=True) as con:
                facts = dict(
                    con.execute(
                        "select document_id, count(*) from marts.fct_applications group by 1"
                    ).fetchall()
                )
                bodies = dict(con.execute("select document_id, body_name from marts.dim_report").fetchall())
                looked_at = {
                    cell
                    for (cell,) in con.execute(
                        "select cell_id from marts.quarantine_cells where document_id = ?",
                        [records.doc_id(BROKEN)],
                    ).fetchall()
                }
            out.append(
                {
                    "differences": differences(db, full),
                    "tables": tables(db),
                    "facts": facts,
                    "bodies": bodies,
                    "looked_at": looked_at,
                    "template_codes": template_codes,
                }
            )
    yield out


@pytest.mark.parametrize("load_no", [1, 2, 3, 4])
def test_every_table_equals_a_full_refresh(compared: list[dict], load_no: int) -> None:
    result = compared[load_no - 1]
    assert "marts.fct_applications_history" in result["tables"]
    assert "intermediate.int_cells_labelled" in result["tables"]
    assert result["differences"] == {}


def test_the_loads_change_what_the_incremental_models_must_notice(compared: list[dict]) -> None:
    """The scenario does what it says, so the comparison above covers each case."""
    first, second, third, fourth = (c["facts"] for c in compared)
    dayong, again = records.doc_id(DAYONG), records.doc_id(DAYONG_AGAIN)
    broken, reread = records.doc_id(BROKEN), records.doc_id(REREAD)
    # The republished report replaces the first one in the current facts.
    assert dayong in first and dayong not in second and again in second
    # The correction releases the broken report; withdrawn, it is held back again.
    assert broken not in first and broken in second and broken not in third and broken not in fourth
    # Held back, it names the 总计 cell; then (load 4) another cell instead.
    looked_at = [c["looked_at"] for c in compared]
    assert TOTAL_CELL in looked_at[0] and looked_at[1] == set() and TOTAL_CELL in looked_at[2]
    assert looked_at[3] == (looked_at[2] - {TOTAL_CELL}) | {OTHER_CELL}
    # The new reading breaks H1 on the re-read report: its section 三 is held back.
    assert reread in first and reread not in second
    # The fuller name of a new body moves the old report to it.
    assert compared[0]["bodies"][dayong] == "大涌镇"
    assert compared[1]["bodies"][dayong] == "中山市大涌镇"
    # A cell in no template warns in the build that loaded it (the tests check their build's documents).
    assert [c["template_codes"] for c in compared] == [("pass", 0), ("warn", 1), ("pass", 0), ("pass", 0)]
