"""The fields of the gate's Great Expectations checks, read with their types.

A suite holds its checks as the base class ``Expectation``, whose ``meta`` may be None and which
has no column fields.  The tests read the meta every gate check carries and the fields of the kind
of check they expect through these, which fail naming the check when it is not so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

E = TypeVar("E", bound=Expectation)


def meta_of(expectation: Expectation) -> dict[str, Any]:
    assert expectation.meta is not None, f"{expectation.expectation_type} has no meta"
    return expectation.meta


def as_kind(expectation: Expectation, kind: type[E]) -> E:
    assert isinstance(expectation, kind), f"{expectation.expectation_type} is not {kind.expectation_type}"
    return expectation


def sum_check(expectations: Iterable[Expectation]) -> gxe.ExpectMulticolumnSumToEqual:
    """An identity suite's ``sum(lhs) = sum(rhs)`` check."""
    found = next(e for e in expectations if meta_of(e)["check"] == "sum(lhs) = sum(rhs)")
    return as_kind(found, gxe.ExpectMulticolumnSumToEqual)
