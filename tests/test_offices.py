"""For the offices that collect reports (issue 16): the narrative, publication dates, the S6 and
C1–C3 warnings, the roster's filing status and the offline site, on the bundled samples.

One pipeline run (module fixture) serves every slow test: the samples, a copy of 平潭 2023 with
only the year changed, and a roster naming 平潭 by its 管委会 name as a department, 王助镇 for
2021 only and 幸福镇, which filed nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from extractors import extract_path
from extractors.dates import find_published
from extractors.text import DocText
from pipeline import steps as pipeline
from warehouse import paths, roster, site, staging
from xxgk import similarity
from xxgk.settings import OFFICE, OfficeSettings

SAMPLES = paths.sample_inbox()
PINGTAN_2023 = SAMPLES / "pingtan-2023.page.txt"
ARTIFACTS = Path(os.environ.get("XXGK_TEST_ARTIFACTS", paths.PROJECT_DIR / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# ------------------------------------------------------------------ extraction (fast)


def test_narrative_sections_dates_and_url_of_pingtan_2023() -> None:
    record = extract_path(PINGTAN_2023).to_dict()
    assert record["schema"] == "xxgk.report/3"
    sections = {s["section"]: s for s in record["narrative"]}
    assert sorted(sections) == ["s1", "s5", "s6"]
    assert sections["s1"]["heading"] == "一、总体情况"
    assert sections["s1"]["text"].startswith("2023年,平潭综合实验区坚持以习近平新时代")
    assert "各类政府信息公开申请共计81件" in sections["s1"]["text"]
    assert sections["s5"]["text"].startswith("存在的问题主要有以下几个方面")
    assert sections["s6"]["text"] == "2023年,无收取信息处理费情况。"
    assert sections["s1"]["where"] == {"line": 10, "line_to": 10}  # the page prints the body on one line
    assert record["published"] == {
        "date": "2024-03-08",
        "basis": "page",
        "where": {"line": 2, "raw": "发布时间: 2024-03-08"},
    }
    assert (
        record["source_url"] == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"
    )
    claims = {c["claim"]: c["value"] for c in record["claims"]}
    assert claims == {
        "S6:new_received": 81,
        "S6:total_processed": 81,
        "S6:normative_issued": 77,
        "S6:review": 2,
        "S6:litigation": 7,
    }


def test_sections_found_across_heading_styles() -> None:
    # 汤家汇 2019: "一、总体工作开展情况"; 北沟 2020: Markdown "### 1 总体情况"; 王助 2021: 六 prints 无.
    tangjiahui = extract_path(SAMPLES / "001_tangjiahui_2019.txt")
    beigou = extract_path(SAMPLES / "004_beigou_2020.txt")
    wangzhu = extract_path(SAMPLES / "000_wangzhu_2021.txt")
    assert [(s["section"], s["where"]["line"]) for s in tangjiahui.narrative] == [("s1", 5), ("s5", 443)]
    assert [(s["section"], s["where"]["line"]) for s in beigou.narrative] == [
        ("s1", 18),
        ("s5", 109),
        ("s6", 115),
    ]
    assert [s["text"] for s in wangzhu.narrative if s["section"] == "s6"] == ["无"]


def test_publication_date_from_the_signature_and_in_chinese_numerals() -> None:
    beigou = extract_path(SAMPLES / "004_beigou_2020.txt")
    assert beigou.published == {
        "date": "2021-01-21",
        "basis": "signature",
        "where": {"line": 117, "raw": "2021年1月21日"},
    }
    doc = DocText.from_raw(
        "某县2023年政府信息公开工作年度报告\n正文……\n某县人民政府办公室\n二〇二四年一月三十一日\n"
    )
    found = find_published(doc, 2023)
    assert found is not None and (found.on, found.basis) == (date(2024, 1, 31), "signature")
    # The statistical period's end (a date inside the report year) is not a publication date.
    assert find_published(DocText.from_raw("报告\n统计期限至2023年12月31日\n"), 2023) is None


def test_year_changed_copy_is_identical_and_independent_texts_are_not() -> None:
    text = {s["section"]: s["text"] for s in extract_path(PINGTAN_2023).narrative}
    copy = text["s1"].replace("2023", "2024")
    k = OFFICE.shingle_chars
    assert similarity.jaccard(similarity.shingles(text["s1"], k), similarity.shingles(copy, k)) == 1.0
    other = {s["section"]: s["text"] for s in extract_path(SAMPLES / "002_xingzhuang_2023.txt").narrative}
    score = similarity.jaccard(similarity.shingles(text["s5"], k), similarity.shingles(other["s5"], k))
    assert score < 0.1 < OFFICE.copied_text_similarity


def _s6_of(path: Path) -> list[tuple]:
    """The S6 warnings of one extracted document: its claims and cells as the gate reads them."""
    from expectations import narrative_checks

    record = extract_path(path)
    with duckdb.connect() as con:
        con.execute("create schema stg; create schema intermediate")
        con.execute(
            "create table stg.stg_narrative_claims (document_id varchar, claim_seq integer, "
            "claim_id varchar, value decimal(38, 6), cells varchar[], raw_text varchar, line integer)"
        )
        con.execute(
            "create table intermediate.int_cells_corrected "
            "(document_id varchar, cell_id varchar, value decimal(38, 6))"
        )
        for seq, c in enumerate(record.claims, 1):
            con.execute(
                "insert into stg.stg_narrative_claims values ('d', ?, ?, ?, ?, ?, ?)",
                [seq, c["claim"], c["value"], c["cells"], c["where"]["raw"], c["where"].get("line")],
            )
        for cell in record.cells:
            con.execute(
                "insert into intermediate.int_cells_corrected values ('d', ?, ?)",
                [f"{cell.table}/{cell.row}/{cell.col}", cell.value],
            )
        doc = narrative_checks.CurrentReport("d", "b", "平潭综合实验区", 2023, "government")
        rows = narrative_checks._s6(con, {"d": doc}, ["d"])
    return [(r["equation_id"], r["relation"], r["lhs_value"], r["rhs_value"], r["description"]) for r in rows]


def test_a_table_printed_by_many_bodies_warns_once_on_each_report_not_once_per_pair() -> None:
    """C2 on 平潭 2023's real numbers: 300 bodies print them in 2023, and one of them again in
    2024.  A row per pair would be 300 × 299 same-year rows; a row per report names the first
    peer and counts the others, and the copy of the year before warns on the later report."""
    from expectations import narrative_checks

    numbers = [(f"{c.table}/{c.row}/{c.col}", c.value) for c in extract_path(PINGTAN_2023).cells]
    n_numbers = sum(1 for _, v in numbers if v is not None)
    reports = {
        f"d{i:03d}": narrative_checks.CurrentReport(f"d{i:03d}", f"b{i:03d}", f"第{i}镇", 2023, "township")
        for i in range(300)
    }
    reports["d999"] = narrative_checks.CurrentReport("d999", "b007", "第7镇", 2024, "township")
    with duckdb.connect() as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_cells_corrected "
            "(document_id varchar, cell_id varchar, value decimal(38, 6))"
        )
        cells = pd.DataFrame(
            [(d, cell, value) for d in reports for cell, value in numbers],
            columns=["document_id", "cell_id", "value"],
        )
        con.register("cells", cells)
        con.execute("insert into intermediate.int_cells_corrected select * from cells")
        # Another table: one number changed.
        con.execute(
            "update intermediate.int_cells_corrected set value = value + 1 "
            "where document_id = 'd299' and value = (select max(value) from intermediate.int_cells_corrected)"
        )
        rows = narrative_checks._identical_numbers(con, reports, list(reports), OFFICE)

    peers = [r for r in rows if ":peer:" in r["check_id"]]
    assert len(peers) == 299 and {r["document_id"] for r in peers} == {f"d{i:03d}" for i in range(299)}
    first = next(r for r in peers if r["document_id"] == "d000")
    assert first["document_ids"] == "d000,d001" and first["lhs_value"] == n_numbers
    assert (
        "与第1镇 同年度（2023 年）报告完全相同；另有 297 份同年度报告的表格也与之完全相同"
        in first["description"]
    )
    [previous] = [r for r in rows if ":previous:" in r["check_id"]]
    assert (previous["document_id"], previous["document_ids"]) == ("d999", "d007,d999")
    assert "本机关上一年度（2023 年）报告完全相同：疑似照抄数据" in previous["description"]


def test_a_shared_boilerplate_gives_pairs_linear_in_the_reports() -> None:
    # 300 bodies print the same 平潭 2023 section 五 with their own name: all in one LSH bucket.
    text = {s["section"]: s["text"] for s in extract_path(PINGTAN_2023).to_dict()["narrative"]}["s5"]
    names = [f"第{chr(0x4E00 + 7 * i)}{chr(0x4E00 + 11 * i + 3)}镇人民政府" for i in range(300)]
    sets = {n: similarity.shingles(n + text, OFFICE.shingle_chars) for n in names}
    every = similarity.candidate_pairs(sets, OFFICE.minhash_num_perm, OFFICE.minhash_bands)
    assert len(every) == 300 * 299 // 2
    capped = similarity.candidate_pairs(
        sets, OFFICE.minhash_num_perm, OFFICE.minhash_bands, OFFICE.minhash_bucket_peers
    )
    # Linear: the windows of the bands' buckets overlap (6 640 pairs here, where every pair of
    # the bucket would be 44 850).
    assert len(capped) <= 2 * 300 * OFFICE.minhash_bucket_peers
    assert len(capped) == 6640  # as the pairs were counted by a Python set before (62904a8)
    # Every section still meets look-alikes, so each one is warned on.
    assert {k for pair in capped for k in pair} == set(names)


def test_candidate_pairs_are_each_buckets_next_members_and_never_an_empty_section() -> None:
    # Two texts of 平潭 2023 (五 and 一), each printed by 30 bodies; and sections too short to
    # have shingles.  The pairs must be, band by band, each bucket member with its next peers.
    narrative = {s["section"]: s["text"] for s in extract_path(PINGTAN_2023).to_dict()["narrative"]}
    names = [f"第{chr(0x4E00 + 7 * i)}{chr(0x4E00 + 11 * i + 3)}镇人民政府" for i in range(30)]
    sets = [similarity.shingles(n + narrative[s], OFFICE.shingle_chars) for s in ("s5", "s1") for n in names]
    sets += [similarity.shingles("第一镇", OFFICE.shingle_chars)] * 3
    num_perm, bands, peers = OFFICE.minhash_num_perm, OFFICE.minhash_bands, 4
    rows = num_perm // bands
    signatures = {i: similarity.signature(items, num_perm).astype(np.uint32) for i, items in enumerate(sets)}
    expected = set()
    for band in range(bands):
        buckets: dict[tuple[int, ...], list[int]] = {}
        for i, sig in signatures.items():
            if sets[i].size:
                buckets.setdefault(tuple(sig[band * rows : (band + 1) * rows].tolist()), []).append(i)
        for members in buckets.values():
            for k, first in enumerate(members):
                expected |= {(first, second) for second in members[k + 1 : k + 1 + peers]}
    found = similarity.candidate_index_pairs(sets, num_perm, bands, peers)
    assert [tuple(p) for p in found.tolist()] == sorted(expected)
    # A caller's filter may leave no pair at all.
    none = similarity.banded_pairs(similarity.signatures(sets, num_perm), bands, peers, lambda a, b: a < 0)
    assert none.shape == (0, 2)
    assert len(expected) > 4 * 60 and max(j for _i, j in expected) < 60


def _narratives_db(path: Path, texts: dict[str, dict[str, str]]) -> duckdb.DuckDBPyConnection:
    """A build database (staging tables) with these sections as stg_narratives."""
    con = staging.connect(path)
    con.execute("create schema if not exists stg")
    con.execute(
        "create or replace table stg.stg_narratives "
        "(document_id varchar, section varchar, body_text varchar, line integer, line_to integer)"
    )
    for doc_id, sections in texts.items():
        for section, text in sections.items():
            con.execute("insert into stg.stg_narratives values (?, ?, ?, 1, 9)", [doc_id, section, text])
    return con


def test_copied_text_computes_only_the_texts_and_pairs_it_has_not_met(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C1 remembers signatures and similarities (expectations.text_memory): on 平潭 2023's real
    sections 一 and 五, printed by 40 bodies with their own name, and one body's copy of the year
    before, a run with nothing new computes nothing and a new report costs its own texts; every
    run gives what a run without the memory gives; a memory of other settings is never read."""
    from dataclasses import replace

    from expectations import narrative_checks

    narrative = {s["section"]: s["text"] for s in extract_path(PINGTAN_2023).to_dict()["narrative"]}
    names = [f"第{chr(0x4E00 + 7 * i)}{chr(0x4E00 + 11 * i + 3)}镇人民政府" for i in range(41)]
    texts = {f"d{i:03d}": {s: names[i] + narrative[s] for s in ("s1", "s5")} for i in range(41)}
    reports = {
        d: narrative_checks.CurrentReport(d, f"b{d[1:]}", names[int(d[1:])], 2023, "township") for d in texts
    }
    texts["d999"] = {s: t.replace("2023", "2024") for s, t in texts["d007"].items()}
    reports["d999"] = narrative_checks.CurrentReport("d999", "b007", names[7], 2024, "township")
    new = reports.pop("d040")  # a report of the next load

    def c1(con: duckdb.DuckDBPyConnection, settings: OfficeSettings = OFFICE) -> list[tuple]:
        rows = narrative_checks._copied_text(con, reports, list(reports), settings)
        return [(r["document_id"], r["check_id"], r["lhs_value"], r["description"]) for r in rows]

    def without_memory(settings: OfficeSettings = OFFICE) -> list[tuple]:
        path = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}.duckdb"
        with _narratives_db(path, texts) as fresh:
            return c1(fresh, settings)

    shingled: list[str] = []
    shingles = similarity.shingles

    def counted(text: str, k: int) -> np.ndarray:
        shingled.append(text)
        return shingles(text, k)

    monkeypatch.setattr(similarity, "shingles", counted)
    with _narratives_db(tmp_path / "build.duckdb", texts) as con:
        first = c1(con)
        # Every current text once (d040 is not current yet): 41 reports × 2 sections, d999's
        # section 五 (it has no year to change) being d007's.
        assert len(shingled) == 81
        assert con.execute("select count(*) from staging.text_signatures").fetchall() == [(81,)]
        # 40 reports × 2 sections warned on their peers, the copy of 2023 on 2024's report (d999
        # and d007 are 33 apart in one LSH bucket of 41: the window of 20 alone misses them).
        copies = [r for r in first if r[0] == "d999"]
        assert [r[:3] for r in copies] == [
            ("d999", "C1:s1:previous:d007", Decimal("1.0000")),
            ("d999", "C1:s5:previous:d007", Decimal("1.0000")),
        ]
        assert len(first) == 82
        assert (
            "一、总体情况（第 1–9 行）与本机关上一年度（2023 年）报告的同一部分文字相似度 100%"
            in copies[0][3]
        )

        shingled.clear()
        assert c1(con) == first and shingled == []  # nothing new: nothing computed

        reports["d040"] = new
        expected = without_memory()
        shingled.clear()
        assert c1(con) == expected != first
        # d040's two texts, and its partners' texts only to compare it with them (not all 83)
        assert set(texts["d040"].values()) <= set(shingled) and len(shingled) < 60

        # The similarities are read from the memory: made wrong there, the warnings go, but
        # for the one text printed twice, which equals itself.
        con.execute("update staging.text_pair_similarity set jaccard = 0")
        assert c1(con) == [copies[1]]
        # Other settings are another version: the wrong rows are not read, and then forgotten.
        wider = replace(OFFICE, shingle_chars=4)
        assert c1(con, wider) == without_memory(wider) != []
        assert con.execute(
            "select count(*) from staging.text_pair_similarity where jaccard = 0"
        ).fetchall() == [(0,)]
        # A report no longer current: its texts are forgotten.
        assert con.execute("select count(*) from staging.text_signatures").fetchall() == [(83,)]
        del reports["d000"]
        c1(con, wider)
        assert con.execute("select count(*) from staging.text_signatures").fetchall() == [(81,)]


def test_s6_information_fee_against_the_fee_amount(tmp_path: Path) -> None:
    # 平潭 2023 prints 本年收费金额 5949.088667 万元 (v2021 第二十条第（八）项) and 无收取信息处理费.
    text = PINGTAN_2023.read_text(encoding="utf-8")
    said = "2023年，无收取信息处理费情况。"
    assert said in text
    assert _s6_of(PINGTAN_2023) == []
    # A fee within the amount (0.34 万元) is part of it: no warning.
    small = tmp_path / "pingtan-2023-fee.page.txt"
    small.write_text(text.replace(said, "2023年，共收取信息处理费3400元。"), encoding="utf-8")
    assert _s6_of(small) == []
    # 6000 万元 exceeds it: a warning, the claim converted to 万元.
    large = tmp_path / "pingtan-2023-large-fee.page.txt"
    large.write_text(text.replace(said, "2023年，共收取信息处理费60000000元。"), encoding="utf-8")
    ((equation, relation, lhs, rhs, description),) = _s6_of(large)
    assert (equation, relation, lhs, rhs) == (
        "S6:information_fee",
        "<=",
        Decimal(6000),
        Decimal("5949.088667"),
    )
    assert "称“收取信息处理费60000000元”" in description and "6000 万元" in description
    wan = tmp_path / "pingtan-2023-wan.page.txt"
    wan.write_text(text.replace(said, "2023年，收取信息处理费6000万元。"), encoding="utf-8")
    assert [r[:4] for r in _s6_of(wan)] == [
        ("S6:information_fee", "<=", Decimal(6000), Decimal("5949.088667"))
    ]


def test_a_roster_with_an_unknown_kind_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("body_name,body_kind\n幸福镇,township\n某局,bureau\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match=r"roster.csv, line 3: body_kind 'bureau'"):
        roster.read_roster(path)
    path.write_text("name\n幸福镇\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match="no body_name column"):
        roster.read_roster(path)


# ------------------------------------------------------------------ one pipeline run (slow)


@dataclass
class Loaded:
    warehouse: Path
    db: Path
    site: Path


ROSTER = (
    "body_name,body_kind,parent_name,admin_code,from_year,to_year\n"
    "平潭综合实验区管理委员会,department,福建省人民政府,350128,,\n"
    "王助镇,township,,,2021,2021\n"
    "幸福镇,,,,,\n"
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    root = tmp_path_factory.mktemp("offices")
    inbox = root / "inbox"
    shutil.copytree(SAMPLES, inbox)
    # The copy the issue describes: 平潭 2023 with only the year changed (its 发布时间 2024-03-08
    # then lies inside the report year and is not taken for a publication date).
    text = PINGTAN_2023.read_text(encoding="utf-8")
    (inbox / "pingtan-2024-copy.page.txt").write_text(text.replace("2023", "2024"), encoding="utf-8")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_WAREHOUSE_DIR", str(root / "wh"))
        mp.setenv("XXGK_ROSTER", str(root / "roster.csv"))
        summary = pipeline.run(inbox)
        out = pipeline.build_site(root / "site")
        yield Loaded(root / "wh", summary.published_db, out)


def ask(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_the_year_changed_copy_is_flagged_as_copied(loaded: Loaded) -> None:
    rows = ask(
        loaded.db,
        "select report_year, identity_id, equation_id, lhs_value from marts.report_warnings "
        "where identity_id in ('C1', 'C2') order by report_year, identity_id, equation_id",
    )
    # Sections 一 and 五 word for word (六 is too short to compare), and every number the
    # report reads (197 of its 200 cells; the other 3 are unread).
    n_numbers = sum(1 for c in extract_path(PINGTAN_2023).cells if c.value is not None)
    assert n_numbers == 197
    assert rows == [(2024, "C1", "C1:s1", 1), (2024, "C1", "C1:s5", 1), (2024, "C2", "C2:tables", n_numbers)]
    (description,) = ask(
        loaded.db, "select description from marts.report_warnings where equation_id = 'C1:s5'"
    )[0]
    assert "本机关上一年度（2023 年）" in description and "相似度 100%" in description


@pytest.mark.slow
def test_a_late_report_is_flagged_late(loaded: Loaded) -> None:
    # The roster makes 平潭 a department: due 31 January; its pages say 2022-02-08, 2023-02-20, 2024-03-08.
    assert ask(
        loaded.db,
        "select report_year, equation_id, lhs_value from marts.report_warnings "
        "where identity_id = 'C3' order by report_year",
    ) == [(2021, "C3:department", 8), (2022, "C3:department", 20), (2023, "C3:department", 37)]
    assert ask(
        loaded.db,
        "select published_on, deadline_on, days_after_deadline, is_late from marts.mart_report_deadlines "
        "where body_name = '平潭综合实验区' and report_year = 2023",
    ) == [(date(2024, 3, 8), date(2024, 1, 31), 37, True)]


@pytest.mark.slow
def test_s6_compares_the_narrative_with_the_tables(loaded: Loaded) -> None:
    # 平潭 2023's text agrees with its tables (81 received, 81 processed, 2 reviews, 7 suits);
    # 平潭 2022's text says 75 applications where its section-三 table prints 74.
    assert ask(
        loaded.db,
        "select report_year, equation_id, lhs_value, rhs_value from marts.report_warnings "
        "where identity_id = 'S6' and body_name = '平潭综合实验区' order by report_year",
    ) == [(2022, "S6:new_received", 75, 74)]


@pytest.mark.slow
def test_filing_status_against_the_roster(loaded: Loaded) -> None:
    status = {
        (name, year): s
        for name, year, s in ask(
            loaded.db, "select body_name, report_year, filing_status from marts.mart_filing_status"
        )
    }
    assert {y: status[("幸福镇", y)] for y in range(2019, 2025)} == dict.fromkeys(
        range(2019, 2025), "not_filed"
    )
    assert [status[("王助镇", y)] for y in (2020, 2021, 2022)] == [
        "nothing_to_report",
        "filed",
        "nothing_to_report",
    ]
    # The roster's 管委会 name resolves to the body (seed body_aliases); no 2020 report was loaded.
    assert [status[("平潭综合实验区", y)] for y in range(2019, 2025)] == [
        "filed",
        "not_filed",
        "filed_late",
        "filed_late",
        "filed_late",
        "filed",
    ]
    assert ask(
        loaded.db,
        "select count(*) from marts.fct_narrative where body_name = '平潭综合实验区' and report_year = 2023",
    ) == [(3,)]
    # The roster's code wins over the name, which names no division (tests/test_gazetteer.py).
    assert ask(
        loaded.db,
        "select province, city, county, admin_code, region_basis, region_path from marts.dim_body "
        "where body_name in ('平潭综合实验区', '邢庄镇') order by body_name",
    ) == [
        ("福建省", "福州市", "平潭县", "350128", "roster", "福建省 / 福州市 / 平潭县"),
        (None, None, None, None, None, None),
    ]


def _chromium(url: str, *args: str) -> tuple[str, list[str]]:
    """Render ``url`` headless with name resolution disabled; (DOM, URLs a page asked the network for)."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        netlog = Path(profile) / "net.json"
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                f"--user-data-dir={profile}/data",
                # Nothing can resolve: not a request leaves the machine whatever the page asks.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--log-net-log={netlog}",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        log = json.loads(netlog.read_text(encoding="utf-8"))
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    # A page's requests carry its origin as initiator; the browser's own (updates, time) carry
    # "not an origin" and never reach the network here either.
    asked = [
        e["params"]["url"]
        for e in log["events"]
        if kinds.get(e["type"]) == "URL_REQUEST_START_JOB"
        and "url" in e.get("params", {})
        and e["params"].get("initiator") != "not an origin"
    ]
    return result.stdout, asked


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (scripts/_setup.sh installs it)"
)
def test_the_site_renders_offline_in_headless_chromium(loaded: Loaded, tmp_path: Path) -> None:
    # The detector works: a page with an image from another host is caught.
    probe = tmp_path / "probe.html"
    probe.write_text('<html><body><img src="https://example.com/x.png"></body></html>', encoding="utf-8")
    assert _chromium(probe.as_uri(), "--dump-dom")[1] == ["https://example.com/x.png"]

    card = next(
        p
        for p in (loaded.site / "cards").iterdir()
        if "平潭综合实验区 · 2023 年度" in p.read_text(encoding="utf-8")
    )
    dom, asked = _chromium(card.as_uri(), "--dump-dom")
    assert asked == []
    assert 'href="#cell-s3-new_received-total" data-cell="s3/new_received/total">81</a>' in dom
    # The number links to its provenance: line 10 of the page, printed in the row "801000081".
    row = dom.split('id="cell-s3-new_received-total"')[1].split("</tr>")[0]
    assert ">81<" in row and ">10<" in row and "801000081" in row

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "site-overview.png"
    shot.unlink(missing_ok=True)
    dom, asked = _chromium(
        (loaded.site / "index.html").as_uri(), f"--screenshot={shot}", "--window-size=1280,1000"
    )
    assert asked == [] and shot.stat().st_size > 10_000
    for page in ("index.html", "rankings.html", "trends.html", "downloads.html", "methodology.html"):
        dom, asked = _chromium((loaded.site / page).as_uri(), "--dump-dom")
        assert asked == [], page
        assert "政府信息公开工作年度报告" in dom
    assert sorted(p.name for p in (loaded.site / "data").iterdir() if p.stem == "mart_filing_status") == [
        "mart_filing_status.csv",
        "mart_filing_status.parquet",
    ]


@pytest.mark.slow
def test_rankings_need_a_sample(loaded: Loaded) -> None:
    text = (loaded.site / "rankings.html").read_text(encoding="utf-8")
    # 2023 has two bodies with new applications (平潭, 邢庄): below the minimum, no ranking.
    assert "2023 年：样本不足（2 个机关），不排名" in text
    assert OFFICE.min_ranking_sample == 5
    assert site.INDICATORS[0].key == "new_received"


def test_xxgk_site_without_a_publication_says_what_to_do(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline import cli

    assert cli.main(["site", "--out", str(warehouse / "site")]) == 1
    err = capsys.readouterr().err
    assert f"{warehouse / 'xxgk.duckdb'}: no published warehouse yet; run `xxgk run`" in err
    assert not (warehouse / "site").exists()
