"""The extractor's version, written into every record.

Bump it whenever a change can alter what a document reads as: a load
re-extracts every document whose record names an older version.
"""

EXTRACTOR_VERSION = "2.2.0"
