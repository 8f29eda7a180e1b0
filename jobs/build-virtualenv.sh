#!/usr/bin/env bash
# Builds the benchmark's relocatable virtualenv: a `venv --copies` with the
# import suite from pip and mpi4py compiled from source against this MPI's mpicc.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: jobs/build-virtualenv.sh [--wheelhouse DIR] [--python PYTHON]
                                [--packages "P ..." | --config FILE --machine M] DEST

Builds (or brings up to date) the benchmark's virtualenv in DEST:
  python3 -m venv --copies DEST   interpreter copied, not symlinked, so the
                                  tree can be staged to other filesystems
  pip install numpy ...           the import suite (--packages, default "numpy")
  pip install mpi4py              built from source with MPICC=mpicc
Running it again on an existing DEST installs only what is missing.

Options:
  --wheelhouse DIR   install offline from a directory of wheels and sdists
                     (pip --no-index --find-links DIR), for build nodes
                     with no internet access
  --python PYTHON    interpreter to build the venv from (default: python3)
  --packages LIST    space-separated pip requirements of the import suite
  --config FILE --machine M
                     install what the machine's import suites need (the
                     config's `suites`), as listed by
                     build/harness --suite-packages
  --no-mpi4py        skip mpi4py (it needs mpicc and a compiler)
  -h, --help         this text

Exit status: 0 built and verified, 1 a step failed, 2 bad usage.
USAGE
}

die() { echo "build-virtualenv: $*" >&2; exit 1; }

wheelhouse='' python=python3 packages='' mpi4py=1 dest='' config='' machine=''
while [ $# -gt 0 ]; do
    case "$1" in
        --wheelhouse) [ $# -ge 2 ] || { usage >&2; exit 2; }; wheelhouse=$2; shift 2 ;;
        --python) [ $# -ge 2 ] || { usage >&2; exit 2; }; python=$2; shift 2 ;;
        --packages) [ $# -ge 2 ] || { usage >&2; exit 2; }; packages=$2; shift 2 ;;
        --config) [ $# -ge 2 ] || { usage >&2; exit 2; }; config=$2; shift 2 ;;
        --machine) [ $# -ge 2 ] || { usage >&2; exit 2; }; machine=$2; shift 2 ;;
        --no-mpi4py) mpi4py=0; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "build-virtualenv: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *) [ -z "$dest" ] || { echo "build-virtualenv: only one DEST, got '$dest' and '$1'" >&2; exit 2; }
           dest=$1; shift ;;
    esac
done
[ -n "$dest" ] || { usage >&2; exit 2; }
if [ -n "$config$machine" ]; then
    if [ -z "$config" ] || [ -z "$machine" ]; then
        echo "build-virtualenv: --config and --machine go together" >&2
        exit 2
    fi
    [ -z "$packages" ] || { echo "build-virtualenv: --packages or --config, not both" >&2; exit 2; }
    harness=${HARNESS:-$(dirname "$0")/../build/harness}
    [ -x "$harness" ] || die "no harness at $harness to read $config: build it first (make)"
    packages=$("$harness" --suite-packages --config "$config" --machine "$machine") || exit 2
    packages=$(printf '%s\n' "$packages" | paste -sd ' ')   # one line
    echo "build-virtualenv: machine $machine's suites need: ${packages:-nothing from pip}"
fi
packages=${packages:-numpy}
if [ -n "$wheelhouse" ]; then
    [ -d "$wheelhouse" ] || die "wheelhouse '$wheelhouse' is not a directory"
    wheelhouse=$(cd "$wheelhouse" && pwd)
fi
command -v "$python" >/dev/null || die "python '$python' not found on PATH"

pip_args=(--disable-pip-version-check --no-input -q)
[ -z "$wheelhouse" ] || pip_args+=(--no-index --find-links "$wheelhouse")

if [ ! -x "$dest/bin/python" ]; then
    echo "build-virtualenv: creating $dest with $("$python" -c 'import sys; print(sys.executable)')"
    "$python" -m venv --copies "$dest" || die "python -m venv --copies $dest failed"
else
    echo "build-virtualenv: $dest exists, bringing it up to date"
fi
py="$dest/bin/python"

# shellcheck disable=SC2086 # the package list is meant to split on spaces
"$py" -m pip install "${pip_args[@]}" $packages || die "pip install $packages failed"

if [ "$mpi4py" = 1 ]; then
    if ! "$py" -c 'import mpi4py' 2>/dev/null; then
        command -v mpicc >/dev/null || die "mpicc not found: install Open MPI's development package (libopenmpi-dev)"
        echo "build-virtualenv: building mpi4py from source with $(command -v mpicc)"
        MPICC=$(command -v mpicc) "$py" -m pip install "${pip_args[@]}" --no-binary mpi4py --no-cache-dir mpi4py \
            || die "building mpi4py with mpicc failed"
    fi
fi

# Bytecode for every module, not only what pip compiled: an image with
# bytecode = "image" carries it to nodes that then compile nothing.
"$py" -m compileall -q -j 0 "$dest/lib" >/dev/null \
    || echo "build-virtualenv: warning: some modules did not compile (they compile at import instead)" >&2

"$py" - "$packages" "$mpi4py" <<'PY' || die "the new virtualenv does not import its packages"
import importlib, re, sys
print("python  %s (%s)" % (sys.version.split()[0], sys.executable))
names = [re.split(r"[<>=!~\[; ]", p)[0] for p in sys.argv[1].split()]
if sys.argv[2] == "1":
    names.append("mpi4py")
for name in names:
    mod = importlib.import_module(name.replace("-", "_"))
    print("%-7s %s (%s)" % (name, getattr(mod, "__version__", "?"), mod.__file__))
PY
echo "files   $(find "$dest" -not -name '*.pyc' | wc -l) entries (without *.pyc) in $dest"
