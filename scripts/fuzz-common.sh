# Sourced by fuzz-smoke.sh and fuzz-long.sh: installs cargo-fuzz when missing and picks a
# toolchain that can build with sanitizer coverage.
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer). A nightly from rustup is used when one
# is installed; otherwise the stable toolchain is told to accept them (RUSTC_BOOTSTRAP=1), since a
# new machine may have only stable and no toolchain can be downloaded there.

fuzz_setup() {
  if ! command -v cargo-fuzz >/dev/null 2>&1 && ! cargo fuzz --version >/dev/null 2>&1; then
    echo "=== installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    nice -n 10 cargo install cargo-fuzz --locked
  fi
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ_TOOLCHAIN=(+nightly)
  else
    echo "=== no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1"
    FUZZ_TOOLCHAIN=()
    export RUSTC_BOOTSTRAP=1
  fi
  # Every target, in the order the scripts run them (capi: the C ABI, feature `capi`).
  FUZZ_TARGETS=(analyze decode session config capi)
}
