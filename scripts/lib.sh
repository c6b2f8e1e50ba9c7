# Shared helpers of scripts/up and scripts/test. Sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the desktop need.
PACKAGES=(
  build-essential pkg-config curl file ca-certificates
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  postgresql postgresql-contrib
  xvfb xauth webkit2gtk-driver dbus-x11 keyutils imagemagick x11-apps xdotool
  python3-venv faketime
  desktop-file-utils systemd dpkg-dev adduser   # scripts/package and tests/packaging
)

ensure_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs) first"
}

ensure_ui_deps() {
  if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
    say "installing the UI's npm packages (npm ci)"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_ui() {
  say "building the UI"
  (cd "$ROOT/ui" && npm run build --silent)
}

# tauri-driver bridges WebDriver to WebKitWebDriver for the desktop's end-to-end tests.
ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver (cargo install)"
    cargo install tauri-driver --locked --quiet
  fi
}

CARGO_DEB_VERSION=3.8.0
# cargo-deb builds the server's Debian package (scripts/package).
ensure_cargo_deb() {
  if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    say "installing cargo-deb $CARGO_DEB_VERSION (cargo install)"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet
  fi
}

CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
  if ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
    say "installing cargo-deny $CARGO_DENY_VERSION (cargo install)"
    cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --quiet
  fi
}

# Checks the dependency policy in deny.toml. The advisory check needs the RustSec database from
# GitHub: it runs (and fails on any unexplained advisory) wherever GitHub answers, and is
# reported as skipped where it does not, so an unreachable host never passes for "no advisories".
check_dependencies() {
  ensure_cargo_deny
  cargo deny --locked check licenses bans sources
  if timeout 15 git ls-remote -q https://github.com/RustSec/advisory-db HEAD >/dev/null 2>&1; then
    cargo deny --locked check advisories
  else
    say "SKIPPED: known-vulnerability check (cargo deny check advisories): the RustSec database on GitHub is unreachable from here"
  fi
  local audit
  if audit=$(cd "$ROOT/ui" && npm audit --omit=dev 2>&1); then
    say "npm audit: no known vulnerabilities in the UI's runtime packages"
  elif grep -q "audit endpoint returned an error" <<<"$audit"; then
    say "SKIPPED: npm audit: the registry here does not serve the advisory endpoint"
  else
    echo "$audit"
    die "npm audit found known vulnerabilities in the UI's runtime packages"
  fi
}

# The PostgreSQL server binaries of the installed version.
pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL binaries not found (apt-get install postgresql)"
  echo "$d"
}

# Runs a PostgreSQL binary; as root, as the postgres user (PostgreSQL refuses root).
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A private cluster for `scripts/up`, kept under .run/pg (or /var/tmp when the postgres user
# cannot reach the checkout, e.g. under /root).
PG_PORT="${MEDOFFICE_PG_PORT:-54329}"
pg_dir() {
  local d="$RUN_DIR/pg"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
    d="/var/tmp/medoffice-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
  fi
  echo "$d"
}

pg_start() {
  local bin dir
  bin=$(pg_bin)
  dir=$(pg_dir)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "creating a private PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    pg_run "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  fi
  if ! pg_run "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/medoffice"
  if ! pg_run "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'medoffice'" postgres | grep -q 1; then
    pg_run "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres medoffice
  fi
}

pg_stop() {
  local bin dir
  bin=$(pg_bin)
  dir=$(pg_dir)
  [ -f "$dir/data/PG_VERSION" ] && pg_run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# The signing key of the local server: random, kept in a file only the owner can read.
jwt_secret() {
  local f="$RUN_DIR/jwt-secret"
  if [ ! -s "$f" ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' > "$f")
  fi
  chmod 600 "$f"
  cat "$f"
}

# Runs a command in a fresh kernel session keyring when the process has none usable (the
# keyring crate's Linux store needs one; a desktop login session normally provides it).
with_keyring() {
  if command -v keyctl >/dev/null 2>&1; then
    keyctl session - "$@"
  else
    "$@"
  fi
}
