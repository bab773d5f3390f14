# Shared by scripts/demo and scripts/test: what a fresh machine needs, each step skipped when already done.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PAGEWIRE="$VENV/bin/pagewire"
export PAGEWIRE_HOME="${PAGEWIRE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pagewire}"
_APT_UPDATED=0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  # Debian packages, for machines where we may install them (root with apt-get); otherwise say what is missing.
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: $* (install these packages, then run again)" >&2
    return 1
  fi
  if [ "$_APT_UPDATED" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python() {
  local python
  python="$(command -v python3.11 || command -v python3 || true)"
  if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "pagewire needs Python 3.11 or newer (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.pagewire-installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing pagewire and its pinned dependencies into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[dev]"
    echo "$want" >"$stamp"
  fi
}

ensure_java() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  if [ ! -f "$PAGEWIRE_HOME/kafka-$(kafka_version)/libs/.complete" ]; then
    command -v mvn >/dev/null || apt_install maven
  fi
}

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/kafka/pom.xml"
}

# Starts the local broker unless one answers; BROKER_STARTED=1 when this script started it.
BROKER_STARTED=0
ensure_broker() {
  if "$PAGEWIRE" kafka status >/dev/null 2>&1; then
    say "kafka already running"
  else
    say "starting kafka (first run downloads it from Maven Central)"
    "$PAGEWIRE" kafka up >/dev/null
    BROKER_STARTED=1
  fi
}

# The tests' private PostgreSQL cluster: Debian's packaged server, data, socket, log and generated password
# under $PAGEWIRE_HOME/postgres, listening on 127.0.0.1:54329 only. Starts it unless it runs
# (POSTGRES_STARTED=1 when this script started it), creates pagewire_test, exports PAGEWIRE_TEST_POSTGRES_URL.
POSTGRES_STARTED=0
PG_PORT=54329
PG_DIR="$PAGEWIRE_HOME/postgres"
ensure_postgres() {
  local bin password
  bin="$(postgres_bin)"
  if [ -z "$bin" ]; then
    apt_install postgresql
    bin="$(postgres_bin)"
  fi
  mkdir -p "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [ ! -s "$PG_DIR/password" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$PG_DIR/password")
  fi
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR" "$PG_DIR/password"
    _postgres_can_reach "$PG_DIR"
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "creating the test PostgreSQL cluster in $PG_DIR"
    as_postgres "$bin/initdb" -D "$PG_DIR/data" -U pagewire --pwfile="$PG_DIR/password" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 --no-locale --encoding=UTF8 >/dev/null
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_DIR'" start >/dev/null
    POSTGRES_STARTED=1
  fi
  password="$(cat "$PG_DIR/password")"
  if [ -z "$(PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U pagewire -d postgres -tAq \
    -c "SELECT 1 FROM pg_database WHERE datname = 'pagewire_test'")" ]; then
    PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U pagewire pagewire_test
  fi
  export PAGEWIRE_TEST_POSTGRES_URL="postgresql://pagewire:$password@127.0.0.1:$PG_PORT/pagewire_test"
}

stop_postgres() {
  as_postgres "$(postgres_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
}

postgres_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  done
}

as_postgres() {
  # the server refuses to run as root; from / because the postgres user may not enter the caller's directory
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

_postgres_can_reach() {
  # PAGEWIRE_HOME usually sits under /root (mode 700): let only the postgres user through, with an ACL,
  # walking down from / because a directory is reachable only once its parents are
  local dir="" part
  local -a parts
  IFS=/ read -r -a parts <<<"${1#/}"
  for part in "${parts[@]}"; do
    dir="$dir/$part"
    if ! runuser -u postgres -- test -x "$dir"; then
      command -v setfacl >/dev/null || apt_install acl
      say "letting the postgres user traverse $dir (ACL u:postgres:x)"
      setfacl -m u:postgres:x "$dir"
    fi
  done
}

# prometheus and promtool (Debian's package) for the deploy/ checks and the tests that scrape pagewire with a
# real Prometheus; the tests start their own server, so the package's system service is kept from starting.
ensure_prometheus() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then return 0; fi
  local policy=/usr/sbin/policy-rc.d added=0 status=0
  if [ "$(id -u)" = 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
  fi
  apt_install prometheus || status=$?
  if [ "$added" = 1 ]; then rm -f "$policy"; fi
  return "$status"
}
