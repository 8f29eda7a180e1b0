"""A run removes or unmounts only what it can prove it made, and never
what a live run is using: bcast's cleanup (a marker, an owner, through
descriptors, never after its own prepare refused the target), the image
kind's mounts (its own kind, of this image, at the exact point), and two
runs of one filesystem at once on one machine (the second waits for the
first's lock, or is refused in one line before it touches anything).
The attacker, where there is one, is `nobody`."""
import fcntl
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers.bcast import Bcast, bcast_config
from helpers.harness import HARNESS, harness, sanitizer_clean
from helpers.hostile import as_nobody
from helpers.image import Image, mounted, mounts
from helpers.stager import fake_venv

MARKER = ".mpi4py-import-stage.marker"


@pytest.fixture
def small_venv(tree):
    """The crafted tree as a venv whose bin/python the runs never start."""
    fake_venv(tree, "/built/here")
    (tree / "bin/python").write_text("#!/bin/sh\n")
    (tree / "bin/python").chmod(0o755)
    return tree


def precious(d, marked=False):
    """A directory of root's that is not a copy this run made: a file to keep, a marker if MARKED."""
    d.mkdir(parents=True)
    (d / "keep.txt").write_text("not this run's\n")
    if marked:
        (d / MARKER).write_text("a stager's\n")
    return d


def bcast_run(b, *extra, expect):
    proc, _ = b.run("--child", "/bin/true", "--skip-checks", *extra, expect=expect)
    return proc


# --- bcast: what the cleanup removes ----------------------------------------


def test_cleanup_never_removes_a_target_the_stager_refused(tmp_path, small_venv):
    """The stage refuses PATH-node0 (files, no marker); after-run must then
    remove neither it nor anything else of the run's name."""
    b = Bcast(tmp_path, small_venv)
    b.set_cleanup("after-run")
    for k in (0, 1):
        precious(b.node(k))
    proc = bcast_run(b, expect=3)
    assert "holds files but no .mpi4py-import-stage.marker" in proc.stderr
    assert (b.node(0) / "keep.txt").exists() and (b.node(1) / "keep.txt").exists()


@pytest.mark.root
def test_cleanup_never_reaches_through_a_neighbours_symlink(tmp_path, small_venv, shm):
    """path = SHM/p/copy, where SHM and its link p are nobody's and p
    leads to root's directory holding marked copies: refused, and nothing
    there is removed (the old sweep opened dirname(path) with open())."""
    victim = tmp_path / "victim"
    for name in ("copy", "copy-node0", "copy-node3"):
        precious(victim / name, marked=True)
    as_nobody("mkdir", "-m", "0755", shm)
    as_nobody("ln", "-s", victim, shm / "p")
    b = Bcast(tmp_path, small_venv)
    b.local = shm / "p/copy"
    bcast_config(b.config, small_venv, b.local)
    b.set_cleanup("after-run")
    proc = bcast_run(b, expect=3)
    assert f"refusing the target {shm}/p" in proc.stderr and "owned by nobody" in proc.stderr, proc.stderr
    assert sorted(os.listdir(victim)) == ["copy", "copy-node0", "copy-node3"]
    assert all((victim / n / "keep.txt").exists() for n in ("copy", "copy-node0", "copy-node3"))


def test_keep_last_never_removes_a_directory_without_the_marker(tmp_path, small_venv):
    """PATH-node7 named like a copy, but no stager made it: keep-last leaves it."""
    b = Bcast(tmp_path, small_venv)
    b.set_cleanup("keep-last")
    other = precious(b.node(7))
    dead = b.node(5)
    bcast_run(b, expect=0)        # node 0 and 1: node 1 removed, as before
    (dead).mkdir()
    (dead / MARKER).write_text("a killed run's\n")
    proc = bcast_run(b, expect=0)
    assert (other / "keep.txt").exists(), proc.stdout
    assert not dead.exists() and not b.node(1).exists() and b.node(0).exists()
    assert "cleanup       keep-last: 2 copies removed at the end" in proc.stdout


# --- two runs of one filesystem at once ----------------------------------


def sleeper(tmp_path, seconds):
    """A child that says it started, then checks its venv is still there
    after SECONDS: gone (removed or unmounted by another run), it fails."""
    started = tmp_path / "started"
    child = tmp_path / "sleeper.sh"
    child.write_text(f'#!/bin/sh\ntouch {started}\nsleep {seconds}\ntest -f "$VIRTUAL_ENV/bin/python"\n')
    child.chmod(0o755)
    return child, started


def wait_for(path, proc, what):
    for _ in range(600):
        if path.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert path.exists(), f"{what} never started: " + (proc.communicate()[1] if proc.poll() is not None else "")


def finished(proc, expect=0):
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == expect, out + err
    assert "ERROR: AddressSanitizer" not in err and "runtime error:" not in err, err
    return out, err


def start_bcast(b, json_path, *extra):
    cmd = ["mpirun", "--oversubscribe", "-n", str(b.n), str(HARNESS), "--config", b.config, "--machine", "local",
           "--filesystem", "b", "--ranks-per-node", str(b.per), "--no-startup", "--skip-checks",
           "--json", json_path, *map(str, extra)]
    return subprocess.Popen(list(map(str, cmd)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def ok_ranks(json_path):
    return json.loads(Path(json_path).read_text())["ok"]


@pytest.mark.slow
@pytest.mark.parametrize("cleanup", ["never", "after-run", "keep-last"])
def test_a_second_bcast_run_never_removes_the_copy_a_live_run_imports_from(tmp_path, small_venv, cleanup):
    """Two runs at once on one machine: the second waits for the first's
    lock (naming it), then both finish with every rank ok."""
    b = Bcast(tmp_path, small_venv)
    b.set_cleanup(cleanup)
    child, started = sleeper(tmp_path, 6)
    first = start_bcast(b, tmp_path / "first.json", "--child", child)
    try:
        wait_for(started, first, "the first run's import")
        second = start_bcast(b, tmp_path / "second.json", "--child", "/bin/true")
        _, err2 = finished(second)
        finished(first)
    finally:
        for p in (first,):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert "waiting for its lock" in err2 and "is using" in err2, err2
    assert ok_ranks(tmp_path / "first.json") == 4 and ok_ranks(tmp_path / "second.json") == 4


def tree_state(root):
    return sorted((str(p), p.lstat().st_mtime_ns) for p in Path(root).rglob("*"))


@pytest.mark.slow
def test_a_second_bcast_run_past_lock_timeout_is_refused_before_touching_anything(tmp_path, small_venv):
    b = Bcast(tmp_path, small_venv)
    b.set_cleanup("after-run")
    child, started = sleeper(tmp_path, 20)
    first = start_bcast(b, tmp_path / "first.json", "--child", child)
    try:
        wait_for(started, first, "the first run's import")
        before = tree_state(tmp_path / "local-node0") + tree_state(tmp_path / "local-node1")
        b.config.write_text(b.config.read_text().replace('kind = "bcast";', 'kind = "bcast"; lock_timeout = 1;'))
        second = start_bcast(b, tmp_path / "second.json", "--child", "/bin/true", "--quiet")
        _, err2 = finished(second, expect=4)
        after = tree_state(tmp_path / "local-node0") + tree_state(tmp_path / "local-node1")
        finished(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    lines = [line for line in err2.splitlines() if line.startswith("harness: ")]
    assert len(lines) == 1 and "gave up after 1 s waiting for the lock" in lines[0] and "held by pid" in lines[0], err2
    assert before == after
    assert ok_ranks(tmp_path / "first.json") == 4


# --- image: what is unmounted ----------------------------------------------


@pytest.fixture
def image_source(venv):
    return venv.resolve()


@pytest.fixture
def tmpfs_at():
    """Mounts a root tmpfs at a path (mode 0755), undone after."""
    made = []

    def mount(path):
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "tmpfs", str(path)], check=True)
        (path / "keep.txt").write_text("root's tmpfs\n")
        made.append(path)
        return path
    yield mount
    for path in made:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.root
def test_image_never_unmounts_a_filesystem_it_did_not_mount(tmp_path, image_source, tmpfs_at):
    """A root tmpfs in use at the mount point: refused in one line, left mounted."""
    img = Image(tmp_path, image_source)
    victim = tmpfs_at(img.node(0))
    holder = subprocess.Popen(["sleep", "300"], cwd=victim)
    try:
        proc, _ = img.run("--child", "/bin/true", "--skip-checks", "--quiet", expect=3)
    finally:
        holder.kill()
        holder.wait()
    assert mounted(victim) and (victim / "keep.txt").exists()
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert f"the image's mount point {victim} already has a tmpfs filesystem mounted" in proc.stderr, proc.stderr
    assert not mounted(img.node(1))


@pytest.mark.root
def test_image_mount_path_is_never_resolved_through_a_neighbours_symlink(tmp_path, image_source, shm, tmpfs_at):
    """mount = SHM-mnt, not there yet; nobody makes it a link to a root
    tmpfs. Read unresolved, the run refuses the link; the tmpfs stays."""
    victim = tmpfs_at(tmp_path / "victim")
    img = Image(tmp_path, image_source, mount=Path(f"{shm}-mnt"))
    as_nobody("ln", "-s", victim, img.mount)
    proc, _ = img.run("--child", "/bin/true", "--skip-checks", expect=3, n=2, per=0)
    assert f"refusing the target {img.mount}: it is a symlink owned by nobody" in proc.stderr, proc.stderr
    assert mounted(victim) and (victim / "keep.txt").exists()


@pytest.fixture
def unmount_after(tmp_path):
    yield
    for point in mounts():
        if point.startswith(str(tmp_path)):
            subprocess.run(["fusermount", "-u", "-z", point], check=False)


@pytest.mark.parametrize("mount", ["", "  "])
def test_an_empty_mount_is_a_config_error(tmp_path, image_source, mount):
    """Joined to the config's directory, it would mount over the config."""
    img = Image(tmp_path, image_source)
    img.config.write_text(img.config.read_text().replace(f'mount = "{img.mount}"', f'mount = "{mount}"'))
    proc = harness("--stage-only", *img.args()[:6])
    assert proc.returncode == 2, proc.stderr
    assert f"{img.config}:2: filesystem 'img': 'mount' is empty" in proc.stderr, proc.stderr


def test_a_mount_path_with_a_space_is_unmounted_at_the_end(tmp_path, image_source, unmount_after):
    img = Image(tmp_path, image_source, mount=tmp_path / "m nt")
    _, r = img.run("--child", "/bin/true", "--skip-checks")
    assert r["ok"] == 4
    assert not mounted(img.node(0)) and not mounted(img.node(1)), mounts()


def test_a_non_canonical_mount_path_is_mounted_and_unmounted(tmp_path, image_source, unmount_after):
    """`//` and a trailing `/`: the same directory, its pretend nodes and
    bytecode beside it, not inside the mount."""
    img = Image(tmp_path, image_source, mount=f"{tmp_path}//mnt/")
    _, r = img.run()
    assert r["ok"] == 4 and r["modules"]["numpy"].startswith(f"{tmp_path}/mnt-node0/lib/"), r["modules"]
    assert not mounted(tmp_path / "mnt-node0") and not mounted(tmp_path / "mnt-node1")
    assert list(Path(f"{tmp_path}/mnt-node1-pycache").rglob("*.pyc"))


def test_the_image_build_lock_wait_ends_after_lock_timeout_naming_the_holder(tmp_path, image_source):
    img = Image(tmp_path, image_source, extra="lock_timeout = 1;")
    img.image.parent.mkdir()
    with open(f"{img.image}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = harness("--stage-only", *img.args()[:6], timeout=60)
    sanitizer_clean(proc)
    assert proc.returncode == 4, proc.stderr
    assert (f"gave up after 1 s waiting for the lock {img.image}.lock, held by pid {os.getpid()}"
            in proc.stderr), proc.stderr


def kill_when_mounted(proc, points):
    for _ in range(600):
        if all(mounted(p) for p in points) or proc.poll() is not None:
            break
        time.sleep(0.2)
    assert all(mounted(p) for p in points), "the run never mounted " + str(points)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def test_a_smaller_rerun_unmounts_the_killed_runs_extra_nodes(tmp_path, image_source, unmount_after):
    """A killed 4-node run, rerun on 2: mount-node2 and -node3 are its, dead, and undone."""
    img = Image(tmp_path, image_source)
    killed = img.start("--import", "import time; time.sleep(60)", "--skip-checks", n=4, per=1)
    kill_when_mounted(killed, [img.node(k) for k in range(4)])
    proc, r = img.run("--child", "/bin/true", "--skip-checks", n=4, per=2)
    assert r["ok"] == 4
    assert not any(mounted(img.node(k)) for k in range(4)), mounts()
    assert proc.stderr.count("still mounted (a killed run's)") == 4, proc.stderr


@pytest.mark.slow
def test_a_second_image_run_never_unmounts_a_live_runs_mount(tmp_path, image_source):
    """Two image runs at once: the second waits for the first's lock, then
    both finish with every rank ok."""
    img = Image(tmp_path, image_source)
    child, started = sleeper(tmp_path, 6)
    img.run("--child", "/bin/true", "--skip-checks")     # built: the second run's wait is all that is timed
    first = img.start("--child", child, "--skip-checks")
    second_img = Image(tmp_path, image_source, name="second.cfg")
    try:
        wait_for(started, first, "the first run's import")
        _, err2 = finished(second_img.start("--child", "/bin/true", "--skip-checks"))
        finished(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert "waiting for its lock" in err2, err2
    assert ok_ranks(img.json) == 4 and ok_ranks(second_img.json) == 4
    assert not mounted(img.node(0)) and not mounted(img.node(1))


@pytest.mark.slow
def test_a_second_image_run_past_lock_timeout_is_refused_before_touching_anything(tmp_path, image_source):
    img = Image(tmp_path, image_source)
    child, started = sleeper(tmp_path, 20)
    first = img.start("--child", child, "--skip-checks")
    second_img = Image(tmp_path, image_source, name="second.cfg", extra="lock_timeout = 1;")
    try:
        wait_for(started, first, "the first run's import")
        _, err2 = finished(second_img.start("--child", "/bin/true", "--skip-checks", "--quiet"), expect=4)
        assert mounted(img.node(0)) and mounted(img.node(1))
        finished(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    lines = [line for line in err2.splitlines() if line.startswith("harness: ")]
    assert len(lines) == 1 and "gave up after 1 s waiting for the lock" in lines[0], err2
    assert ok_ranks(img.json) == 4
