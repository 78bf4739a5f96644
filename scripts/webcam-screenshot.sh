#!/usr/bin/env bash
# Runs the webcam example in a real window under a virtual X server (Xvfb) and saves a
# screenshot of it, to check by eye what a user sees.
#
#   scripts/webcam-screenshot.sh [OUT.png] [-- webcam args...]
#
# Default: docs/webcam.png from the generated sequence of seed 3, stopped at frame 18 (0.6 s:
# the hand approaching, still too far, four fingers boxed). Installs its system packages first
# (scripts/install-webcam-deps.sh --xvfb) unless SKIP_INSTALL=1; PROFILE=dev builds the dev
# profile instead of release.
set -euo pipefail
cd "$(dirname "$0")/.."
out="docs/webcam.png"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then out="$1"; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
if [ $# -gt 0 ]; then args=("$@"); else args=(--synth-sequence 3 --frames 18); fi

if [ "${SKIP_INSTALL:-0}" != "1" ]; then bash scripts/install-webcam-deps.sh --xvfb >/dev/null; fi
profile="${PROFILE:-release}"
cargo build --profile "$profile" --features webcam --example webcam
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")/examples/webcam"
mkdir -p "$(dirname "$out")"

display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
log=$(mktemp)
app=""
cleanup() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 50); do
  if xdpyinfo -display "$display" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

DISPLAY="$display" "$bin" "${args[@]}" 2>"$log" &
app=$!
# Wait for the replay to end (the window then holds its last frame), at most 10 minutes.
for _ in $(seq 6000); do
  if grep -q "replay ended" "$log"; then break; fi
  if ! kill -0 "$app" 2>/dev/null; then cat "$log" >&2; echo "webcam exited early" >&2; exit 1; fi
  sleep 0.1
done
sleep 0.5
import -display "$display" -window root "$out"
# Trim the empty screen around the window; 128 colours keep the file small for the repository.
convert "$out" -trim +repage -colors 128 "PNG8:$out"
cat "$log" >&2
echo "screenshot: $out"
