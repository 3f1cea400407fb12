#!/usr/bin/env bash
# Runs the real kiosk under Xvfb on the demo event, types badge codes with
# xdotool the way a USB scanner does (code, then Enter), and writes PNGs
# of the ready, admit, deny, full, nearly-full, already-inside, recent-scans
# and print states to screenshots/, and print-badge.png: the badge the
# kiosk printed, as the printer (a private CUPS with cups-pdf) made it.
# Usage: scripts/screenshot.sh [WIDTHxHEIGHT]   (run through `make screenshot`)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024x600}
out=screenshots
work=$(mktemp -d)
stop_cups=:
trap 'rm -rf "$work"; $stop_cups' EXIT
mkdir -p "$out"

bin/usher-central demo --dir "$work" >/dev/null
# The kiosk prints on the test CUPS's PDF printer.
sed -i 's/^staff_pin = "2468"$/&\nprinter = "Usher-PDF"/' "$work/event.toml"
grep -q '^printer = "Usher-PDF"$' "$work/event.toml"
for db in kiosk near; do
  bin/usher load --db "$work/$db.db" --event "$work/event.toml" --roster "$work/roster.csv" >/dev/null
done
code_of() { awk -F, -v c="$1" 'NR > 1 && $3 == c { print $4 }' "$work/roster.csv" | sed -n "${2}p"; }

# Fill Workshop Room A (capacity 40) with staff, so its door shows FULL;
# in a second kiosk, 37 of 40: NEARLY FULL.
for i in $(seq 1 40); do code_of staff "$i"; done | bin/usher scan --db "$work/kiosk.db" --door workshop-a >/dev/null
for i in $(seq 1 37); do code_of staff "$i"; done | bin/usher scan --db "$work/near.db" --door workshop-a >/dev/null

scripts/cups.sh status >/dev/null 2>&1 || stop_cups='scripts/cups.sh stop'
scripts/cups.sh start >/dev/null
set -a; . .cache/cups.env; set +a

cat > "$work/session.sh" <<'EOS'
#!/usr/bin/env bash
# Inside Xvfb: one kiosk at a door, then the scans and screenshots asked for.
set -euo pipefail
db=$1 door=$2 out=$3; shift 3
bin/usher --db "$db" --door "$door" --fullscreen --signing-key "$(dirname "$db")/keys/signing.key" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do xdotool search --name '^Usher' >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1.5
while (($#)); do
  case $1 in
    shot) import -window root "$out/$2.png"; echo "wrote $out/$2.png"; shift 2 ;;
    scan) xdotool type --delay 8 -- "$2"; xdotool key Return; sleep 0.8; shift 2 ;;
    type) xdotool type --delay 150 -- "$2"; xdotool key Return; sleep 0.5; shift 2 ;;
    key) xdotool key "$2"; sleep 0.5; shift 2 ;;
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
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/near.db" workshop-a "$out" \
  shot nearly-full
# Scans at the main door, then the staff's list of them (F2, PIN, R).
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/kiosk.db" main "$out" \
  scan "$(code_of speaker 1)" wait 1 scan "NOT-A-BADGE-43" wait 1 scan "$(code_of press 1)" wait 1 \
  key F2 type 2468 type R shot recent-scans
# A badge desk: staff switch the main door to PRINT (item 1 twice: EXIT,
# then PRINT) and scan a ticket: a badge is printed, nobody admitted.
rm -f "$USHER_TEST_CUPS_OUT"/*.pdf
xvfb-run -a -s "-screen 0 ${size}x24" "$work/session.sh" "$work/kiosk.db" main "$out" \
  key F2 type 2468 type 1 key F2 type 1 wait 1 \
  scan "$(code_of attendee 5)" wait 2 shot print
badge=$(ls -t "$USHER_TEST_CUPS_OUT"/*.pdf 2>/dev/null | head -1)
if [ -n "$badge" ]; then
  pdftoppm -q -r 150 -png -singlefile "$badge" "$out/print-badge"
  echo "wrote $out/print-badge.png (the printed badge)"
else
  echo "screenshot: the kiosk printed no badge; see $out/print.png" >&2
  exit 1
fi
