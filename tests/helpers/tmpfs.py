"""A small tmpfs for the tests that fill a disk (mounting needs root)."""
import subprocess
from contextlib import contextmanager


@contextmanager
def small_tmpfs(path, size, mode=None, lazy=False):
    """A tmpfs of SIZE (mount's size=, e.g. "1m") at PATH, made if missing,
    with MODE (e.g. "0700"; tmpfs's own 1777 if None), for the block; LAZY
    unmounts with -l (a process may still hold a file there)."""
    path.mkdir(exist_ok=True)
    options = f"size={size}" + (f",mode={mode}" if mode else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", *(["-l"] if lazy else []), str(path)], check=True)
