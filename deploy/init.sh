#!/usr/bin/env bash
# One-off set-up of an Airflow metadata database for xxgk, before the services start
# (docker-compose's airflow-init, and tests/test_deploy_native.py): create or upgrade the
# schema, then create the pool that keeps one writer on the DuckDB build database.
# Running it again changes nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# In the container, as root: the warehouse and the logs belong to the Airflow user.
if [ "$(id -u)" = 0 ] && [ -n "${AIRFLOW_UID:-}" ]; then
    for dir in "${XXGK_WAREHOUSE_DIR:-}" "${AIRFLOW_HOME:-/opt/airflow}/logs"; do
        if [ -n "$dir" ]; then
            mkdir -p "$dir"
            chown -R "${AIRFLOW_UID}:0" "$dir"
        fi
    done
fi

airflow db migrate
airflow pools import "$here/pools.json"
airflow pools get xxgk_duckdb_writer
