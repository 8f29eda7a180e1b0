#!/usr/bin/env bash
# make bench, the broadcast's part: kind bcast at 4 pretend nodes (one
# rank each) against every node staging the venv from the source itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/bcast_bench.sh [--reps N]

On /dev/shm, first into empty node directories each time:
  bcast   mpirun -n 4 build/harness --ranks-per-node 1 on a bcast filesystem:
          its time_to_first_import_s (staging barrier to barrier + the
          import phase's elapsed time)
  each    4 concurrent `build/harness --stage-only`, one per node directory,
          timed together, plus the same import time
and the same again with every copy already up to date; and the first copy
broadcast compressed (zstd level 1, compress_level = 1) against raw (the
default, compress_level = 0): bytes and time to first import. Prints the medians and the ratios
with their targets (see README, "The bcast kind"). --reps N: runs per
measurement (default 5).
USAGE
}

reps=5
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=${2:?--reps needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bcast_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

nodes=4
need_build bcast_bench
if [ ! -d /dev/shm ] || [ ! -w /dev/shm ]; then
    echo "bcast_bench: /dev/shm is not writable here" >&2
    exit 2
fi

dir=$(mktemp -d /dev/shm/mpi4py-bcast-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cfg=$dir/bench.cfg
{
    printf 'machines = ({ name = "bench"; venv = "%s"; filesystems = (\n' "$venv"
    printf '  { name = "b"; kind = "bcast"; path = "%s/bcast"; }' "$dir"
    printf ',\n  { name = "z"; kind = "bcast"; path = "%s/bcast"; compress_level = 1; }' "$dir"
    for k in $(seq 0 $((nodes - 1))); do
        printf ',\n  { name = "s%d"; kind = "staged"; path = "%s/staged-node%d"; }' "$k" "$dir" "$k"
    done
    printf '); });\n'
} >"$cfg"

# One bcast run on filesystem ${1:-b}: prints "staging_seconds import_elapsed
# whole_file_bytes bytes_as_sent".
bcast_run() {
    mpirun -n "$nodes" "$harness" --config "$cfg" --machine bench --filesystem "${1:-b}" --ranks-per-node 1 \
        --skip-checks --no-startup --quiet --json - 2>/dev/null |
        python3 -c 'import json, sys; r = json.load(sys.stdin); s = r["staging"]
print(s["seconds"], r["elapsed_s"], s["bcast"]["bytes_uncompressed"], s["bcast"]["bytes_compressed"])'
}

# Every node stages from the source itself, all at once: seconds to the last.
stage_each() {
    local t0=$EPOCHREALTIME pids=()
    for k in $(seq 0 $((nodes - 1))); do
        "$harness" --stage-only --quiet --config "$cfg" --machine bench --filesystem "s$k" & pids+=($!)
    done
    wait "${pids[@]}"
    local t1=$EPOCHREALTIME
    echo "${t1/./} ${t0/./}" | awk '{ printf "%.6f\n", ($1 - $2) / 1e6 }'
}

empty() { rm -rf "$dir"/bcast-node* "$dir"/staged-node*; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a + b }'; }

# Untimed: the source into the page cache, as for every measurement after.
bcast_run >/dev/null
empty

first_b=() first_e=() noop_b=() noop_e=() stage_b=() stage_e=() imports=() first_z=()
raw_bytes=0 zst_bytes=0
for _ in $(seq "$reps"); do
    empty
    read -r staging import raw_bytes zst_bytes < <(bcast_run z)
    first_z+=("$(sum "$staging" "$import")")
    empty
    read -r staging import _ _ < <(bcast_run)
    first_b+=("$(sum "$staging" "$import")") stage_b+=("$staging") imports+=("$import")
    each=$(stage_each)
    first_e+=("$(sum "$each" "$import")") stage_e+=("$each")
    read -r staging _ _ _ < <(bcast_run)
    noop_b+=("$staging")
    noop_e+=("$(stage_each)")
done

echo "bcast_bench: $venv ($(du -sh --exclude='*.pyc' "$venv" | cut -f1) without *.pyc) to $nodes pretend nodes on /dev/shm, medians of $reps"
printf '  first copy: bcast staging %.3f s, every node staging itself %.3f s; import phase %.3f s\n' \
    "$(median "${stage_b[@]}")" "$(median "${stage_e[@]}")" "$(median "${imports[@]}")"
# One machine is bcast's worst case: the source sits in the page cache,
# so reading it once saves nothing, while each byte crosses MPI's shared
# memory on its way to a leader (two more copies than the kernel's
# copy_file_range makes): its staging may cost up to 2x here; with the
# import added, what a job waits for, up to 1.5x.
report "time to first import: bcast vs each node staging" "$(median "${first_b[@]}")" "$(median "${first_e[@]}")" 1.5
report "first copy, staging alone: bcast vs each node" "$(median "${stage_b[@]}")" "$(median "${stage_e[@]}")" 2.0
# Up to date, rank 0 walks the source once instead of every node doing so.
report "up to date, staging alone: bcast vs each node" "$(median "${noop_b[@]}")" "$(median "${noop_e[@]}")" 1.0
# Compression: the bytes are what a real interconnect would carry; the
# time is reported only, one machine's shared memory is no network.
UNIT=bytes report "first copy, bytes as sent: zstd vs raw" "$zst_bytes" "$raw_bytes" 0.4
reported "time to first import: zstd vs raw broadcast" "$(median "${first_z[@]}")" "$(median "${first_b[@]}")"
exit $(( BENCH_FAILED > 0 ))
