"""Runs each C unit test binary (tests/unit/test_*.c, built with
sanitizers into build/asan/) and fails on any failed check."""
import subprocess

import pytest

from conftest import ROOT

UNIT = sorted((ROOT / "tests/unit").glob("test_*.c"))


@pytest.mark.parametrize("source", UNIT, ids=[p.stem for p in UNIT])
def test_unit_binary(source, tmp_path):
    binary = ROOT / "build/asan" / source.stem
    assert binary.exists(), f"{binary} not built: run make unit"
    proc = subprocess.run([str(binary), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed" in proc.stdout, proc.stdout
