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
  if ! pg_reachable "$DLEDGER_TEST_PG_URL"; then start_postgres; fi
  ensure_app_role
}

# The console's role for the tests (ledger/roles.py): LOGIN and nothing else, cluster-wide;
# each test database grants it its rights (`dledger db grant`). Its URL is exported as
# DLEDGER_TEST_PG_APP_URL. Under CI=true a role that cannot be made or reached fails the run.
ensure_app_role() {
  local role=dledger_app password=""
  if [ -z "${DLEDGER_TEST_PG_APP_URL:-}" ]; then
    case "$DLEDGER_TEST_PG_URL" in
      # Debian's own cluster: peer authentication on the socket, passwords over TCP.
      *host=/*) password=$(.venv/bin/python -c "import secrets; print(secrets.token_hex(16))") ;;
    esac
    DLEDGER_TEST_PG_APP_URL=$(.venv/bin/python - "$DLEDGER_TEST_PG_URL" "$role" "$password" <<'PY'
import sys
from sqlalchemy.engine import make_url
from ledger.roles import ensure_role
from ledger.store import open_engine
owner, role, password = sys.argv[1], sys.argv[2], sys.argv[3] or None
engine = open_engine(owner)
with engine.begin() as conn:
    ensure_role(conn, role, password)
url = make_url(owner).set(username=role, password=password)
if password:
    url = url.set(host="127.0.0.1", port=5432, query={})
print(url.render_as_string(hide_password=False))
PY
    ) || DLEDGER_TEST_PG_APP_URL=""
  fi
  if [ -n "$DLEDGER_TEST_PG_APP_URL" ] && pg_reachable "$DLEDGER_TEST_PG_APP_URL"; then
    export DLEDGER_TEST_PG_APP_URL
    return 0
  fi
  echo "test: the application role $role cannot log in to PostgreSQL" \
       "(DLEDGER_TEST_PG_APP_URL=${DLEDGER_TEST_PG_APP_URL:-unset})" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  unset DLEDGER_TEST_PG_APP_URL
}

start_postgres() {
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
