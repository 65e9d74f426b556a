#!/usr/bin/env bash
# A tokenmaxx calibration on a Slurm cluster (see docs/cluster.md):
#
#   scripts/slurm/calibrate.sh EVIDENCE OUT [TASKS]
#
# Rounds of TASKS shards, each chained to a gather job; see rounds.sh.
exec bash "$(dirname "$(realpath "$0")")/rounds.sh" calibrate "$@"
