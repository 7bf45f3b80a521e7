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
