# Shared set-up for scripts/demo and scripts/test (sourced, not run).
#
# Idempotent and quick when nothing changed: the virtual environment is
# created only when missing, and the pinned packages are installed only when
# requirements.lock or pyproject.toml changed since the last install (a stamp
# file in .venv holds their hash).  Needs Python 3.11; on Debian it installs
# python3.11 / python3.11-venv with apt-get when they are missing.

XXGK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$XXGK_ROOT/.venv"
PYTHON="${XXGK_PYTHON:-python3.11}"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else say "need root to run: $*"; return 1
    fi
}

apt_install() {
    say "installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python() {
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        apt_install python3.11 python3.11-venv
    fi
    # Debian ships venv's pip bootstrap (ensurepip) in a separate package.
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        apt_install python3.11-venv
    fi
}

# Debian packages the tests need besides Python 3.11; scripts/test installs the missing ones with
# apt-get.  postgresql: tests/test_deploy_native.py runs Airflow's services on a PostgreSQL
# metadata DB; docker-compose: tests/test_deploy.py validates docker-compose.yml (no engine needed);
# fonts-wqy-microhei: the generated test PDFs; libreoffice-writer-nogui: reading old Word (.doc);
# chromium: tests/test_offices.py and tests/test_analyst_questions.py render pages headless (nothing
# fetched from outside); redis-server: the Celery broker of tests/test_deploy_native.py.
TEST_DEBIAN_PACKAGES=(postgresql docker-compose fonts-wqy-microhei libreoffice-writer-nogui chromium redis-server)

ensure_debian_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

setup_venv() {
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
        ensure_python
        say "creating $VENV with $PYTHON"
        "$PYTHON" -m venv --clear "$VENV"
    fi
    local stamp="$VENV/.xxgk-installed" want
    want="$(cat "$XXGK_ROOT/requirements.lock" "$XXGK_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing the pinned packages of requirements.lock (a few minutes the first time)"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$XXGK_ROOT/requirements.lock" -e "$XXGK_ROOT[test]"
        echo "$want" >"$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

# Airflow keeps its state (SQLite metadata, logs, airflow.cfg) in the ignored
# .airflow/ of the project and reads the DAGs from dags/.
airflow_env() {
    export AIRFLOW_HOME="$XXGK_ROOT/.airflow"
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
    export AIRFLOW__CORE__DAGS_FOLDER="$XXGK_ROOT/dags"
    export AIRFLOW__CORE__LOAD_EXAMPLES=False
    export AIRFLOW__CORE__PARALLELISM=4
    mkdir -p "$AIRFLOW_HOME"
}

airflow_migrate() {
    # Migrating an up-to-date database is a no-op, but it costs Airflow's start-up;
    # the stamp skips it until the Airflow version changes.
    local stamp="$AIRFLOW_HOME/.migrated" want
    want="$(airflow version 2>/dev/null | tail -1) pools $(sha256sum "$XXGK_ROOT/deploy/pools.json" | cut -c1-16)"
    if [ ! -f "$AIRFLOW_HOME/airflow.db" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "creating Airflow's metadata database in $AIRFLOW_HOME"
        airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 \
            || { tail -30 "$AIRFLOW_HOME/db-migrate.log" >&2; return 1; }
        # The pool that keeps one writer on the DuckDB build DB (a scheduler waits for it).
        airflow pools import "$XXGK_ROOT/deploy/pools.json" >>"$AIRFLOW_HOME/db-migrate.log" 2>&1 \
            || { tail -30 "$AIRFLOW_HOME/db-migrate.log" >&2; return 1; }
        echo "$want" >"$stamp"
    fi
}
