"""Why a document could not be read at all (it then gets a ``rejected`` record)."""

from __future__ import annotations


class ReaderProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
