"""The ``xxgk`` command line: help texts and usage errors (fast, no extraction)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The console script installed beside the interpreter running the tests.
XXGK = str(Path(sys.executable).parent / "xxgk")


def xxgk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([XXGK, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(
    "args, expect",
    [
        ((), "extract"),
        (("extract",), "JSON"),
        (("run",), "--inbox"),
        (("export",), "byte-order mark"),
        (("sql",), "read-only"),
        (("docs",), "--static"),
    ],
)
def test_help(args: tuple[str, ...], expect: str) -> None:
    result = xxgk(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: xxgk")
    assert expect in result.stdout


def test_no_command_is_a_usage_error() -> None:
    result = xxgk()
    assert result.returncode == 2
    assert "usage: xxgk" in result.stderr


def test_extract_names_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-report.pdf"
    result = xxgk("extract", str(missing))
    assert result.returncode != 0
    assert str(missing) in result.stderr
    assert result.stdout == ""


def test_run_names_a_missing_inbox(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-inbox"
    result = xxgk(
        "run",
        "--inbox",
        str(missing),
        env={"PATH": "/usr/bin:/bin", "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")},
    )
    assert result.returncode != 0
    assert str(missing) in result.stderr
    # Nothing was built for a run that could not start.
    assert not (tmp_path / "wh" / "xxgk.duckdb").exists()


def test_run_fails_on_an_empty_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = xxgk(
        "run",
        "--inbox",
        str(inbox),
        env={"PATH": "/usr/bin:/bin", "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")},
    )
    assert result.returncode == 1
    assert "no documents" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("export", "mart_body_year", "--out", "x.csv"),
        ("sql", "select 1"),
    ],
)
def test_query_commands_name_a_missing_publication(tmp_path: Path, args: tuple[str, ...]) -> None:
    import os

    env = {**os.environ, "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")}
    result = xxgk(*args, env=env)
    assert result.returncode == 1
    assert f"{tmp_path / 'wh' / 'xxgk.duckdb'} does not exist: run `xxgk run` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_docs_names_a_missing_build_database(tmp_path: Path) -> None:
    import os

    result = xxgk("docs", env={**os.environ, "XXGK_WAREHOUSE_DIR": str(tmp_path / "wh")})
    assert result.returncode == 1
    assert "xxgk_build.duckdb does not exist: run `xxgk run` first" in result.stderr
