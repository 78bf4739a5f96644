#!/usr/bin/env bash
# Regenerates testdata/synth/: a few dozen generated frames that cover every reason code a
# single frame can have, with their labels (testdata/synth/labels.jsonl, the format
# `fingerqc eval --labels` reads).
#
# Seeds come from the evaluation range (>= 1_000_000; tuning uses 0..999), so the committed
# frames are never the ones thresholds were fitted on. Frames are 1280x720 JPEG (quality 90)
# to keep the repository small, plus a few 640x360 ones: at that width four fingers cannot
# reach 350 ppi, which is what `camera_limit` means. `hold_still` needs a sequence of frames
# and is not covered here.
#
# The labels describe the frame as rendered, before the JPEG step; values near a threshold
# are listed in each frame's `near_threshold` and left out of scoring.
#
# Usage: scripts/make-testdata.sh   (env: FIRST_SEED, POOL, PER_CODE, CLEAN, QUALITY)
# Needs: cargo, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

FIRST_SEED=${FIRST_SEED:-2000000}
POOL=${POOL:-240}        # 1280x720 candidates
SMALL_POOL=${SMALL_POOL:-8}
PER_CODE=${PER_CODE:-3}  # frames per reason code (a frame may count for several)
CLEAN=${CLEAN:-5}        # frames that should be accepted
QUALITY=${QUALITY:-90}
OUT=testdata/synth

cargo build --quiet --bin fingerqc
BIN=target/debug/fingerqc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BIN" synth --out "$tmp/hd" --n "$POOL" --seed "$FIRST_SEED" \
    --width 1280 --height 720 --jpeg "$QUALITY"
"$BIN" synth --out "$tmp/small" --n "$SMALL_POOL" --seed $((FIRST_SEED + 500000)) \
    --width 640 --height 360 --jpeg "$QUALITY"

rm -rf "$OUT"
mkdir -p "$OUT"
python3 - "$tmp" "$OUT" "$PER_CODE" "$CLEAN" <<'PY'
import json, shutil, sys
tmp, out, per_code, clean = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
CODES = ["no_hand", "wrong_hand", "too_many_fingers", "too_few_fingers",
         "partially_out_of_frame", "too_far", "too_close", "too_dark", "too_bright",
         "too_blurry", "glare", "low_ridge_contrast", "camera_limit"]
frames = []
for pool in ("hd", "small"):
    for line in open(f"{tmp}/{pool}/labels.jsonl"):
        d = json.loads(line)
        frames.append((pool, d))
chosen = {}
def firm(d, code):
    return code in d["reasons"] and code not in d["near_threshold"]
for code in CODES:
    have = sum(1 for (_, d) in chosen.values() if firm(d, code))
    # Plainest examples first: fewest other reasons, nothing near a threshold.
    cands = sorted((f for f in frames if firm(f[1], code) and f[1]["file"] not in chosen),
                   key=lambda f: (len(f[1]["reasons"]), len(f[1]["near_threshold"]), f[1]["seed"]))
    for f in cands[:max(0, per_code - have)]:
        chosen[f[1]["file"]] = f
accepts = [f for f in frames if not f[1]["reasons"] and not f[1]["near_threshold"]]
for f in accepts[:clean]:
    chosen[f[1]["file"]] = f
missing = [c for c in CODES if not any(firm(d, c) for (_, d) in chosen.values())]
if missing:
    sys.exit(f"no frame in the pool has {missing}: raise POOL")
with open(f"{out}/labels.jsonl", "w") as lab:
    for pool, d in sorted(chosen.values(), key=lambda f: f[1]["seed"]):
        shutil.copy(f"{tmp}/{pool}/{d['file']}", f"{out}/{d['file']}")
        lab.write(json.dumps(d, separators=(",", ":")) + "\n")
print(f"{len(chosen)} frames in {out}: " + ", ".join(
    f"{c} {sum(1 for (_, d) in chosen.values() if firm(d, c))}" for c in CODES)
    + f", accept {sum(1 for (_, d) in chosen.values() if not d['reasons'])}")
PY
du -sh "$OUT"
