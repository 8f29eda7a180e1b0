#!/usr/bin/env bash
# The README's test command (make test calls it): pytest from a private
# venv over tests/, which also runs the C unit tests built into build/asan/
# (tests/test_unit_binaries.py).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x build/testenv/bin/pytest ]; then
    echo "tests: creating build/testenv with pytest"
    python3 -m venv build/testenv
    build/testenv/bin/pip install -q --disable-pip-version-check pytest
fi

# tests/conftest.py sets the environment for Open MPI and the sanitizers.
# With arguments (a folder or file, -k EXPR, -m MARKERS), only those; by
# default every test. tests/pytest.ini registers the markers.
exec build/testenv/bin/pytest -c tests/pytest.ini --rootdir . -q -rfE --durations=12 -p no:cacheprovider "$@"
