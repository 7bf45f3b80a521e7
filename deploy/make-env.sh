#!/usr/bin/env bash
# Write .env from .env.example with fresh random secrets (passwords, Fernet key, JWT secret).
#   deploy/make-env.sh [.env]       refuses to overwrite an existing file
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-$root/.env}"
if [ -e "$target" ]; then
    echo "$target exists; remove it first to make a new one" >&2
    exit 1
fi
python3 - "$root/.env.example" "$target" <<'PY'
import base64, os, secrets, sys
example, target = sys.argv[1], sys.argv[2]
def fresh(name):
    if name == "AIRFLOW_FERNET_KEY":       # Fernet: 32 random bytes, URL-safe base64
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_hex(24)          # hex: safe inside the database and broker URLs
lines = []
for line in open(example, encoding="utf-8").read().splitlines():
    name, eq, value = line.partition("=")
    if eq and not line.lstrip().startswith("#") and value == "" and name in {
            "POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD",
            "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY"}:
        line = f"{name}={fresh(name)}"
    elif line.startswith("AIRFLOW_UID="):
        line = f"AIRFLOW_UID={os.getuid() or 50000}"
    lines.append(line)
fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {target} (mode 600); the admin password is AIRFLOW_ADMIN_PASSWORD in it")
PY
