#!/usr/bin/env bash
# CI check of the webcam example with no camera and no display: writes a generated capture
# sequence to disk, replays it headless, and checks the JSON lines against the sequence's labels:
#   - every frame gives one JSON line with the documented fields;
#   - too_far is shown while the hand is far (label ppi under 330);
#   - hold_still is active on some frame while the hand shakes;
#   - exactly one capture fires, on a frame that is sharp and still by its labels (defocus under
#     0.125 mm, motion under 0.4 mm), with finger crops at 500 ppi written to --out.
# Installs the build dependencies first (scripts/install-webcam-deps.sh) unless SKIP_INSTALL=1.
# PROFILE=dev builds the dev profile instead of release.
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${SEED:-3}"
if [ "${SKIP_INSTALL:-0}" != "1" ]; then bash scripts/install-webcam-deps.sh >/dev/null; fi
profile="${PROFILE:-release}"
cargo build --profile "$profile" --features webcam --example webcam
dir="target/$([ "$profile" = dev ] && echo debug || echo "$profile")/examples"
bin="$dir/webcam"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" --synth-sequence "$seed" --size 1920x1080 --write-sequence "$work/seq"
"$bin" --replay "$work/seq" --headless --out "$work/out" >"$work/lines.jsonl"
python3 - "$work/lines.jsonl" "$work/out" <<'PY'
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
out = sys.argv[2]
need = {"t", "code", "message", "ready", "captured", "finger_count", "estimated_ppi", "active"}
assert lines, "no JSON lines"
for i, l in enumerate(lines):
    missing = need - l.keys()
    assert not missing, f"frame {i} lacks {missing}"
    assert "label" in l, f"frame {i} has no label (replay of labels.jsonl)"
lab = lambda l: l["label"]["labels"]
far = [l for l in lines if lab(l)["hand_present"] and 0 < lab(l)["ppi"] < 330]
assert far, "the sequence has no far frames"
far_shown = sum("too_far" in l["active"] for l in far)
print(f"too_far active on {far_shown}/{len(far)} frames under 330 ppi")
assert far_shown >= len(far) // 2, "too_far missing while the hand is far"
shaking = [l for l in lines if lab(l)["motion_mm"] > 0.2]
moving = sum("hold_still" in l["active"] for l in shaking)
print(f"hold_still active on {moving}/{len(shaking)} shaking frames")
assert moving >= 1, "hold_still never shown while shaking"
caps = [l for l in lines if l["captured"]]
print(f"captures: {len(caps)} at t = {[c['t'] for c in caps]}")
assert len(caps) == 1, "expected exactly one capture"
kept_t = caps[0]["capture"]["timestamp_s"]
kept = next(l for l in lines if abs(l["t"] - kept_t) < 1e-9)
kl = lab(kept)
print(f"kept frame t={kept_t:.3f}: blur {kl['blur_sigma_mm']:.3f} mm, motion {kl['motion_mm']:.3f} mm, ppi {kl['ppi']:.0f}")
assert kl["blur_sigma_mm"] < 0.125 and kl["motion_mm"] < 0.4, "kept frame not sharp and still"
d = caps[0]["capture"]["dir"]
crops = [f for f in os.listdir(d) if f.startswith("finger_")]
rep = json.load(open(os.path.join(d, "report.json")))
print(f"saved {len(crops)} crops in {d}, crop ppi {[f['ppi'] for f in rep['fingers']]}")
assert len(crops) >= 1 and os.path.exists(os.path.join(d, "frame.png"))
print(f"webcam headless check: {len(lines)} frames ok")
PY
