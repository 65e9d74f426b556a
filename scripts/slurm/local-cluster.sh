#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying tokenmaxx's job
# arrays (and for its CI test). Needs root and Debian's slurm-wlm and munge:
#   apt-get install -y slurm-wlm
#
#   scripts/slurm/local-cluster.sh start DIR   # start munged, slurmctld, slurmd; state under DIR
#   export SLURM_CONF=DIR/slurm.conf           # then sbatch, squeue, sinfo talk to it
#   scripts/slurm/local-cluster.sh stop DIR    # stop what start started
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
}

case "$cmd" in
  start)
    for tool in munged slurmctld slurmd sbatch; do
      command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install -y slurm-wlm" >&2; exit 3; }
    done
    if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
      echo "a slurmctld or slurmd is already running on this machine: stop it first" >&2
      exit 5
    fi
    host=$(hostname -s)
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge" /run/munge
    # munge: a key of this cluster's own, and a socket in /run/munge.
    key="$dir/munge/munge.key"
    [ -f "$key" ] || dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    chmod 0400 "$key"
    munged --force --key-file="$key" --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
      --seed-file="$dir/munge/seed" --socket=/run/munge/munge.socket.2
    cat > "$conf" <<CONF
ClusterName=tokenmaxx-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$conf"
    slurmctld -c
    slurmd -c
    # Wait until the node takes jobs.
    for _ in $(seq 100); do
      if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
        echo "Slurm is up: export SLURM_CONF=$conf"
        exit 0
      fi
      sleep 0.2
    done
    echo "Slurm did not come up; logs in $dir" >&2
    tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    stop
    exit 4
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
