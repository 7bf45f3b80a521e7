"""The production deployment's services, run natively: what docker-compose.yml starts, minus Docker.

PostgreSQL (a private server in a temporary folder, on a free port of 127.0.0.1) holds Airflow's
metadata and redis-server (the same, without persistence) is the Celery broker; ``deploy/init.sh``
migrates the database and creates the ``xxgk_duckdb_writer`` pool; the api-server (through
``deploy/api-server.sh``, which sets the admin password), the scheduler (CeleryExecutor, as in
docker-compose.yml), the dag-processor and two Celery workers (``airflow celery worker``, one
task at a time each) run as separate processes, as the compose services do.  The extraction
batches run on both workers (each names itself through ``tests/faults/worker_name.py``).  The test drives them only through the REST API, as an operator would: a JWT from
``/auth/token``, unpause, trigger one year over the sample reports, poll.

One extraction batch is killed once (``XXGK_TEST_CRASH_ONCE=<flag>:exit`` ends the task's process
like a dead worker): the scheduler retries it and the run publishes every report.  Then the
completed run is cleared and runs again: the marts do not change and nothing is staged twice.

Every process the test started is stopped by PID, its children too, and PostgreSQL is shut down.
Skipped only when PostgreSQL's server binaries or redis-server are missing (scripts/test installs
them; under CI=true their absence fails the test instead).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest
from faults import crash_once
from test_dag import marts_fingerprint

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLES = PROJECT / "samples" / "inbox"
DAG_ID = "xxgk_yearly_load"
RUN_TIMEOUT = 360  # seconds for one DAG run
WORKERS = ("xxgk-worker-1", "xxgk-worker-2")  # the Celery workers


# ------------------------------------------------------------------ processes


@dataclass
class Services:
    """The processes this test started, stopped by PID with all their children."""

    logs: Path
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.started.append((name, proc))
        return proc

    def check_alive(self) -> None:
        for name, proc in self.started:
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def stop(self) -> None:
        for _, proc in reversed(self.started):
            stop_tree(proc.pid)
            proc.wait(timeout=30)


def stop_tree(pid: int, timeout: float = 20) -> None:
    """SIGTERM a process and every descendant, by PID; SIGKILL what is left after ``timeout``."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    # Collected before the parent goes, so children re-parented on its exit are not lost.
    tree = [root, *root.children(recursive=True)]
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(tree, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ------------------------------------------------------------------ PostgreSQL


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


@dataclass
class Postgres:
    bindir: Path
    root: Path
    port: int
    user: str = "xxgk"
    password: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        # The server refuses to run as root: as root, run it as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"

    def start(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        import psycopg2

        con = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname="postgres"
        )
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("create database airflow")
        con.close()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/airflow"


# ------------------------------------------------------------------ Redis (the Celery broker)


def start_redis(services: Services, root: Path, port: int, env: dict[str, str]) -> str:
    """A private redis-server on 127.0.0.1:``port``, nothing saved to disk; its broker URL."""
    root.mkdir()
    services.start(
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(root),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        env,
    )
    wait_for("redis-server", lambda: _redis_pong(port), 30, services, step=0.2)
    return f"redis://127.0.0.1:{port}/0"


def _redis_pong(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")


# ------------------------------------------------------------------ REST API


@dataclass
class Api:
    base: str
    token: str = ""

    def call(
        self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,), auth: bool = True
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        if status not in expect:
            raise AssertionError(f"{method} {path}: HTTP {status}: {text[:2000]}")
        return json.loads(text) if text else None

    def login(self, username: str, password: str) -> None:
        reply = self.call(
            "POST", "/auth/token", {"username": username, "password": password}, expect=(200, 201), auth=False
        )
        self.token = reply["access_token"]


# ------------------------------------------------------------------ the deployment


@dataclass
class Deployment:
    api: Api
    services: Services
    warehouse: Path
    inbox_root: Path
    crash_flag: Path


def clean_environ() -> dict[str, str]:
    """This process's environment without Airflow or xxgk settings, which would leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XXGK_", "_AIRFLOW"))}


def wait_for(what: str, probe: Any, timeout: float, services: Services, step: float = 1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        services.check_alive()
        try:
            value = probe()
        except (OSError, AssertionError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    bindir = postgres_bindir()
    if bindir is None:
        missing = (
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: "
            "apt-get install postgresql (scripts/test installs it)"
        )
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs them: there the test must run
        pytest.skip(missing)
    if shutil.which("redis-server") is None:
        missing = "redis-server is not installed: apt-get install redis-server (scripts/test installs it)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root needs runuser to start PostgreSQL as the postgres user")

    # Not pytest's tmp_path: its parents are private to root, and PostgreSQL runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="xxgk-deploy-"))
    root.chmod(0o711)  # PostgreSQL, as user postgres, must reach pg/ inside it
    pg_root = root / "pg"
    pg_root.mkdir()
    logs = root / "logs"
    logs.mkdir()
    postgres = Postgres(bindir=bindir, root=pg_root, port=free_port())
    services = Services(logs=logs)
    try:
        postgres.start()
        home = root / "airflow"
        home.mkdir()
        port = free_port()
        inbox_root = root / "inbox"
        (inbox_root / "2023").mkdir(parents=True)
        for document in SAMPLES.iterdir():
            shutil.copy2(document, inbox_root / "2023" / document.name)
        admin_password = secrets.token_hex(12)
        broker = start_redis(services, root / "redis", free_port(), clean_environ())
        env = {
            **clean_environ(),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + postgres.url.replace("+psycopg2", ""),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(24),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # No scheduled run on unpausing: the test triggers the only run, as an operator.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW_ADMIN_USER": "xxgk",
            "AIRFLOW_ADMIN_PASSWORD": admin_password,
            "XXGK_WAREHOUSE_DIR": str(root / "warehouse"),
            "XXGK_BATCH_SIZE": "3",  # 9 samples -> 3 mapped extraction tasks
            "XXGK_RETRY_DELAY_SECONDS": "2",
            "XXGK_TEST_CRASH_ONCE": f"{root / 'crash.flag'}:exit",
            # Each batch holds its worker for a while, so the three overlap and the second
            # worker takes one whichever worker the broker hands the first to.
            "XXGK_TEST_BATCH_DELAY_S": "15",
        }
        # The kill comes from the tests' own fault injection (tests/faults), not the product.
        env["PYTHONPATH"] = crash_once.pythonpath(env.get("PYTHONPATH"))
        init = subprocess.run(
            ["bash", str(PROJECT / "deploy" / "init.sh")],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]

        services.start(
            "api-server",
            ["bash", str(PROJECT / "deploy" / "api-server.sh"), "--host", "127.0.0.1", "--port", str(port)],
            env,
        )
        services.start("scheduler", ["airflow", "scheduler", "--skip-serve-logs"], env)
        services.start("dag-processor", ["airflow", "dag-processor"], env)
        for name in WORKERS:
            services.start(
                name,
                ["airflow", "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "1"]
                + ["--skip-serve-logs"],
                {
                    **env,
                    "XXGK_TEST_WORKER_NAME": name,
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_name.hostname",
                },
            )

        api = Api(f"http://127.0.0.1:{port}")
        wait_for(
            "the api-server", lambda: api.call("GET", "/api/v2/monitor/health", auth=False), 120, services
        )
        api.login("xxgk", admin_password)
        for name in WORKERS:
            # Both workers take tasks before the run is triggered, so the batches spread.
            wait_for(
                f"Celery worker {name}", lambda n=name: " ready." in services.tail(n, 20000), 180, services
            )
        yield Deployment(
            api=api,
            services=services,
            warehouse=root / "warehouse",
            inbox_root=inbox_root,
            crash_flag=root / "crash.flag",
        )
    except BaseException:
        for name, _ in services.started:
            print(f"----- {name}\n{services.tail(name)}", file=sys.stderr)
        raise
    finally:
        services.stop()
        postgres.stop()
        if os.environ.get("XXGK_KEEP_TEST_DIRS"):
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ helpers


def wait_for_run(deployment: Deployment, run_id: str) -> dict[str, Any]:
    api = deployment.api
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}"
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        deployment.services.check_alive()
        run: dict[str, Any] = api.call("GET", path)
        if run["state"] in ("success", "failed"):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(3)
    if run["state"] != "success":
        tis = task_instances(deployment, run_id)
        summary = [(t["task_id"], t["map_index"], t["state"], t["try_number"]) for t in tis]
        raise AssertionError(
            f"run {run_id} is {run['state']} after waiting; tasks {summary}\n"
            f"scheduler:\n{deployment.services.tail('scheduler')}"
        )
    return run


def task_instances(deployment: Deployment, run_id: str) -> list[dict[str, Any]]:
    reply = deployment.api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100")
    instances: list[dict[str, Any]] = reply["task_instances"]
    return instances


# ------------------------------------------------------------------ the test


def test_services_load_a_year_through_the_rest_api_and_survive_a_crash(deployment: Deployment) -> None:
    api = deployment.api
    dag = wait_for(
        "the dag-processor to parse the DAG",
        lambda: api.call("GET", f"/api/v2/dags/{DAG_ID}"),
        180,
        deployment.services,
    )
    errors = api.call("GET", "/api/v2/importErrors")
    assert errors["total_entries"] == 0, errors
    assert dag["is_paused"] is True
    pool = api.call("GET", "/api/v2/pools/xxgk_duckdb_writer")
    assert pool["slots"] == 1

    api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    run = api.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {
            "logical_date": None,
            "conf": {"year": 2023, "inbox_root": str(deployment.inbox_root), "inbox": "/nowhere"},
        },
    )
    run_id = run["dag_run_id"]
    wait_for_run(deployment, run_id)

    tis = task_instances(deployment, run_id)
    assert {t["state"] for t in tis} == {"success"}
    extracts = sorted((t["map_index"], t["try_number"]) for t in tis if t["task_id"] == "extract")
    assert [i for i, _ in extracts] == [0, 1, 2]  # 9 documents in batches of 3
    assert sorted(n for _, n in extracts) == [1, 1, 2]  # the killed batch ran again
    # The Celery workers shared the extraction batches.
    assert {t["hostname"] for t in tis if t["task_id"] == "extract"} == set(WORKERS)
    assert deployment.crash_flag.exists()
    assert {
        t["pool"]
        for t in tis
        if t["task_id"] in {"load", "transform_staging", "gate", "transform_marts", "publish"}
    } == {"xxgk_duckdb_writer"}

    published = deployment.warehouse / "xxgk.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select count(*) from marts.dim_report").fetchone() == (9,)
        assert con.execute(
            "select a.value from marts.fct_applications a join marts.dim_report r "
            "using (document_id) where r.printed_body_name = '平潭综合实验区' and r.report_year = 2023 "
            "and a.row_code = 'new_received' and a.col_code = 'total'"
        ).fetchall() == [(81,)]
        # The documents came from <inbox_root>/<year>.
        sources = {
            Path(r[0]).parent for r in con.execute("select source_path from marts.dim_report").fetchall()
        }
        assert sources == {deployment.inbox_root / "2023"}
    finally:
        con.close()
    before = marts_fingerprint(published)

    # Run the completed run again: every task, from discover to publish.
    api.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
        {"dag_run_id": run_id, "dry_run": False, "only_failed": False, "reset_dag_runs": True},
    )
    wait_for_run(deployment, run_id)
    tis = task_instances(deployment, run_id)
    assert {t["state"] for t in tis} == {"success"}
    assert [t["try_number"] for t in tis if t["task_id"] == "publish"] == [2]

    assert marts_fingerprint(published) == before
    build = duckdb.connect(str(deployment.warehouse / "build" / "xxgk_build.duckdb"), read_only=True)
    try:
        assert build.execute(
            "select count(*), count(distinct document_id) from staging.documents"
        ).fetchone() == (9, 9)
    finally:
        build.close()
    assert len(list((deployment.warehouse / "records").glob("*.json"))) == 9
