"""The filesystem kind image: the venv as one squashfs image, built when
the venv changed, mounted with squashfuse by one leader per (pretend)
node, imported from on every rank, unmounted at the end; a killed run's
mount is cleaned by the next run; a corrupt image is a clear error."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HARNESS, mpirun, sanitizer_clean

pytestmark = pytest.mark.usefixtures("venv")


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == str(path) for line in f)


class Image:
    def __init__(self, tmp_path, source):
        self.image = tmp_path / "img/venv.sqfs"
        self.mount = tmp_path / "mnt"
        self.json = tmp_path / "r.json"
        self.config = tmp_path / "image.cfg"
        self.config.write_text(f'machines = ({{ name = "local"; venv = "{source}"; filesystems = (\n'
                               f'  {{ name = "img"; kind = "image"; path = "{self.image}"; '
                               f'mount = "{self.mount}"; }}); }});\n')

    def args(self, *extra):
        return ["--config", self.config, "--machine", "local", "--filesystem", "img", "--ranks-per-node", 2,
                "--no-startup", "--json", self.json, *extra]

    def run(self, *extra, expect=0):
        if self.json.exists():
            self.json.unlink()
        proc = mpirun(4, *self.args(*extra))
        sanitizer_clean(proc)
        assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc, json.loads(self.json.read_text()) if expect == 0 else None

    def node(self, k):
        return Path(f"{self.mount}-node{k}")


@pytest.fixture(scope="module")
def source(tmp_path_factory, venv):
    """A private copy of the real venv: one test changes it."""
    dst = tmp_path_factory.mktemp("image-source") / "venv"
    shutil.copytree(venv.resolve(), dst, symlinks=True, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    return dst


def test_build_mount_import_unmount_reuse_rebuild(tmp_path, source):
    img = Image(tmp_path, source)
    proc, r = img.run()
    st = r["staging"]
    assert r["ok"] == 4 and r["nodes"] == 2 and r["fs_kind"] == "image" and st["kind"] == "image"
    assert r["modules"]["numpy"].startswith(f"{img.node(0)}/lib/"), r["modules"]
    assert st["image"]["built"] and st["image"]["bytes"] == img.image.stat().st_size > 10_000_000
    assert 0 < st["image"]["mount_s"] < st["seconds"] and st["image"]["build_s"] > 0
    assert "image         " in proc.stdout and "built in" in proc.stdout
    # Unmounted at the end; bytecode went to node-local memory beside the mount.
    assert not mounted(img.node(0)) and not mounted(img.node(1))
    assert list(Path(f"{img.node(1)}-pycache").rglob("*.pyc"))
    # Nothing changed: the image is reused, not rebuilt.
    first = img.image.stat()
    _, r = img.run()
    assert not r["staging"]["image"]["built"] and r["ok"] == 4
    assert img.image.stat().st_ino == first.st_ino
    # A changed venv rebuilds it, through a temporary file renamed over it.
    (source / "lib/python3.11/site-packages/image_test_marker.py").write_text("X = 42\n")
    _, r = img.run("--import", "import numpy, image_test_marker")
    assert r["staging"]["image"]["built"] and r["ok"] == 4
    assert img.image.stat().st_ino != first.st_ino
    assert [p.name for p in img.image.parent.iterdir()] == sorted(["venv.sqfs", "venv.sqfs.manifest"]) or \
        sorted(p.name for p in img.image.parent.iterdir()) == ["venv.sqfs", "venv.sqfs.manifest"]


def test_a_killed_runs_mount_is_cleaned_by_the_next(tmp_path, source):
    img = Image(tmp_path, source)
    cmd = ["mpirun", "--oversubscribe", "-n", "2", str(HARNESS),
           *map(str, img.args("--import", "import time; time.sleep(20)", "--skip-checks"))]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):
            if mounted(img.node(0)):
                break
            time.sleep(0.2)
        assert mounted(img.node(0)), "the run never mounted the image"
        time.sleep(1)
        os.killpg(p.pid, signal.SIGKILL)
    finally:
        p.wait()
    assert mounted(img.node(0)), "SIGKILL leaves the mount"
    proc, r = img.run()
    assert "still mounted (a killed run's): unmounting it first" in proc.stderr
    assert r["ok"] == 4 and not mounted(img.node(0)) and not mounted(img.node(1))


def test_a_corrupt_image_is_a_clear_error(tmp_path, source):
    img = Image(tmp_path, source)
    img.run("--child", "/bin/true", "--skip-checks")
    # Damaged in place, its manifest still matching: mounting fails fast.
    with open(img.image, "r+b") as f:
        f.write(b"\0" * 4096)
    start = time.monotonic()
    proc, _ = img.run("--child", "/bin/true", "--skip-checks", "--quiet", expect=3)
    assert time.monotonic() - start < 120
    assert f"harness: filesystem 'img': mounting the image {img.image} at {img.mount}-node" in proc.stderr
    assert "squashfuse failed (This doesn't look like a squashfs image.)" in proc.stderr
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert not mounted(img.node(0)) and not mounted(img.node(1))
