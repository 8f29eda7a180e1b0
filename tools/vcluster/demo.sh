#!/usr/bin/env bash
# tools/vcluster/demo.sh (make cluster-demo): the benchmark on a virtual
# cluster of this machine: up (MooseFS at /shared), the venv onto the shared
# mount, one run per filesystem of conf/vcluster.cfg under srun on every
# node, one comparison table, down. With --filesystems: only print those
# filesystems, one a line. NODES, PER_NODE (4, 4), DEMO_OUT
# (build/cluster-demo) and DEMO_SHARED (moosefs; or sshfs) from the
# environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

nodes=${NODES:-4} per_node=${PER_NODE:-4}
cfg=conf/vcluster.cfg
out=${DEMO_OUT:-build/cluster-demo} shared=${DEMO_SHARED:-moosefs}
vc=tools/vcluster/vcluster

# The filesystems of $cfg in its order, as the harness's own parser reads
# them: each job script --gen-jobs writes names its filesystem on its marker
# line ("# mpi4py-import job: machine=... filesystem=NAME size=..."), one
# script per filesystem and suite. (--gen-jobs also creates the config's
# log_dir, build/vcluster-logs.)
filesystems() {
    local dir wrote
    dir=$(mktemp -d)
    if ! wrote=$(build/harness --gen-jobs --config "$cfg" --machine vcluster --size small --out "$dir"); then
        rm -rf "$dir"
        return 1
    fi
    while read -r _ script; do
        sed -n 's/^# mpi4py-import job: .* filesystem=\([^ ]*\) .*$/\1/p' "$script"
    done <<<"$wrote" | awk '!seen[$0]++'
    rm -rf "$dir"
}

case "${1:-}" in
    --filesystems)
        [ -x build/harness ] || { echo "cluster-demo: no build/harness: run make first" >&2; exit 2; }
        filesystems
        exit ;;
    "") ;;
    *) echo "cluster-demo: unknown argument '$1' (only --filesystems)" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "cluster-demo: run as root (the cluster makes namespaces, a bridge and /etc/hosts lines)" >&2
    exit 1
fi
jobs/install-deps.sh --cluster
make --no-print-directory all venv
list=$(filesystems)
[ -n "$list" ] || { echo "cluster-demo: $cfg has no filesystem for machine vcluster" >&2; exit 2; }
mapfile -t fss <<<"$list"

mkdir -p "$out"
"$vc" up --nodes "$nodes" --shared "$shared" --dir "$out/cluster"
trap '"$vc" down --dir "$out/cluster"' EXIT
eval "$("$vc" env --dir "$out/cluster")"
# $cfg's venv, /shared/venv on the nodes: a --copies venv works where it is
# copied to.
echo "cluster-demo: copying build/venv to the shared server ($VCLUSTER_EXPORT/venv)"
rsync -a --delete "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"

results=()
for fs in "${fss[@]}"; do
    echo "cluster-demo: $fs on $nodes nodes x $per_node ranks"
    srun --kill-on-bad-exit=1 -N "$nodes" --ntasks-per-node "$per_node" build/harness --config "$cfg" --machine vcluster \
        --filesystem "$fs" --quiet --json "$out/$fs.json" >"$out/$fs.txt"
    results+=("$out/$fs.json")
done
echo
tools/vcluster/table.py "${results[@]}"
echo "cluster-demo: each run's table in $out/<fs>.txt, its JSON in $out/<fs>.json"
