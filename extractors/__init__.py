"""Extractors: turn one document (any format) into one report record."""

from extractors.dispatch import extract_path

__all__ = ["extract_path"]
