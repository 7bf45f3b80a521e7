#!/usr/bin/env bash
# Start Airflow's API server with the simple auth manager's password taken from the environment
# (AIRFLOW_ADMIN_USER / AIRFLOW_ADMIN_PASSWORD, from .env) rather than generated and printed.
# Any further arguments go to `airflow api-server`.
set -euo pipefail
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD (see .env.example)}"
user="${AIRFLOW_ADMIN_USER:-admin}"
file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-${AIRFLOW_HOME:-/opt/airflow}/simple_auth_manager_passwords.json.generated}"
mkdir -p "$(dirname "$file")"
umask 077
python - "$file" "$user" <<'PY'
import json, os, sys
path, user = sys.argv[1], sys.argv[2]
with open(path, "w", encoding="utf-8") as f:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, f)
PY
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-$user:admin}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$file"
exec airflow api-server "$@"
