#!/usr/bin/env bash
# Runs the real kiosk under Xvfb on the demo event, types badge codes with
# xdotool the way a USB scanner does (code, then Enter), and writes PNGs
# of the ready, admit, deny, full and already-inside states to screenshots/.
# Usage: scripts/screenshot.sh [WIDTHxHEIGHT]   (run through `make screenshot`)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024x600}
out=screenshots
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

bin/usher-central demo --dir "$work" >/dev/null
bin/usher load --db "$work/kiosk.db" --event "$work/event.toml" --roster "$work/roster.csv" >/dev/null
code_of() { awk -F, -v c="$1" 'NR > 1 && $3 == c { print $4 }' "$work/roster.csv" | sed -n "${2}p"; }

# Fill Workshop Room A (capacity 40) with staff, so its door shows FULL.
for i in $(seq 1 40); do code_of staff "$i"; done | bin/usher scan --db "$work/kiosk.db" --door workshop-a >/dev/null

cat > "$work/session.sh" <<'EOS'
#!/usr/bin/env bash
# Inside Xvfb: one kiosk at a door, then the scans and screenshots asked for.
set -euo pipefail
db=$1 door=$2 out=$3; shift 3
bin/usher --db "$db" --door "$door" --fullscreen &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do xdotool search --name '^Usher' >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1.5
while (($#)); do
  case $1 in
    shot) import -window root "$out/$2.png"; echo "wrote $out/$2.png"; shift 2 ;;
    scan) xdotool type --delay 8 -- "$2"; xdotool key Return; sleep 0.8; shift 2 ;;
    wait) sleep "$2"; shift 2 ;;
  esac
done
EOS
chmod +x "$work/session.sh"

export LANG=en_US.UTF-8
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/kiosk.db" ballroom-north "$out" \
  shot ready \
  scan "$(code_of attendee 1)" shot admit \
  scan "NOT-A-BADGE-42" shot deny-unknown \
  scan "$(code_of exhibitor 1)" shot deny-not-entitled
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/kiosk.db" workshop-a "$out" \
  shot full-ready \
  scan "$(code_of staff 41)" shot full
# The venue has no anti-passback: a second scan of someone inside warns,
# after the second within which a repeated code is taken as a scanner's
# double send.
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/kiosk.db" main "$out" \
  scan "$(code_of attendee 2)" wait 1.5 \
  scan "$(code_of attendee 2)" shot already-inside
