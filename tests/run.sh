#!/usr/bin/env bash
# The test command (README): installs forumlive with its test extras into .venv,
# makes sure PostgreSQL and Redis answer, then runs ruff and the whole suite
# twice: on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

PG_URL=${FORUMLIVE_TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test}
export FORUMLIVE_TEST_POSTGRES_URL=$PG_URL
pg_ok() { .venv/bin/python - "$PG_URL" <<'PYEOF'
import asyncio, sys
import asyncpg
url = sys.argv[1].replace("postgresql+asyncpg://", "postgresql://")
async def main() -> None:
    conn = await asyncpg.connect(url, timeout=3)
    await conn.close()
try:
    asyncio.run(main())
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
}
if ! pg_ok; then
  if command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  fi
  if ! pg_ok; then
    cat >&2 <<'MSG'
The suite also runs on PostgreSQL. Install and start it, e.g. on Debian/Ubuntu:
  sudo apt-get install postgresql && sudo pg_ctlcluster 15 main start
and allow local trust logins to a database `test` (or point
FORUMLIVE_TEST_POSTGRES_URL=postgresql+asyncpg://USER:PASS@HOST:PORT/DB at one you own).
MSG
    exit 1
  fi
fi

if ! command -v redis-server >/dev/null; then
  echo "The suite starts its own redis-server processes: install it (apt-get install redis-server)." >&2
  exit 1
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Known vulnerabilities in the installed dependencies (docs/security.md). Where no advisory
# service is reachable it says BLOCKED; tests/security/test_dependencies.py holds the pins.
.venv/bin/python tests/security/pip_audit_gate.py

status=0
for db in sqlite postgresql; do
  echo "=== test suite on $db ==="
  FORUMLIVE_TEST_DB=$db .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=$?
done
exit $status
