"""Runs each C unit test binary and fails on any failed check. The tests
mirror the source folders: tests/unit/<folder>/test_<x>.c (or
tests/unit/test_<x>.c for the top level) is built with sanitizers into
build/asan/tests/unit/<folder>/test_<x> (make unit)."""
import subprocess

import pytest

from helpers.harness import ROOT

UNIT = ROOT / "tests/unit"
SOURCES = sorted(UNIT.rglob("test_*.c"))


def binary(source):
    """The Makefile's rule: the source's path below the checkout, under
    build/asan/, without .c."""
    return ROOT / "build/asan" / source.relative_to(ROOT).with_suffix("")


@pytest.mark.parametrize("source", SOURCES, ids=[str(p.relative_to(UNIT).with_suffix("")) for p in SOURCES])
def test_unit_binary(source, tmp_path):
    exe = binary(source)
    assert exe.exists(), f"{exe} not built: run make unit"
    proc = subprocess.run([str(exe), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failed" in proc.stdout, proc.stdout
