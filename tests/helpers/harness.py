"""The paths of the build and the runners of the harness: under a real
mpirun or as one process (its prep step too, or under strace), the check
that no sanitizer spoke, and a private copy of the venv."""
import json
import os
import shutil
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


def venv_without_bytecode(venv, dst):
    """A private copy of VENV at DST without *.pyc and __pycache__, for
    tests that change it; returns DST."""
    shutil.copytree(Path(venv).resolve(), dst, symlinks=True, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    return dst


def stage_only(config, filesystem, out, expect=0):
    """The prep step (--stage-only, one process) of FILESYSTEM with its
    JSON in OUT: (proc, the staging JSON or None)."""
    proc = harness("--stage-only", "--config", config, "--machine", "local", "--filesystem", filesystem,
                   "--json", out, timeout=600)
    sanitizer_clean(proc)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc, json.loads(Path(out).read_text()) if expect == 0 else None


def traced_calls_inside(inside, log, *args):
    """The release harness on 4 ranks under strace -f: the file system
    calls (open, stat, ...) of every process that name a path inside
    INSIDE (the config's realpath names its top, never what it holds).
    Release: LeakSanitizer does not run under ptrace. LOG: strace's."""
    cmd = ["strace", "-f", "-qq", "-e", "trace=%file", "-o", log, "mpirun", "--oversubscribe", "-n", "4",
           RELEASE_HARNESS, *args]
    proc = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=600)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [line for line in Path(log).read_text().splitlines() if f'"{inside}/' in line]
