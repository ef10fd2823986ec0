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

# The programs the tests run for real (Debian package names).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x "${FORUMLIVE_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "The suite runs these for real; install them first: apt-get install ${missing[*]}" >&2
  exit 1
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Known vulnerabilities in the installed dependencies (docs/security.md). Where no advisory
# service is reachable it says BLOCKED; tests/security/test_dependencies.py holds the pins.
.venv/bin/python tests/security/pip_audit_gate.py

# The protocol tests run the official JavaScript client: its pinned copy is installed once
# here, before the passes that both use it.
if [ ! -d tests/live/js/node_modules/socket.io-client ]; then
  (cd tests/live/js && npm ci --no-audit --no-fund >/dev/null)
fi

# Processes the tests start (`forumlive ...`) come from this venv, not from another install.
export PATH="$PWD/.venv/bin:$PATH"
# The second pass runs what reaches the database again, on PostgreSQL; the rest (pure
# logic, the cluster tests that always use PostgreSQL, the browser scenarios) ran in the first.
# The two passes share nothing (private redis-servers and databases, their own temp
# folders), so they run side by side unless FORUMLIVE_TEST_SERIAL=1.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sqlite_pass() {
  FORUMLIVE_TEST_DB=sqlite .venv/bin/python -m pytest -q -p no:cacheprovider \
    --basetemp="$work/sqlite" "$@"
}
postgresql_pass() {
  FORUMLIVE_TEST_DB=postgresql .venv/bin/python -m pytest -q -p no:cacheprovider \
    --basetemp="$work/postgresql" --database-tests-only "$@"
}
status=0
if [ "${FORUMLIVE_TEST_SERIAL:-0}" = 1 ]; then
  echo "=== test suite on sqlite ==="
  sqlite_pass "$@" || status=$?
  echo "=== test suite on postgresql (the tests that reach the database) ==="
  postgresql_pass "$@" || status=$?
  exit $status
fi
echo "=== test suite on sqlite and on postgresql, side by side (output below when done) ==="
sqlite_pass "$@" >"$work/sqlite.log" 2>&1 &
first=$!
postgresql_pass "$@" >"$work/postgresql.log" 2>&1 &
second=$!
wait $first || status=$?
wait $second || status=$?
echo "=== test suite on sqlite ==="
cat "$work/sqlite.log"
echo "=== test suite on postgresql (the tests that reach the database) ==="
cat "$work/postgresql.log"
exit $status
