#!/usr/bin/env bash
# make bench-history: the report over a decade of history: --report --html
# with change points over 175,200 rows in 12 setups, its time and the page's size.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

usage() {
    cat <<'USAGE'
Usage: bench/history_bench.sh [--keep DIR]

As root (the tests' throwaway PostgreSQL runs as user postgres): fills a
fresh database with 10 years of 4 runs a day on 6 filesystems at 2 sizes
(175,200 rows, +-8% spread, about 1% failed, 0.5% timed out, 0.5% lost,
one setup 40% slower for the last 25 days), then times build/harness
--report --html --days 3660 --fail-on-regression 1.2 (otava included) and
measures report.html. Targets: the report in 30 s or less, the page 3 MB
or less. --keep DIR keeps the report there.
USAGE
}

keep=
while [ $# -gt 0 ]; do
    case "$1" in
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "history_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "history_bench: run as root (PostgreSQL runs as user postgres)" >&2; exit 2; }
need_build history_bench
[ -x build/tools-venv/bin/otava ] || { echo "history_bench: build the tools venv first (make tools)" >&2; exit 2; }

out=${keep:-$(mktemp -d)}
echo "history_bench: 175,200 rows, 12 setups; --report --html --days 3660 --fail-on-regression 1.2"
# Prints "seconds bytes status" of the report.
read -r secs bytes status < <(PYTHONPATH=tests python3 - "$out" "$venv" <<'PY'
import subprocess, sys, tempfile, time
from pathlib import Path
from helpers.pgserver import new_database, running_server

out, venv = Path(sys.argv[1]), Path(sys.argv[2])
FILL = """
INSERT INTO results (status, machine, filesystem, fs_kind, ranks, import_statement, suite, started_at, reserved_at,
                     elapsed_s, time_to_first_import_s)
SELECT st, 'decade', fs, kind, r, 'import numpy', 'numpy', CASE WHEN st = 'lost' THEN NULL ELSE at END, at,
       CASE WHEN st = 'ok' THEN t END, CASE WHEN st = 'ok' THEN t * (1 + staging) END
FROM (SELECT *, CASE WHEN u < 0.01 THEN 'failed' WHEN u < 0.015 THEN 'timeout' WHEN u < 0.02 THEN 'lost'
                     ELSE 'ok' END AS st
      FROM (SELECT fs, kind, r, staging, random() AS u, now() - interval '6 hours' * i - interval '1 minute' * k AS at,
                   (CASE WHEN r = 96 THEN 0.3 ELSE 6.0 END) * f * (1 + 0.16 * (random() - 0.5))
                     * CASE WHEN fs = 'scratch' AND r = 4800 AND i < 100 THEN 1.4 ELSE 1 END AS t
            FROM generate_series(0, 14599) i,
                 (VALUES ('common', 'inplace', 1.0, 0.0, 1), ('project', 'inplace', 1.3, 0.0, 2),
                         ('scratch', 'staged', 0.8, 0.1, 3), ('tmpfs', 'staged', 0.5, 0.2, 4),
                         ('bcast', 'bcast', 0.2, 0.25, 5), ('image', 'image', 0.3, 0.15, 6)) f(fs, kind, f, staging, k),
                 unnest(ARRAY[96, 4800]) r) drawn) decided;
"""
with running_server() as server:
    tmp = Path(tempfile.mkdtemp(prefix="history-bench-"))
    db = new_database(server, tmp, venv)
    subprocess.run(["build/harness", "--db-init", "--config", db.config], check=True, capture_output=True)
    db.psql(FILL)
    db.psql("ANALYZE results")
    rows = db.psql("SELECT count(*) FROM results")[0][0]
    print(f"history_bench: {rows} rows", file=sys.stderr)
    t0 = time.monotonic()
    proc = subprocess.run(["build/harness", "--report", "--html", "--days", "3660", "--config", db.config,
                           "--out", out, "--fail-on-regression", "1.2"], capture_output=True, text=True)
    secs = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        sys.exit(proc.stderr)
    print(proc.stdout.split("\n\n", 1)[0], file=sys.stderr)
    print(secs, (out / "report.html").stat().st_size, proc.returncode)
PY
)
[ "$status" = 1 ] || { echo "history_bench: the gate missed the 40% slowdown (exit $status)" >&2; BENCH_FAILED=$((BENCH_FAILED + 1)); }
report "--report --html with change points, 175,200 rows" "$secs" 30 1.0
UNIT=bytes report "report.html, bytes" "$bytes" 3000000 1.0
[ -n "$keep" ] || rm -rf "$out"
exit $(( BENCH_FAILED > 0 ))
