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
