#!/usr/bin/env bash
# Builds the tools virtualenv (not the measured venv), at pinned versions:
# Apache Otava for the report's change points, and ReFrame for the
# regression check in jobs/reframe/.
set -euo pipefail

# Pinned so a report's change points do not move with an upgrade.
OTAVA_VERSION=0.8.0
# Pinned so the check's behaviour (and jobs/reframe/'s site configs) do not
# move with a ReFrame release.
REFRAME_VERSION=4.10.4

usage() {
    cat <<'USAGE'
Usage: jobs/build-tools-venv.sh [--wheelhouse DIR] DEST

Builds (or brings up to date) DEST, a virtualenv holding the tools:
apache-otava (`otava analyze`, E-divisive change points, for the report)
and reframe-hpc (`reframe`, to run jobs/reframe/mpi4py_import.py).
Running it again on a complete DEST (both at their pinned versions) does
nothing.
  --wheelhouse DIR   install offline from a directory of wheels
Exit status: 0 built and verified, 1 a step failed, 2 bad usage.
USAGE
}

wheelhouse='' dest=''
while [ $# -gt 0 ]; do
    case "$1" in
        --wheelhouse) [ $# -ge 2 ] || { usage >&2; exit 2; }; wheelhouse=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "build-tools-venv: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *) [ -z "$dest" ] || { echo "build-tools-venv: only one DEST" >&2; exit 2; }; dest=$1; shift ;;
    esac
done
[ -n "$dest" ] || { usage >&2; exit 2; }

# Complete: both commands there, at the pinned versions (a DEST built by an
# older version of this script lacks reframe, or has another otava).
installed() {
    "$dest/bin/python" - "$OTAVA_VERSION" "$REFRAME_VERSION" 2>/dev/null <<'PY'
import importlib.metadata as md, sys
sys.exit(0 if [md.version("apache-otava"), md.version("reframe-hpc")] == sys.argv[1:] else 1)
PY
}
if [ -x "$dest/bin/otava" ] && [ -x "$dest/bin/reframe" ] && installed; then
    echo "build-tools-venv: $dest is complete"
    exit 0
fi
[ -x "$dest/bin/python" ] || python3 -m venv "$dest" || { echo "build-tools-venv: python3 -m venv $dest failed" >&2; exit 1; }
pip_args=(-q --disable-pip-version-check)
[ -z "$wheelhouse" ] || pip_args+=(--no-index --find-links "$wheelhouse")
echo "build-tools-venv: installing apache-otava==$OTAVA_VERSION reframe-hpc==$REFRAME_VERSION into $dest"
"$dest/bin/pip" install "${pip_args[@]}" "apache-otava==$OTAVA_VERSION" "reframe-hpc==$REFRAME_VERSION" \
    || { echo "build-tools-venv: pip install apache-otava reframe-hpc failed" >&2; exit 1; }
"$dest/bin/otava" --help >/dev/null || { echo "build-tools-venv: $dest/bin/otava does not run" >&2; exit 1; }
"$dest/bin/reframe" --version >/dev/null || { echo "build-tools-venv: $dest/bin/reframe does not run" >&2; exit 1; }
installed || { echo "build-tools-venv: $dest does not hold apache-otava $OTAVA_VERSION and reframe-hpc $REFRAME_VERSION" >&2; exit 1; }
echo "build-tools-venv: otava $OTAVA_VERSION, reframe $REFRAME_VERSION in $dest"
