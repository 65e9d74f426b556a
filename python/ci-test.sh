#!/usr/bin/env bash
# CI test of the Python package: a fresh venv, maturin builds the extension
# from python/, pytest runs python/tests against the library and the CLI
# (target/release/tokenmaxx, built first if missing). Fails if any test
# fails; says loudly that it was skipped, and why, only where a venv or
# maturin cannot be had at all.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv="${TOKENMAXX_PY_VENV:-/tmp/tokenmaxx-py-venv}"
py="${PYTHON:-python3}"

skip() {
  echo "=================================================================="
  echo "PYTHON TEST SKIPPED: $*"
  echo "=================================================================="
  exit 0
}
fail() {
  echo "PYTHON TEST FAILED: $*"
  exit 1
}

command -v "$py" >/dev/null 2>&1 || skip "no $py on this machine"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv" >/tmp/tokenmaxx-py-venv.log 2>&1 \
  || skip "cannot create a virtual environment with $py -m venv (see /tmp/tokenmaxx-py-venv.log)"
"$venv/bin/pip" install -q maturin >/tmp/tokenmaxx-py-pip.log 2>&1 \
  || skip "cannot install maturin with pip (see /tmp/tokenmaxx-py-pip.log)"
"$venv/bin/pip" install -q pytest polars pandas pyarrow >>/tmp/tokenmaxx-py-pip.log 2>&1 \
  || fail "cannot install pytest, polars, pandas and pyarrow (see /tmp/tokenmaxx-py-pip.log)"
bin="${CARGO_TARGET_DIR:-$root/target}/release/tokenmaxx"
if [ ! -x "$bin" ]; then
  (cd "$root" && cargo build --release) || fail "cannot build the CLI"
fi
(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release -q) \
  || fail "maturin develop failed"
cd "$here" && TOKENMAXX_CLI="$bin" "$venv/bin/python" -m pytest -q tests
