#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (run through `make test`).
# Usage: scripts/pg.sh start|stop|url|status
#   start:  installs Debian's postgresql and postgresql-client when missing (as
#           root or through sudo, and says so), makes a fresh cluster in
#           ${TMPDIR:-/tmp}/usher-pg-UID-HASH (HASH: this checkout's path, so two
#           clones don't share a server), starts it on a Unix socket there and on
#           127.0.0.1 at a free port, creates the role `usher` (no password,
#           CREATEDB) and its database `usher_test`, prints the URL and writes
#           it to .cache/pg.url. A second start while it runs reuses it.
#   stop:   stops the server and deletes its folder and .cache/pg.url.
#   url:    prints the running server's URL (exit 1 when none runs).
#   status: says whether it runs.
# Test-only: any local user may connect as `usher` over 127.0.0.1 without a
# password (pg_hba trust). Never point this at data you care about.
# Environment: USHER_PG_DIR overrides the folder, USHER_PG_PORT the first port tried.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hash=$(printf %s "$root" | md5sum | cut -c1-8)
dir=${USHER_PG_DIR:-${TMPDIR:-/tmp}/usher-pg-$(id -u)-$hash}
# The socket's path must fit in 107 bytes, and as root the postgres user must
# reach the folder: else fall back to /tmp.
if [ -z "${USHER_PG_DIR:-}" ] && { [ ${#dir} -gt 80 ] ||
   { [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; }; }; then
  dir=/tmp/usher-pg-$(id -u)-$hash
fi
data=$dir/data
urlfile=$root/.cache/pg.url
role=usher
dbname=usher_test

say() { echo "pg: $*" >&2; }
die() { echo "pg: $*" >&2; exit 1; }

# The PostgreSQL bin dir: Debian's newest /usr/lib/postgresql/*/bin, else PATH.
find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ] && echo "$d"
  done | sort -V | tail -n1 | grep . && return
  command -v initdb >/dev/null || return 1
  d=$(dirname "$(command -v initdb)")
  [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ] && echo "$d"
}

# Called only when no server binaries were found: a machine whose image has
# postgresql-15 and postgresql-client-15 (as this project's does) installs nothing.
install_packages() {
  local want=(postgresql postgresql-client) missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || die "packages ${want[*]} are installed but no initdb/pg_ctl/postgres/psql was found"
  command -v apt-get >/dev/null ||
    die "PostgreSQL's server is missing, and this is not a Debian/Ubuntu system; install it (initdb, pg_ctl, postgres, psql) by hand."
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
}

# Server-side commands run as the postgres OS user when we are root (initdb and
# postgres refuse root), in the C locale (the Makefile's LANG may not exist),
# without the lock's descriptor (the server would hold the lock forever).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- env -u LANGUAGE LC_ALL=C "$@" 9>&-)
  else
    (cd / && env -u LANGUAGE LC_ALL=C "$@" 9>&-)
  fi
}

psql_admin() {  # superuser over the socket; trust on local connections
  env -u LANGUAGE LC_ALL=C "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -At \
    -h "$dir" -p "$(cat "$dir/port")" -U postgres -d postgres "$@"
}

running() {
  [ -f "$dir/port" ] && [ -f "$data/postmaster.pid" ] || return 1
  psql_admin -c 'select 1' >/dev/null 2>&1
}

port_free() {  # nothing listens on the port on any address
  ! ss -Htln "sport = :$1" 2>/dev/null | grep -q . &&
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url() { echo "postgres://$role@127.0.0.1:$(cat "$dir/port")/$dbname?sslmode=disable"; }

write_url() {
  mkdir -p "$root/.cache"
  url >"$urlfile.tmp" && mv "$urlfile.tmp" "$urlfile"
  url
}

# Whether postmaster.pid names a live postgres serving this folder (after a
# reboot or a killed session the file is stale and its pid may be another's).
ours_alive() {
  local pid
  pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$data"
}

# Stop whatever a previous run left (a server, or a stale pid file) and delete it.
wipe() {
  if ours_alive; then
    as_owner "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 20 >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$urlfile"
}

init_cluster() {
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null || die "running as root but there is no 'postgres' user to run the server as"
    chown postgres: "$dir"
  fi
  local locale=(--no-locale)
  locale -a 2>/dev/null | grep -qixE 'c\.utf-?8' && locale=(--locale=C.UTF-8)
  as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 "${locale[@]}" \
    --auth=trust -N >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # Test-only access: the socket (in a 0700 folder) and loopback, no password.
  # The superuser only through the socket; the tests' role over TCP as well.
  as_owner tee "$data/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      trust
host    all       $role     127.0.0.1/32   trust
host    all       $role     ::1/128        trust
EOF
  as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# usher scripts/pg.sh: a throwaway server for tests
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 64MB
max_wal_size = 256MB
logging_collector = off
log_min_messages = warning
# No autovacuum worker may be connected to a test's database when the
# test drops it: the tests' role cannot end a worker's connection.
autovacuum = off
EOF
}

start_server() {
  local port=${USHER_PG_PORT:-$((20000 + RANDOM % 20000))} tries
  for tries in 1 2 3 4 5 6 7 8 9 10; do
    if port_free "$port"; then
      echo "$port" >"$dir/port"
      if as_owner "$bindir/pg_ctl" start -D "$data" -o "-p $port" -l "$dir/server.log" -w -t 60 -s >/dev/null 2>&1; then
        return 0
      fi
      # Another process may have taken the port between the check and the bind.
      grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null ||
        { tail -n 20 "$dir/server.log" >&2 || true; die "the server did not start (log: $dir/server.log)"; }
    fi
    port=$((20000 + RANDOM % 20000))
  done
  die "found no free port for the server"
}

setup_db() {
  psql_admin <<EOF
select 'create role $role login createdb' where not exists (select from pg_roles where rolname = '$role') \gexec
select 'create database $dbname owner $role' where not exists (select from pg_database where datname = '$dbname') \gexec
EOF
}

cmd=${1:-}
case "$cmd" in
  start|stop|url|status) ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac

bindir=$(find_bindir || true)
if [ -z "$bindir" ] && [ "$cmd" = start ]; then
  install_packages
  bindir=$(find_bindir || true)
fi
[ -n "$bindir" ] || die "no PostgreSQL server found (looked in /usr/lib/postgresql/*/bin and PATH); run: $0 start"

# One start or stop at a time per folder.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock -w 120 9 || die "another scripts/pg.sh holds $dir.lock"

case "$cmd" in
  start)
    if running; then
      say "reusing the server in $dir"
    else
      t0=$SECONDS
      wipe
      init_cluster
      start_server
      say "started PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') in $dir ($((SECONDS - t0)) s; log: $dir/server.log)"
    fi
    setup_db
    write_url
    ;;
  stop)
    if [ -d "$dir" ]; then
      ours_alive &&
        { as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 -s >/dev/null 2>&1 ||
          as_owner "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 20 -s >/dev/null 2>&1 || true; }
      rm -rf "$dir"
      say "stopped and deleted $dir"
    fi
    rm -f "$urlfile"
    ;;
  url)
    running || die "no server runs; start one with: $0 start"
    url
    ;;
  status)
    if running; then echo "running: $(url) (folder $dir)"; else echo "not running"; exit 1; fi
    ;;
esac
