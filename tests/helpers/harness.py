"""The paths of the build and the runners of the harness: under a real
mpirun or as one process, and the check that no sanitizer spoke."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The sanitizer build: every integration test also checks for memory errors.
HARNESS = Path(os.environ.get("HARNESS", ROOT / "build/asan/harness"))
RELEASE_HARNESS = ROOT / "build/harness"
VENV = ROOT / "build/venv"
LOCAL_CFG = ROOT / "conf/local.cfg"


def mpirun(n, *args, harness=HARNESS, timeout=600, env=None, cwd=None):
    """Runs the harness on N ranks; returns the CompletedProcess."""
    cmd = ["mpirun", "--oversubscribe", "-n", str(n), str(harness), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def harness(*args, harness_bin=HARNESS, timeout=600, env=None, input=None):
    """Runs the harness as one process, without mpirun."""
    return subprocess.run([str(harness_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, input=input)


def sanitizer_clean(proc):
    """No AddressSanitizer, LeakSanitizer or UBSan report in the output."""
    text = proc.stdout + proc.stderr
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        assert marker not in text, text[-4000:]
