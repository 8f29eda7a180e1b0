"""Shared fixtures: paths to the built harness and venv, and helpers that
run the harness under a real mpirun and read its JSON result."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The sanitizer build: every integration test also checks for memory errors.
HARNESS = Path(os.environ.get("HARNESS", ROOT / "build/asan/harness"))
RELEASE_HARNESS = ROOT / "build/harness"
VENV = ROOT / "build/venv"
LOCAL_CFG = ROOT / "conf/local.cfg"

# Open MPI as root, and the sanitizer build's runtime settings: Open MPI's
# plugins keep memory for the process's life, and their frames are only
# named (so suppressed) with full unwinding and no dlclose.
for key, value in {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_mca_base_component_disable_dlclose": "1",
    "ASAN_OPTIONS": "fast_unwind_on_malloc=0:detect_leaks=1",
    "LSAN_OPTIONS": f"suppressions={ROOT}/tests/lsan.supp:print_suppressions=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}.items():
    os.environ.setdefault(key, value)


def mpirun(n, *args, harness=HARNESS, timeout=600, env=None, cwd=None):
    """Runs the harness on N ranks; returns the CompletedProcess."""
    cmd = ["mpirun", "--oversubscribe", "-n", str(n), str(harness), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def harness(*args, harness_bin=HARNESS, timeout=600, env=None, input=None):
    """Runs the harness as one process, without mpirun."""
    return subprocess.run([str(harness_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, input=input)


def open_mpi_tcp_crash(stderr):
    """Open MPI 4.1.4's TCP transport calling a null handler for a message
    (tag 0x41, ob1's match) inside MPI_Init on the virtual cluster, one
    multi-node run in 10 to 45 (README, "A virtual cluster on one
    machine"): a rank dies at address 0, reported by the handler MPI_Init
    installs over ASan's."""
    return "Signal: Segmentation fault" in stderr and "Failing at address: (nil)" in stderr


def sanitizer_clean(proc):
    """No AddressSanitizer, LeakSanitizer or UBSan report in the output."""
    text = proc.stdout + proc.stderr
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        assert marker not in text, text[-4000:]


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
