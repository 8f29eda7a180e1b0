#!/usr/bin/env bash
# Installs the Debian packages the benchmark needs (--test: and what its
# tests run: PostgreSQL, Slurm, munge, gnuplot, chromium for the HTML report,
# the virtual cluster; --cluster: the virtual cluster's alone).
# Not root: prints the command.
set -euo pipefail

build_pkgs=(make gcc pkg-config openmpi-bin libopenmpi-dev mpich libmpich-dev libconfig-dev librsync-dev libzstd-dev libpq-dev
            squashfs-tools squashfuse fuse3
            libjson-c-dev libgsl-dev python3 python3-dev python3-venv strace rsync gnuplot-nox)
# tcsh and fish: the tests source the staged activate.csh and activate.fish.
# libarchive-dev: python-mpi-bcast, built by bench/first_copy_bench.sh --pmb.
test_pkgs=(postgresql postgresql-client slurm-wlm munge procps shellcheck chromium tcsh fish libarchive-dev)
# tools/vcluster/vcluster: namespaces and a bridge, MooseFS (a master, chunk
# servers, the FUSE client and mfscli) or its own sshd and sshfs.
cluster_pkgs=(slurm-wlm munge iproute2 util-linux openssh-server openssh-client sshfs fuse3
              moosefs-master moosefs-chunkserver moosefs-client moosefs-cli)

usage() {
    cat <<'USAGE'
Usage: jobs/install-deps.sh [--test] [--cluster] [--check]

Installs the Debian packages that build and run the benchmark; with --test
also those its tests start (PostgreSQL, Slurm and munge, gnuplot, and the
virtual cluster's); with --cluster those of the virtual cluster
(tools/vcluster/vcluster: iproute2, MooseFS, openssh-server, sshfs, Slurm,
munge).
Run as root it calls apt-get install for what is missing and names it;
as another user it prints the apt-get command to run and exits 1.
  --check   only report what is missing (exit 1 if anything is)
Exit status: 0 everything present, 1 something missing, 2 bad usage.
USAGE
}

want=("${build_pkgs[@]}") check=0
# Extra names, for the tests of this script's own paths.
# shellcheck disable=SC2206
[ -z "${INSTALL_DEPS_EXTRA:-}" ] || want+=($INSTALL_DEPS_EXTRA)
for arg in "$@"; do
    case "$arg" in
        --test) want+=("${test_pkgs[@]}" "${cluster_pkgs[@]}") ;;
        --cluster) want+=("${cluster_pkgs[@]}") ;;
        --check) check=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-deps: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

# --test and --cluster share some names: each once.
mapfile -t want < <(printf '%s\n' "${want[@]}" | awk '!seen[$0]++')
missing=()
for p in "${want[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ "${status:0:2}" = "ii" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#want[@]} Debian packages present"
    exit 0
fi
cmd="apt-get install -y ${missing[*]}"
if [ "$check" = 1 ]; then
    echo "install-deps: missing: ${missing[*]}"
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: as root, run:  apt-get update && $cmd" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine; refresh them once.
if ! apt-get install -y -q "${missing[@]}" >/tmp/install-deps.$$.log 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/tmp/install-deps.$$.log 2>&1 \
        || { tail -20 /tmp/install-deps.$$.log >&2; rm -f /tmp/install-deps.$$.log; exit 1; }
fi
rm -f /tmp/install-deps.$$.log
# Debian starts these services on install; the tests run private instances.
for svc in postgresql slurmctld slurmd munge ssh moosefs-master moosefs-chunkserver; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done
echo "install-deps: installed ${missing[*]}"
