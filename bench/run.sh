#!/usr/bin/env bash
# make bench: every benchmark script in turn; prints ratios against the
# reference tools measured in the same script. Exit 1 if a target is missed.
# PMB_DIR: a python-mpi-bcast source tree for first_copy_bench.sh (--pmb).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
failed=0
for script in bench/harness_bench.sh "bench/stage_bench.sh --strict" bench/bcast_bench.sh bench/image_bench.sh \
    bench/vcluster_bench.sh bench/first_copy_bench.sh; do
    [ -x "${script%% *}" ] || continue
    # shellcheck disable=SC2086 # a script and its flags
    $script || failed=$((failed + 1))
done
[ "$failed" = 0 ] && echo "bench: all targets met" || echo "bench: $failed script(s) missed a target"
exit $(( failed > 0 ))
