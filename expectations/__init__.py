"""The gate: Great Expectations suites generated from ``xxgk.template`` (``suites``), run on
pandas frames read from the build database (``gate``)."""

import logging

# GX logs its own import and context start-up at INFO, dozens of lines each time; the load's
# log should show the gate's verdict, not GX internals.  (Lower it again to debug GX.)
logging.getLogger("great_expectations").setLevel(logging.WARNING)
