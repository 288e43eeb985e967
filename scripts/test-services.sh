# Sourced by scripts/test: makes sure the services the tests talk to are there.

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_reachable() {
  .venv/bin/python - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
psycopg.connect(url, connect_timeout=3).close()
PY
}

ensure_postgres() {
  export DLEDGER_TEST_PG_URL="${DLEDGER_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
  pg_reachable "$DLEDGER_TEST_PG_URL" && return 0
  echo "test: PostgreSQL not reachable at $DLEDGER_TEST_PG_URL; installing and starting Debian's"
  if ! command -v pg_ctlcluster >/dev/null; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n1)" main start || true
  as_root su postgres -c "psql -qc \"DO \\\$\\\$BEGIN CREATE ROLE \\\"$(id -un)\\\" SUPERUSER LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\\\$\\\$\"" 
  as_root su postgres -c "createdb test" 2>/dev/null || true
  export DLEDGER_TEST_PG_URL="postgresql+psycopg://$(id -un)@/test?host=/var/run/postgresql"
  pg_reachable "$DLEDGER_TEST_PG_URL" || { echo "test: PostgreSQL still unreachable at $DLEDGER_TEST_PG_URL" >&2; exit 1; }
}
