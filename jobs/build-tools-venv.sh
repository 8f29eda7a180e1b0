#!/usr/bin/env bash
# Builds the tools virtualenv the report runs (not the measured venv):
# Apache Otava for change-point detection, at pinned versions.
set -euo pipefail

# Pinned so a report's change points do not move with an upgrade.
OTAVA_VERSION=0.8.0

usage() {
    cat <<'USAGE'
Usage: jobs/build-tools-venv.sh [--wheelhouse DIR] DEST

Builds (or brings up to date) DEST, a virtualenv holding the tools the
report calls: apache-otava (`otava analyze`, E-divisive change points).
Running it again on a complete DEST does nothing.
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

if [ -x "$dest/bin/otava" ] && "$dest/bin/python" -c "import otava" 2>/dev/null; then
    echo "build-tools-venv: $dest is complete"
    exit 0
fi
[ -x "$dest/bin/python" ] || python3 -m venv "$dest" || { echo "build-tools-venv: python3 -m venv $dest failed" >&2; exit 1; }
pip_args=(-q --disable-pip-version-check)
[ -z "$wheelhouse" ] || pip_args+=(--no-index --find-links "$wheelhouse")
echo "build-tools-venv: installing apache-otava==$OTAVA_VERSION into $dest"
"$dest/bin/pip" install "${pip_args[@]}" "apache-otava==$OTAVA_VERSION" \
    || { echo "build-tools-venv: pip install apache-otava failed" >&2; exit 1; }
"$dest/bin/otava" --help >/dev/null || { echo "build-tools-venv: $dest/bin/otava does not run" >&2; exit 1; }
echo "build-tools-venv: otava $OTAVA_VERSION in $dest"
