#!/usr/bin/env bash
# bench/stage_bench.sh: the stager against the real tools on the real venv,
# on disk and on /dev/shm: medians of a few runs each, ratios with targets.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/stage_bench.sh [--reps N] [--strict]

Times `harness --stage-only` (build/harness) staging build/venv, against
`rsync -a --exclude '*.pyc'` and `cp -a` of the same tree, on disk
($TMPDIR, else /var/tmp) and on /dev/shm; prints each median and the
ratios with the issue's targets:
  no-op restage (all up to date)  <= 0.5 x rsync no-op
  first stage into an empty target <= 0.8 x rsync, <= 1.0 x cp -a
  --reps N   runs per measurement, the median counts (default 7)
  --strict   exit 1 when a ratio misses its target
USAGE
}

reps=7 strict=0
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=${2:?--reps needs a number}; shift ;;
        --strict) strict=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "stage_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

need_build stage_bench
for tool in rsync cp; do
    command -v "$tool" >/dev/null || { echo "stage_bench: $tool is not installed" >&2; exit 2; }
done

work=()
cleanup() { [ ${#work[@]} -eq 0 ] || rm -rf "${work[@]}"; }
trap cleanup EXIT

# Seconds one command takes, from bash's microsecond clock.
elapsed() {
    local t0=$EPOCHREALTIME
    "$@" >/dev/null
    local t1=$EPOCHREALTIME
    echo "${t1/./} ${t0/./}" | awk '{ printf "%.6f\n", ($1 - $2) / 1e6 }'
}


# The tools take turns within each repetition, each after the previous
# one's writes are on disk (syncfs), so that writeback throttling caused
# by one does not land on the next.
declare -A times
round() { # KEY PREPARE COMMAND...
    local key=$1 prepare=$2; shift 2
    eval "$prepare"
    sync -f "$dir"
    times[$key]+="$(elapsed "$@") "
}
median_key() {
    local v
    read -ra v <<<"${times[$1]}"
    median "${v[@]}"
}

fails=0 dir=
verdict() { # NAME RATIO LIMIT
    local ok
    ok=$(awk -v r="$2" -v l="$3" 'BEGIN { print (r <= l) ? "PASS" : "FAIL" }')
    [ "$ok" = PASS ] || fails=$((fails + 1))
    printf '  %-34s %6.2fx  (target <= %sx)  %s\n' "$1" "$2" "$3" "$ok"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }

bench_on() { # LABEL DIR
    local label=$1
    dir=$(mktemp -d "$2/mpi4py-stage-bench.XXXXXX")
    work+=("$dir")
    local target=$dir/staged cfg=$dir/bench.cfg
    printf 'machines = ({ name = "bench"; venv = "%s"; filesystems = (\n  { name = "t"; kind = "staged"; path = "%s"; }); });\n' \
        "$venv" "$target" >"$cfg"
    local stage=("$harness" --stage-only --quiet --config "$cfg" --machine bench --filesystem t)
    local rsync_cmd=(rsync -a --exclude '*.pyc' "$venv/" "$dir/rsync/")

    # One untimed pass of each warms the source into the page cache.
    "${stage[@]}"; "${rsync_cmd[@]}"; cp -a "$venv" "$dir/cp"
    times=()
    for _ in $(seq "$reps"); do
        round first_stage "rm -rf '$target'" "${stage[@]}"
        round first_rsync "rm -rf '$dir/rsync'" "${rsync_cmd[@]}"
        round first_cp "rm -rf '$dir/cp'" cp -a "$venv" "$dir/cp"
        round noop_stage : "${stage[@]}"
        round noop_rsync : "${rsync_cmd[@]}"
        round walk : find "$venv" -printf '%s %T@\n'
    done
    local first_stage first_rsync first_cp noop_stage noop_rsync walk
    first_stage=$(median_key first_stage) first_rsync=$(median_key first_rsync) first_cp=$(median_key first_cp)
    noop_stage=$(median_key noop_stage) noop_rsync=$(median_key noop_rsync) walk=$(median_key walk)

    echo "$label ($dir), medians of $reps:"
    printf '  first copy:  stage %.3f s, rsync -a %.3f s, cp -a %.3f s\n' "$first_stage" "$first_rsync" "$first_cp"
    printf '  up to date:  stage %.1f ms, rsync -a %.1f ms, bare find walk %.1f ms\n' \
        "$(awk -v s="$noop_stage" 'BEGIN { print s * 1000 }')" "$(awk -v s="$noop_rsync" 'BEGIN { print s * 1000 }')" \
        "$(awk -v s="$walk" 'BEGIN { print s * 1000 }')"
    verdict "no-op restage / rsync no-op" "$(ratio "$noop_stage" "$noop_rsync")" 0.5
    verdict "first stage / rsync -a" "$(ratio "$first_stage" "$first_rsync")" 0.8
    verdict "first stage / cp -a" "$(ratio "$first_stage" "$first_cp")" 1.0
}

echo "stage_bench: $venv: $(find "$venv" ! -name '*.pyc' | wc -l) entries without *.pyc, $(du -sh --exclude='*.pyc' "$venv" | cut -f1)"
bench_on "disk" "${TMPDIR:-/var/tmp}"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    bench_on "/dev/shm" /dev/shm
else
    echo "/dev/shm: not writable here, skipped"
fi
if [ "$fails" -gt 0 ]; then
    echo "stage_bench: $fails ratio(s) missed their target"
    [ "$strict" = 0 ] || exit 1
fi
