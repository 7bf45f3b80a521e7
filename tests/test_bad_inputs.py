"""The bad-input battery and cheap fault cases (issue 17): nothing a document or a situation
does stops the load, loses a report or hides its reason.

The files are made at test time (tests/bad_inputs.py) from the bundled samples.  Kills during
extraction and publication are in test_dag_batches.py and test_publish.py; a reader holding the
published file open during a publish is in test_publish.py.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import bad_inputs
import duckdb
import pytest

from extractors import dispatch, extract_path
from extractors.dispatch import decode_text
from extractors.problems import ReaderProblem
from extractors.word import docx_text, read_zip_entry
from pipeline import cli, steps
from pipeline.inbox import InboxNotAllowed, confined, walk
from warehouse import corrections, paths, publish
from xxgk.names import display_path, fs_path
from xxgk.record import Report

PROJECT = Path(__file__).resolve().parent.parent

# case -> (status, the first error's code or None, org_name)
EXPECTED: dict[str, tuple[str, str | None, str | None]] = {
    "good": ("ok", None, "金寨县汤家汇镇"),
    "html_utf8": ("ok", None, "金寨县汤家汇镇"),
    "html_gbk": ("ok", None, "金寨县汤家汇镇"),
    "html_utf16": ("ok", None, "金寨县汤家汇镇"),
    # Big5 is decoded as Big5 (its meta says so), but the sample's simplified labels do not
    # survive Big5: what is left is not a report (the decoding itself: test below).
    "html_big5": ("rejected", "not_a_report", None),
    "stray_byte": ("ok", None, "中山市大涌镇"),
    "non_utf8_name": ("ok", None, "金寨县黄土镇"),
    "dash_name": ("ok", None, "金寨县白水镇"),
    "nul_body": ("ok", None, "金寨县汤家汇镇"),
    "control_body": ("ok", None, "金寨县"),
    "random_pdf": ("rejected", "format_unsupported", None),
    "empty": ("rejected", "empty_file", None),
    "not_a_report": ("rejected", "not_a_report", None),
    "same_1": ("ok", None, "中山市大涌镇"),
    "same_2": ("ok", None, "中山市大涌镇"),
    "same_3": ("ok", None, "中山市大涌镇"),
}
SKIPPED = {
    "symlink_loop": "a symbolic link that loops back on itself",
    "dangling_link": "a symbolic link to no-such-file.pdf, which does not exist",
    "fifo": "a named pipe (FIFO), not a file",
}


def values(report: Report) -> dict[str, Any]:
    return {c.id: c.value for c in report.cells}


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("battery")
    return folder, bad_inputs.make_battery(folder)


@pytest.fixture(scope="module")
def extracted(battery: tuple[Path, dict[str, str]]) -> dict[str, Report]:
    folder, made = battery
    by_name = {display_path(p.name): extract_path(p) for p in walk([folder]).documents}
    return {case: by_name[display_path(name)] for case, name in made.items() if case in EXPECTED}


def test_every_bad_input_ends_in_its_record(extracted: dict[str, Report]) -> None:
    outcome = {
        case: (
            r.status,
            next((p.code for p in r.problems if p.severity == "error"), None),
            r.org_name,
        )
        for case, r in extracted.items()
    }
    assert outcome == EXPECTED


def test_every_entry_that_is_not_a_file_is_listed_with_its_reason(
    battery: tuple[Path, dict[str, str]],
) -> None:
    folder, made = battery
    found = walk([folder])
    assert {Path(s.path).name: s.reason.split(":")[0] for s in found.skipped} == {
        made[case]: reason for case, reason in SKIPPED.items()
    }
    assert len(found.documents) == len(EXPECTED)


def test_web_pages_with_line_breaks_read_as_the_text_does(extracted: dict[str, Report]) -> None:
    # <p> and <pre> with line breaks inside, in three encodings: the same 198 cells.
    good = values(extracted["good"])
    assert len(good) == 198
    for case in ("html_utf8", "html_gbk", "html_utf16"):
        assert values(extracted[case]) == good, case


def test_one_stray_byte_does_not_change_the_encoding(extracted: dict[str, Report]) -> None:
    clean = extract_path(bad_inputs.GOOD_2022)
    assert values(extracted["stray_byte"]) == values(clean)
    assert len(values(clean)) == 200


def test_a_declared_charset_is_honoured() -> None:
    text = "臺北市政府2019年政府資訊公開工作年度報告：本年新收申請120件。"
    page = f'<html><head><meta charset="big5"></head><body><p>{text}</p></body></html>'
    assert decode_text(page.encode("big5")) == page
    # The same bytes read by trial as GB18030 would be garbage: the declaration decides.
    assert page.encode("big5").decode("gb18030", errors="replace") != page


def test_control_characters_are_removed_and_said(extracted: dict[str, Report]) -> None:
    nul = extracted["nul_body"]
    assert [(p.code, p.message.split(" ")[0]) for p in nul.problems] == [("control_characters", "1")]
    assert values(nul) == values(extracted["good"])
    assert "\x00" not in json.dumps(nul.to_dict(), ensure_ascii=False).replace("\\u0000", "\x00")
    # The name printed was only control characters: what is left is the county.
    control = extracted["control_body"]
    assert [(p.code, p.message.split(" ")[0]) for p in control.problems] == [("control_characters", "21")]


def test_random_bytes_named_pdf_are_refused_without_reading_them_as_text(
    extracted: dict[str, Report],
) -> None:
    [problem] = extracted["random_pdf"].problems
    assert "binary data" in problem.message and "named .pdf" in problem.message
    started = time.perf_counter()
    big = bad_inputs.random_bytes(5_000_000)
    with pytest.raises(ReaderProblem) as refused:
        dispatch._as_text(Path("big.pdf"), big, dispatch.Source("big.pdf", "0" * 64, "txt"))
    assert refused.value.code == "format_unsupported"
    # Only the first 64 KB are looked at (seconds for the whole file, before this guard).
    assert time.perf_counter() - started < 1.0


def test_a_file_name_that_is_not_utf8_is_kept_as_text_that_opens_the_file(
    extracted: dict[str, Report], battery: tuple[Path, dict[str, str]]
) -> None:
    folder, _ = battery
    path = extracted["non_utf8_name"].source.path
    assert path.endswith("report-\\xff\\xfe.txt")
    path.encode("utf-8")  # storable as it is
    assert Path(fs_path(path)).read_bytes() == (folder / os.fsdecode(b"report-\xff\xfe.txt")).read_bytes()


def test_the_same_bytes_under_three_names_are_one_document(extracted: dict[str, Report]) -> None:
    assert len({extracted[f"same_{i}"].source.sha256 for i in (1, 2, 3)}) == 1


def test_a_zip_entry_is_never_read_beyond_the_limit() -> None:
    bomb = bad_inputs.docx_with_document_xml(60_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(ReaderProblem) as refused:
        docx_text(bomb)
    assert refused.value.code == "too_large"
    assert "word/document.xml" in refused.value.message and "50 MB" in refused.value.message

    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bad_inputs.docx_with_document_xml(2000))) as archive:
        assert len(read_zip_entry(archive, "word/document.xml")) == 2000
        with pytest.raises(ReaderProblem):
            read_zip_entry(archive, "word/document.xml", limit=1999)


def test_a_fifo_or_an_unreadable_file_given_by_name_is_a_record(
    battery: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, made = battery
    fifo = extract_path(folder / made["fifo"])  # never opened: it would block for ever
    assert (fifo.status, fifo.problems[0].code) == ("rejected", "unreadable")
    assert "named pipe" in fifo.problems[0].message
    loop = extract_path(folder / made["symlink_loop"])
    assert (loop.status, loop.problems[0].code) == ("rejected", "unreadable")

    # chmod 000 (simulated: the tests may run as root, who reads anything)
    def denied(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    record = extract_path(folder / made["good"])
    assert (record.status, record.problems[0].code) == ("rejected", "unreadable")
    assert "Permission denied" in record.problems[0].message
    assert len(record.source.sha256) == 64  # kept under a stable identity, never sha256 ''


def test_an_extractor_crash_is_a_record_and_extract_goes_on(
    battery: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, made = battery
    real = dispatch._extract

    def crash_on_html(path: Path, data: bytes, source: Any) -> Report:
        if source.format == "html":
            raise IndexError("list index out of range")
        return real(path, data, source)

    monkeypatch.setattr(dispatch, "_extract", crash_on_html)
    given = [folder / made[c] for c in ("good", "html_utf8", "dash_name")]
    assert cli.main(["extract", "-q", *map(str, given)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["status"], [p["code"] for p in r["problems"]]) for r in records] == [
        ("ok", []),
        ("rejected", ["extractor_crash"]),
        ("ok", []),
    ]
    assert "IndexError: list index out of range" in records[1]["problems"][0]["message"]


def test_running_out_of_memory_in_an_extractor_is_recorded_as_worker_died_not_as_a_crash(
    warehouse: Path,
    battery: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, made = battery

    def out_of_memory(path: Path, data: bytes, source: Any) -> Report:
        raise MemoryError

    monkeypatch.setattr(dispatch, "_extract", out_of_memory)
    document = folder / made["good"]
    record = json.loads(Path(steps.extract_to_file(str(document))).read_text(encoding="utf-8"))
    assert (record["status"], [p["code"] for p in record["problems"]]) == ("rejected", ["worker_died"])
    with pytest.raises(MemoryError):  # a worker of the pool dies instead, and is replaced
        steps.extract_to_file(str(document), force=True, raise_memory_error=True)
    assert cli.main(["extract", "-q", str(document)]) == 1
    assert "ran out of memory reading it" in capsys.readouterr().err


def test_records_and_staging_keep_a_name_that_is_not_utf8(
    warehouse: Path, battery: tuple[Path, dict[str, str]]
) -> None:
    folder, made = battery
    document = str(folder / made["non_utf8_name"])
    [manifest] = steps.plan_batches(Path(folder), run_key="r", size=100)
    assert document in json.loads(Path(manifest).read_text(encoding="utf-8"))["documents"]
    record = steps.extract_to_file(document)
    steps.load([record], [document])
    con = duckdb.connect(str(paths.build_db()), read_only=True)
    try:
        stored = con.execute("select source_path from staging.document_paths").fetchall()
    finally:
        con.close()
    assert stored == [(display_path(document),)]
    found, missing = steps.known_documents()
    assert (found, missing) == ([document], [])


def test_a_folder_of_no_documents_says_so(
    tmp_path: Path, warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.symlink("gone.pdf", inbox / "link.pdf")
    assert steps.main(inbox) == 1
    err = capsys.readouterr().err
    assert "no documents to load (1 entries skipped:" in err and "gone.pdf, which does not exist" in err
    assert "Traceback" not in err


def test_a_warehouse_that_cannot_be_made_and_a_publish_before_any_run_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / "file" / "wh"))
    assert cli.main(["run", "--inbox", str(bad_inputs.SAMPLES)]) == 1
    err = capsys.readouterr().err
    assert f"the warehouse folder {tmp_path / 'file' / 'wh'} cannot be created (Not a directory)" in err
    assert "Traceback" not in err

    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path / "wh"))
    assert cli.main(["publish"]) == 1
    err = capsys.readouterr().err
    assert "nothing to publish: no load has run on this warehouse yet" in err and "Traceback" not in err


def test_a_correction_too_large_for_the_warehouse_is_an_invalid_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    csv = tmp_path / "corrections.csv"
    csv.write_text(
        "document,cell,value,reason,corrected_by,corrected_at\n"
        "a.pdf,s3/new_received/natural_person,1e400,typo,me,2024-05-01\n"
        "a.pdf,s3/new_received/natural_person,80,typo,me,2024-05-01\n",
        encoding="utf-8",
    )
    rows = corrections.read_corrections(csv)
    assert [(r.line, r.value, r.problem) for r in rows] == [
        (
            2,
            None,
            "value '1e400' is not a number the warehouse can hold (at most 32 digits before the point)",
        ),
        (3, Decimal(80), None),
    ]
    assert f"corrections file {csv}, line 2: value '1e400'" in caplog.text


def test_the_dag_reads_only_inside_the_configured_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inbox"
    (root / "2023").mkdir(parents=True)
    outside = tmp_path / "secrets"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    assert confined(root / "2023", [root]) == root / "2023"
    for path in (outside, root / ".." / "secrets", root / "escape"):
        with pytest.raises(InboxNotAllowed, match="is outside the configured inbox root"):
            confined(path, [root])
    monkeypatch.setenv("XXGK_INBOX_ROOT", str(root))
    monkeypatch.delenv("XXGK_INBOX", raising=False)
    with pytest.raises(InboxNotAllowed):
        confined(Path("/etc"))


def test_a_full_disk_during_publish_keeps_the_previous_publication(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_publish import make_build_db

    make_build_db(paths.build_db(), ["old"])
    published = publish.publish()

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    make_build_db(paths.build_db(), ["new"])
    monkeypatch.setattr(publish, "_write_parquet", full)
    with pytest.raises(OSError, match="No space left"):
        publish.publish()
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select org_name from marts.dim_report").fetchall() == [("old",)]
    finally:
        con.close()
    kept = [p.name for p in (warehouse / "publications").iterdir()]
    assert len([n for n in kept if not n.startswith(".")]) == 1
    assert not [n for n in kept if n.startswith(".tmp")], kept


# ----------------------------------------------------------------------------- the run lock

HOLDER = textwrap.dedent("""
    import sys, time
    from warehouse.lock import run_lock
    with run_lock("xxgk run --inbox /elsewhere"):
        print("held", flush=True)
        time.sleep(120)
""")


def _python(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT), "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")}


def test_a_second_load_on_a_warehouse_refuses_or_waits_naming_the_first(tmp_path: Path) -> None:
    env = _python(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=env, stdout=subprocess.PIPE, text=True, cwd=PROJECT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        xxgk = [sys.executable, "-m", "pipeline.cli"]
        refused = subprocess.run(
            [*xxgk, "run", "--no-wait", "--inbox", str(bad_inputs.SAMPLES)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT,
        )
        assert refused.returncode == steps.EXIT_LOCKED == 75
        assert f"another load is running on this warehouse ({tmp_path / 'wh'}): process {holder.pid} " in (
            refused.stderr
        )
        assert "(xxgk run --inbox /elsewhere)" in refused.stderr and "Traceback" not in refused.stderr

        # Waiting (the default): it says for whom, and goes on once the first has ended.
        waiting = subprocess.Popen(
            [*xxgk, "publish"], env=env, stderr=subprocess.PIPE, text=True, cwd=PROJECT
        )
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert (
            f"waiting for the load running on this warehouse ({tmp_path / 'wh'}): process {holder.pid}"
            in line
        )
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting
        holder.send_signal(signal.SIGKILL)  # the kernel drops a dead holder's lock
        holder.wait(timeout=30)
        rest = waiting.stderr.read()
        assert waiting.wait(timeout=120) == 1
        assert "nothing to publish: no load has run on this warehouse yet" in rest
    finally:
        holder.kill()
        holder.wait(timeout=30)


# ------------------------------------------------------------------- one load over the battery


@pytest.mark.slow
def test_a_load_over_the_battery_publishes_the_good_and_lists_the_rest(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # First a folder of only non-reports: the gate has nothing to check, and the load ends.
    only_bad = tmp_path / "only-bad"
    only_bad.mkdir()
    (only_bad / "random.pdf").write_bytes(bad_inputs.random_bytes(10_000))
    (only_bad / "notice.txt").write_text("关于开展春季植树活动的通知\n", encoding="utf-8")
    assert steps.main(only_bad) == 0
    capsys.readouterr()

    folder = tmp_path / "battery"
    made = bad_inputs.make_battery(folder)
    assert steps.main(folder) == 0
    out = capsys.readouterr().out
    assert f"documents:   {len(EXPECTED)} (12 ok, 0 needs_review, 4 rejected)" in out
    for case, reason in SKIPPED.items():
        assert f"{display_path(folder / made[case])}: {reason}" in out

    here = display_path(folder) + "/"
    con = duckdb.connect(str(paths.published_db()), read_only=True)
    try:
        reports = con.execute(
            "select source_path, passed_gate from marts.dim_report where starts_with(source_path, ?)",
            [here],
        ).fetchall()
        quarantine = con.execute(
            "select source_path, split_part(message, ':', 1) from marts.quarantine "
            "where cause = 'rejected' and starts_with(source_path, ?) order by source_path",
            [here],
        ).fetchall()
        copies = con.execute(
            "select source_path from marts.dim_document_path where document_id = "
            "(select document_id from marts.dim_document_path where ends_with(source_path, 'copy-a.txt')) "
            "order by 1"
        ).fetchall()
    finally:
        con.close()
    assert {Path(p).name for p, passed in reports if passed} == {
        display_path(made[c]) for c, (status, _, _) in EXPECTED.items() if status == "ok"
    } - {"copy-b.txt", "copy-c.txt"}
    assert [(Path(p).name, code) for p, code in quarantine] == [
        ("empty.pdf", "empty_file"),
        ("notice.txt", "not_a_report"),
        ("page-big5.html", "not_a_report"),
        ("random.pdf", "format_unsupported"),
    ]
    assert [Path(p).name for (p,) in copies] == ["copy-a.txt", "copy-b.txt", "copy-c.txt"]

    assert cli.main(["quarantine"]) == 0
    listed = capsys.readouterr().out
    assert "rejected by the extractor: nothing of it is published" in listed
    assert "format_unsupported: " in listed and "empty_file: " in listed
