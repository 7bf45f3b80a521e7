"""The run fails loudly only for systemic problems; one bad report never stops a load.

Fast tests cover the threshold rule.  The slow module loads three reports of which two fail
the gate (a whole load failing), then a further good one; ``xxgk run`` over an inbox that is
mostly not reports exits non-zero; marts with an empty fact table are not published.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import records

from expectations import gate as gate_module
from expectations.gate import GateResult, LoadVerdict, MartsCheckError, SystemicGateError
from pipeline import steps as pipeline
from warehouse import paths, staging, transform
from warehouse import publish as publish_module

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
XXGK = str(Path(sys.executable).parent / "xxgk")


def result_with(load: LoadVerdict) -> GateResult:
    return GateResult(
        n_checked=load.n_documents - load.n_rejected,
        n_passed=load.n_documents - load.n_not_passed,
        failures=[],
        success=False,
        load=load,
    )


@pytest.mark.parametrize(
    ("documents", "rejected", "failed", "systemic"),
    [
        (100, 0, 50, False),  # half: not more than the share
        (100, 0, 51, True),
        (100, 30, 21, True),  # rejected documents count: a broken extractor is systemic too
        (19, 0, 19, False),  # too few documents to tell a systemic problem from bad reports
        (20, 0, 11, True),
        (0, 0, 0, False),  # nothing new loaded
    ],
)
def test_the_share_of_the_load_that_may_fail(
    documents: int, rejected: int, failed: int, systemic: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XXGK_GATE_MAX_FAIL_SHARE", raising=False)
    monkeypatch.delenv("XXGK_GATE_MIN_REPORTS", raising=False)
    problems = gate_module.systemic_problems(
        result_with(LoadVerdict(None, documents, rejected, failed, {"H1": failed}))
    )
    assert bool(problems) is systemic
    if systemic:
        assert f"{rejected + failed} of the {documents} documents" in problems[0]
        assert "XXGK_GATE_MAX_FAIL_SHARE" in problems[0]


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_GATE_MAX_FAIL_SHARE", "0.9")
    monkeypatch.setenv("XXGK_GATE_MIN_REPORTS", "2")
    assert gate_module.thresholds() == (0.9, 2)
    assert not gate_module.systemic_problems(result_with(LoadVerdict(None, 10, 0, 9)))
    assert gate_module.systemic_problems(result_with(LoadVerdict(None, 2, 2, 0)))
    monkeypatch.setenv("XXGK_GATE_MAX_FAIL_SHARE", "half")
    with pytest.raises(ValueError, match="XXGK_GATE_MAX_FAIL_SHARE='half'"):
        gate_module.thresholds()
    monkeypatch.setenv("XXGK_GATE_MAX_FAIL_SHARE", "1.5")
    with pytest.raises(ValueError, match="between 0 and 1"):
        gate_module.thresholds()


# --- a whole load failing (slow) ------------------------------------------------------------

CLEAN = records.clean_v2021("sys-clean", "甲乡", 2021)
BROKEN_1 = records.with_value(
    records.clean_v2021("sys-base-1", "乙乡", 2021), "sys-broken-1", "s3/new_received/natural_person", 71
)
BROKEN_2 = records.with_value(
    records.clean_v2021("sys-base-2", "丙乡", 2021), "sys-broken-2", "s4/review/total", 9
)
LATER = records.clean_v2021("sys-later", "丁乡", 2022)


@dataclass
class Warehouse:
    root: Path
    db: Path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("systemic")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root))
        db = paths.build_db()
        with staging.connect(db) as con:
            staging.load_records(con, [CLEAN, BROKEN_1, BROKEN_2])
        transform.build("staging intermediate")
        yield Warehouse(root, db)


@pytest.fixture
def env(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(warehouse.root))
    monkeypatch.setenv("XXGK_GATE_MIN_REPORTS", "3")
    monkeypatch.delenv("XXGK_GATE_MAX_FAIL_SHARE", raising=False)
    return monkeypatch


def duplicate_a_fact_row_of_the_last_body(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("""
            insert into marts.fct_applications
            select * from marts.fct_applications
            where body_id = (select max(body_id) from marts.fct_applications)
            limit 1
        """)


def gate_state(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select accepted_through is null, n_documents, n_not_passed from staging.gate_state"
        ).fetchall()


@pytest.mark.slow
def test_a_load_mostly_failing_stops_the_run_and_a_retry(
    warehouse: Warehouse, env: pytest.MonkeyPatch
) -> None:
    for _attempt in range(2):  # an Airflow retry sees the same load and fails the same way
        with pytest.raises(SystemicGateError, match="2 of the 3 documents of this load") as caught:
            pipeline.gate()
        assert "Validation report: " in str(caught.value)
        assert str(warehouse.root / "data_docs" / "index.html") in str(caught.value)
        assert gate_state(warehouse.db) == [(True, 3, 2)]
    # The verdicts are written all the same: the two reports are quarantined, one passed.
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        assert con.execute("select count(*) filter (where passed) from staging.gate_results").fetchall() == [
            (1,)
        ]


@pytest.mark.slow
def test_raising_the_threshold_lets_it_through_and_closes_the_load(
    warehouse: Warehouse, env: pytest.MonkeyPatch
) -> None:
    env.setenv("XXGK_GATE_MAX_FAIL_SHARE", "0.7")
    result = pipeline.gate()
    assert (result.n_checked, result.n_passed) == (3, 1)
    assert gate_state(warehouse.db) == [(False, 3, 2)]
    # The next run's load is what was loaded since: nothing, then one more good report.
    env.delenv("XXGK_GATE_MAX_FAIL_SHARE")
    assert pipeline.gate().load == LoadVerdict(None, 0, 0, 0)
    with staging.connect(warehouse.db) as con:
        staging.load_records(con, [LATER])
    transform.build("staging intermediate")
    env.setenv("XXGK_GATE_MIN_REPORTS", "1")
    result = pipeline.gate()
    assert result.load is not None and (result.load.n_documents, result.load.n_not_passed) == (1, 0)
    assert (result.n_checked, result.n_passed) == (4, 2)


@pytest.mark.slow
def test_marts_with_an_empty_fact_table_are_not_published(
    warehouse: Warehouse, env: pytest.MonkeyPatch
) -> None:
    env.setenv("XXGK_GATE_MAX_FAIL_SHARE", "0.7")
    pipeline.gate()
    transform.build("marts")
    published = pipeline.publish()
    before = published.read_bytes()
    with duckdb.connect(str(warehouse.db)) as con:
        con.execute("delete from marts.fct_review_litigation")
    with pytest.raises(MartsCheckError, match="facts_not_empty"):
        pipeline.publish()
    assert published.read_bytes() == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) > 0 from marts.fct_review_litigation").fetchall() == [(True,)]
    # The facts are incremental by document: rows deleted behind dbt's back stay deleted until
    # a full refresh (dbt_project/README.md), which the next tests of this warehouse need.
    transform.build("marts", full_refresh=True)


@pytest.mark.slow
def test_the_marts_check_validates_again_only_the_bodies_whose_rows_changed(
    warehouse: Warehouse, env: pytest.MonkeyPatch
) -> None:
    env.setenv("XXGK_GATE_MAX_FAIL_SHARE", "0.7")
    transform.build("marts")
    pipeline.publish()
    first = publish_module.current()
    assert first is not None
    with duckdb.connect() as con:
        kept = con.execute(
            f"select body_id, digest from read_parquet('{first.marts_checked}') order by body_id"
        ).fetchall()
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        bodies = con.execute(
            "select body_id from marts.dim_report where is_current "
            "union select body_id from marts.fct_applications order by body_id"
        ).fetchall()
    assert [b for b, _ in kept] == [b for (b,) in bodies] and len(bodies) >= 2

    # Nothing changed: no body is validated again, and the evidence carries on.
    again = gate_module.check_marts(warehouse.db, data_docs=False, checked=first.marts_checked)
    assert (again.problems, again.n_validated) == ([], 0)
    assert sorted(zip(again.bodies["body_id"], again.bodies["digest"])) == kept

    # One fact row of one body twice: that body alone is validated, and the check fails.
    duplicate_a_fact_row_of_the_last_body(warehouse.db)
    broken = gate_module.check_marts(warehouse.db, data_docs=False, checked=first.marts_checked)
    assert broken.n_validated == 1
    assert any("unique_fact_cells fails for 2 row(s)" in p for p in broken.problems)
    with pytest.raises(MartsCheckError, match="unique_fact_cells"):
        pipeline.publish()
    assert publish_module.current() == first

    # Another version of the check (its code, the suites, the year, GX or DuckDB): every body.
    env.setattr(gate_module, "gate_version", lambda: "another version")
    transform.build("marts", full_refresh=True)
    assert gate_module.check_marts(
        warehouse.db, data_docs=False, checked=first.marts_checked
    ).n_validated == len(bodies)


@pytest.mark.slow
def test_xxgk_run_exits_non_zero_when_most_documents_are_not_reports(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "pingtan-2023.page.txt").write_bytes((SAMPLES / "pingtan-2023.page.txt").read_bytes())
    for n in range(2):
        (inbox / f"minutes-{n}.txt").write_text(f"会议纪要 {n}：本周无事。\n", encoding="utf-8")
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh"), "XXGK_GATE_MIN_REPORTS": "3"}
    env.pop("XXGK_GATE_MAX_FAIL_SHARE", None)

    result = subprocess.run(
        [XXGK, "run", "--inbox", str(inbox)], env=env, capture_output=True, text=True, timeout=900
    )

    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "the gate stopped the load" in result.stderr
    # pingtan-2023 had its section 二 held back (unread cells), the two minutes were rejected.
    assert "3 of the 3 documents" in result.stderr and "2 were rejected by the extractor" in result.stderr
    assert "1 had a section held back by the gate" in result.stderr
    assert not (tmp_path / "wh" / "xxgk.duckdb").exists()  # nothing was published


def test_the_run_summary_names_warnings_corrections_and_the_reports(tmp_path: Path) -> None:
    summary = pipeline.RunSummary(
        n_documents=3,
        statuses={"ok": 2, "rejected": 1},
        loaded={"new_documents": 3},
        n_checked=2,
        n_passed=2,
        published_db=tmp_path / "xxgk.duckdb",
        n_warned=2,
        n_warnings=3,
        data_docs=tmp_path / "data_docs" / "index.html",
        parquet_dir=tmp_path / "parquet",
        corrections={"applied": 2, "unknown_document": 1},
    )
    text = pipeline.format_summary(summary)
    assert "gate:        2 of 2 reports passed" in text
    assert "warnings:    2 published report(s) with 3 soft-identity warning(s)" in text
    assert "corrections: 2 applied, 1 unknown_document" in text
    assert f"data docs:   {tmp_path / 'data_docs' / 'index.html'}" in text
    assert f"parquet:     {tmp_path / 'parquet'}" in text
    assert f"published:   {tmp_path / 'xxgk.duckdb'}" in text


def test_a_re_reading_is_a_load_of_its_own(tmp_path: Path) -> None:
    # `xxgk reextract` (or a newer extractor) stages a new reading of a document loaded before:
    # the gate must judge it as part of "the load", so a re-reading that breaks most documents
    # stops the run.  Its loaded_at stays the first load's; read_at is when the reading was staged.
    first = records.clean_v2021("reread-base", "戊乡", 2021)
    again = records.with_value(first, "reread-base", "s3/new_received/natural_person", 71)
    again["extractor_version"] = "99.0.0"  # a newer extractor read it differently
    other = records.clean_v2021("reread-other", "己乡", 2021)
    with staging.connect(tmp_path / "b.duckdb") as con:
        staging.load_records(con, [first, other])
        # The gate's last accepted run covered everything staged so far.
        con.execute(
            "insert into staging.gate_state values (now(), (select max(loaded_at) from staging.documents), 2, 0, null)"
        )
        assert con.sql(gate_module._LOAD_READ).fetchall() == []
        loaded = staging.load_records(con, [again])
        assert loaded["reread_documents"] == 1
        load = con.sql(gate_module._LOAD_READ).df()
        first_loaded = con.execute("select min(loaded_at) from staging.documents").fetchall()[0][0]
    assert list(load["document_id"]) == [records.doc_id(first)]
    # The document keeps its place among its body's versions (loaded_at), but the load is the
    # re-reading's.
    assert load["read_at"].min() > first_loaded


@pytest.mark.slow
def test_the_marts_checked_body_by_body_find_what_one_check_finds(
    warehouse: Warehouse, env: pytest.MonkeyPatch
) -> None:
    env.setenv("XXGK_GATE_MAX_FAIL_SHARE", "0.7")
    pipeline.gate()
    transform.build("marts")
    # A fact row twice, of the last body in order: its chunk is not the first.
    duplicate_a_fact_row_of_the_last_body(warehouse.db)
    with duckdb.connect(str(warehouse.db)) as con:
        n_bodies = con.execute("select count(distinct body_id) from marts.dim_report").fetchall()[0][0]
    assert n_bodies >= 2
    whole = gate_module.check_marts(warehouse.db, data_docs=False, chunk_rows=10**9)
    by_body = gate_module.check_marts(warehouse.db, data_docs=False, chunk_rows=1)
    assert by_body.problems == whole.problems
    assert [p.split(":")[0] for p in whole.problems] == ["xxgk_published_cells", "xxgk_published_cells"]
    assert any("unique_fact_cells fails for 2 row(s)" in p for p in whole.problems)

    def summary(check: gate_module.MartsCheck) -> dict[str, list[tuple[bool, int | None, int | None]]]:
        return {
            name: [
                (r.success, r.result.get("element_count"), r.result.get("unexpected_count"))
                for r in v.results
            ]
            for name, v in check.validations.items()
        }

    assert summary(by_body) == summary(whole)
