#!/usr/bin/env bash
# tools/vcluster/scaling.sh (make cluster-scaling): a scaling series on the
# virtual cluster, recorded in a throwaway PostgreSQL and read back by the
# report, whose scaling panels fit T(N) per filesystem from real runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() {
    cat <<'USAGE'
Usage: tools/vcluster/scaling.sh        (make cluster-scaling; as root)

Brings up the virtual cluster (tools/vcluster/vcluster, MooseFS at /shared)
with as many nodes as the largest count, copies build/venv to the shared
mount, brings the bcast copies and the image up to date with one unrecorded
run each, then runs every filesystem at every node count, one rank a node,
RUNS times (interleaved: run 1 of every point, then run 2, ...), each result
recorded through libpq in a PostgreSQL server started for the series (and
stopped by its pid at the end). Then `harness --report --html` over that
database: OUT/report.html, whose scaling panels fit T(N) = a + b N^c per
filesystem, and OUT/scaling.txt: per node count the median time to first
import of each filesystem, the ratios to common, the server's metadata
operations, and the fitted exponents c. Everything it started is stopped
and removed at the end, also on failure.

Environment (defaults in brackets):
  SCALING_NODES        node counts ["1 2 4 8 16"]
  SCALING_RUNS         runs per point [3]
  SCALING_FILESYSTEMS  filesystems of conf/vcluster.cfg ["common bcast image"]
  SCALING_OUT          output directory [build/cluster-scaling]
  SCALING_CACHE        the MooseFS clients' metadata caches: none (every
                       lookup reaches the master, as in the bench), default, long [none]
Exit status: 0 done, 1 a run or a step failed (its message on stderr),
2 bad usage.
USAGE
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) echo "cluster-scaling: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac
counts=${SCALING_NODES:-"1 2 4 8 16"}
runs=${SCALING_RUNS:-3}
filesystems=${SCALING_FILESYSTEMS:-"common bcast image"}
out=${SCALING_OUT:-build/cluster-scaling}
cache=${SCALING_CACHE:-none}
max=0
for n in $counts; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "cluster-scaling: SCALING_NODES: '$n' is not a node count" >&2; exit 2; }
    (( n > max )) && max=$n
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "cluster-scaling: SCALING_RUNS: '$runs' is not a count" >&2; exit 2; }
(( max > 0 )) || { echo "cluster-scaling: SCALING_NODES is empty" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
    echo "cluster-scaling: run as root (the cluster makes namespaces, a bridge and /etc/hosts lines)" >&2
    exit 1
fi
INSTALL_DEPS_EXTRA="postgresql postgresql-client" jobs/install-deps.sh --cluster
make --no-print-directory all venv tools
for fs in $filesystems; do
    tools/vcluster/demo.sh --filesystems | grep -qx "$fs" \
        || { echo "cluster-scaling: SCALING_FILESYSTEMS: '$fs' is not a filesystem of conf/vcluster.cfg" >&2; exit 2; }
done

vc=tools/vcluster/vcluster
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/json" "$out/cluster" "$out/spool" "$out/logs"
mkdir -p "$out/json"
pg=$(mktemp -d /tmp/mpi4py-scaling-pg.XXXXXX)
pgpid=
cleanup() {
    "$vc" down --dir "$out/cluster" >/dev/null || true
    if [ -n "$pgpid" ]; then
        kill -INT "$pgpid" 2>/dev/null || true
        while kill -0 "$pgpid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -rf "$pg"
}
trap cleanup EXIT

# The throwaway PostgreSQL: its own directory (postgres's), a socket there,
# no TCP.
pgbin=/usr/lib/postgresql/15/bin
chown postgres: "$pg"
runuser -u postgres -- "$pgbin/initdb" -D "$pg/data" -A trust -U postgres --no-sync >"$pg/initdb.log" \
    || { cat "$pg/initdb.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$pgbin/pg_ctl" start -w -D "$pg/data" -l "$pg/server.log" \
    -o "-c listen_addresses='' -k $pg -p $port -c fsync=off" >/dev/null \
    || { cat "$pg/server.log" >&2; exit 1; }
pgpid=$(head -1 "$pg/data/postmaster.pid")
conninfo="host=$pg port=$port dbname=postgres user=postgres"

# conf/vcluster.cfg with the series' database, spool and logs (every
# substitution must match), and the same without a database for the
# unrecorded warm-up runs.
config() {
    sed -e "s|conninfo = \"\";|conninfo = \"$1\";|" -e "s|\"../build/spool\"|\"$out/spool\"|" \
        -e "s|\"../build/vcluster-logs\"|\"$out/logs\"|" -e "s|\"../build/harness\"|\"$PWD/build/harness\"|" \
        conf/vcluster.cfg
}
config "$conninfo" >"$out/vcluster.cfg"
config "" >"$out/vcluster-warm.cfg"
grep -q "conninfo = \"host=" "$out/vcluster.cfg" || { echo "cluster-scaling: conf/vcluster.cfg has no empty conninfo line" >&2; exit 2; }
build/harness --db-init --config "$out/vcluster.cfg" >/dev/null

"$vc" up --nodes "$max" --cache "$cache" --dir "$out/cluster"
eval "$("$vc" env --dir "$out/cluster")"
echo "cluster-scaling: copying build/venv to the shared server"
rsync -a "$(readlink -f build/venv)/" "$VCLUSTER_EXPORT/venv/"

# run CFG FS N NAME: one run of N nodes x 1 rank, its JSON in json/NAME.json.
# Once: a crash fails the series with the rank's message.
run() {
    srun --kill-on-bad-exit=1 -N "$3" --ntasks-per-node 1 build/harness --config "$1" --machine vcluster \
        --filesystem "$2" --quiet --json "$out/json/$4.json" >/dev/null 2>"$out/json/$4.err" && return 0
    echo "cluster-scaling: $2 on $3 nodes failed:" >&2
    cat "$out/json/$4.err" >&2
    return 1
}
for fs in $filesystems; do
    [ "$fs" = common ] || { echo "cluster-scaling: $fs: bringing the copies up to date on $max nodes"; run "$out/vcluster-warm.cfg" "$fs" "$max" "warm-$fs"; }
done
for k in $(seq 1 "$runs"); do
    for n in $counts; do
        for fs in $filesystems; do
            echo "cluster-scaling: run $k of $runs: $fs on $n node(s)"
            run "$out/vcluster.cfg" "$fs" "$n" "$fs-$n-$k"
        done
    done
done
build/harness --report --html --config "$out/vcluster.cfg" --out "$out" >"$out/report.txt"
tools/vcluster/scaling_table.py "$out" "$counts" "$filesystems" "$runs" | tee "$out/scaling.txt"
echo "cluster-scaling: $out/report.html (its scaling panels), $out/scaling.txt, every run's JSON in $out/json/"
