# shellcheck shell=bash
# bench/lib.sh: helpers shared by the benchmark scripts: medians, JSON
# fields, and one line per ratio with its target and PASS/FAIL.

BENCH_FAILED=${BENCH_FAILED:-0}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# need_build NAME: sets harness and venv, or exits 2 naming what to build.
need_build() {
    harness=build/harness
    venv=$(readlink -f build/venv)
    [ -x "$harness" ] || { echo "$1: build $harness first (make all)" >&2; exit 2; }
    [ -x "$venv/bin/python" ] || { echo "$1: build the venv first (make venv)" >&2; exit 2; }
}

# json_field a.b < json: one number from a JSON document on stdin.
json_field() {
    python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"
}

# report LABEL MEASURED REFERENCE MAX [MIN]: prints the ratio against its target.
report() {
    local label=$1 got=$2 ref=$3 max=$4 min=${5:-0}
    # UNIT=bytes for a count of bytes; seconds otherwise.
    awk -v l="$label" -v g="$got" -v r="$ref" -v max="$max" -v min="$min" -v unit="${UNIT:-s}" 'BEGIN {
        ratio = g / r; ok = (ratio <= max && ratio >= min)
        target = (min > 0) ? sprintf("%.2f..%.2f", min, max) : sprintf("<= %.2f", max)
        f = unit == "s" ? "%10.6f" : "%10d"
        printf "  %-52s " f " %s / " f " %s = %6.3fx  (target %s)  %s\n", l, g, unit, r, unit, ratio, target,
            ok ? "PASS" : "FAIL"
        exit ok ? 0 : 1 }' || BENCH_FAILED=$((BENCH_FAILED + 1))
}

# reported LABEL GOT REF [NOTE]: a ratio without a target.
reported() {
    awk -v l="$1" -v g="$2" -v r="$3" -v note="${4:-reported, no target}" 'BEGIN {
        printf "  %-52s %10.6f s / %10.6f s = %6.3fx  (%s)\n", l, g, r, g / r, note }'
}
