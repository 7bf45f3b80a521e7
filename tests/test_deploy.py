"""The production deployment's files: docker-compose.yml, .env.example, deploy/.

``docker-compose -f docker-compose.yml config -q`` validates the compose file without a Docker
engine (scripts/test installs Debian's docker-compose).  The services themselves run natively in
test_deploy_native.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE = PROJECT / "docker-compose.yml"
EXAMPLE = PROJECT / ".env.example"
SECRETS = (
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
)
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}


@pytest.fixture
def needs_compose() -> None:
    if shutil.which("docker-compose") is None:
        missing = "docker-compose is not installed (apt-get install docker-compose; scripts/test does)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs it: there the check must run
        pytest.skip(missing)


def example_values() -> dict[str, str]:
    values = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def env_file(tmp_path: Path, **override: str) -> Path:
    lines = [f"{k}={v}" for k, v in {**example_values(), **override}.items()]
    path = tmp_path / "env"
    path.write_text("\n".join(lines) + "\n")
    return path


def compose(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # --env-file: a developer's own .env must not decide the test.
    clean = {k: v for k, v in os.environ.items() if k not in example_values()}
    return subprocess.run(
        ["docker-compose", "--env-file", str(env), "-f", str(COMPOSE), *args],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def filled(tmp_path: Path) -> Path:
    return env_file(tmp_path, **{name: f"test-{name.lower()}" for name in SECRETS})


def test_env_example_commits_no_secret() -> None:
    values = example_values()
    for name in SECRETS:
        assert values.get(name) == "", f"{name} must be empty in .env.example"


@pytest.mark.usefixtures("needs_compose")
def test_compose_file_is_valid(tmp_path: Path) -> None:
    result = compose(filled(tmp_path), "config", "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.usefixtures("needs_compose")
def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    result = compose(env_file(tmp_path), "config", "-q")
    assert result.returncode != 0
    assert re.search(r"set \w+ in \.env", result.stderr), result.stderr


@pytest.mark.usefixtures("needs_compose")
def test_compose_services(tmp_path: Path) -> None:
    result = compose(filled(tmp_path), "config")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis"} <= set(services)
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-scheduler"] in ("scheduler", ["scheduler"])
    assert commands["airflow-dag-processor"] in ("dag-processor", ["dag-processor"])
    assert commands["airflow-triggerer"] in ("triggerer", ["triggerer"])
    assert commands["airflow-worker"] in ("celery worker", ["celery", "worker"])

    for name in AIRFLOW_SERVICES:
        service = services[name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "test-airflow_jwt_secret"
        assert env["XXGK_WAREHOUSE_DIR"] == "/data/warehouse"
        targets = {v.split(":")[1] if isinstance(v, str) else v["target"] for v in service["volumes"]}
        assert {"/data/inbox", "/data/warehouse"} <= targets
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"

    # Workers scale with --scale airflow-worker=N: no fixed name, no host port.
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker
    # The API listens on the host's loopback unless AIRFLOW_API_BIND says otherwise.
    [port] = services["airflow-apiserver"]["ports"]
    assert port.startswith("127.0.0.1:") if isinstance(port, str) else port.get("host_ip") == "127.0.0.1"


@pytest.mark.usefixtures("needs_compose")
def test_make_env_writes_a_valid_env_with_fresh_secrets(tmp_path: Path) -> None:
    target = tmp_path / "env"
    made = subprocess.run(
        ["bash", str(PROJECT / "deploy" / "make-env.sh"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    values = dict(
        line.split("=", 1) for line in target.read_text().splitlines() if line and not line.startswith("#")
    )
    assert all(len(values[name]) >= 32 for name in SECRETS)
    assert len(set(values[name] for name in SECRETS)) == len(SECRETS)
    result = compose(target, "config", "-q")
    assert result.returncode == 0, result.stderr
    again = subprocess.run(
        ["bash", str(PROJECT / "deploy" / "make-env.sh"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode != 0  # never overwrites


def test_the_image_is_airflow_of_the_lock() -> None:
    dockerfile = (PROJECT / "deploy" / "Dockerfile").read_text()
    lock = (PROJECT / "requirements.lock").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", lock, re.M)
    assert pinned is not None, "apache-airflow is not pinned in requirements.lock"
    version = pinned.group(1)
    assert f"apache/airflow:{version}-python3.11" in dockerfile
    for needed in ("apache-airflow-providers-celery", "apache-airflow-providers-postgres", "psycopg2-binary"):
        assert re.search(rf"^{needed}==", lock, re.M), f"{needed} is not pinned"
    assert "requirements.lock" in dockerfile


def test_ci_installs_what_the_deployment_tests_need() -> None:
    setup = (PROJECT / "scripts" / "_setup.sh").read_text()
    [packages] = re.findall(r"^TEST_DEBIAN_PACKAGES=\((.*)\)$", setup, re.M)
    assert {"postgresql", "docker-compose"} <= set(packages.split())
    assert (PROJECT / ".ci" / "run").read_text().strip().endswith("scripts/test")


def _ignored(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_the_image_build_never_sees_the_secrets() -> None:
    # Both builders: the legacy one reads the root file, BuildKit the Dockerfile's own.
    root = _ignored(PROJECT / ".dockerignore")
    assert root == _ignored(PROJECT / "deploy" / "Dockerfile.dockerignore")
    assert {".env", ".env.*", ".git", ".venv", "data"} <= set(root)
    assert "!.env.example" in root


@pytest.mark.usefixtures("needs_compose")
def test_the_redis_password_is_on_no_command_line(tmp_path: Path) -> None:
    result = compose(filled(tmp_path), "config")
    assert result.returncode == 0, result.stderr
    redis = yaml.safe_load(result.stdout)["services"]["redis"]
    secret = "test-redis_password"
    assert secret not in " ".join(redis["command"])
    assert secret not in " ".join(redis["healthcheck"]["test"])
    assert redis["environment"]["REDISCLI_AUTH"] == secret
    # The server gets it from the config file written at start.
    assert "requirepass" in redis["command"][-1] and "redis-server /tmp/redis.conf" in redis["command"][-1]
