#!/usr/bin/env bash
# A throwaway CUPS with a PDF printer for the printing tests (run through `make test`).
# Usage: scripts/cups.sh start|stop|status|env
#   start:  starts a private cupsd in ${TMPDIR:-/tmp}/usher-cups-UID-HASH (HASH:
#           this checkout's path, so two clones don't share one), listening only
#           on a Unix socket there, with a cups-pdf queue `Usher-PDF` that takes
#           custom sizes (media=Custom.62x100mm) and A6, and writes
#           .cache/cups.env (CUPS_SERVER, USHER_TEST_CUPS_QUEUE,
#           USHER_TEST_CUPS_OUT: the folder the printed PDFs land in) for
#           `set -a; . .cache/cups.env; set +a`. A second start while it runs
#           reuses it.
#   stop:   stops it and deletes its folder and .cache/cups.env.
#   status: says whether it runs.
#   env:    prints the running one's .cache/cups.env lines (exit 1 when none runs).
# Needs root (cups-pdf refuses to run as anyone else): as another user it
# runs itself again through sudo, and says so. Never
# touches /etc/cups or a system cupsd; the system's client.conf is overridden
# by CUPS_SERVER.
# Environment: USHER_CUPS_DIR overrides the folder.
#
# Where the PDFs land, and why: cups-pdf reads its settings from
# /etc/cups/cups-pdf.conf (the path is compiled in; it ignores
# CUPS_SERVERROOT), then from the queue's PPD, whose defaults override the
# file's. A PPD default cannot hold a "/" (CUPS cuts the value there), so this
# queue's PPD sets Out, Spool, Log and AnonDirName to relative names, which
# cups-pdf resolves against the backend's working folder: cupsd runs in the
# foreground (-f) from this folder and its children inherit it. cups-pdf
# crashes on a relative folder that does not exist, so start makes them all.
# Every job then lands in $dir/out, whichever user sent it (root included).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ] && [ "${1:-}" != status ]; then
  command -v sudo >/dev/null || { echo "cups: must run as root (cups-pdf prints only for a root cupsd), and there is no sudo" >&2; exit 1; }
  echo "cups: running as root through sudo (cups-pdf prints only for a root cupsd)" >&2
  exec sudo TMPDIR="${TMPDIR:-}" USHER_CUPS_DIR="${USHER_CUPS_DIR:-}" "$0" "$@"
fi
root=$PWD
hash=$(printf %s "$root" | md5sum | cut -c1-8)
dir=${USHER_CUPS_DIR:-${TMPDIR:-/tmp}/usher-cups-$(id -u)-$hash}
# The socket's path must fit in 107 bytes, cupsd's files can't take a path
# with spaces, and the lp user (CUPS's filters) must reach the folder: else
# fall back to /tmp.
if [ -z "${USHER_CUPS_DIR:-}" ] && { [ ${#dir} -gt 80 ] || [[ $dir = *[[:space:]]* ]] ||
   { [ "$(id -u)" = 0 ] && ! runuser -u lp -- test -x "$(dirname "$dir")" 2>/dev/null; }; }; then
  dir=/tmp/usher-cups-$(id -u)-$hash
fi
envfile=$root/.cache/cups.env
queue=Usher-PDF
sock=$dir/cups.sock
backend=/usr/lib/cups/backend/cups-pdf

say() { echo "cups: $*" >&2; }
die() { echo "cups: $*" >&2; exit 1; }

# The cups-pdf PPD: Debian's path, then the LSB one.
find_ppd() {
  local f
  for f in /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd /usr/share/cups/model/CUPS-PDF_opt.ppd \
           /usr/share/ppd/cups-pdf/CUPS-PDF.ppd /usr/share/cups/model/CUPS-PDF.ppd; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  return 1
}

check_packages() {
  local missing=()
  [ -x /usr/sbin/cupsd ] || command -v cupsd >/dev/null || missing+=(cups)
  command -v lpadmin >/dev/null || [ -x /usr/sbin/lpadmin ] || missing+=(cups)
  command -v lp >/dev/null && command -v lpstat >/dev/null || missing+=(cups-client)
  { [ -e "$backend" ] && find_ppd >/dev/null; } || missing+=(printer-driver-cups-pdf)
  command -v gs >/dev/null || missing+=(ghostscript)
  ((${#missing[@]} == 0)) ||
    die "missing Debian packages: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')(install them, or run scripts/deps.sh test)"
  [ "$(id -u)" = 0 ] || die "must run as root: the cups-pdf backend refuses to print for a cupsd that is not root"
}

cupsd_bin() { command -v cupsd || echo /usr/sbin/cupsd; }
lpadmin_bin() { command -v lpadmin || echo /usr/sbin/lpadmin; }

# Whether the pid file names a live cupsd serving this folder (after a reboot
# or a killed session the file is stale and its pid may be another's).
ours_alive() {
  local pid
  pid=$(cat "$dir/cupsd.pid" 2>/dev/null) && [ -n "$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/cups-files.conf"
}

running() {
  ours_alive && CUPS_SERVER=$sock lpstat -r 2>/dev/null | grep -q 'is running' &&
    CUPS_SERVER=$sock lpstat -a "$queue" >/dev/null 2>&1
}

kill_ours() {
  ours_alive || return 0
  local pid i
  pid=$(cat "$dir/cupsd.pid")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    ours_alive || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Stop whatever a previous run left and delete it.
wipe() {
  kill_ours
  rm -rf "$dir"
  rm -f "$envfile"
}

write_config() {
  # The lp user runs CUPS's filters and must reach the spool.
  mkdir -p "$dir"/{etc/ppd,spool/tmp,cache,state,log,out,pdfspool,pdflog}
  chmod 755 "$dir"
  chmod 1777 "$dir/out" # cups-pdf writes as the job's user
  cat >"$dir/cups-files.conf" <<EOF
# usher scripts/cups.sh: a throwaway CUPS for tests
ServerRoot $dir/etc
RequestRoot $dir/spool
TempDir $dir/spool/tmp
CacheDir $dir/cache
StateDir $dir/state
AccessLog $dir/log/access_log
ErrorLog $dir/log/error_log
PageLog $dir/log/page_log
Printcap $dir/printcap
FileDevice No
User lp
Group lp
SystemGroup root
EOF
  # Test-only: the socket is the one way in, and anyone reaching it may do
  # anything, admin included, without a password.
  cat >"$dir/cupsd.conf" <<EOF
# usher scripts/cups.sh: a throwaway CUPS for tests
Listen $sock
LogLevel info
Browsing No
WebInterface No
DefaultAuthType None
# A job a driver fails is aborted, not held: the test fails instead of waiting.
ErrorPolicy abort-job
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
EOF
  # The cups-pdf PPD with A6 added and cups-pdf's folders (relative, see the
  # top of this file) as option defaults.
  awk -v a6=1 '
    /^\*PageSize A5\//       { print; print "*PageSize A6/A6: \"<</PageSize[297 420]/ImagingBBox null>>setpagedevice\""; next }
    /^\*PageRegion A5\//     { print; print "*PageRegion A6/A6: \"<</PageSize[297 420]/ImagingBBox null>>setpagedevice\""; next }
    /^\*ImageableArea A5\//  { print; print "*ImageableArea A6/A6: \"0 0 297 420\""; next }
    /^\*PaperDimension A5\// { print; print "*PaperDimension A6/A6: \"297 420\""; next }
    { print }
    END {
      n = split("Out=out Spool=pdfspool Log=pdflog AnonDirName=out Grp=lp", kv, " ")
      for (i = 1; i <= n; i++) {
        split(kv[i], p, "=")
        printf "\n*OpenUI *%s/%s: PickOne\n*Default%s: %s\n*%s %s/%s: \"\"\n*CloseUI: *%s\n", p[1], p[1], p[1], p[2], p[1], p[2], p[2], p[1]
      }
    }' "$ppd" >"$dir/usher-pdf.ppd"
}

start_server() {
  "$(cupsd_bin)" -t -c "$dir/cupsd.conf" -s "$dir/cups-files.conf" >"$dir/log/cupsd-test.log" 2>&1 ||
    { cat "$dir/log/cupsd-test.log" >&2; die "cupsd rejects the configuration"; }
  # From the folder: cups-pdf's relative folders resolve against it. Without
  # the lock's descriptor, else cupsd would hold the lock forever.
  (cd "$dir" && exec setsid "$(cupsd_bin)" -f -c "$dir/cupsd.conf" -s "$dir/cups-files.conf" \
    </dev/null >"$dir/log/cupsd.out" 2>&1 9>&-) &
  echo $! >"$dir/cupsd.pid"
  local i
  for i in $(seq 100); do
    CUPS_SERVER=$sock lpstat -r 2>/dev/null | grep -q 'is running' && return 0
    ours_alive || break
    sleep 0.1
  done
  tail -n 20 "$dir/log/error_log" "$dir/log/cupsd.out" >&2 2>/dev/null || true
  die "cupsd did not start (log: $dir/log/error_log)"
}

add_queue() {
  CUPS_SERVER=$sock "$(lpadmin_bin)" -p "$queue" -v cups-pdf:/ -E -P "$dir/usher-pdf.ppd" \
    -D "Usher test PDF printer" -o printer-error-policy=abort-job 2>&1 |
    grep -v 'drivers are deprecated' >&2 || true
  CUPS_SERVER=$sock lpstat -a "$queue" >/dev/null 2>&1 || die "could not add the queue $queue (log: $dir/log/error_log)"
}

env_lines() {
  printf 'CUPS_SERVER=%s\nUSHER_TEST_CUPS_QUEUE=%s\nUSHER_TEST_CUPS_OUT=%s\n' "$sock" "$queue" "$dir/out"
}

write_env() {
  mkdir -p "$root/.cache"
  env_lines >"$envfile.tmp" && mv "$envfile.tmp" "$envfile"
  env_lines
}

cmd=${1:-}
case "$cmd" in
  start|stop|status|env) ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac

# One start or stop at a time per folder.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock -w 120 9 || die "another scripts/cups.sh holds $dir.lock"

case "$cmd" in
  start)
    check_packages
    ppd=$(find_ppd)
    if running; then
      say "reusing the CUPS in $dir"
    else
      t0=$SECONDS
      wipe
      write_config
      start_server
      add_queue
      say "started CUPS with the queue $queue in $dir ($((SECONDS - t0)) s; PDFs land in $dir/out; log: $dir/log/error_log)"
    fi
    write_env
    ;;
  stop)
    if [ -d "$dir" ]; then
      kill_ours
      rm -rf "$dir"
      say "stopped and deleted $dir"
    fi
    rm -f "$envfile"
    ;;
  status)
    if running; then echo "running: CUPS_SERVER=$sock, queue $queue (folder $dir)"; else echo "not running"; exit 1; fi
    ;;
  env)
    running || die "no CUPS runs; start one with: $0 start"
    env_lines
    ;;
esac
