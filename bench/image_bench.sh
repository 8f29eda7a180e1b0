#!/usr/bin/env bash
# make bench, the image kind on this machine: time to first import from an
# up-to-date squashfs image against the in-place import of the same venv.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/image_bench.sh [--reps N]

mpirun -n 4 build/harness --ranks-per-node 2 (two pretend nodes, two
mounts), the venv build/venv:
  image    kind image, the image up to date (built once before): its
           time_to_first_import_s (the manifest check, the slowest mount,
           the import phase)
  inplace  kind inplace on the same venv: the import phase alone
Medians of --reps N runs each (default 5), and their ratio (reported: on
one machine the venv sits in the page cache, so the in-place import pays
no metadata round trips; bench/vcluster_bench.sh sets the target, over a
shared mount).
USAGE
}

reps=5
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=${2:?--reps needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "image_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

need_build image_bench
command -v squashfuse >/dev/null || { echo "image_bench: squashfuse is not installed (jobs/install-deps.sh)" >&2; exit 2; }

dir=$(mktemp -d /tmp/mpi4py-image-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cfg=$dir/bench.cfg
printf 'machines = ({ name = "bench"; venv = "%s"; filesystems = (\n  { name = "inplace"; kind = "inplace"; },\n  { name = "image"; kind = "image"; path = "%s/img/venv.sqfs"; mount = "%s/mnt"; }); });\n' \
    "$venv" "$dir" "$dir" >"$cfg"

# first_import FS: the run's time to first import (the import phase alone in place).
first_import() {
    mpirun -n 4 "$harness" --config "$cfg" --machine bench --filesystem "$1" --ranks-per-node 2 \
        --skip-checks --no-startup --quiet --json - 2>/dev/null |
        python3 -c 'import json, sys; r = json.load(sys.stdin)
print(r["time_to_first_import_s"] if r["staging"] else r["elapsed_s"])'
}

build_s=$("$harness" --stage-only --quiet --config "$cfg" --machine bench --filesystem image --json - |
    json_field image.build_s)
first_import inplace >/dev/null   # the page cache warm for both
images=() inplaces=()
for _ in $(seq "$reps"); do
    images+=("$(first_import image)")
    inplaces+=("$(first_import inplace)")
done
echo "image_bench: $venv as a squashfs image ($(du -h "$dir/img/venv.sqfs" | cut -f1), built in $(printf %.2f "$build_s") s), 4 ranks on 2 pretend nodes, medians of $reps"
reported "time to first import: image (up to date) vs in place" "$(median "${images[@]}")" \
    "$(median "${inplaces[@]}")" "reported, no target here"
