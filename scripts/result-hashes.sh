#!/usr/bin/env bash
# Prints the SHA-256 of every deterministic result file that a tokenmaxx
# binary writes for the bundled scenarios (fixed seed, 3 replicates) and for
# shrunk copies of the bundled sweeps, and for a small worlds run with its
# discovery, a small calibration of the bundled evidence, a small policy
# search and a comparison of two runs. Run it with the binary before and after
# a change that must leave results byte-identical, and diff the two outputs:
#
#   scripts/result-hashes.sh target/release/tokenmaxx > after.txt
#
# telemetry.csv (wall times) and manifest.json (timings, paths) are left out;
# charts are listed separately, as they are drawn from the CSV files.
set -euo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
for s in baseline good-fit market; do
  "$bin" run "scenarios/$s.toml" --seed 7 --replicates 3 --quiet --out "$work/run-$s"
done
mkdir -p "$work/sweeps"
cp scenarios/*.toml "$work/"
for f in scenarios/sweeps/*.toml; do
  # Fewer points and one replicate: same code paths, seconds instead of minutes.
  sed -e 's/^points = .*/points = 4/' -e 's/^replicates = .*/replicates = 1/' "$f" > "$work/sweeps/$(basename "$f")"
  name=$(basename "$f" .toml)
  "$bin" sweep "$work/sweeps/$name.toml" --quiet --out "$work/sweep-$name"
done
# A worlds run of a 100-person acme, its discovery, and a short calibration.
"$bin" run scenarios/baseline.toml --worlds 24 --replicates 1 --set enterprises.acme.employees=100 \
  --quiet --out "$work/worlds"
"$bin" discover "$work/worlds" --policy usage_leaderboard --against laissez_faire --bootstrap 20 > /dev/null
"$bin" calibrate scenarios/evidence/public.toml --particles 10 --generations 2 --quiet --out "$work/calibrate"
"$bin" optimize scenarios/optimize/incentive-design.toml --evaluations 16 --population 8 --worlds 2 \
  --set enterprises.acme.employees=30 --set weeks=12 --quiet --out "$work/optimize"
"$bin" compare "$work/run-baseline" "$work/run-good-fit" --out "$work/compare" --quiet
# generations.csv ends with each generation's wall seconds: hashed without them.
cut -d, -f1-6 "$work/calibrate/generations.csv" > "$work/calibrate/generations-without-wall-seconds.csv"
rm "$work/calibrate/generations.csv"
cd "$work"
echo "# result files"
find . -name '*.csv' ! -name 'telemetry.csv' -path './*' | sort | xargs sha256sum
echo "# charts"
find . \( -name '*.svg' -o -name '*.png' \) | sort | xargs sha256sum
