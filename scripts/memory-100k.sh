#!/usr/bin/env bash
# Peak memory of a 100,000-run sweep (50,000 LHS points x 2 arms x 1
# replicate of a two-employee, four-week company, so it takes seconds):
# memory must not grow with the run count (issue "Never a wrong answer with
# exit 0": under 50 MB). Usage: scripts/memory-100k.sh [BIN]
set -euo pipefail
bin=${1:-${CARGO_TARGET_DIR:-target}/release/tokenmaxx}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/tiny.toml" <<'TOML'
name = "tiny"
weeks = 4
term_weeks = 2
replicates = 1
[enterprises.acme]
employees = 2
TOML
cat > "$dir/sweep.toml" <<'TOML'
base = "tiny.toml"
[sweep]
design = "lhs"
points = 50000
replicates = 1
arms = ["laissez_faire", "usage_leaderboard"]
[[sweep.parameters]]
key = "labs.frontier_lab.discount_scale"
range = [0.0, 2.0]
[[sweep.parameters]]
key = "agent.noise_prob_agent"
range = [0.05, 0.4]
TOML
/usr/bin/time -v "$bin" sweep "$dir/sweep.toml" --out "$dir/out" -q 2> "$dir/time.txt"
runs=$(($(wc -l < "$dir/out/runs.csv") - 1))
peak_kb=$(grep "Maximum resident" "$dir/time.txt" | awk '{print $NF}')
wall=$(grep "Elapsed (wall" "$dir/time.txt" | awk '{print $NF}')
echo "runs: $runs, peak RSS: $((peak_kb / 1024)) MB, wall: $wall"
[ "$runs" -eq 100000 ]
[ "$peak_kb" -lt $((50 * 1024)) ] || { echo "peak RSS above 50 MB" >&2; exit 1; }
