#!/usr/bin/env bash
# CI test against a real Slurm: a sweep run as a 4-task job array on a
# one-node cluster, merged, must give byte-identical files to the same sweep
# on one machine; so must a calibration and a policy search run as chained
# job arrays. Fails if the results differ; where Slurm cannot be installed
# or started here, says loudly that it was skipped, and why.
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

# A calibration as chained job arrays (one per round), against the same
# calibration on one machine.
cat > "$work/evidence.toml" <<'TOML'
base = "base.toml"
[calibrate]
name = "slurm-ci"
particles = 30
generations = 3
seed = 7
min_acceptance = 0.0
[[prior]]
key = "employees.tasks_per_week"
range = [4.0, 30.0]
log = true
[[prior]]
key = "agent.noise_prob_agent"
range = [0.2, 0.8]
[[target]]
name = "tasks"
metric = "tasks"
policy = "laissez_faire"
observed = 24000.0
tolerance = [20000.0, 28000.0]
role = "fit"
[[target]]
name = "noise share"
metric = "noise_share"
policy = "laissez_faire"
observed = 0.2
tolerance = [0.1, 0.3]
role = "fit"
[[target]]
name = "AI tasks"
metric = "ai_tasks"
policy = "laissez_faire"
observed = 12000.0
tolerance = [6000.0, 18000.0]
role = "check"
TOML
"$bin" calibrate "$work/evidence.toml" --out "$work/cal-single" --threads 2 -q || fail "the single-machine calibration failed"
WAIT=1 CPUS=1 TOKENMAXX="$bin" "$root/scripts/slurm/calibrate.sh" "$work/evidence.toml" "$work/cal-array" 3 ||
  fail "the calibration's job arrays failed"
for f in posterior.csv ppc.csv; do
  cmp -s "$work/cal-single/$f" "$work/cal-array/$f" || fail "$f of the Slurm calibration differs from the single-machine one"
done
rounds=$(ls "$work/cal-array/slurm-logs" | grep -c '^gather-')
echo "Slurm calibration ($rounds gather steps, 3-task arrays): byte-identical to the single-machine calibration"

# A policy search as chained job arrays (one per generation), against the
# same search on one machine.
cat > "$work/study.toml" <<'TOML'
base = "base.toml"
[optimize]
name = "slurm-ci"
evaluations = 16
population = 8
worlds = 3
validation_worlds = 2
seed = 3
policy = "candidate"
references = ["laissez_faire", "usage_leaderboard"]
[[lever]]
key = "policies.candidate.token_reward_usd_per_mtok"
range = [0.0, 20.0]
[[lever]]
key = "policies.candidate.weekly_budget_usd"
range = [5.0, 500.0]
log = true
[[objective]]
metric = "net_value_usd"
measure = "mean"
direction = "maximize"
epsilon = 1000.0
[[objective]]
metric = "spend_usd"
measure = "mean"
direction = "minimize"
epsilon = 1000.0
TOML
"$bin" optimize "$work/study.toml" --out "$work/opt-single" --threads 2 -q || fail "the single-machine policy search failed"
WAIT=1 CPUS=1 TOKENMAXX="$bin" "$root/scripts/slurm/optimize.sh" "$work/study.toml" "$work/opt-array" 3 ||
  fail "the policy search's job arrays failed"
for f in front.csv archive.csv convergence.csv validation.csv summary.md; do
  cmp -s "$work/opt-single/$f" "$work/opt-array/$f" || fail "$f of the Slurm policy search differs from the single-machine one"
done
rounds=$(ls "$work/opt-array/slurm-logs" | grep -c '^gather-')
echo "Slurm policy search ($rounds gather steps, 3-task arrays): byte-identical to the single-machine search"
echo "slurm: 3 passed, 0 failed"
