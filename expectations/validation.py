"""Great Expectations validations run chunk by chunk, and merged as if run once.

The gate validates its frames a chunk of documents at a time (``xxgk.settings.GATE``), so that
memory does not grow with the warehouse.  Every suite's expectation is about one row, or about
rows of one document (uniqueness of a document's cells or equations), so a chunk holding whole
documents gets the same unexpected rows as the whole would; ``merge_validations`` adds the
chunks' results up (counts summed, unexpected rows concatenated in chunk order, percentages
recomputed), which is what one validation of every chunk together reports.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier

from expectations.suites import Frame, GateSuite

# Lists GX cuts to their first 20 items (result_format "partial_unexpected_count").
_PARTIAL = 20


class Validator:
    """The suites, added once to a GX context, run on any number of chunks of their frames."""

    def __init__(
        self, context: Any, suites: Iterable[GateSuite], run_id: RunIdentifier, source_name: str
    ) -> None:
        self.suites = list(suites)
        self.run_id = run_id
        source = context.data_sources.add_pandas(source_name)
        batches: dict[Frame, Any] = {}
        self._definitions: dict[str, Any] = {}
        for gs in self.suites:
            if gs.frame not in batches:
                asset = source.add_dataframe_asset(gs.frame)
                batches[gs.frame] = asset.add_batch_definition_whole_dataframe(f"{gs.frame}_whole")
            self._definitions[gs.name] = context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=gs.name, data=batches[gs.frame], suite=context.suites.add(gs.suite)
                )
            )

    def run(self, frames: Mapping[Frame, pd.DataFrame]) -> dict[str, Any]:
        """Each suite on its slice of its frame; results by suite name."""
        results: dict[str, Any] = {}
        for gs in self.suites:
            frame = frames[gs.frame]
            for column, value in gs.rows.items():
                frame = frame[frame[column] == value]
            results[gs.name] = self._definitions[gs.name].run(
                batch_parameters={"dataframe": frame},
                run_id=self.run_id,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(gs.keys)},
            )
        return results


def merge_validations(merged: dict[str, Any], new: Mapping[str, Any], keep: int | None = None) -> None:
    """Add one chunk's results (by suite name) to ``merged``, in place.

    With ``keep``, an expectation's lists of unexpected rows keep their first ``keep`` rows
    (its counts stay whole): what a report of the validation shows, when the run's verdicts
    are taken from each chunk's own results and the rows need not be held for all of them.
    """
    for name, result in new.items():
        if name not in merged:
            merged[name] = copy.deepcopy(result)
            if keep is not None:
                for res in merged[name].results:
                    res.result = _cut(res.result or {}, keep)
        else:
            _merge_suite(merged[name], result, keep)


def _cut(result: dict[str, Any], keep: int) -> dict[str, Any]:
    return {
        k: v[:keep] if isinstance(v, list) and k != "partial_unexpected_counts" else v
        for k, v in result.items()
    }


def _merge_suite(into: Any, other: Any, keep: int | None = None) -> None:
    if len(into.results) != len(other.results):
        raise ValueError(f"{into.suite_name}: chunks validated with different expectations")
    for mine, theirs in zip(into.results, other.results):
        mine.success = bool(mine.success and theirs.success)
        mine.result = _merge_result(mine.result or {}, theirs.result or {})
        if keep is not None:
            mine.result = _cut(mine.result, keep)
    into.success = all(r.success for r in into.results)
    evaluated = len(into.results)
    successful = sum(1 for r in into.results if r.success)
    into.statistics.update(
        {
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": successful / evaluated * 100 if evaluated else None,
        }
    )


def _merge_result(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif key in ("element_count", "missing_count", "unexpected_count"):
            out[key] = (out[key] or 0) + (value or 0)
        elif isinstance(value, list) and key != "partial_unexpected_counts":
            out[key] = [*out[key], *value]
    # GX's own arithmetic (count / total * 100), so that merged percentages equal one run's.
    for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if key in out:
            out[key] = out[key][:_PARTIAL]
    if "partial_unexpected_counts" in out and "unexpected_list" in out:
        out["partial_unexpected_counts"] = _value_counts(out["unexpected_list"])
    elements = out.get("element_count") or 0
    missing = out.get("missing_count") or 0
    unexpected = out.get("unexpected_count") or 0
    if "missing_percent" in out:
        out["missing_percent"] = missing / elements * 100 if elements else None
    if "unexpected_percent_total" in out:
        out["unexpected_percent_total"] = unexpected / elements * 100 if elements else None
    for key in ("unexpected_percent", "unexpected_percent_nonmissing"):
        if key in out:
            out[key] = unexpected / (elements - missing) * 100 if elements - missing else None
    return out


def _value_counts(values: list[Any]) -> list[dict[str, Any]]:
    """GX's partial_unexpected_counts: the commonest unexpected values, most frequent first."""
    counts = Counter(repr(v) for v in values)
    first: dict[str, Any] = {}
    for v in values:
        first.setdefault(repr(v), v)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_PARTIAL]
    return [{"value": first[k], "count": n} for k, n in ranked]
