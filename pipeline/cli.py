"""The ``xxgk`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from extractors import extract_path
from pipeline.inbox import iter_documents
from warehouse import paths, publish


def cmd_extract(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        for p in missing:
            print(f"xxgk extract: {p}: no such file or folder", file=sys.stderr)
        return 2
    documents = list(iter_documents(args.paths))
    for i, path in enumerate(documents, 1):
        record = extract_path(path)
        print(record.to_json(), flush=True)
        if not args.quiet:
            print(f"[{i}/{len(documents)}] {path}: {record.status} "
                  f"({len(record.cells)} cells, {len(record.problems)} problems)", file=sys.stderr)
    return 0


def _steps():  # type: ignore[no-untyped-def]
    # Imported when a command needs it: the steps load dbt and Great Expectations (~3 s),
    # which `xxgk extract` and `--help` should not wait for.
    from pipeline import steps

    return steps


def cmd_run(args: argparse.Namespace) -> int:
    return _steps().main(inbox=args.inbox)


def cmd_reextract(args: argparse.Namespace) -> int:
    return _steps().reextract_main(args.paths, args.all)


def cmd_quarantine(args: argparse.Namespace) -> int:
    db = paths.published_db()
    if not db.exists():
        print(f"xxgk quarantine: {db} does not exist yet: run `xxgk run` first", file=sys.stderr)
        return 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select org_name, report_year, source_path, identity_id, equation_id, cells, "
            "lhs_value, rhs_value, difference from marts.quarantine "
            "order by org_name, report_year, source_path, equation_id").fetchall()
    finally:
        con.close()
    if args.json:
        keys = ("org_name", "year", "source_path", "identity", "equation", "cells", "lhs", "rhs", "difference")
        for row in rows:
            record = dict(zip(keys, row))
            for k in ("lhs", "rhs", "difference"):
                record[k] = None if record[k] is None else float(record[k])
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if not rows:
        print("No report is quarantined: every loaded report passed the gate.")
        return 0
    current = None
    for org, year, path, identity, equation, cells, lhs, rhs, diff in rows:
        if (org, year, path) != current:
            current = (org, year, path)
            print(f"\n{org} {year}  ({path})")
        print(f"  {equation}: {_number(lhs)} vs {_number(rhs)} (difference {_number(diff)})")
        print(f"      cells: {cells}")
    reports = len({(r[0], r[1], r[2]) for r in rows})
    print(f"\n{reports} report(s) quarantined, {len(rows)} failing check(s).")
    return 0


def _number(value: object) -> str:
    if value is None:
        return "?"
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        if args.list:
            published = publish.current()
            for p in publish.list_publications():
                tables = p.manifest().get("tables", {})
                mark = "*" if published is not None and p.id == published.id else " "
                print(f"{mark} {p.id}  {p.manifest().get('published_at', '?')}  "
                      f"{tables.get('dim_report', '?')} reports  {p.path}")
            return 0
        if args.rollback:
            previous = publish.rollback()
            print(f"published again: publication {previous.id} ({previous.path})")
            print(f"published:   {paths.published_db()}")
            print(f"parquet:     {publish.parquet_dir()}")
            return 0
        print(f"published:   {_steps().publish()}")
        print(f"parquet:     {publish.parquet_dir()}")
        return 0
    except (RuntimeError, FileNotFoundError) as err:  # PublicationError, MartsCheckError, no marts
        print(f"xxgk publish: {err}", file=sys.stderr)
        return 1


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
    print(f"{len(summary)} documents in {args.outdir / 'docs'}, answer keys in {args.outdir / 'keys'} "
          f"({statuses['ok']} ok, {statuses['needs_review']} needs_review, {statuses['rejected']} rejected)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xxgk",
        description="Extract, check and publish 政府信息公开工作年度报告 (government information "
                    "disclosure annual reports) into a DuckDB warehouse.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "extract", help="print one JSON record per document (JSON Lines)",
        description="Read annual reports and print one JSON record per document to standard "
                    "output, in the order given (folders are walked in sorted order). Progress "
                    "goes to standard error. A document that cannot be read still gets a record "
                    "with status 'rejected' and the reason. Each cell says the evidence for its value "
                    "(basis: printed, decided, imputed, unread). The record format: docs/record.md.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="report files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "run", help="run the whole load without a scheduler: extract, load, dbt, gate, publish",
        description="Run the yearly load in-process: extract every document of the inbox, load "
                    "the records into the build database, build the dbt models, check the "
                    "balancing identities with Great Expectations and publish the marts to "
                    "<warehouse>/xxgk.duckdb (XXGK_WAREHOUSE_DIR moves the warehouse).")
    p.add_argument("--inbox", type=Path, default=None,
                   help="folder of documents (default: the bundled sample reports)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "reextract", help="read documents again with this extractor, then load, check and publish",
        description="Extract the given documents again (or, with --all, every document of the "
                    "build database still found at one of the paths it was seen under), even "
                    "when their records are current, then run the load as `xxgk run` does. A "
                    "document that reads differently gets a new reading: it replaces the old one "
                    "in the marts, the old one stays in the history (marts.document_readings), "
                    "and every cell that changed is listed in marts.reading_changes and, the "
                    "first few, in the summary. (`xxgk run` re-reads by itself the documents whose "
                    "records an older extractor version made.)")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="report files or folders")
    p.add_argument("--all", action="store_true",
                   help="every document already loaded (found at one of its known paths)")
    p.set_defaults(func=cmd_reextract)
    p = sub.add_parser(
        "quarantine", help="list the reports held back by the gate, with the identity they break",
        description="List every report that failed a hard balancing identity (H1-H7, docs/template.md) or a "
                    "data-quality check, read from the published database: the identity, its "
                    "cells, the two sides as printed and the difference. These reports are not "
                    "in the fact tables.")
    p.add_argument("--json", action="store_true", help="one JSON object per failing check")
    p.set_defaults(func=cmd_quarantine)
    p = sub.add_parser(
        "publish", help="publish the checked marts again, list the kept publications, or roll back",
        description="Without options: check the marts of the build database and publish them "
                    "as a new publication (<warehouse>/xxgk.duckdb and <warehouse>/parquet/, "
                    "replaced atomically; readers are never blocked). The last "
                    "XXGK_PUBLICATIONS_KEEP (default 3) publications are kept in "
                    "<warehouse>/publications/.")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--rollback", action="store_true",
                       help="publish the previous kept publication again (atomically)")
    group.add_argument("--list", action="store_true",
                       help="list the kept publications (* marks the published one)")
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser(
        "generate", help="write synthetic reports with answer keys (benchmarks, tests)",
        description="Write COUNT synthetic annual reports (both template versions, the layout "
                    "pitfalls of docs/template.md section 7, publisher inconsistencies and bad inputs) "
                    "to OUTDIR/docs, each with an answer key OUTDIR/keys/<document>.key.json. "
                    "The same --seed gives the same documents and keys.")
    p.add_argument("outdir", type=Path, metavar="OUTDIR", help="folder to write into")
    p.add_argument("--count", type=int, default=100, help="number of documents (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--formats", default="pdf,docx,html,txt",
                   help="comma-separated formats: pdf, docx, html, txt, doc (doc needs LibreOffice); "
                        "default pdf,docx,html,txt")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(func=cmd_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
