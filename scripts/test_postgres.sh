#!/usr/bin/env bash
# Start the local PostgreSQL cluster (Debian's `postgresql` package) and create the role and database the
# storage tests use. Idempotent. Prints the URL the tests read from EXTRACTOR_TEST_POSTGRES_URL (the same URL
# is their default, so `make test` needs no export). Needs root; without it, says so and exits 0.
set -euo pipefail
ROLE="${EXTRACTOR_TEST_PG_ROLE:-extractor_test}"
DB="${EXTRACTOR_TEST_PG_DB:-extractor_test}"

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "test_postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test_postgres: not root; start PostgreSQL yourself and export EXTRACTOR_TEST_POSTGRES_URL" >&2; exit 0
fi
read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters -h | head -n1) || true
if [ -z "${VERSION:-}" ]; then
  VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
  pg_createcluster "$VERSION" main >/dev/null
  read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters -h | head -n1)
fi
if [ "$STATUS" != "online" ]; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
as_pg() { runuser -u postgres -- "$@"; }
for _ in $(seq 1 30); do as_pg psql -p "$PORT" -tAc "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
if [ "$(as_pg psql -p "$PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" != "1" ]; then
  # CREATEDB: each test session makes its own throw-away database, so parallel runs never collide.
  as_pg psql -p "$PORT" -qc "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE'"
fi
if [ "$(as_pg psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
  as_pg psql -p "$PORT" -qc "CREATE DATABASE $DB OWNER $ROLE"
fi
# Throw-away test databases a test could not drop (an autovacuum worker held them) are dropped here, as the
# superuser, whose FORCE may end any session.
for leftover in $(as_pg psql -p "$PORT" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'extractor\_t\_%'"); do
  as_pg psql -p "$PORT" -qc "DROP DATABASE IF EXISTS \"$leftover\" WITH (FORCE)" || true
done
echo "postgresql+psycopg://$ROLE:$ROLE@127.0.0.1:$PORT/$DB"
