#!/usr/bin/env bash
# Installs the Debian packages Usher needs when any is missing, as root or
# through sudo, and says what it does. Usage: scripts/deps.sh build|run|test
#   build: cgo, the GL/X11 headers Fyne's GLFW driver compiles against and
#          the ALSA headers the door's sounds play through (oto)
#   run:   the above
#   test:  the above, plus Xvfb and tools to drive and photograph a real window,
#          strace, headless Chromium for the dashboard's browser test, and CUPS
#          with its PDF printer and a QR reader for the door's badge printing test
set -euo pipefail

build=(gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev
       libxinerama-dev libxi-dev libxxf86vm-dev libasound2-dev)
headless=(xvfb xauth xdotool x11-utils imagemagick poppler-utils)
# strace: TestCrashAckAfterFsync checks that a decision is printed only
# after its log is fsynced; chromium: the dashboard's browser test; cups,
# printer-driver-cups-pdf and zbar-tools: a badge printed at the door goes
# through a real CUPS to a PDF whose QR is read back (scripts/cups.sh).
printing=(cups printer-driver-cups-pdf zbar-tools)
testonly=(strace chromium "${printing[@]}")

case "${1:-build}" in
  build|run) want=("${build[@]}") ;;
  test) want=("${build[@]}" "${headless[@]}" "${testonly[@]}") ;;
  screenshot) want=("${build[@]}" "${headless[@]}" "${printing[@]}") ;;
  *) echo "usage: $0 build|run|test|screenshot" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "deps: missing packages ${missing[*]}, and this is not a Debian/Ubuntu system; install their equivalents by hand." >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "deps: installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then
    echo "deps: go is not on PATH; the Makefile uses /usr/local/go/bin/go"
  else
    echo "deps: Go 1.26 or newer is needed (https://go.dev/doc/install); Debian's golang-go is too old." >&2
    exit 1
  fi
fi
