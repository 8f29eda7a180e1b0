"""The second MPI: the harness built against Debian's MPICH (make
MPI=mpich, into build/mpich/) passes its own unit tests and runs every
filesystem kind of conf/local.cfg under MPICH's launcher (Hydra), with
the sanitizers, as the Open MPI build does."""
import json
import shutil
import subprocess

import pytest

from helpers.harness import ROOT, sanitizer_clean
from helpers.jobtools import local_config

MPICH = ROOT / "build/mpich"
HARNESS = MPICH / "asan/harness"
UNIT = sorted((ROOT / "tests/unit").rglob("test_*.c"))


@pytest.fixture(scope="module")
def hydra():
    if not shutil.which("mpiexec.hydra") or not HARNESS.exists():
        pytest.fail("MPICH build missing: apt-get install mpich libmpich-dev; make MPI=mpich all asan unit")
    return shutil.which("mpiexec.hydra")


@pytest.mark.parametrize("source", UNIT, ids=[p.stem for p in UNIT])
def test_unit_binary_built_against_mpich(source, tmp_path, hydra):
    binary = MPICH / "asan" / source.relative_to(ROOT).with_suffix("")
    assert binary.exists(), f"{binary} not built: make MPI=mpich unit"
    proc = subprocess.run([str(binary), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and " 0 failed" in proc.stdout, proc.stdout + proc.stderr


def test_harness_is_linked_against_mpich_not_open_mpi(hydra):
    libs = subprocess.run(["ldd", str(HARNESS)], capture_output=True, text=True, check=True).stdout
    assert "libmpich" in libs and "libmpi.so" not in libs, libs


@pytest.mark.parametrize("filesystem", ["common", "tmpfs", "bcast", "image"])
def test_every_kind_runs_under_hydra_with_two_pretend_nodes(filesystem, tmp_path, hydra):
    # conf/local.cfg's copies and image in this test's own directory: the
    # shared ones may belong to another user (root's runs).
    config = local_config(tmp_path, replace=[('"/dev/shm/mpi4py-import/', f'"{tmp_path}/shm/'),
                                             ('"/tmp/mpi4py-import/', f'"{tmp_path}/tmp/')])
    out = tmp_path / "r.json"
    proc = subprocess.run([hydra, "-n", "4", str(HARNESS), "--config", str(config), "--machine", "local",
                           "--filesystem", filesystem, "--ranks-per-node", "2", "--no-startup", "--quiet",
                           "--json", str(out)], capture_output=True, text=True, timeout=600)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert (r["ranks"], r["nodes"], r["ok"], r["status"]) == (4, 2, 4, "ok"), r
    assert r["fs_kind"] == {"common": "inplace", "tmpfs": "staged"}.get(filesystem, filesystem)
