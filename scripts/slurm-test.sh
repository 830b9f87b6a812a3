#!/usr/bin/env bash
# Runs a sweep on a real Slurm cluster and checks it against the same sweep on one
# machine, byte for byte: installs Debian's slurm-wlm and munge if they are missing,
# starts a single-node cluster on localhost (munged, slurmctld, slurmd), submits
# deploy/slurm/sweep.sbatch as a job array of 4, merges the shards and compares
# sweep.json, sweep.md, runs.csv and sweep.html with a local `zkarena sweep`.
#
#   scripts/slurm-test.sh [plan]     (default: pos-uncle-sweep; needs root or sudo)
#
# Not part of `cargo test` (it installs packages and starts daemons); the README says
# how to run it. It stops the daemons it started when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${1:-pos-uncle-sweep}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "== installing slurm-wlm and munge (Debian packages)"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
fi

echo "== building zkarena"
cargo build --release --bin zkarena
zkarena=$(pwd)/target/release/zkarena

work=$(mktemp -d /tmp/zkarena-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)

started=()
cleanup() {
  for pid in "${started[@]}"; do $sudo kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== munge"
if ! munge -n >/dev/null 2>&1; then
  [ -s /etc/munge/munge.key ] || $sudo sh -c 'dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null'
  $sudo chown munge:munge /etc/munge/munge.key
  $sudo chmod 400 /etc/munge/munge.key
  $sudo mkdir -p /run/munge /var/log/munge /var/lib/munge
  $sudo chown munge:munge /run/munge /var/log/munge /var/lib/munge
  $sudo runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 10); do [ -s /run/munge/munged.pid ] && break; sleep 0.5; done
  started+=("$(cat /run/munge/munged.pid)")
fi
munge -n | unmunge >/dev/null

echo "== slurm (one node: $host, $cpus CPUs)"
conf=$work/slurm.conf
cat >"$conf" <<CONF
ClusterName=zkarena
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF=$conf
$sudo env SLURM_CONF="$conf" slurmctld -i
$sudo env SLURM_CONF="$conf" slurmd
sleep 1
started+=("$(cat "$work/slurmctld.pid")" "$(cat "$work/slurmd.pid")")
for _ in $(seq 30); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)' && break
  sleep 1
done
sinfo

echo "== the sweep as a job array of 4"
out=$work/shards
mkdir -p "$out"
sbatch --wait --array=0-3 --chdir="$work" \
  --export=ALL,PLAN="$plan",OUT="$out",ZKARENA="$zkarena" deploy/slurm/sweep.sbatch
ls "$out"
"$zkarena" sweep merge "$out" --out "$work/merged" >/dev/null

echo "== the same sweep on this machine"
"$zkarena" sweep "$plan" --out "$work/local" >/dev/null

for f in sweep.json sweep.md runs.csv sweep.html; do
  cmp "$work/local/$f" "$work/merged/$f"
  echo "same bytes: $f ($(wc -c <"$work/local/$f") bytes)"
done
echo "ok: 4 Slurm array tasks merged into exactly the local sweep of $plan ($work)"
