#!/usr/bin/env bash
# CI test against a real Slurm: a sweep run as a 4-task job array on a
# one-node cluster, merged, must give byte-identical files to the same sweep
# on one machine. Fails if the results differ; where Slurm cannot be
# installed or started here, says loudly that it was skipped, and why.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="${CARGO_TARGET_DIR:-$root/target}/release/tokenmaxx"

skip() {
  echo "=================================================================="
  echo "SLURM TEST SKIPPED: $*"
  echo "=================================================================="
  exit 0
}
fail() {
  echo "SLURM TEST FAILED: $*"
  echo "slurm: 0 passed, 1 failed"
  exit 1
}

[ -x "$bin" ] || fail "$bin is missing: build it first (cargo build --release)"
if ! command -v slurmctld >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    skip "slurm-wlm is not installed and this is not a root Debian machine that could install it"
  fi
  echo "installing slurm-wlm and munge from Debian's packages..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/tmp/tokenmaxx-slurm-install.log 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/tmp/tokenmaxx-slurm-install.log 2>&1 ||
      skip "apt-get install slurm-wlm failed: $(tail -n 3 /tmp/tokenmaxx-slurm-install.log | tr '\n' ' ')"
  fi
fi

work=$(mktemp -d)
cluster="$work/cluster"
trap '"$root/scripts/slurm/local-cluster.sh" stop "$cluster" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$root/scripts/slurm/local-cluster.sh" start "$cluster" || skip "the local Slurm cluster would not start (logs above)"
export SLURM_CONF="$cluster/slurm.conf"

cat > "$work/base.toml" <<'TOML'
name = "slurm-ci"
weeks = 40
term_weeks = 13
[enterprises.acme]
employees = 40
TOML
cat > "$work/sweep.toml" <<'TOML'
base = "base.toml"
[sweep]
design = "lhs"
points = 22
replicates = 2
arms = ["laissez_faire", "usage_leaderboard"]
[[sweep.parameters]]
key = "labs.frontier_lab.discount_scale"
range = [0.0, 2.0]
[[sweep.parameters]]
key = "policies.usage_leaderboard.token_reward_usd_per_mtok"
range = [1.0, 30.0]
log = true
TOML

"$bin" sweep "$work/sweep.toml" --out "$work/single" --threads 2 -q || fail "the single-machine sweep failed"
SWEEP="$work/sweep.toml" OUT="$work/array" TOKENMAXX="$bin" \
  sbatch --wait --array=0-3 --cpus-per-task=1 --output="$work/task-%a.out" "$root/scripts/slurm/sweep.sbatch" ||
  { cat "$work"/task-*.out 2>/dev/null; fail "the job array failed"; }
"$bin" merge "$work"/array/shard-*-of-4 --out "$work/merged" || fail "merge failed"
for f in points.csv runs.csv summary.csv verdicts.csv; do
  cmp -s "$work/single/$f" "$work/merged/$f" || fail "$f of the merged Slurm array differs from the single-machine sweep"
done
echo "Slurm job array (4 tasks) merged: byte-identical to the single-machine sweep"
echo "slurm: 1 passed, 0 failed"
