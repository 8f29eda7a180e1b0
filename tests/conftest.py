"""The tests' environment, their shared fixtures and their markers.

Helpers that are plain functions and classes live in tests/helpers/ and are
imported by name; fixtures come from here, by name, and are never imported.

Markers (registered in tests/pytest.ini, which refuses any other):
  root     needs root: runuser (the hostile user `nobody`, PostgreSQL as
           postgres), mounts, namespaces, Slurm and munge as root, chown,
           mknod. A test that uses one of ROOT_FIXTURES, even through
           another fixture, is marked here; the others carry the mark
           themselves. Run by another user, they are skipped.
  slow     takes more than about 20 s on 2 cores (tests/run.sh's
           --durations lists the slowest).
  cluster  the virtual cluster: every test under tests/cluster/ (root too).
"""
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from helpers.harness import LOCAL_CFG, RELEASE_HARNESS, ROOT, VENV, mpirun, sanitizer_clean
from helpers.pgserver import new_database, running_server
from helpers.slurmcluster import running_cluster
from helpers.stager import make_tree
from helpers.tmpfs import small_tmpfs

TESTS = ROOT / "tests"

# Open MPI as root, and the sanitizer build's runtime settings: Open MPI's
# plugins keep memory for the process's life, and their frames are only
# named (so suppressed) with full unwinding and no dlclose.
for key, value in {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_mca_base_component_disable_dlclose": "1",
    "ASAN_OPTIONS": "fast_unwind_on_malloc=0:detect_leaks=1",
    "LSAN_OPTIONS": f"suppressions={TESTS}/lsan.supp:print_suppressions=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}.items():
    os.environ.setdefault(key, value)

# The fixtures below that only root can provide: pg (initdb and the server
# as postgres, through runuser; pgdb through it), slurm (SlurmUser=root),
# small_fs (a mount).
ROOT_FIXTURES = {"pg", "slurm", "small_fs"}
# Markers every test of a folder carries.
FOLDER_MARKERS = {"cluster": ("cluster", "root")}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Marks by folder and by fixture, before -m selects by marker."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else None
        for name in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)
        if ROOT_FIXTURES & set(item.fixturenames):
            item.add_marker("root")
        if item.get_closest_marker("root") and os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="needs root (marker root)"))


@pytest.fixture
def run_json(tmp_path):
    """run_json(n, filesystem, *extra) -> (proc, result dict or None)."""
    def run(n, filesystem, *extra, config=LOCAL_CFG, machine="local", **kw):
        out = tmp_path / f"result-{n}-{filesystem}.json"
        proc = mpirun(n, "--config", config, "--machine", machine, "--filesystem", filesystem,
                      "--json", out, *extra, **kw)
        sanitizer_clean(proc)
        result = json.loads(out.read_text()) if out.exists() else None
        return proc, result
    return run


@pytest.fixture(scope="session")
def venv():
    assert (VENV / "bin/python").exists(), "build the venv first: make venv"
    return VENV


@pytest.fixture(scope="session")
def release_build():
    """The jobs run the release harness (build/harness), as deployed."""
    assert RELEASE_HARNESS.exists(), "build it first: make all"


@pytest.fixture(scope="session")
def pg():
    """The session's PostgreSQL server (helpers/pgserver.py)."""
    with running_server() as server:
        yield server


@pytest.fixture
def pgdb(pg, tmp_path):
    """A fresh database on the session's server, with a harness config
    (machine local on the real venv) pointing there."""
    return new_database(pg, tmp_path, VENV)


@pytest.fixture(scope="session")
def slurm(tmp_path_factory):
    """A running single-node Slurm (helpers/slurmcluster.py); SLURM_CONF is
    exported for the session."""
    # A short base path: the munge socket must fit in sun_path.
    with running_cluster(tmp_path_factory.mktemp("slurm")) as cluster:
        yield cluster


@pytest.fixture
def tree(tmp_path):
    """A crafted source tree (helpers/stager.py's make_tree)."""
    src = tmp_path / "src"
    src.mkdir()
    make_tree(src)
    return src


@pytest.fixture
def small_fs(tmp_path):
    """A tmpfs of 1 MB, to run out of space on."""
    with small_tmpfs(tmp_path / "small", "1m") as mnt:
        yield mnt


@pytest.fixture
def shm():
    """A fresh name in /dev/shm (sticky, world-writable), removed after."""
    base = Path(f"/dev/shm/mpi4py-import-sec-{uuid.uuid4().hex[:12]}")
    yield base
    for p in Path("/dev/shm").glob(base.name + "*"):
        if p.is_symlink() or p.is_file():
            p.unlink()
        else:
            shutil.rmtree(p, ignore_errors=True)


@pytest.fixture
def victim_dir(tmp_path):
    """A directory of root's (mode 0700, one file, keep) that a hostile
    symlink points at: it must stay as it is."""
    d = tmp_path / "victim"
    d.mkdir(mode=0o700)
    (d / "keep").write_text("root's file\n")
    d.chmod(0o700)
    return d
