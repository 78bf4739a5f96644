#!/usr/bin/env bash
# Builds the C examples (examples/c/) with AddressSanitizer and UBSan against the static
# library and runs them:
#   - errors.c: every error path of the C ABI returns its status and a message that names it;
#   - examples/c/jni/: the JNI glue for Android, run on the desktop JVM when a JDK is present;
#   - session.c: a session fed one frame at 30 fps captures it and writes the crops;
#   - analyze.c: frames written by `examples/dump_raw.rs` (drawn scenes and real photos from
#     testdata/) in all seven pixel formats, analysed through the C ABI, must give
#     the Rust API's verdict, reasons and JSON report exactly.
# Then, if valgrind is installed, runs both again under valgrind (no sanitizers): valgrind also
# sees reads by the Rust code, which the uninstrumented Rust library hides from ASan.
# Exits non-zero on any mismatch, sanitizer or valgrind report.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/c-test
rm -rf "$out"
mkdir -p "$out/frames" "$out/cjson"

echo "== building the static library and the frame dumper (cargo, feature capi)"
cargo build --quiet --lib --example dump_raw --features capi
lib=target/debug/libfingerqc.a
# What `cargo rustc -- --print native-static-libs` lists on Linux.
libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)

echo "== compiling the C examples with -fsanitize=address,undefined"
cflags=(-std=c11 -g -O1 -Wall -Wextra -Werror -Iinclude -D_DEFAULT_SOURCE)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
for prog in errors analyze session; do
    cc "${cflags[@]}" "${san[@]}" "examples/c/$prog.c" "$lib" "${libs[@]}" -o "$out/$prog"
done
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== error paths (ASan/UBSan)"
"$out/errors"

echo "== writing frames with the Rust API's verdicts"
# Real photos shipped in testdata/ (hands, a contactless fingertip, contact prints in gray).
t=testdata/real
real=("$t/tfjs-models/hands.jpg" "$t/mediapipe-samples/hand_landmarker_test_image.jpg"
      "$t/mediapipe-samples/hand_thumb_up.jpg" "$t/utkarsh-fingerprint-enhancement/3_camera_finger.jpg"
      "$t/sourceafis-java/probe.png" "$t/libfprint/examples_prints_arch.png")
target/debug/examples/dump_raw "$out/frames" "${real[@]}"
mapfile -t frames < <(sed "s|^|$out/frames/|" "$out/frames/frames.txt")

echo "== analysing ${#frames[@]} frames through the C ABI (ASan/UBSan)"
"$out/analyze" -j "$out/cjson" "${frames[@]}" > "$out/c.txt"
if ! diff -u "$out/frames/expected.txt" "$out/c.txt"; then
    echo "FAIL: the C ABI's verdicts differ from the Rust API's (diff above)" >&2
    exit 1
fi
# Same JSON report, byte for byte, once the timing field is zeroed.
untimed() { sed -E 's/"elapsed_us":[0-9]+/"elapsed_us":0/' "$1"; }
json_diffs=0
while read -r name; do
    if ! cmp -s <(untimed "$out/frames/$name.rust.json") <(untimed "$out/cjson/$name.c.json"); then
        echo "FAIL: JSON of $name differs between the C ABI and the Rust API" >&2
        json_diffs=$((json_diffs + 1))
    fi
done < "$out/frames/frames.txt"
[[ $json_diffs -eq 0 ]] || exit 1
n=$(wc -l < "$out/c.txt")
echo "verdicts, reasons and JSON equal to the Rust API's for $n frames"

echo "== a session through the C ABI until it captures (ASan/UBSan)"
# Thresholds opened wide so a generated hand passes every check (the dumper picked one that
# does): this exercises the session, capture and crop accessors from C, not the checks
# (tests/capi.rs compares the session's results with the Rust session's).
mkdir -p "$out/capture"
"$out/session" "$out/frames/session.rgb8.raw" "$out/capture" "$(cat examples/c/loose-config.json)" | tail -7

if command -v javac > /dev/null && command -v java > /dev/null; then
    echo "== JNI glue (examples/c/jni) on the desktop JVM, CameraX-style YUV_420_888 buffers"
    java_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    mkdir -p "$out/jni"
    javac -d "$out/jni" examples/c/jni/JniCheck.java examples/c/jni/com/example/fingerqc/FingerQc.java
    cc "${cflags[@]}" -shared -fPIC -I"$java_home/include" -I"$java_home/include/linux" \
        examples/c/jni/fingerqc_jni.c "$lib" "${libs[@]}" -o "$out/jni/libfingerqc_jni.so"
    mapfile -t yuv < <(printf '%s\n' "${frames[@]}" | grep -E '\.(nv21|nv12|i420)\.raw$')
    java -Xcheck:jni -Djava.library.path="$out/jni" -cp "$out/jni" JniCheck "${yuv[@]}"
else
    echo "note: no JDK: JNI glue not run"
fi

if command -v valgrind > /dev/null; then
    echo "== valgrind (memcheck, no sanitizers)"
    for prog in errors analyze; do
        cc "${cflags[@]}" "examples/c/$prog.c" "$lib" "${libs[@]}" -o "$out/$prog-plain"
    done
    vg=(valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite)
    "${vg[@]}" "$out/errors-plain" > /dev/null
    # A sample of the frames: each format once at two sizes, to keep it quick.
    sample=()
    for f in "${frames[@]}"; do
        case "$(basename "$f")" in drawn0_*|drawn2_*) sample+=("$f") ;; esac
    done
    "${vg[@]}" "$out/analyze-plain" "${sample[@]}" > "$out/c-valgrind.txt"
    grep -F -f <(sed 's|.*/||' <<< "$(printf '%s\n' "${sample[@]}")") "$out/frames/expected.txt" \
        | diff -u - "$out/c-valgrind.txt"
    echo "valgrind clean on errors and ${#sample[@]} frames"
else
    echo "note: valgrind not installed: skipped"
fi
echo "c-test: all passed"
