#!/usr/bin/env bash
# A tokenmaxx policy search on a Slurm cluster (see docs/cluster.md):
#
#   scripts/slurm/optimize.sh STUDY OUT [TASKS]
#
# Each generation's new candidates in every world are one job array of
# TASKS shards, chained to a gather job; see rounds.sh. The study file is
# taken as it is (its amendments belong in the file, not on the command).
exec bash "$(dirname "$(realpath "$0")")/rounds.sh" optimize "$@"
