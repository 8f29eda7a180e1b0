"""What --config may name: a file. A FIFO (which would hold the open for a
writer for ever), a socket or a directory is refused at once with one
line; a regular file or a device past the size limit (/dev/zero) still is."""
import os
import time

from helpers.harness import harness, sanitizer_clean


def refused(path):
    started = time.monotonic()
    proc = harness("--db-init", "--config", path, timeout=30)
    sanitizer_clean(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert time.monotonic() - started < 20
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_fifo_as_config_is_refused_at_once_without_blocking(tmp_path):
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    assert refused(fifo) == f"harness: config {fifo} is a FIFO, not a file: refused"


def test_a_directory_as_config_is_refused():
    assert refused("/") == "harness: config / is a directory, not a file: refused"


def test_a_config_past_the_size_limit_is_still_refused(tmp_path):
    big = tmp_path / "big.cfg"
    with open(big, "wb") as f:
        f.truncate(2 << 20)
    for path in (big, "/dev/zero"):
        assert refused(path) == f"harness: config {path}: larger than 1048576 bytes: not a config file"
