"""Re-reading documents when the extractor improves, and documents under several names.

A record names the extractor version that made it; a load extracts again a document whose
record an older extractor made (or a schema-1 record, which names none), and the new reading
supersedes the old one in the marts while staging keeps both and lists the cells that changed.
The same bytes under a second name are one document with both names kept; two different files
for one body × year are two documents, and dim_report says which one is current and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from extractors.version import EXTRACTOR_VERSION
from pipeline import steps as pipeline
from warehouse import paths, readings

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "inbox"
XXGK = str(Path(sys.executable).parent / "xxgk")

DAYONG = "003_dayong_2022.txt"
# Line 55 of the document: 本年作出决定数量 of 行政许可 is 6181.
LICENSING = ("s2.art20_5", "administrative_licensing", "decisions_this_year")
LICENSING_ID = "/".join(LICENSING)
PRINTED_LICENSING = 6181
MISREAD_LICENSING = 6118  # what an older extractor is made to have read


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cell(record: dict, table: str, row: str, col: str) -> dict:
    matches: list[dict] = [
        c for c in record["cells"] if (c["table"], c["row"], c["col"]) == (table, row, col)
    ]
    [found] = matches
    return found


def as_older_reading(record_file: Path, version: str | None = "1.9.0") -> dict:
    """Rewrite a record as an older extractor would have made it: another version, a misread cell."""
    record: dict = json.loads(record_file.read_text(encoding="utf-8"))
    if version is None:  # a schema-1 record names no extractor
        record.pop("extractor_version")
        record["schema"] = "xxgk.report/1"
    else:
        record["extractor_version"] = version
    cell(record, *LICENSING)["value"] = MISREAD_LICENSING
    record_file.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return record


# ------------------------------------------------------------------------------ extraction


def test_the_sample_prints_the_value_the_tests_change() -> None:
    lines = (SAMPLES / DAYONG).read_text(encoding="utf-8").splitlines()
    assert lines[54] == str(PRINTED_LICENSING)


@pytest.mark.parametrize("older", ["1.9.0", None])
def test_a_record_of_an_older_extractor_is_extracted_again(warehouse: Path, older: str | None) -> None:
    document = SAMPLES / DAYONG
    record_file = Path(pipeline.extract_to_file(str(document)))
    as_older_reading(record_file, older)

    assert pipeline.extract_to_file(str(document)) == str(record_file)

    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["extractor_version"] == EXTRACTOR_VERSION
    assert record["schema"] == "xxgk.report/3"
    assert cell(record, *LICENSING)["value"] == PRINTED_LICENSING


def test_a_current_record_is_kept_unless_forced(warehouse: Path) -> None:
    document = SAMPLES / DAYONG
    record_file = Path(pipeline.extract_to_file(str(document)))
    # Same version, edited value: a current record is reused as it is (a reload costs a hash).
    as_older_reading(record_file, EXTRACTOR_VERSION)
    pipeline.extract_to_file(str(document))
    assert cell(json.loads(record_file.read_text(encoding="utf-8")), *LICENSING)["value"] == MISREAD_LICENSING
    # `xxgk reextract` forces it.
    pipeline.extract_to_file(str(document), force=True)
    assert cell(json.loads(record_file.read_text(encoding="utf-8")), *LICENSING)["value"] == PRINTED_LICENSING
    # A record from a newer extractor is not replaced by an older one.
    as_older_reading(record_file, "99.0.0")
    pipeline.extract_to_file(str(document))
    assert cell(json.loads(record_file.read_text(encoding="utf-8")), *LICENSING)["value"] == MISREAD_LICENSING


def test_versions_compare_as_numbers() -> None:
    assert readings.is_older("1.9.0", "2.0.0")
    assert readings.is_older("2.9.0", "2.10.0")
    assert readings.is_older(None, "2.0.0")
    assert not readings.is_older("2.0.0", "2.0.0")
    assert not readings.is_older("2.0.1", "2.0.0")


# ------------------------------------------------------------------------------ staging


def test_a_new_reading_supersedes_the_staged_one_and_both_are_kept(warehouse: Path) -> None:
    document = SAMPLES / DAYONG
    record_file = Path(pipeline.extract_to_file(str(document)))
    current = json.loads(record_file.read_text(encoding="utf-8"))
    older = as_older_reading(record_file)
    doc_id = sha(document)

    first = pipeline.load([str(record_file)])
    with duckdb.connect(str(paths.build_db())) as con:
        # A gate verdict on the old reading, which the new reading must not inherit.
        con.execute(
            "insert into staging.gate_results (document_id, passed, checked_at) values (?, true, now())",
            [doc_id],
        )
    record_file.write_text(json.dumps(current, ensure_ascii=False), encoding="utf-8")
    second = pipeline.load([str(record_file)])
    again = pipeline.load([str(record_file)])
    record_file.write_text(json.dumps(older, ensure_ascii=False), encoding="utf-8")
    stale = pipeline.load([str(record_file)])

    assert (first["new_documents"], first["reread_documents"]) == (1, 0)
    assert (
        second["new_documents"],
        second["already_staged"],
        second["reread_documents"],
        second["changed_cells"],
    ) == (0, 0, 1, 1)
    assert second["new_cells"] == len(current["cells"])
    assert (again["already_staged"], again["reread_documents"]) == (1, 0)
    assert (stale["already_staged"], stale["reread_documents"]) == (1, 0)  # older than staged

    with duckdb.connect(str(paths.build_db()), read_only=True) as con:
        assert con.execute(
            "select extractor_version, reading_seq, status from staging.documents"
        ).fetchall() == [(EXTRACTOR_VERSION, 2, current["status"])]
        assert con.execute(
            "select reading_seq, extractor_version, record_schema, superseded_at is null "
            "from staging.readings order by reading_seq"
        ).fetchall() == [(1, "1.9.0", "xxgk.report/3", False), (2, EXTRACTOR_VERSION, "xxgk.report/3", True)]
        assert con.execute(
            "select value from staging.cells where table_code = ? and row_code = ? and col_code = ?",
            list(LICENSING),
        ).fetchall() == [(Decimal(PRINTED_LICENSING),)]
        assert con.execute(
            "select reading_seq, value from staging.superseded_cells where table_code = ? "
            "and row_code = ? and col_code = ?",
            list(LICENSING),
        ).fetchall() == [(1, Decimal(MISREAD_LICENSING))]
        assert con.execute("select count(*) from staging.superseded_cells").fetchall() == [
            (len(older["cells"]),)
        ]
        assert con.execute(
            "select table_code || '/' || row_code || '/' || col_code, change, previous_value, "
            "value, previous_basis, basis, previous_extractor_version, extractor_version "
            "from staging.reading_changes"
        ).fetchall() == [
            (
                LICENSING_ID,
                "changed",
                Decimal(MISREAD_LICENSING),
                Decimal(PRINTED_LICENSING),
                "printed",
                "printed",
                "1.9.0",
                EXTRACTOR_VERSION,
            )
        ]
        assert con.execute("select count(*) from staging.gate_results").fetchall() == [(0,)]


def test_a_record_file_staged_and_unchanged_since_is_not_read_again(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XXGK_HASH_CACHE_RACY_S", "0")  # the files written here are settled at once
    record_file = Path(pipeline.extract_to_file(str(SAMPLES / DAYONG)))
    read: list[str] = []
    real_read = pipeline._read_record

    def counted(path: Path, *rest: str | None) -> object:
        read.append(path.name)
        return real_read(path, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_read_record", counted)

    def load(record: Path) -> tuple[int, int, int]:
        read.clear()
        loaded = pipeline.load([str(record)])
        return len(read), loaded["already_staged"], loaded["reread_documents"]

    assert load(record_file) == (1, 0, 0)  # staged: read
    assert load(record_file) == (0, 1, 0)  # unchanged since: not read
    # The same file by another path (the warehouse moved, or reached through a link): not read.
    (tmp_path / "linked").symlink_to(record_file.parent, target_is_directory=True)
    assert load(tmp_path / "linked" / record_file.name) == (0, 1, 0)
    # Another record of the document, another reading (a value edited by hand): read, staged.
    other = tmp_path / "edited.json"
    edited = json.loads(record_file.read_text(encoding="utf-8"))
    cell(edited, *LICENSING)["value"] = MISREAD_LICENSING
    other.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    assert load(other) == (1, 0, 1)
    # The first file is unchanged, but its reading is no longer the current one: read again.
    assert load(record_file) == (1, 0, 1)
    assert load(record_file) == (0, 1, 0)
    # A file replaced under the same name has another stat: read.
    replaced = record_file.with_suffix(".tmp")
    replaced.write_bytes(record_file.read_bytes())
    os.replace(replaced, record_file)
    assert load(record_file) == (1, 1, 0)
    monkeypatch.setenv("XXGK_REHASH", "1")  # `xxgk run --rehash` reads every file
    assert load(record_file) == (1, 1, 0)


def test_a_document_staged_before_readings_were_kept_gets_its_version_and_no_false_changes(
    warehouse: Path,
) -> None:
    record_file = Path(pipeline.extract_to_file(str(SAMPLES / DAYONG)))
    pipeline.load([str(record_file)])
    with duckdb.connect(str(paths.build_db())) as con:
        # As a build database of the previous release left it: no version, digest, reading, basis.
        con.execute(
            "update staging.documents set extractor_version = null, record_digest = null, "
            "reading_seq = null, read_at = null"
        )
        con.execute("update staging.cells set basis = null")
        con.execute("delete from staging.readings")
        con.execute("delete from staging.document_paths")

    loaded = pipeline.load([str(record_file)])

    assert (loaded["reread_documents"], loaded["changed_cells"], loaded["new_paths"]) == (1, 0, 0)
    with duckdb.connect(str(paths.build_db()), read_only=True) as con:
        assert con.execute(
            "select reading_seq, extractor_version from staging.readings order by 1"
        ).fetchall() == [(1, None), (2, EXTRACTOR_VERSION)]
        assert con.execute("select count(*) from staging.document_paths").fetchall() == [(1,)]
        assert con.execute("select count(*) from staging.cells where basis is null").fetchall() == [(0,)]


def test_the_same_bytes_under_two_names_are_one_document_with_both_names(
    warehouse: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "copies").mkdir(parents=True)
    first = inbox / DAYONG
    second = inbox / "copies" / "大涌镇2022年报告.txt"
    shutil.copy(SAMPLES / DAYONG, first)
    shutil.copy(SAMPLES / DAYONG, second)

    documents = pipeline.discover(inbox)
    record_paths = [pipeline.extract_to_file(d) for d in documents]
    loaded = pipeline.load(record_paths, documents)
    again = pipeline.load(record_paths, documents)

    assert record_paths[0] == record_paths[1]
    assert (loaded["records"], loaded["new_documents"], loaded["new_paths"]) == (1, 1, 2)
    assert (again["already_staged"], again["new_paths"]) == (1, 0)
    with duckdb.connect(str(paths.build_db()), read_only=True) as con:
        assert con.execute(
            "select document_id, source_path from staging.document_paths order by source_path"
        ).fetchall() == [(sha(first), str(first)), (sha(first), str(second))]
        assert con.execute("select count(*) from staging.documents").fetchall() == [(1,)]


def test_a_correction_finds_a_document_by_any_of_its_names(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "copies").mkdir(parents=True)
    shutil.copy(SAMPLES / DAYONG, inbox / DAYONG)
    shutil.copy(SAMPLES / DAYONG, inbox / "copies" / "大涌镇2022年报告.txt")
    corrections_file = tmp_path / "corrections.csv"
    corrections_file.write_text(
        "document,cell,value,reason,corrected_by,corrected_at,printed_value\n"
        "大涌镇2022年报告.txt,s4/review/upheld,1,second name,李审核,2024-05-01,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XXGK_CORRECTIONS", str(corrections_file))

    documents = pipeline.discover(inbox)
    pipeline.load([pipeline.extract_to_file(d) for d in documents], documents)

    with duckdb.connect(str(paths.build_db()), read_only=True) as con:
        assert con.execute("select document_id, status from staging.corrections").fetchall() == [
            (sha(SAMPLES / DAYONG), "applied")
        ]


def test_the_batch_loader_keeps_every_name(warehouse: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        shutil.copy(SAMPLES / DAYONG, inbox / name)
    manifests = pipeline.plan_batches(inbox, run_key="r", size=2)
    results = [pipeline.extract_batch(m) for m in manifests]

    loaded = pipeline.load_batches(results, chunk=1)

    assert (loaded["documents"], loaded["new_documents"], loaded["new_paths"]) == (3, 1, 3)
    with duckdb.connect(str(paths.build_db()), read_only=True) as con:
        assert [
            Path(p).name
            for (p,) in con.execute("select source_path from staging.document_paths order by 1").fetchall()
        ] == ["a.txt", "b.txt", "c.txt"]


# ------------------------------------------------------------------------- end to end


@dataclass
class Loaded:
    inbox: Path
    warehouse: Path
    run: subprocess.CompletedProcess[str]
    reextract: subprocess.CompletedProcess[str]
    before: Path  # the published database before the re-read
    after_run: Path  # … after `xxgk run`
    published: Path  # … after `xxgk reextract --all`


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def keep(db: Path, name: str) -> Path:
    copy = db.with_name(name)
    shutil.copy(db, copy)
    return copy


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """Four documents in five files, first loaded with an older extractor's reading of 大涌镇.

    - 000_wangzhu_2021.txt and copies/王助镇2021年报告.txt: the same bytes, two names;
    - 002_xingzhuang_2023.txt and 002_xingzhuang_2023_更正.txt: two different files for one
      body × year (the second with a line more), the second loaded later;
    - 003_dayong_2022.txt: staged and published as extractor 1.9.0 read it, with one cell
      misread (6118 for the printed 6181); then `xxgk run` must read it again.
    """
    root = tmp_path_factory.mktemp("rereading")
    inbox = root / "inbox"
    (inbox / "copies").mkdir(parents=True)
    for name in ("000_wangzhu_2021.txt", "002_xingzhuang_2023.txt", DAYONG):
        shutil.copy(SAMPLES / name, inbox / name)
    shutil.copy(SAMPLES / "000_wangzhu_2021.txt", inbox / "copies" / "王助镇2021年报告.txt")
    republished = (SAMPLES / "002_xingzhuang_2023.txt").read_bytes() + "\n（更正后重新发布）\n".encode()
    (inbox / "002_xingzhuang_2023_更正.txt").write_bytes(republished)
    warehouse = root / "wh"
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(warehouse)}

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(warehouse))
        documents = pipeline.discover(inbox)
        record_paths = [pipeline.extract_to_file(d) for d in documents]
        as_older_reading(Path(pipeline.extract_to_file(str(inbox / DAYONG))))
        # The load, gate and publication of `xxgk run`, without its extraction.
        pipeline.load(record_paths, documents)
        pipeline.transform(pipeline.BEFORE_GATE)
        pipeline.gate()
        pipeline.transform(pipeline.AFTER_GATE)
        before = keep(pipeline.publish(), "before.duckdb")

    run = subprocess.run(
        [XXGK, "run", "--inbox", str(inbox)], env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-5000:]
    after_run = keep(warehouse / "xxgk.duckdb", "after_run.duckdb")
    reextract = subprocess.run(
        [XXGK, "reextract", "--all"], env=env, capture_output=True, text=True, timeout=900
    )
    assert reextract.returncode == 0, reextract.stderr[-5000:]
    yield Loaded(inbox, warehouse, run, reextract, before, after_run, warehouse / "xxgk.duckdb")


def licensing_facts(db: Path, table: str) -> list[tuple]:
    return query(
        db,
        f"""
        select f.value from marts.{table} f join marts.dim_report r using (document_id)
        where r.printed_body_name = '中山市大涌镇' and f.table_code = ? and f.row_code = ?
          and f.col_code = ?""",
        list(LICENSING),
    )


@pytest.mark.slow
def test_a_load_reads_again_what_an_older_extractor_read(loaded: Loaded) -> None:
    out = loaded.run.stdout
    assert "documents:   5 (" in out
    assert "staged:      0 new, 3 already staged, 1 re-read" in out
    assert "re-read:     1 document(s) re-read, 1 cell(s) changed (marts.reading_changes)" in out
    assert (
        f"  - {DAYONG} {LICENSING_ID}: {MISREAD_LICENSING} [printed] → {PRINTED_LICENSING} "
        f"[printed] (extractor 1.9.0 → {EXTRACTOR_VERSION})"
    ) in out

    # Before: the older reading is published, in the current facts and the history.
    assert licensing_facts(loaded.before, "fct_active_disclosure") == [(MISREAD_LICENSING,)]
    assert licensing_facts(loaded.before, "fct_active_disclosure_history") == [(MISREAD_LICENSING,)]
    # After: the new reading supersedes it everywhere in the marts.
    assert licensing_facts(loaded.after_run, "fct_active_disclosure") == [(PRINTED_LICENSING,)]
    assert licensing_facts(loaded.after_run, "fct_active_disclosure_history") == [(PRINTED_LICENSING,)]
    dayong = sha(loaded.inbox / DAYONG)
    assert query(
        loaded.after_run,
        "select extractor_version, reading_seq, passed_gate, is_current "
        "from marts.dim_report where document_id = ?",
        [dayong],
    ) == [(EXTRACTOR_VERSION, 2, True, True)]
    # The history keeps both readings; the changed cell is listed with its labels.
    assert query(
        loaded.after_run,
        "select reading_seq, extractor_version, is_current_reading, "
        "n_changed_cells from marts.document_readings where document_id = ? "
        "order by reading_seq",
        [dayong],
    ) == [(1, "1.9.0", False, None), (2, EXTRACTOR_VERSION, True, 1)]
    assert query(
        loaded.after_run,
        "select cell_id, row_label, col_label, change, previous_value, "
        "value, previous_extractor_version, extractor_version "
        "from marts.reading_changes",
    ) == [
        (
            LICENSING_ID,
            "行政许可",
            "本年处理决定数量",
            "changed",
            Decimal(MISREAD_LICENSING),
            Decimal(PRINTED_LICENSING),
            "1.9.0",
            EXTRACTOR_VERSION,
        )
    ]
    # Every other document is read once.
    assert query(
        loaded.after_run, "select count(*), count(*) filter (where reading_seq = 1) from marts.dim_report"
    ) == [(4, 3)]


@pytest.mark.slow
def test_reextract_reads_every_document_again_and_changes_nothing_when_the_reading_is_the_same(
    loaded: Loaded,
) -> None:
    out = loaded.reextract.stdout
    assert "documents:   4 (" in out
    assert "staged:      0 new, 4 already staged, 0 re-read" in out
    assert "re-read:     0 document(s) re-read, 0 cell(s) changed (4 extracted again on request)" in out
    assert query(loaded.published, "select count(*) from marts.document_readings") == [(5,)]
    assert query(loaded.published, "select count(*) from marts.reading_changes") == [(1,)]


@pytest.mark.slow
def test_every_name_of_a_document_is_kept(loaded: Loaded) -> None:
    wangzhu = sha(loaded.inbox / "000_wangzhu_2021.txt")
    names = [
        str(loaded.inbox / "000_wangzhu_2021.txt"),
        str(loaded.inbox / "copies" / "王助镇2021年报告.txt"),
    ]
    assert query(
        loaded.published,
        "select source_path, file_name, path_seq, n_paths "
        "from marts.dim_document_path where document_id = ? order by path_seq",
        [wangzhu],
    ) == [(names[0], "000_wangzhu_2021.txt", 1, 2), (names[1], "王助镇2021年报告.txt", 2, 2)]
    assert query(
        loaded.published,
        "select source_paths, n_source_paths from marts.dim_report where document_id = ?",
        [wangzhu],
    ) == [(names, 2)]
    assert "paths:       1 document(s) known under more than one name or path" in loaded.run.stdout


@pytest.mark.slow
def test_two_documents_for_one_body_and_year_are_both_kept_and_the_later_is_current(loaded: Loaded) -> None:
    first = sha(loaded.inbox / "002_xingzhuang_2023.txt")
    later = sha(loaded.inbox / "002_xingzhuang_2023_更正.txt")
    assert query(
        loaded.published,
        """
        select document_id, version_seq, is_current, superseded_by, current_reason,
               current_reason_label
        from marts.dim_report where printed_body_name = '邢庄镇人民政府' order by version_seq""",
    ) == [
        (first, 1, False, later, "superseded_by_later_publication", "已被较晚发布的报告取代"),
        (later, 2, True, None, "latest_publication", "该机构该年度最晚发布的报告，取代较早的 1 份"),
    ]
    assert query(
        loaded.published, "select current_reason, count(*) from marts.dim_report group by all order by all"
    ) == [("latest_publication", 1), ("only_version", 2), ("superseded_by_later_publication", 1)]


def test_reextract_says_what_it_needs(tmp_path: Path) -> None:
    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")}

    def xxgk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [XXGK, "reextract", *args], env=env, capture_output=True, text=True, timeout=300
        )

    nothing = xxgk()
    assert (nothing.returncode, nothing.stderr.strip()) == (
        2,
        "xxgk reextract: no documents: give PATH… or --all",
    )
    empty = xxgk("--all")
    assert empty.returncode == 1
    assert "nothing is loaded yet" in empty.stderr and "run `xxgk run` first" in empty.stderr
    missing = xxgk(str(tmp_path / "nowhere.pdf"))
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"xxgk reextract: {tmp_path / 'nowhere.pdf'}: no such file or folder",
    )
    assert "Traceback" not in nothing.stderr + empty.stderr + missing.stderr
