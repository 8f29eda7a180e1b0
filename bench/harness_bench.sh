#!/usr/bin/env bash
# make bench, the harness's part: its own overhead against references run
# in this same script (a bare posix_spawn+waitpid loop; direct imports).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

runs=${BENCH_RUNS:-50}        # spawns per measurement
rounds=${BENCH_ROUNDS:-9}     # interleaved rounds; the median round counts
cfg=conf/local.cfg
py=build/venv/bin/python

# mpirun binds a rank to a core and its children inherit that; the
# references run under mpirun -n 1 too, or binding, not the harness,
# would make the difference on a loaded machine.
direct_spawn() { mpirun -n 1 build/spawn-loop "$@"; }

# One harness run on one rank, RUNS repeats; prints the per-rank median.
harness_median() {
    mpirun -n 1 build/harness --config "$cfg" --machine local --filesystem common --quiet --json - \
        --repeat "$runs" "$@" 2>/dev/null | json_field per_rank.median
}

echo "== harness overhead: /bin/true as the child, $rounds rounds of $runs spawns"
h=() d=()
for _ in $(seq "$rounds"); do
    h+=("$(harness_median --child /bin/true --skip-checks --no-startup)")
    d+=("$(direct_spawn "$runs" /bin/true)")
done
report "harness per-rank /bin/true vs bare posix_spawn+waitpid" "$(median "${h[@]}")" "$(median "${d[@]}")" 1.02

echo "== import numpy at one rank: $rounds rounds of $((runs / 2)) imports"
runs=$((runs / 2))
h=() d=()
for _ in $(seq "$rounds"); do
    h+=("$(harness_median --no-startup)")
    d+=("$(direct_spawn "$runs" "$py" -c 'import numpy')")
done
report "harness import numpy vs direct runs (median)" "$(median "${h[@]}")" "$(median "${d[@]}")" 1.03 0.97
exit $(( BENCH_FAILED > 0 ))
