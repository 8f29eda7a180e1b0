"""The filesystem kind image: the venv as one squashfs image, built when
the venv changed, mounted with squashfuse by one leader per (pretend)
node, imported from on every rank, unmounted at the end; a killed run's
mount is cleaned by the next run; a corrupt image is a clear error."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers.harness import HARNESS, harness, sanitizer_clean, venv_without_bytecode
from helpers.hostile import as_nobody
from helpers.image import Image, mounted
from helpers.tmpfs import small_tmpfs

pytestmark = pytest.mark.usefixtures("venv")


@pytest.fixture(scope="module")
def source(tmp_path_factory, venv):
    """A private copy of the real venv: one test changes it."""
    return venv_without_bytecode(venv, tmp_path_factory.mktemp("image-source") / "venv")


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
    assert sorted(p.name for p in img.image.parent.iterdir()) == ["venv.sqfs", "venv.sqfs.lock", "venv.sqfs.manifest"]


@pytest.mark.parametrize("extra", ["", 'deliver = "bcast";'], ids=["shared", "bcast"])
def test_a_killed_runs_mount_is_cleaned_by_the_next(tmp_path, source, extra):
    """Of the image on the shared filesystem, or of a node's own copy."""
    img = Image(tmp_path, source, extra=extra)
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
    # Damaged in place past the magic and the compressor the check reads,
    # its manifest still matching: mounting fails fast.
    with open(img.image, "r+b") as f:
        f.seek(24)
        f.write(b"\0" * 4072)
    start = time.monotonic()
    proc, _ = img.run("--child", "/bin/true", "--skip-checks", "--quiet", expect=3)
    assert time.monotonic() - start < 120
    assert f"harness: filesystem 'img': mounting the image {img.image} at {img.mount}-node" in proc.stderr
    assert "squashfuse failed (Squashfs version 0.0 detected" in proc.stderr, proc.stderr
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert not mounted(img.node(0)) and not mounted(img.node(1))
    # No squashfs magic at all: not an image this kind made, rebuilt.
    with open(img.image, "r+b") as f:
        f.write(b"\0" * 4)
    _, r = img.run("--child", "/bin/true", "--skip-checks")
    assert r["ok"] == 4 and r["staging"]["image"]["built"], r["staging"]


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of 60 MB: room for two images of the venv (26 MB each), as a
    rebuild needs, not for a venv grown by 40 MB."""
    with small_tmpfs(tmp_path / "disk", "60m", mode="0700", lazy=True) as disk:
        yield disk


@pytest.mark.root
def test_a_full_disk_fails_the_build_in_one_line_and_keeps_the_old_image(tmp_path, source, small_disk):
    """mksquashfs runs out of space: one line naming it, exit 3, no
    temporary file left (nor a killed build's), and the image already
    there stays whole."""
    venv = tmp_path / "venv"
    shutil.copytree(source, venv, symlinks=True)
    img = Image(tmp_path, venv, image=small_disk / "img/venv.sqfs")

    def stage():
        proc = harness("--stage-only", "--config", img.config, "--machine", "local", "--filesystem", "img",
                       "--quiet", timeout=600)
        sanitizer_clean(proc)
        return proc

    assert stage().returncode == 0
    before = img.image.stat()
    manifest = Path(f"{img.image}.manifest").read_bytes()
    stamp = Path(f"{img.image}.stamp").read_bytes()
    Path(f"{img.image}.tmp.1").write_bytes(b"a build killed half-way")
    # 40 MB that do not compress: the new image cannot fit beside the old.
    (venv / "lib/python3.11/site-packages/incompressible.bin").write_bytes(os.urandom(40 << 20))
    proc = stage()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harness: ") and "building the image: mksquashfs failed" \
        in lines[0], proc.stderr
    assert sorted(os.listdir(img.image.parent)) == ["venv.sqfs", "venv.sqfs.lock", "venv.sqfs.manifest",
                                                    "venv.sqfs.stamp"]
    after = img.image.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert Path(f"{img.image}.manifest").read_bytes() == manifest
    assert Path(f"{img.image}.stamp").read_bytes() == stamp, "the stamp still names the old image"
    # With the venv back to its size, the next stage builds it.
    (venv / "lib/python3.11/site-packages/incompressible.bin").unlink()
    (venv / "lib/python3.11/site-packages/image_test_marker.py").write_text("X = 1\n")
    assert stage().returncode == 0 and img.image.stat().st_ino != before.st_ino


def test_stage_only_builds_the_image_the_run_reuses(tmp_path, source):
    """A job's stage step builds the image (no MPI, nothing mounted); the
    run then finds it up to date."""
    img = Image(tmp_path, source)
    out = tmp_path / "stage.json"
    proc = harness("--stage-only", "--config", img.config, "--machine", "local", "--filesystem", "img",
                   "--json", out, timeout=600)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    st = json.loads(out.read_text())
    assert st["kind"] == "image" and st["image"]["built"] and st["image"]["mount_with"] is None
    assert st["image"]["bytes"] == img.image.stat().st_size and not mounted(img.node(0))
    _, r = img.run("--child", "/bin/true", "--skip-checks")
    assert not r["staging"]["image"]["built"] and r["staging"]["image"]["mount_with"] == "squashfuse"


@pytest.mark.root
def test_the_kernels_loop_mount_where_configured(tmp_path, source):
    """mount_with = "loop" (root): the kernel's squashfs, seen by the
    children in their mountinfo, unmounted at the end."""
    img = Image(tmp_path, source, extra='mount_with = "loop";')
    seen = tmp_path / "mountinfo"
    stmt = f"import numpy, shutil; shutil.copy('/proc/self/mountinfo', '{seen}')"
    _, r = img.run("--import", stmt)
    assert r["ok"] == 4 and r["staging"]["image"]["mount_with"] == "loop"
    types = {line.split()[4]: line.split(" - ")[1].split()[0] for line in seen.read_text().splitlines()}
    assert types[str(img.node(0))] == types[str(img.node(1))] == "squashfs", types
    assert not mounted(img.node(0)) and not mounted(img.node(1))


def test_mount_with_names_its_choices(tmp_path, source):
    img = Image(tmp_path, source, extra='mount_with = "nfs";')
    proc, _ = img.run("--child", "/bin/true", expect=2)
    assert "mount_with 'nfs' is not one of squashfuse, loop" in proc.stderr and ":2:" in proc.stderr


# --- a hostile neighbour in /dev/shm (sticky, writable by every user) ---


def hostile(tmp_path, source, shm, plant):
    """A run whose image and mount live in /dev/shm after nobody did PLANT."""
    img = Image(tmp_path, source, image=Path(f"{shm}-img/venv.sqfs"), mount=Path(f"{shm}-mnt"))
    plant(img)
    proc, _ = img.run("--child", "/bin/true", "--skip-checks", expect=3)
    assert proc.stderr.count("harness: filesystem 'img': ") == 1, proc.stderr
    assert not mounted(img.node(0)) and not mounted(img.node(1))
    return img, proc.stderr


@pytest.mark.root
def test_bytecode_directory_another_user_made_is_refused(tmp_path, source, shm):
    """Bytecode planted there would run as the benchmark's user."""
    _, err = hostile(tmp_path, source, shm, lambda img: as_nobody("mkdir", f"{img.node(0)}-pycache"))
    assert f"the image's bytecode directory: refusing the target {shm}-mnt-node0-pycache: it is owned by nobody" \
        in err


@pytest.mark.root
def test_mount_point_symlinked_by_another_user_is_refused(tmp_path, source, shm, victim_dir):
    img, err = hostile(tmp_path, source, shm, lambda img: as_nobody("ln", "-s", victim_dir, img.node(1)))
    assert f"the image's mount point: refusing the target {shm}-mnt-node1: it is a symlink owned by nobody" in err
    assert os.listdir(victim_dir) == ["keep"]


@pytest.mark.root
def test_image_directory_another_user_made_is_refused(tmp_path, source, shm):
    img, err = hostile(tmp_path, source, shm, lambda img: as_nobody("mkdir", img.image.parent))
    assert f"the image's directory: refusing the target {shm}-img: it is owned by nobody" in err
    assert not img.image.exists()


def image_listing(image):
    proc = subprocess.run(["unsquashfs", "-l", str(image)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bytecode_packed_in_the_image_is_what_the_children_read(tmp_path, venv):
    """bytecode = "image": the venv's __pycache__ goes into the image, the
    children run without PYTHONPYCACHEPREFIX and numpy's bytecode is the
    image's (nothing compiled on a cold node). Back to the default, the
    image is rebuilt without it."""
    img = Image(tmp_path, venv.resolve(), extra='bytecode = "image";')
    _, st = img.stage()
    assert st["image"]["built"] and Path(f"{img.image}.bytecode").exists()
    assert ".cpython-311.pyc" in image_listing(img.image)
    seen = tmp_path / "seen"
    stmt = (f"import numpy, os, sys; open('{seen}', 'w').write(repr(sys.pycache_prefix) + ' ' "
            "+ str(os.path.exists(numpy.__cached__)) + ' ' + numpy.__cached__)")
    _, r = img.run("--import", stmt, "--skip-checks")
    assert r["ok"] == 4 and r["staging"]["image"]["check"] == "stamp", r["staging"]
    prefix, cached_exists, cached = seen.read_text().split(" ", 2)
    assert (prefix, cached_exists) == ("None", "True") and cached.startswith(f"{tmp_path}/mnt-node"), cached
    assert not list(tmp_path.glob("mnt-node*-pycache"))
    node = Image(tmp_path, venv.resolve(), image=img.image, mount=tmp_path / "mnt2", name="node.cfg")
    _, st = node.stage()
    assert st["image"]["built"] and not Path(f"{img.image}.bytecode").exists()
    assert ".pyc" not in image_listing(img.image)


def test_a_bytecode_setting_not_known_is_refused_by_line(tmp_path, source):
    img = Image(tmp_path, source, extra='bytecode = "disk";')
    proc = harness("--checks-only", "--config", img.config, "--machine", "local", "--filesystem", "img")
    assert proc.returncode == 2 and f"{img.config}:2:" in proc.stderr and "disk" in proc.stderr, proc.stderr


def squashfs_compressor(image):
    """The compressor the image's superblock names (unsquashfs -s)."""
    proc = subprocess.run(["unsquashfs", "-s", str(image)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return re.search(r"Compression (\w+)", proc.stdout)[1]


def test_compression_lz4_builds_an_lz4_image_a_change_of_it_rebuilds(tmp_path, source):
    """compression = "lz4": mksquashfs's lz4, said in the result; the run
    after the prep step trusts its stamp; the same image configured back
    to zstd is a recipe the stamp does not name: rebuilt by the run."""
    img = Image(tmp_path, source, extra='compression = "lz4";')
    _, st = img.stage()
    assert st["image"]["built"] and st["image"]["compression"] == "lz4", st
    assert squashfs_compressor(img.image) == "lz4"
    _, r = img.run("--skip-checks")
    assert r["ok"] == 4 and r["staging"]["image"]["check"] == "stamp", r["staging"]
    assert r["staging"]["image"]["compression"] == "lz4" and not r["staging"]["image"]["built"]
    zstd = Image(tmp_path, source, image=img.image, mount=tmp_path / "mnt2", name="zstd.cfg")
    _, r = zstd.run("--skip-checks")
    assert r["ok"] == 4 and r["staging"]["image"]["check"] == "walk" and r["staging"]["image"]["built"], r
    assert r["staging"]["image"]["compression"] == "zstd" and squashfs_compressor(img.image) == "zstd"


def test_a_compression_not_known_is_refused_by_line(tmp_path, source):
    img = Image(tmp_path, source, extra='compression = "xz";')
    proc = harness("--checks-only", "--config", img.config, "--machine", "local", "--filesystem", "img")
    assert proc.returncode == 2 and f"{img.config}:2:" in proc.stderr and "xz" in proc.stderr, proc.stderr
    assert "zstd, lz4" in proc.stderr, proc.stderr
