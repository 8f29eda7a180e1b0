#!/usr/bin/env bash
# tests/vcluster/demo.sh (make cluster-demo): the benchmark on a virtual
# cluster of this machine: up, the venv onto the shared mount, one run per
# filesystem under srun on every node, one comparison table, down.
set -euo pipefail
cd "$(dirname "$0")/../.."

nodes=${NODES:-4} per_node=${PER_NODE:-4}
out=build/cluster-demo
vc=tests/vcluster/vcluster
if [ "$(id -u)" != 0 ]; then
    echo "cluster-demo: run as root (the cluster makes namespaces, a bridge and /etc/hosts lines)" >&2
    exit 1
fi
jobs/install-deps.sh --cluster
make --no-print-directory all venv

mkdir -p "$out"
"$vc" up --nodes "$nodes" --dir "$out/cluster"
trap '"$vc" down --dir "$out/cluster"' EXIT
eval "$("$vc" env --dir "$out/cluster")"
# conf/vcluster.cfg's venv, /shared/venv on the nodes: a --copies venv
# works where it is copied to.
echo "cluster-demo: copying build/venv to the shared server ($VCLUSTER_EXPORT/venv)"
rsync -a --delete "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"

results=()
for fs in common scratch tmpfs bcast; do
    echo "cluster-demo: $fs on $nodes nodes x $per_node ranks"
    srun -N "$nodes" --ntasks-per-node "$per_node" build/harness --config conf/vcluster.cfg --machine vcluster \
        --filesystem "$fs" --quiet --json "$out/$fs.json" >"$out/$fs.txt"
    results+=("$out/$fs.json")
done
echo
tests/vcluster/table.py "${results[@]}"
echo "cluster-demo: each run's table in $out/<fs>.txt, its JSON in $out/<fs>.json"
