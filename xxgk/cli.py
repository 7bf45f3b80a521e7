"""The ``xxgk`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

# The walk lives in the pipeline (the DAG uses it too); re-exported here for callers of the CLI module.
from xxgk.pipeline import SUFFIXES_SKIPPED, iter_documents  # noqa: F401


def cmd_extract(args: argparse.Namespace) -> int:
    from extractors import extract_path

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


def cmd_run(args: argparse.Namespace) -> int:
    from xxgk import pipeline

    return pipeline.main(inbox=args.inbox)


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
                    "with status 'rejected' and the reason. The record format is "
                    "spec/extract-contract.md.")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
