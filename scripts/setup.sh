#!/usr/bin/env bash
# Installs what Deliverdesk needs to build and test, skipping whatever is already there.
#   scripts/setup.sh          build tools (wasm32 target, cargo-leptos, wasm-bindgen, npm packages)
#   scripts/setup.sh --test   also the browser for the end-to-end tests (Debian's chromium)
#   scripts/setup.sh --load   also wrk, for the load scripts in scripts/load/
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.5
# Must equal the `wasm-bindgen` crate pinned in Cargo.toml, or the build fails with a
# "schema version" mismatch.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)

step() { printf '\n== %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

command -v cargo >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
command -v npm >/dev/null || { echo "Node.js and npm are needed (e.g. apt-get install nodejs npm)"; exit 1; }

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "wasm32 target: present"
else
  step "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown
fi

if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  echo "cargo-leptos ${CARGO_LEPTOS_VERSION}: present"
else
  step "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 10 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "=${CARGO_LEPTOS_VERSION}" --locked --features no_downloads
fi

if wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  echo "wasm-bindgen ${WASM_BINDGEN_VERSION}: present"
else
  step "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (about 3 minutes, once)"
  # Not --locked: its lock file wants a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "=${WASM_BINDGEN_VERSION}" --force
fi

# npm packages: Playwright's test runner and binaryen's wasm-opt (Debian's binaryen is too old
# and produces a bundle that fails to hydrate).
if [ -x end2end/node_modules/.bin/wasm-opt ] && [ -x end2end/node_modules/.bin/playwright ] \
   && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
  echo "npm packages: present"
else
  step "installing npm packages (end2end/)"
  (cd end2end && npm ci --no-audit --no-fund)
fi

if [ "${1:-}" = "--test" ]; then
  if [ -x /usr/bin/chromium ]; then
    echo "chromium: present"
  else
    step "installing Debian's chromium for the browser tests"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
  fi
fi

if [ "${1:-}" = "--load" ]; then
  if command -v wrk >/dev/null; then
    echo "wrk: present"
  else
    step "installing Debian's wrk for the load scripts"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
  fi
fi
