"""Extractors: turn one document (any format) into one report record."""

from extractors.dispatch import extract_path
from extractors.version import EXTRACTOR_VERSION

__all__ = ["EXTRACTOR_VERSION", "extract_path"]
