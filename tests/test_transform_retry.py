"""A dbt build whose only failures are DuckDB running out of memory is retried one model at a time.

The models dbt builds at once share DuckDB's memory limit; at 99 100 reports the first build of the
marts had a model and a test run out of it (bench/RESULTS.md).  A real out-of-memory that two
threads hit and one does not cannot be made on demand, so dbt's runner is replaced here by one
that answers with the results dbt gives (``dbtRunnerResult``: success, and per node a status and
a message).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from warehouse import transform

OOM = (
    "Runtime Error in model fct_active_disclosure (models/marts/fct_active_disclosure.sql) "
    "Out of Memory Error: failed to allocate data of size 3.0 MiB (951.7 MiB/953.6 MiB used)"
)


def node(unique_id: str, status: str, message: str = "") -> SimpleNamespace:
    return SimpleNamespace(status=status, message=message, node=SimpleNamespace(unique_id=unique_id))


def outcome(*nodes: SimpleNamespace) -> SimpleNamespace:
    failed = any(n.status in {"error", "fail"} for n in nodes)
    return SimpleNamespace(success=not failed, result=SimpleNamespace(results=list(nodes)), exception=None)


class Runner:
    """dbt's runner, answering each invocation with the next of ``outcomes``."""

    calls: list[list[str]] = []
    outcomes: list[SimpleNamespace] = []

    def invoke(self, cli: list[str]) -> Any:
        Runner.calls.append(cli)
        return Runner.outcomes.pop(0)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type[Runner]:
    import dbt.cli.main

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    monkeypatch.setenv("XXGK_WAREHOUSE_DIR", str(tmp_path))
    Runner.calls, Runner.outcomes = [], []
    return Runner


def test_a_build_out_of_memory_is_built_again_one_model_at_a_time(
    runner: type[Runner], tmp_path: Path
) -> None:
    runner.outcomes = [
        outcome(
            node("model.xxgk.dim_report", "success"), node("model.xxgk.fct_active_disclosure", "error", OOM)
        ),
        outcome(node("model.xxgk.fct_active_disclosure", "success")),
    ]
    transform.build("marts", build_db=tmp_path / "b.duckdb")
    first, retry = runner.calls
    assert first[:2] == ["build", "--select"]
    # `dbt retry` builds what failed or was skipped, with the first build's selection and flags.
    assert retry[:3] == ["retry", "--threads", "1"]
    assert retry[3:] == first[first.index("--project-dir") :]
    # The build succeeded: the next one is incremental again.
    assert not list(tmp_path.glob("b.duckdb.failed-build-*"))


def test_other_failures_are_not_retried(runner: type[Runner], tmp_path: Path) -> None:
    runner.outcomes = [
        outcome(
            node("model.xxgk.fct_active_disclosure", "error", OOM),
            node(
                "test.xxgk.not_null_fct_applications_value",
                "fail",
                "Got 1 result, configured to fail if != 0",
            ),
        )
    ]
    with pytest.raises(transform.TransformError, match="not_null_fct_applications_value") as caught:
        transform.build("marts", build_db=tmp_path / "b.duckdb")
    assert len(runner.calls) == 1
    assert len(caught.value.failures) == 2


def test_a_retry_out_of_memory_again_fails_the_build_naming_it(runner: type[Runner], tmp_path: Path) -> None:
    runner.outcomes = [
        outcome(node("model.xxgk.fct_active_disclosure", "error", OOM)),
        outcome(node("model.xxgk.fct_active_disclosure", "error", OOM)),
    ]
    with pytest.raises(transform.TransformError, match="Out of Memory Error") as caught:
        transform.build("marts", build_db=tmp_path / "b.duckdb")
    assert [c[0] for c in runner.calls] == ["build", "retry"]
    assert caught.value.failures == [f"model.xxgk.fct_active_disclosure: error: {OOM}"]
    # The failed build is remembered: the next build of the marts rebuilds and tests everything.
    assert list(tmp_path.glob("b.duckdb.failed-build-marts"))
