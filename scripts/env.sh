# Sourced by the scripts: one place for the build environment.
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Keep compiled artifacts outside the clone so a fresh clone (CI) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/deliverdesk/target}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
