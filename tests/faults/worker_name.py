"""Airflow's ``[core] hostname_callable`` for the test's Celery workers: each worker's own name.

Both workers of tests/test_deploy_native.py run on one machine, where the host name is the
same; ``XXGK_TEST_WORKER_NAME`` (set in each worker's environment) tells their task instances
apart, so the test can see that extraction ran on both.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("XXGK_TEST_WORKER_NAME") or socket.getfqdn()
