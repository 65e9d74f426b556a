#!/usr/bin/env bash
# A tokenmaxx calibration or policy search on a Slurm cluster, in rounds
# (see docs/cluster.md). Called by calibrate.sh and optimize.sh:
#
#   scripts/slurm/rounds.sh calibrate EVIDENCE OUT [TASKS]
#   scripts/slurm/rounds.sh optimize  STUDY    OUT [TASKS]
#
# Each round is one job array of TASKS shards (`tokenmaxx COMMAND --shard
# auto`): for a calibration, each simulates its slice of the open
# generation's next batch of proposals; for a policy search, its slice of
# the next generation's new candidates in every world. A gather job,
# chained to the array with --dependency=afterok, absorbs the shards' files
# (`--gather`), and either submits the next round or, when sampling has
# stopped (the search's budget is spent), writes the results. The results
# are byte-identical to the same command on one machine, whatever TASKS
# (a calibration's generations.csv wall seconds are each round's slowest
# shard).
#
# Environment:
#   TOKENMAXX    the binary (default: tokenmaxx on PATH)
#   CPUS         CPUs per task (default 2)
#   SBATCH_EXTRA more sbatch options for every job, e.g. "--partition=short --time=1:00:00"
#   WAIT=1       block until the job ends; exit 1 if it failed
#
# The gather jobs call sbatch, so compute nodes must be able to submit jobs
# (they can on most clusters). Job logs go to OUT/slurm-logs/. If a job
# fails (a task killed, a node lost), run the script again with the same
# arguments: it continues from the last gathered round.
set -euo pipefail

usage() {
  echo "usage: $0 calibrate|optimize FILE OUT [TASKS]" >&2
  exit 2
}
mode=submit
if [ "${1:-}" = "--step" ]; then
  mode=step
  shift
fi
[ $# -ge 3 ] && [ $# -le 4 ] || usage
command=$1
case "$command" in
  calibrate) what="calibration"; state=".calibrate-state" ;;
  optimize) what="policy search"; state=".optimize-state" ;;
  *) usage ;;
esac
file=$(realpath "$2")
out=$(realpath -m "$3")
tasks=${4:-4}
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || { echo "$0: TASKS must be a whole number >= 1, got $tasks" >&2; exit 2; }
[ -f "$file" ] || { echo "$0: no file at $file" >&2; exit 2; }
case "$file$out" in *"'"*) echo "$0: paths with a single quote are not supported" >&2; exit 2 ;; esac
# Inside a job, $0 is Slurm's copy of the script: keep the original's path.
self=${TOKENMAXX_ROUNDS_SH:-$(realpath "$0")}
export TOKENMAXX_ROUNDS_SH=$self
bin=${TOKENMAXX:-tokenmaxx}
command -v "$bin" >/dev/null || { echo "$0: $bin not found (set TOKENMAXX=path/to/tokenmaxx)" >&2; exit 2; }
bin=$(command -v "$bin")
export TOKENMAXX=$bin
cpus=${CPUS:-2}
# Every job of one calibration or search carries the same name, so WAIT can follow it.
name=${TOKENMAXX_ROUNDS_JOB:-tokenmaxx-$command-$(date +%s)-$$}
export TOKENMAXX_ROUNDS_JOB=$name
logs="$out/slurm-logs"
mkdir -p "$logs"
# shellcheck disable=SC2206
extra=(${SBATCH_EXTRA:-})

submit_step() {
  sbatch --parsable --job-name="$name" --cpus-per-task="$cpus" "${extra[@]}" \
    --output="$logs/gather-%j.out" "$@" \
    --wrap "exec bash '$self' --step $command '$file' '$out' $tasks"
}

if [ "$mode" = submit ]; then
  # The first gather starts the $what in OUT (or absorbs what a
  # failed run left), then submits the first round.
  job=$(submit_step)
  echo "submitted $name: gather job $job; logs in $logs"
  if [ "${WAIT:-0}" = 1 ]; then
    while [ -n "$(squeue -h -n "$name" -o %i 2>/dev/null)" ]; do sleep 2; done
    if [ -f "$out/manifest.json" ] && [ ! -e "$out/$state" ]; then
      echo "$what finished: $out"
      exit 0
    fi
    echo "$what did not finish; job logs:" >&2
    tail -n 20 "$logs"/*.out >&2 || true
    exit 1
  fi
  exit 0
fi

# A gather step: absorb the round's shards; finish or submit the next round.
"$bin" "$command" "$file" --out "$out" --gather --threads "$cpus" -q
if [ -f "$out/manifest.json" ] && [ ! -e "$out/$state" ]; then
  echo "$what finished: $out"
  exit 0
fi
array=$(sbatch --parsable --job-name="$name" --array=0-$((tasks - 1)) --cpus-per-task="$cpus" "${extra[@]}" \
  --output="$logs/shard-%A_%a.out" \
  --wrap "exec '$bin' $command '$file' --out '$out' --shard auto --threads $cpus -q")
array=${array%%;*}
job=$(submit_step --dependency=afterok:"$array" --kill-on-invalid-dep=yes)
echo "next round: job array $array ($tasks tasks), then gather job $job"
