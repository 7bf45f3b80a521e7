"""The ``xxgk`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from extractors import extract_path
from pipeline.inbox import walk
from warehouse import paths, publish
from xxgk.names import display_path


def cmd_extract(args: argparse.Namespace) -> int:
    # A link that loops or dangles exists as a name: its record says what is wrong with it.
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        for p in missing:
            print(f"xxgk extract: {display_path(p)}: no such file or folder", file=sys.stderr)
        return 2
    found = walk(args.paths)
    for skipped in found.skipped:
        print(f"xxgk extract: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    failed = 0
    for i, path in enumerate(found.documents, 1):
        try:
            record = extract_path(path)
        except MemoryError:
            failed += 1
            print(
                f"xxgk extract: {display_path(path)}: ran out of memory reading it; "
                "`xxgk run` records it as worker_died and goes on",
                file=sys.stderr,
            )
            continue
        print(record.to_json(), flush=True)
        if not args.quiet:
            print(
                f"[{i}/{len(found.documents)}] {display_path(path)}: {record.status} "
                f"({len(record.cells)} cells, {len(record.problems)} problems)",
                file=sys.stderr,
            )
    return 1 if failed else 0


# The steps are imported when a command needs them: they load dbt and Great Expectations (~3 s),
# which `xxgk extract` and `--help` should not wait for.
def cmd_run(args: argparse.Namespace) -> int:
    from pipeline import steps

    return steps.main(inbox=args.inbox, jobs=args.jobs, quiet=args.quiet, wait=args.wait, rehash=args.rehash)


def cmd_reextract(args: argparse.Namespace) -> int:
    from pipeline import steps

    return steps.reextract_main(
        args.paths, args.all, jobs=args.jobs, quiet=args.quiet, wait=args.wait, rehash=args.rehash
    )


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: at least 1 worker")
    return value


def _add_load_options(p: argparse.ArgumentParser) -> None:
    """The options of the commands that run the load (run, reextract)."""
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="extract in N worker processes (default: the machine's cores); each worker has a "
        "memory ceiling and each document a time limit (xxgk/settings.py WORKER, "
        "XXGK_WORKER_MEMORY_MB, XXGK_WORKER_TIME_LIMIT_S; a scan in OCR is measured in CPU "
        "seconds, XXGK_WORKER_OCR_WALL_FACTOR): a document that breaks one is "
        "recorded as rejected and the load goes on",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no log lines, only warnings and the summary",
    )
    p.add_argument(
        "--rehash",
        action="store_true",
        help="read and hash every document, even one whose file (path, size, mtime, ctime, inode) "
        "is unchanged since a run hashed it; by default such a file is taken to hold the same "
        "bytes and is not read (<warehouse>/document-hashes.json; also XXGK_REHASH=1)",
    )


_SECTION_LABELS = {
    "s2": "二、主动公开政府信息情况",
    "s3": "三、收到和处理政府信息公开申请情况",
    "s4": "四、政府信息公开行政复议、行政诉讼情况",
}
_VERDICT_LABELS = {
    "published": "已发布 published",
    "held_back": "暂缓发布 held back",
    "absent": "未印制 absent",
    None: "未检查 not checked",
}


def _quarantine_reports(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every report with a held-back section: its verdicts, causes (true cause first) and cells."""
    reports = con.execute("""
        select document_id, printed_body_name, report_year, source_path, template_version,
               s2_verdict, s2_reason, s3_verdict, s3_reason, s4_verdict, s4_reason
        from marts.dim_report
        where document_id in (select document_id from marts.quarantine)
        order by printed_body_name, report_year, source_path""").fetchall()
    causes = con.execute("""
        select document_id, section, cause_rank, cause, identity_id, equation_id, message, cells,
               lhs_value, rhs_value, difference
        from marts.quarantine
        order by document_id, cause_rank, section nulls first, equation_id""").fetchall()
    cells = con.execute("""
        select document_id, section, cell_id, row_label, col_label, is_in_document, value, basis,
               page, line, raw_text
        from marts.quarantine_cells
        order by document_id, section nulls first, cell_id""").fetchall()
    out: list[dict[str, Any]] = []
    for document_id, org, year, path, version, *verdicts in reports:
        out.append(
            {
                "document_id": document_id,
                "printed_body_name": org,
                "report_year": year,
                "source_path": path,
                "template_version": version,
                "sections": {
                    s: {"verdict": verdicts[2 * i], "reason": verdicts[2 * i + 1]}
                    for i, s in enumerate(("s2", "s3", "s4"))
                },
                "causes": [
                    {
                        "section": c[1],
                        "rank": c[2],
                        "cause": c[3],
                        "identity": c[4],
                        "equation": c[5],
                        "message": c[6],
                        "cells": c[7],
                        "lhs_value": _float(c[8]),
                        "rhs_value": _float(c[9]),
                        "difference": _float(c[10]),
                    }
                    for c in causes
                    if c[0] == document_id
                ],
                "cells": [
                    {
                        "section": c[1],
                        "cell": c[2],
                        "row_label": c[3],
                        "col_label": c[4],
                        "in_document": c[5],
                        "value": _float(c[6]),
                        "basis": c[7],
                        "page": c[8],
                        "line": c[9],
                        "raw": c[10],
                    }
                    for c in cells
                    if c[0] == document_id
                ],
            }
        )
    return out


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def cmd_quarantine(args: argparse.Namespace) -> int:
    db = paths.published_db()
    if not db.exists():
        print(f"xxgk quarantine: {db} does not exist yet: run `xxgk run` first", file=sys.stderr)
        return 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        reports = _quarantine_reports(con)
    except duckdb.Error as err:
        print(
            f"xxgk quarantine: {db} has no quarantine of this version ({err}); run `xxgk run` "
            "again to rebuild it",
            file=sys.stderr,
        )
        return 1
    finally:
        con.close()
    if args.json:
        for report in reports:
            print(json.dumps(report, ensure_ascii=False))
        return 0
    if not reports:
        print(
            "No section is held back and no document was rejected: every section of every loaded "
            "report passed the gate."
        )
        return 0
    for report in reports:
        _print_report(report)
    n_sections = len([v for r in reports for v in r["sections"].values() if v["verdict"] == "held_back"])
    n_rejected = len([r for r in reports if any(c["cause"] == "rejected" for c in r["causes"])])
    rejected = (
        f" {n_rejected} document(s) rejected by the extractor: each needs a better file (its reason "
        "says what is wrong)."
        if n_rejected
        else ""
    )
    print(
        f"\n{len(reports) - n_rejected} report(s) with {n_sections} section(s) held back. Fix a cell "
        "with corrections/corrections.csv (README: Corrections) and load again." + rejected
    )
    return 0


def _print_report(report: dict[str, Any]) -> None:
    """One readable block: who, which year, which file; per section its verdict and causes."""
    print(
        f"\n{report['printed_body_name'] or '（机关未识别 body unknown）'} "
        f"{report['report_year'] or '（年度未识别 year unknown）'}"
        f"  {report['template_version'] or ''}  {report['source_path']}"
    )
    print(f"  document {report['document_id']}")
    rejected = [c for c in report["causes"] if c["cause"] == "rejected"]
    if rejected:
        # Never checked by the gate: the extractor's reasons are the whole story.
        print("  提取被拒绝 rejected by the extractor: nothing of it is published")
        for n, c in enumerate(rejected, 1):
            print(f"    {n}. {c['message']}")
        return
    for section, verdict in report["sections"].items():
        label = _VERDICT_LABELS.get(verdict["verdict"], verdict["verdict"])
        print(f"  {_SECTION_LABELS[section]} ({section}): {label}")
        if verdict["verdict"] != "held_back":
            continue
        causes = [c for c in report["causes"] if c["section"] in (section, None)]
        explained = {cell for c in causes if c["identity"] == "EX" for cell in (c["cells"] or "").split(",")}
        n = 0
        for c in causes:
            # An unread cell the extractor's problem already explains is listed under the cells.
            if c["cause"] == "cells_unread" and c["cells"] in explained:
                continue
            n += 1
            print(f"    {n}. [{c['cause']}] {c['message']}")
        look = [c for c in report["cells"] if c["section"] == section]
        if look:
            print("    cells to look at:")
        for c in look:
            where = []
            if c["page"] is not None:
                where.append(f"page {c['page']}")
            if c["line"] is not None:
                where.append(f"line {c['line']}")
            if c["raw"]:
                where.append(f"printed {c['raw']!r}")
            state = f"{_number(c['value'])} ({c['basis']})" if c["in_document"] else "not in the document"
            print(
                f"      {c['cell']}  {c['row_label'] or '?'} × {c['col_label'] or '?'}: {state}"
                + (f"  [{', '.join(where)}]" if where else "")
            )


def _number(value: object) -> str:
    if value is None:
        return "?"
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def cmd_site(args: argparse.Namespace) -> int:
    from warehouse import site

    out = args.out if args.out is not None else paths.warehouse_dir() / "site"
    try:
        counts = site.build_site(out)
    except FileNotFoundError as err:
        print(f"xxgk site: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"xxgk site: cannot write {out}: {err}; choose another --out folder", file=sys.stderr)
        return 1
    print(
        f"site:        {out / 'index.html'} ({counts['cards']} report cards, {counts['downloads']} downloads)"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from pipeline import steps
    from warehouse.lock import RunLocked, run_lock

    if args.list:
        return _publish(args)
    command = "xxgk publish" + (" --rollback" if args.rollback else "")
    try:
        with run_lock(command, wait=args.wait):
            return _publish(args)
    except RunLocked as err:
        print(f"xxgk publish: {err}", file=sys.stderr)
        return steps.EXIT_LOCKED


def _publish(args: argparse.Namespace) -> int:
    try:
        if args.list:
            published = publish.current()
            for p in publish.list_publications():
                tables = p.manifest().get("tables", {})
                mark = "*" if published is not None and p.id == published.id else " "
                print(
                    f"{mark} {p.id}  {p.manifest().get('published_at', '?')}  "
                    f"{tables.get('dim_report', '?')} reports  {p.path}"
                )
            return 0
        if args.rollback:
            previous = publish.rollback()
            print(f"published again: publication {previous.id} ({previous.path})")
            print(f"published:   {paths.published_db()}")
            print(f"for BI tools (DuckDB 1.x): {publish.bi_db()}")
            print(f"parquet:     {publish.parquet_dir()}")
            return 0
        from pipeline import steps

        print(f"published:   {steps.publish()}")
        print(f"for BI tools (DuckDB 1.x): {publish.bi_db()}")
        print(f"parquet:     {publish.parquet_dir()}")
        return 0
    except (
        RuntimeError,
        FileNotFoundError,
        duckdb.Error,
    ) as err:  # PublicationError, MartsCheckError, no marts
        print(f"xxgk publish: {err}", file=sys.stderr)
        return 1


def cmd_export(args: argparse.Namespace) -> int:
    from warehouse import export

    fmt = args.format or (args.out.suffix.lstrip(".").lower() if args.out.suffix else "csv")
    try:
        with export.connect() as con:
            sql = args.query if args.query is not None else export.table_query(con, args.table)
        n = export.export(sql, fmt, args.out)
    except export.ExportError as err:
        print(f"xxgk export: {err}", file=sys.stderr)
        return 1
    print(f"{n} rows written to {args.out} ({fmt})")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from warehouse import export

    try:
        con = export.connect()
    except export.ExportError as err:
        print(f"xxgk sql: {err}", file=sys.stderr)
        return 1
    with con:
        if args.query is not None:
            return _run_sql(con, args.query, args.max_rows)
        return _sql_shell(con, args.max_rows)


def _run_sql(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> int:
    try:
        relation = con.sql(sql)
        if relation is not None:
            relation.show(max_rows=max_rows, max_width=10_000)
    except duckdb.Error as err:
        # Read-only: a write says so, as any other error, in one line.
        print(f"xxgk sql: {str(err).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def _sql_shell(con: duckdb.DuckDBPyConnection, max_rows: int) -> int:
    """A read-only SQL prompt on the published database; a statement ends with ';'."""
    print(
        f"xxgk sql: {paths.published_db()} (read-only). End a statement with ';'. "
        "Tables: select * from marts.data_dictionary; quit with .quit or Ctrl-D."
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("xxgk> " if not buffer else "  ...> ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            buffer.clear()
            continue
        if not buffer and line.strip() in (".quit", ".exit", "quit", "exit"):
            return 0
        buffer.append(line)
        if line.rstrip().endswith(";"):
            _run_sql(con, "\n".join(buffer), max_rows)
            buffer.clear()


def cmd_docs(args: argparse.Namespace) -> int:
    from warehouse import docs

    try:
        written = docs.build(args.out)
    except docs.DocsError as err:
        print(f"xxgk docs: {err}", file=sys.stderr)
        return 1
    for label, path in written.items():
        print(f"{label}: {path}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    # The test-data generator is a separate package, imported only for this command.
    import generator as generate

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    try:
        summary = generate.generate_corpus(args.outdir, args.count, args.seed, formats, jobs=args.jobs)
    except (ValueError, RuntimeError) as err:
        print(f"xxgk generate: {err}", file=sys.stderr)
        return 2
    statuses = {s: sum(1 for d in summary if d["status"] == s) for s in ("ok", "needs_review", "rejected")}
    print(
        f"{len(summary)} documents in {args.outdir / 'docs'}, answer keys in {args.outdir / 'keys'} "
        f"({statuses['ok']} ok, {statuses['needs_review']} needs_review, {statuses['rejected']} rejected)"
    )
    return 0


def _wait_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="when another load runs on the same warehouse, wait for it, saying which process it is "
        "(the default); --no-wait refuses at once, with exit code 75",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xxgk",
        description="Extract, check and publish 政府信息公开工作年度报告 (government information "
        "disclosure annual reports) into a DuckDB warehouse.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        "--debug",
        dest="verbose",
        action="store_true",
        help="log debug details to stderr, with the traceback of a failure",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        metavar="DIR",
        help="the warehouse folder (records, build database, publications; default: "
        "XXGK_WAREHOUSE_DIR, else data/ in the project)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "extract",
        help="print one JSON record per document (JSON Lines)",
        description="Read annual reports and print one JSON record per document to standard "
        "output, in the order given (folders are walked in sorted order). Progress "
        "goes to standard error. A document that cannot be read still gets a record "
        "with status 'rejected' and the reason. Each cell says the evidence for its value "
        "(basis: printed, decided, imputed, unread). The record format: docs/record.md.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="report files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "run",
        help="run the whole load without a scheduler: extract, load, dbt, gate, publish",
        description="Run the yearly load in-process: extract every document of the inbox, load "
        "the records into the build database, build the dbt models, check the "
        "balancing identities with Great Expectations and publish the marts to "
        "<warehouse>/xxgk.duckdb (XXGK_WAREHOUSE_DIR moves the warehouse).",
    )
    p.add_argument(
        "--inbox", type=Path, default=None, help="folder of documents (default: the bundled sample reports)"
    )
    _add_load_options(p)
    _wait_option(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "reextract",
        help="read documents again with this extractor, then load, check and publish",
        description="Extract the given documents again (or, with --all, every document of the "
        "build database still found at one of the paths it was seen under), even "
        "when their records are current, then run the load as `xxgk run` does. A "
        "document that reads differently gets a new reading: it replaces the old one "
        "in the marts, the old one stays in the history (marts.document_readings), "
        "and every cell that changed is listed in marts.reading_changes and, the "
        "first few, in the summary. (`xxgk run` re-reads by itself the documents whose "
        "records an older extractor version made.)",
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="report files or folders")
    p.add_argument(
        "--all", action="store_true", help="every document already loaded (found at one of its known paths)"
    )
    _add_load_options(p)
    _wait_option(p)
    p.set_defaults(func=cmd_reextract)
    p = sub.add_parser(
        "quarantine",
        help="list the report sections held back by the gate, the true cause first",
        description="One block per report with a section (二, 三, 四) the gate held back, read "
        "from the published database: body, year and file; each section's verdict; "
        "the causes, the true cause first (the extractor's problems with their "
        "candidate readings, then missing or unread cells, then identities that "
        "cannot be checked, then identities that do not hold, with both sides); and "
        "the cells to look at with their Chinese row and column labels, page and "
        "line. Held-back sections are not in the fact tables; the other sections of "
        "the report are.",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per report (sections, causes, cells), for tools"
    )
    p.set_defaults(func=cmd_quarantine)
    p = sub.add_parser(
        "publish",
        help="publish the checked marts again, list the kept publications, or roll back",
        description="Without options: check the marts of the build database and publish them "
        "as a new publication (<warehouse>/xxgk.duckdb and <warehouse>/parquet/, "
        "replaced atomically; readers are never blocked). The last "
        "XXGK_PUBLICATIONS_KEEP (default 3) publications are kept in "
        "<warehouse>/publications/.",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--rollback", action="store_true", help="publish the previous kept publication again (atomically)"
    )
    group.add_argument(
        "--list", action="store_true", help="list the kept publications (* marks the published one)"
    )
    _wait_option(p)
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser(
        "export",
        help="write a published table or a query's result as CSV, XLSX or Parquet",
        description="Export from the published database (read-only): a table of schema marts "
        "(e.g. mart_body_year) or the result of --query. CSV is UTF-8 with a byte-order mark "
        "(Excel shows the Chinese); XLSX has the Chinese labels as headers (the column names "
        "in the header cells' notes); Parquet keeps the types. Column meanings: "
        "marts.data_dictionary.",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("table", nargs="?", metavar="TABLE", help="a table of schema marts (mart_body_year, …)")
    what.add_argument("--query", metavar="SQL", help="a SELECT on the published database, not a table")
    p.add_argument(
        "--format", choices=("csv", "xlsx", "parquet"), help="default: from the --out suffix, else csv"
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (replaced)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "sql",
        help="run SQL on the published database (read-only), or open a SQL prompt",
        description="Run one SQL statement on the published database <warehouse>/xxgk.duckdb, "
        "opened read-only, and print the result; without SQL, an interactive prompt "
        "(statements end with ';', .quit leaves). Every table and column is described in "
        "marts.data_dictionary.",
    )
    p.add_argument("query", nargs="?", metavar="SQL", help="the statement; none: an interactive prompt")
    p.add_argument("--max-rows", type=int, default=1000, help="rows printed at most (default 1000)")
    p.set_defaults(func=cmd_sql)
    p = sub.add_parser(
        "docs",
        help="write the dbt docs as one HTML file that opens from disk",
        description="Build the dbt documentation of the build database (every model, column "
        "and test) as one self-contained HTML file (dbt docs generate --static): open it "
        "from disk, no server needed. Also prints where the Great Expectations validation "
        "report is.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder to write into (default <warehouse>/docs)",
    )
    p.set_defaults(func=cmd_docs)
    p = sub.add_parser(
        "generate",
        help="write synthetic reports with answer keys (benchmarks, tests)",
        description="Write COUNT synthetic annual reports (both template versions, the layout "
        "pitfalls of docs/template.md section 7, publisher inconsistencies and bad inputs) "
        "to OUTDIR/docs, each with an answer key OUTDIR/keys/<document>.key.json. "
        "The same --seed gives the same documents and keys.",
    )
    p.add_argument("outdir", type=Path, metavar="OUTDIR", help="folder to write into")
    p.add_argument("--count", type=int, default=100, help="number of documents (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--formats",
        default="pdf,docx,html,txt",
        help="comma-separated formats: pdf, docx, html, txt, doc (doc needs LibreOffice); "
        "default pdf,docx,html,txt",
    )
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser(
        "site",
        help="write the offline web site of the published warehouse (overview, report cards, rankings)",
        description="Write a static web site of the published warehouse (<warehouse>/xxgk.duckdb) "
        "into DIR: an overview (bodies, years, filing status against the roster, quarantine, "
        "warnings), a report card per body and year (headline numbers with the change on the "
        "year before, every identity and warning, every number with its page, line and printed "
        "text), rankings, trend charts, every mart as CSV and Parquet, and a methodology note. "
        "The site fetches nothing from another host: open DIR/index.html in any browser.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder to write into (default <warehouse>/site)",
    )
    p.set_defaults(func=cmd_site)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.warehouse is not None:
        # Every module finds the warehouse through warehouse.paths, which reads this.
        os.environ["XXGK_WAREHOUSE_DIR"] = str(args.warehouse.resolve())
    quiet = getattr(args, "quiet", False) and args.command in ("run", "reextract")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except KeyboardInterrupt:
        print(f"xxgk {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user (--debug shows it)
        logging.getLogger("xxgk").debug("xxgk %s failed", args.command, exc_info=True)
        print(f"xxgk {args.command}: failed: {exc}", file=sys.stderr)
        if not args.verbose:
            print(f"xxgk {args.command}: (--debug shows where it failed)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
