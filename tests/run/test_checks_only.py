"""--checks-only, the job's `checks` step: the set-up checks in one process
without MPI, printed, and exit 3 when the set-up or the import fails."""
import pytest

from helpers.harness import LOCAL_CFG, VENV, harness, sanitizer_clean
from helpers.jobtools import local_config

pytestmark = pytest.mark.usefixtures("venv")


def checks(*args, config=LOCAL_CFG):
    proc = harness("--checks-only", "--config", config, "--machine", "local", *args, timeout=120)
    sanitizer_clean(proc)
    return proc


def test_checks_pass_and_are_printed():
    proc = checks("--filesystem", "common")
    assert proc.returncode == 0, proc.stderr
    assert f"check: python {VENV.resolve()}/bin/python (3." in proc.stdout
    assert "check: modules numpy=" in proc.stdout and "check: warm-up import" in proc.stdout
    assert checks("--filesystem", "common", "--quiet").stdout == ""


def test_failing_import_fails_the_checks():
    proc = checks("--filesystem", "common", "--import", "import no_such_module_xyz")
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        f"harness: filesystem 'common' ({VENV.resolve()}): the import fails in one process: "
        "ModuleNotFoundError: No module named 'no_such_module_xyz'"]


def test_missing_venv_and_bad_targets(tmp_path):
    missing = tmp_path / "staged"
    cfg = local_config(tmp_path, replace=[('"/tmp/mpi4py-import/scratch/staged-mpi4py-import"', f'"{missing}"'),
                                          ('kind = "staged"; path = "/dev/shm', 'kind = "bcast"; path = "/dev/shm')])
    proc = checks("--filesystem", "scratch", config=cfg)
    assert proc.returncode == 3 and f"filesystem 'scratch': no python at {missing}/bin/python" in proc.stderr
    proc = checks("--filesystem", "tmpfs", config=cfg)
    assert proc.returncode == 2 and "filesystem 'tmpfs' is broadcast to each node at run time (kind bcast)" in proc.stderr
    proc = checks("--filesystem", "nope")
    assert proc.returncode == 2 and "has no filesystem 'nope'" in proc.stderr
    proc = checks()
    assert proc.returncode == 2 and "--filesystem NAME is required" in proc.stderr


@pytest.mark.parametrize("stmt,status", [("import sys; sys.exit(0)", 0), ("import sys; sys.exit()", 0),
                                          ("import sys; sys.exit(4)", 3)])
def test_a_statement_that_exits_is_judged_by_its_code(stmt, status):
    proc = checks("--filesystem", "common", "--import", stmt)
    assert proc.returncode == status, proc.stderr
    if status:
        assert "SystemExit: 4" in proc.stderr


@pytest.mark.parametrize("stmt,status,message", [
    ("print('hello from the statement'); import numpy", 0, None),
    ("import ctypes; ctypes.string_at(0)", 3, "the statement killed python: signal 11 (Segmentation fault)"),
    ("import os; os._exit(0)", 3, "the statement ended python (exit 0, as os._exit does) before the check"),
    ("import os; os._exit(7)", 3, "the statement ended python (exit 7, as os._exit does)"),
], ids=["prints", "segfaults", "os-exit-0", "os-exit-7"])
def test_a_statement_that_prints_crashes_or_exits_is_described(stmt, status, message):
    """Each way the statement ends is told apart (all three were once
    reported as "python does not run (exit 0)")."""
    proc = checks("--filesystem", "common", "--import", stmt)
    assert proc.returncode == status, proc.stderr
    if message:
        assert "the import fails in one process: " + message in proc.stderr, proc.stderr
        assert "does not run" not in proc.stderr
    else:
        assert "check: modules numpy=" in proc.stdout
