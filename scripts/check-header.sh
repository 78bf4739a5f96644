#!/usr/bin/env bash
# Regenerates the C header from src/capi/ with cbindgen and compares it with the committed
# include/fingerqc.h: exits non-zero with a diff when the committed header is stale.
#   scripts/check-header.sh          check (CI)
#   scripts/check-header.sh --write  regenerate include/fingerqc.h
# Installs the pinned cbindgen from crates.io when it is missing or another version: header
# output differs between cbindgen versions, so everyone must generate with the same one.
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.4
if [[ "$(cbindgen --version 2>/dev/null || true)" != "cbindgen $CBINDGEN_VERSION" ]]; then
    echo "installing cbindgen $CBINDGEN_VERSION (cargo install --locked)" >&2
    cargo install cbindgen --locked --version "$CBINDGEN_VERSION" --quiet
fi

header=include/fingerqc.h
tmp=$(mktemp "${TMPDIR:-/tmp}/fingerqc-header.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cbindgen --quiet --config cbindgen.toml --crate fingerqc --output "$tmp"

if [[ "${1:-}" == "--write" ]]; then
    cp "$tmp" "$header"
    echo "wrote $header"
    exit 0
fi
if ! diff -u "$header" "$tmp"; then
    echo "error: $header is stale: the C ABI in src/capi/ changed without regenerating it." >&2
    echo "       Run scripts/check-header.sh --write and commit the header." >&2
    exit 1
fi
echo "$header is up to date"
