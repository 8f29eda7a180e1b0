#!/usr/bin/env bash
# make bench, the virtual cluster's part (as root): the filesystems of
# conf/vcluster.cfg on 4 nodes x 4 ranks of tools/vcluster/vcluster (MooseFS
# at /shared), the metadata server's operations, and elapsed times at 1, 2
# and 4 nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/vcluster_bench.sh

Brings up a virtual cluster of 4 nodes (tools/vcluster/vcluster, MooseFS
at /shared with the clients' metadata caches off: every rank's lookups
reach the one master, the hard case the benchmark is for), copies
build/venv to its shared mount and runs build/harness under srun, 4 ranks
a node, one run per figure (the targets: medians of 3, interleaved):
  bcast time to first import with the node copies up to date (what a
  benchmark run from cron sees: the broadcast's check plus the import)
  against the in-place import from the shared mount (filesystem common),
  target <= 0.4, and the same into empty node copies, reported; the
  image kind (conf/vcluster.cfg's: one squashfs on the shared mount,
  broadcast to each node's memory and loop-mounted there) up to date
  against common, target <= 0.4, and its first build, reported;
  the MooseFS master's operations per rank and import during the import
  phase (server_ops, from every node's /shared/.stats): common's
  reported, bcast's and image's against common's, target <= 0.05 each;
  staged scratch (on the shared mount) against common, reported; bcast
  compressed (level 1) against raw (the default) into empty copies,
  medians of 3, reported; elapsed at 1, 2 and 4 nodes for common and
  bcast, as a table; then, on a cluster with MooseFS's default client
  caches, bcast and image against common again, medians of 3, reported.
  Not root: says so and exits 0 (nothing measured).
USAGE
}
case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) echo "vcluster_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "vcluster_bench: skipped: the virtual cluster needs root"
    exit 0
fi
if [ ! -x build/harness ] || [ ! -x build/venv/bin/python ]; then
    echo "vcluster_bench: make all venv first" >&2
    exit 2
fi

per_node=4
vc=tools/vcluster/vcluster
dir=$(mktemp -d /tmp/mpi4py-vcluster-bench.XXXXXX)
"$vc" up --nodes 4 --cache none --dir "$dir/cluster" >/dev/null
trap '"$vc" down --dir "$dir/cluster" >/dev/null; rm -rf "$dir"' EXIT
eval "$("$vc" env --dir "$dir/cluster")"
# conf/vcluster.cfg and two more filesystems without a packed image, so
# that their first copies go file by file: bcastz compressed at level 1,
# bcastr raw.
cfg=$dir/vcluster.cfg
sed 's|^\( *\)\({ name = "bcast"; .*\)$|\1{ name = "bcastz"; kind = "bcast"; path = "/dev/shm/mpi4py-import/bcastz"; compress_level = 1; },\n\1{ name = "bcastr"; kind = "bcast"; path = "/dev/shm/mpi4py-import/bcastr"; },\n\1\2|' \
    conf/vcluster.cfg >"$cfg"
grep -q bcastz "$cfg" || { echo "vcluster_bench: conf/vcluster.cfg no longer has the bcast line" >&2; exit 2; }
rsync -a "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"

# empty FS: the node copies of the bcast filesystem FS removed on every node.
empty() {
    local k
    for k in 1 2 3 4; do "$vc" exec --dir "$dir/cluster" "node$k" rm -rf "/dev/shm/mpi4py-import/$1"; done
}

# run FS NODES [NAME]: one run, its JSON in $dir/NAME.json (FS-NODES);
# bcast into empty node copies unless NAME is given (then as they are).
run() {
    local fs=$1 n=$2 name=${3:-$1-$2}
    [ "$fs" = bcast ] && [ -z "${3:-}" ] && empty bcast
    # Once: a crash fails the bench with the rank's message.
    srun --kill-on-bad-exit=1 -N "$n" --ntasks-per-node "$per_node" build/harness --config "$cfg" \
        --machine vcluster --filesystem "$fs" --no-startup --quiet --json "$dir/$name.json" \
        >/dev/null 2>"$dir/$name.err" && return 0
    cat "$dir/$name.err" >&2
    return 1
}
field() { json_field "$2" <"$dir/$1.json"; }

# The jobs' stage step (--stage-only) packs and stamps bcast's image and
# the image kind's: a run then checks each with one stat instead of
# walking the venv on the shared mount, and bcast's first copies are
# unpacked from its image.
stage() {
    srun --kill-on-bad-exit=1 -N 1 -n 1 build/harness --config "$cfg" --machine vcluster --filesystem "$1" \
        --stage-only --quiet >/dev/null
}
stage bcast
for n in 1 2 4; do run common "$n"; run bcast "$n"; done
run image 4 image-4-build
stage image
# The targets' figures: medians of 3 runs each, interleaved, since one run
# on a loaded 2-core machine varies by a second or more.
for k in 1 2 3; do
    run common 4 "common-4-$k"; run bcast 4 "bcast-4-again-$k"; run image 4 "image-4-$k"
done
run scratch 4
# Compression on the cluster's links (TCP over veth on a 2-core machine):
# into empty copies, level 1 against raw, interleaved.
for k in 1 2 3; do
    empty bcastr; run bcastr 4 "bcast-4-raw-$k"
    empty bcastz; run bcastz 4 "bcastz-4-$k"
done
med() { median "$(field "$1-1" "$2")" "$(field "$1-2" "$2")" "$(field "$1-3" "$2")"; }
cp "$dir/image-4-2.json" "$dir/image-4.json"

echo "vcluster_bench: 4 nodes x $per_node ranks, venv on /shared (MooseFS), node copies in each node's /dev/shm"
tools/vcluster/table.py "$dir/common-4.json" "$dir/scratch-4.json" "$dir/bcast-4.json" "$dir/image-4.json" | sed 's/^/  /'
common_first=$(med common-4 time_to_first_import_s)
report "time to first import: bcast (copies up to date) vs common" "$(med bcast-4-again time_to_first_import_s)" \
    "$common_first" 0.4
report "time to first import: image (up to date) vs common" "$(med image-4 time_to_first_import_s)" \
    "$common_first" 0.4
common_ops=$(med common-4 server_ops.per_rank_import)
printf '  %-52s %10.0f ops (reported)\n' "server ops per rank and import: common" "$common_ops"
UNIT=ops report "server ops per rank and import: bcast vs common" "$(med bcast-4-again server_ops.per_rank_import)" \
    "$common_ops" 0.05
UNIT=ops report "server ops per rank and import: image vs common" "$(med image-4 server_ops.per_rank_import)" \
    "$common_ops" 0.05
printf '  image up to date, medians: check %.3f s (rebuilt in %s of 3 runs), slowest mount %.3f s, import %.3f s\n' \
    "$(med image-4 staging.image.build_s)" "$(python3 -c 'import json, sys
print(sum(json.load(open(f))["staging"]["image"]["built"] for f in sys.argv[1:]))' "$dir"/image-4-[123].json)" \
    "$(med image-4 staging.image.mount_s)" "$(med image-4 elapsed_s)"
first() { field "$1" time_to_first_import_s; }
reported "time to first import: image (built now) vs common" "$(first image-4-build)" "$(first common-4)" report
reported "time to first import: bcast (empty copies) vs common" "$(first bcast-4)" "$(first common-4)" report
reported "time to first import: staged scratch vs common" "$(first scratch-4)" "$(first common-4)" \
    "report; the seed saw ~2x on Cori"
reported "import elapsed: staged scratch vs common" "$(field scratch-4 elapsed_s)" "$(first common-4)" report
reported "time to first import: bcast level 1 vs raw (empty copies)" "$(med bcastz-4 time_to_first_import_s)" \
    "$(med bcast-4-raw time_to_first_import_s)" report
echo "  elapsed (s), $per_node ranks a node:"
printf '    %-6s %10s %10s\n' nodes common bcast
for n in 1 2 4; do
    printf '    %-6s %10.3f %10.3f\n' "$n" "$(field "common-$n" elapsed_s)" "$(field "bcast-$n" elapsed_s)"
done

# The same three with MooseFS's default client caches (attributes and
# directory entries kept 1 s): less of each import reaches the master.
"$vc" down --dir "$dir/cluster" >/dev/null
"$vc" up --nodes 4 --cache default --dir "$dir/cluster" >/dev/null
eval "$("$vc" env --dir "$dir/cluster")"
rsync -a "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"
stage bcast; run bcast 4 cached-bcast-warm; run image 4 cached-image-warm; stage image
for k in 1 2 3; do
    run common 4 "cached-common-$k"; run bcast 4 "cached-bcast-$k"; run image 4 "cached-image-$k"
done
echo "  MooseFS's default client caches:"
reported "time to first import: bcast (copies up to date) vs common" "$(med cached-bcast time_to_first_import_s)" \
    "$(med cached-common time_to_first_import_s)" "reported, default caches"
reported "time to first import: image (up to date) vs common" "$(med cached-image time_to_first_import_s)" \
    "$(med cached-common time_to_first_import_s)" "reported, default caches"
printf '  %-52s %10.0f ops (reported)\n' "server ops per rank and import: common, default caches" \
    "$(med cached-common server_ops.per_rank_import)"
exit $(( BENCH_FAILED > 0 ))
