#!/usr/bin/env bash
# bench/first_copy_bench.sh (make bench, as root): the first copy into
# empty node memory, the case a cron job on fresh nodes meets, against
# python-mpi-bcast on the virtual cluster; the verdicts by
# bench/first_copy_compare.py.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/first_copy_bench.sh [--pmb DIR] [--nodes "4 8"] [--runs 3]

On the virtual cluster (tools/vcluster/vcluster, MooseFS at /shared, the
venv there), one rank a node, medians of RUNS interleaved runs, for each
node count: the time to first import (staging + import) into empty node
memory (every node's /dev/shm emptied before each run) of the image
broadcast (kind image, deliver = "bcast", bytecode = "image": the venv's
bytecode packed; mount_with = "loop", compression = "lz4", as
conf/vcluster.cfg's image), the image mounted from the shared mount (deliver =
"shared", bytecode compiled on each node), bcast's first copy (from its
packed image), and
python-mpi-bcast's documented flow (pmb: rank 0 reads a gzip tarball of
the venv, MPI_Bcast to one rank a node, untar; its own `-t` timing without
MPI_Init, then the import from its copy timed by the harness, as ours);
then the same with the copies already there (warm nodes). Targets: image
broadcast <= 0.3x pmb and no slower than the shared image, bcast's first
copy <= 1.0x pmb, warm bcast <= 0.45x pmb, the bytes the image broadcast
reads from the shared mount the same at every node count.

  --pmb DIR   a python-mpi-bcast source tree (bcast.c, bcast-tar.c from
              https://github.com/rainwoodman/python-mpi-bcast; measured at
              its commit 962c724), built here with mpicc into build/pmb/
              (needs libarchive-dev); never copied into this tree. Also
              $PMB_DIR. Without it the pmb ratios are skipped, said so.
  --nodes L   node counts (default "4 8"); --runs K  runs per figure (3)
Not root: says so and exits 0 (nothing measured). Exit 1 when a target
fails, 2 on bad usage.
USAGE
}

pmb_dir=${PMB_DIR:-} nodes_list="4 8" runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --pmb) pmb_dir=${2:?--pmb needs a directory}; shift 2 ;;
        --nodes) nodes_list=${2:?--nodes needs a list}; shift 2 ;;
        --runs) runs=${2:?--runs needs a count}; shift 2 ;;
        *) echo "first_copy_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "first_copy_bench: --runs '$runs': not a count" >&2; exit 2; }
max=0
for n in $nodes_list; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "first_copy_bench: --nodes: '$n' is not a node count" >&2; exit 2; }
    (( n > max )) && max=$n
done
if [ "$(id -u)" != 0 ]; then
    echo "first_copy_bench: skipped: the virtual cluster needs root"
    exit 0
fi
need_build first_copy_bench
pmb=
if [ -n "$pmb_dir" ]; then
    if [ ! -f "$pmb_dir/bcast.c" ] || [ ! -f "$pmb_dir/bcast-tar.c" ]; then
        echo "first_copy_bench: --pmb $pmb_dir: no bcast.c and bcast-tar.c there" >&2
        exit 2
    fi
    mkdir -p build/pmb
    mpicc -O2 -w -o build/pmb/bcast "$pmb_dir/bcast.c" "$pmb_dir/bcast-tar.c" -larchive \
        || { echo "first_copy_bench: building python-mpi-bcast failed (libarchive-dev?)" >&2; exit 2; }
    pmb=build/pmb/bcast
else
    echo "first_copy_bench: no --pmb DIR: python-mpi-bcast's ratios are skipped"
fi

vc=tools/vcluster/vcluster
# Every run's JSON and pmb's timing stay in build/first-copy-bench/.
dir=$PWD/build/first-copy-bench
rm -rf "$dir"
mkdir -p "$dir"
"$vc" up --nodes "$max" --cache none --dir "$dir/cluster" >/dev/null
trap '"$vc" down --dir "$dir/cluster" >/dev/null' EXIT
eval "$("$vc" env --dir "$dir/cluster")"
rsync -a "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"
# The two image deliveries beside conf/vcluster.cfg's filesystems, each
# its own file: the broadcast with the venv's bytecode packed (imagebc),
# and the image mounted from the shared mount, bytecode compiled on each
# node (image-shared: the kind before the broadcast); pmb's import from
# its copy as an in-place venv.
cfg=$dir/vcluster.cfg
sed 's|^\( *\)\({ name = "image"; .*\)$|\1{ name = "imagebc"; kind = "image"; path = "/shared/image/bench-bc.sqfs"; mount = "/dev/shm/mpi4py-import/imagebc-mnt"; deliver = "bcast"; bytecode = "image"; mount_with = "loop"; compression = "lz4"; },\n\1{ name = "imagesh"; kind = "image"; path = "/shared/image/bench-sh.sqfs"; mount = "/dev/shm/mpi4py-import/imagesh-mnt"; },\n\1\2|' \
    conf/vcluster.cfg >"$cfg"
grep -q imagebc "$cfg" || { echo "first_copy_bench: conf/vcluster.cfg no longer has the image line" >&2; exit 2; }
sed 's|venv = "/shared/venv";|venv = "/dev/shm/pmb/venv";|' conf/vcluster.cfg >"$dir/pmb.cfg"
# The prep steps, untimed, as the jobs' stage step: our image, its stamp
# and manifest (bcast's packed source is the same file); pmb's tarball.
for fs in imagebc imagesh bcast; do
    srun --kill-on-bad-exit=1 -N 1 -n 1 build/harness --config "$cfg" --machine vcluster --filesystem "$fs" \
        --stage-only --quiet >/dev/null
done
if [ -n "$pmb" ]; then
    mkdir -p "$VCLUSTER_EXPORT/pmb"
    tar -czf "$VCLUSTER_EXPORT/pmb/venv.tar.gz" -C "$VCLUSTER_EXPORT" venv
fi

empty() {
    local k
    for k in $(seq 1 "$max"); do
        "$vc" exec --dir "$dir/cluster" "node$k" sh -c 'rm -rf /dev/shm/mpi4py-import /dev/shm/pmb'
    done
}
# harness CFG FS N NAME: one run on node1..nodeN (the nodes whose memory
# the figure is about), its JSON in $dir/NAME.json. Once: a crash fails the
# bench with the rank's message.
harness() {
    srun --kill-on-bad-exit=1 -N "$3" -w "node[1-$3]" --ntasks-per-node 1 build/harness --config "$1" --machine vcluster \
        --filesystem "$2" --skip-checks --no-startup --quiet --json "$dir/$4.json" >/dev/null 2>"$dir/$4.err" \
        && return 0
    cat "$dir/$4.err" >&2
    return 1
}
# pmb_run WHEN N K: pmb's broadcast and untar, then the import from its copy.
pmb_run() {
    [ -n "$pmb" ] || return 0
    srun --kill-on-bad-exit=1 -N "$2" -w "node[1-$2]" --ntasks-per-node 1 "$pmb" -t -p /dev/shm/pmb \
        /shared/pmb/venv.tar.gz >"$dir/pmb-$1-$2-$3.out" 2>"$dir/pmb-$1-$2-$3.err" \
        || { cat "$dir/pmb-$1-$2-$3.err" >&2; return 1; }
    harness "$dir/pmb.cfg" common "$2" "pmb-import-$1-$2-$3"
}

for k in $(seq 1 "$runs"); do
    for n in $nodes_list; do
        echo "first_copy_bench: run $k of $runs on $n nodes"
        # Each method cold (every node's memory emptied), then warm: again
        # on what its cold run left.
        empty; pmb_run cold "$n" "$k"; pmb_run warm "$n" "$k"
        empty; harness "$cfg" imagebc "$n" "imagebc-cold-$n-$k"; harness "$cfg" imagebc "$n" "imagebc-warm-$n-$k"
        empty; harness "$cfg" imagesh "$n" "image-cold-$n-$k"
        empty; harness "$cfg" bcast "$n" "bcast-cold-$n-$k"; harness "$cfg" bcast "$n" "bcast-warm-$n-$k"
    done
done
echo "first_copy_bench: the virtual cluster, MooseFS (caches off), venv on /shared"
python3 bench/first_copy_compare.py "$dir" "$nodes_list" "$runs" || BENCH_FAILED=$((BENCH_FAILED + 1))
echo "first_copy_bench: every run's JSON in $dir"
exit $(( BENCH_FAILED > 0 ))
