#!/usr/bin/env bash
# CI test of the Python package:
#  1. a venv (cached at $TOKENMAXX_PY_VENV) where maturin builds the
#     extension from python/ and pytest runs python/tests against the
#     library and the CLI (target/release/tokenmaxx, built first if
#     missing): every function, the CLI's bytes, errors, Ctrl-C, the EMA
#     Workbench adapter, the example notebook (nbclient), the SALib example;
#  2. a fresh venv, made anew each time, where `pip install ./python` (as the
#     README says) installs the package, and a run reaches polars.
# Fails if any step fails; says loudly that it was skipped, and why, only
# where a venv or maturin cannot be had at all. Prints each step's seconds.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv="${TOKENMAXX_PY_VENV:-/tmp/tokenmaxx-py-venv}"
py="${PYTHON:-python3}"
start=$(date +%s)

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
step() { echo "python/ci-test.sh: $1 ($(($(date +%s) - start)) s so far)"; }

command -v "$py" >/dev/null 2>&1 || skip "no $py on this machine"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv" >/tmp/tokenmaxx-py-venv.log 2>&1 \
  || skip "cannot create a virtual environment with $py -m venv (see /tmp/tokenmaxx-py-venv.log)"
"$venv/bin/pip" install -q maturin >/tmp/tokenmaxx-py-pip.log 2>&1 \
  || skip "cannot install maturin with pip (see /tmp/tokenmaxx-py-pip.log)"
"$venv/bin/pip" install -q pytest polars pandas pyarrow tqdm nbclient nbformat ipykernel >>/tmp/tokenmaxx-py-pip.log 2>&1 \
  || fail "cannot install pytest, polars, pandas, pyarrow, tqdm and nbclient (see /tmp/tokenmaxx-py-pip.log)"
# The adapters' libraries: their tests fail, not skip, when these are
# missing here; installing them is what CI must be able to do.
"$venv/bin/pip" install -q ema_workbench SALib >>/tmp/tokenmaxx-py-pip.log 2>&1 \
  || fail "cannot install ema_workbench and SALib (see /tmp/tokenmaxx-py-pip.log)"
step "venv ready"
bin="${CARGO_TARGET_DIR:-$root/target}/release/tokenmaxx"
if [ ! -x "$bin" ]; then
  (cd "$root" && cargo build --release) || fail "cannot build the CLI"
fi
(cd "$here" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release -q) \
  || fail "maturin develop failed"
step "extension built"
cd "$here" && TOKENMAXX_CLI="$bin" TOKENMAXX_REQUIRE_ADAPTERS=1 PATH="$venv/bin:$PATH" \
  "$venv/bin/python" -m pytest -q -rs tests || fail "pytest"
step "pytest done"

# `pip install ./python` in a fresh venv, as the README's Python section says.
fresh=$(mktemp -d /tmp/tokenmaxx-fresh-venv.XXXXXX)
trap 'rm -rf "$fresh"' EXIT
"$py" -m venv "$fresh" || fail "cannot create a fresh venv"
"$fresh/bin/pip" install -q "$here" >/tmp/tokenmaxx-py-fresh.log 2>&1 \
  || fail "pip install ./python failed in a fresh venv (see /tmp/tokenmaxx-py-fresh.log)"
(cd /tmp && "$fresh/bin/python" - "$root" <<'EOF') || fail "the package installed by pip does not run"
import sys
import tokenmaxx as tm
r = tm.run(sys.argv[1] + "/scenarios/baseline.toml", set={"weeks": 4, "enterprises.acme.employees": 20},
           replicates=1, progress=False)
assert r.runs.height == len(r.manifest["arms"]) and tm.columns().height > 200
print(f"fresh venv: pip install ./python, tm.run -> {r.runs.height} runs in polars")
EOF
step "fresh venv done"
