"""The image read once from the shared filesystem: the prep step's stamp
spares a run the walk of the venv (a changed venv repacks at the next
--stage-only, a replaced image falls back to the walk); deliver = "bcast"
sends the image from rank 0 to each (pretend) node's own copy, which is
mounted there, skipped on a node that holds it already, and never left
half-written; what crossed is in the result."""
import filecmp
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.harness import HARNESS, sanitizer_clean, traced_calls_inside, venv_without_bytecode
from helpers.hostile import as_nobody
from helpers.image import Image, mounted

pytestmark = pytest.mark.usefixtures("venv")

CHEAP = ("--child", "/bin/true", "--skip-checks")


@pytest.fixture(scope="module")
def source(tmp_path_factory, venv):
    """A private copy of the real venv: tests change it."""
    return venv_without_bytecode(venv, tmp_path_factory.mktemp("image-first-copy") / "venv")


def traced_venv_calls(img, source, tmp_path):
    """A run under strace: its file calls inside SOURCE."""
    return traced_calls_inside(source, tmp_path / "strace.log", *img.args(*CHEAP))


def test_the_stamp_spares_the_walk_a_changed_venv_repacks_at_the_prep_step(tmp_path, source):
    img = Image(tmp_path, source)
    stamp = Path(f"{img.image}.stamp")
    # Without a stamp a run walks the venv, as before, and writes none.
    _, r = img.run(*CHEAP)
    im = r["staging"]["image"]
    assert im["check"] == "walk" and im["entries_walked"] > 2000 and im["built"] and not stamp.exists()
    # The prep step walks, finds the image current and stamps it.
    _, st = img.stage()
    assert st["image"]["check"] == "walk" and not st["image"]["built"] and stamp.exists()
    assert f"venv {source}\n" in stamp.read_text()
    # A run: one stat of stamp and image, not one call under the venv.
    calls = traced_venv_calls(img, source, tmp_path)
    assert calls == [], calls[:20]
    _, r = img.run(*CHEAP)
    im = r["staging"]["image"]
    assert im["check"] == "stamp" and im["entries_walked"] == 0 and not im["built"], im
    assert r["staging"]["shared_files_opened"] == 1 + 2   # the stamp; each node's squashfuse opens the image
    # The stamp, and the few pages each node's squashfuse read of the image.
    assert stamp.stat().st_size < r["staging"]["shared_bytes_read"] < img.image.stat().st_size
    # A changed venv: the run still trusts the stamp (it does not look),
    # the next prep step repacks and stamps the new image.
    before = img.image.stat()
    (source / "lib/python3.11/site-packages/first_copy_marker.py").write_text("X = 7\n")
    _, r = img.run(*CHEAP)
    assert r["staging"]["image"]["check"] == "stamp" and img.image.stat().st_ino == before.st_ino
    _, st = img.stage()
    assert st["image"]["built"] and img.image.stat().st_ino != before.st_ino
    _, r = img.run("--import", "import first_copy_marker")
    assert r["ok"] == 4 and r["staging"]["image"]["check"] == "stamp"
    # A stale stamp (the image replaced behind it): the run walks again.
    shutil.copy2(img.image, f"{img.image}.other")
    os.replace(f"{img.image}.other", img.image)
    _, r = img.run(*CHEAP)
    im = r["staging"]["image"]
    assert im["check"] == "walk" and im["entries_walked"] > 2000 and not im["built"], im


def test_broadcast_image_mounted_on_each_node_then_warm_nodes_get_nothing(tmp_path, source):
    img = Image(tmp_path, source, extra='deliver = "bcast";')
    img.stage()
    proc, r = img.run()
    st, im = r["staging"], r["staging"]["image"]
    size = img.image.stat().st_size
    assert r["ok"] == 4 and r["nodes"] == 2 and im["deliver"] == "bcast" and im["nodes_warm"] == 0
    assert r["modules"]["numpy"].startswith(f"{img.node(1)}/lib/") or r["modules"]["numpy"].startswith(
        f"{img.node(0)}/lib/"), r["modules"]
    # Each node mounted its own whole copy; rank 0 read the image once.
    for k in (0, 1):
        assert filecmp.cmp(img.copy(k), img.image, shallow=False)
        assert sorted(os.listdir(img.copy(k).parent)) == ["venv.sqfs", "venv.sqfs.from"]
        assert not mounted(img.node(k))
    stamp = Path(f"{img.image}.stamp").stat().st_size
    assert st["shared_bytes_read"] == size + stamp and st["shared_files_opened"] == 2
    assert st["bytes_between_nodes"] == size   # one receiving leader: node 1
    assert "delivered     bcast in " in proc.stdout and "crossed       " in proc.stdout
    # The same import delivered shared: each node's squashfuse read
    # numpy's pages of the image from the shared filesystem itself.
    shared = Image(tmp_path, source, image=img.image, mount=tmp_path / "shared-mnt", name="shared.cfg")
    _, r = shared.run()
    assert r["ok"] == 4 and r["staging"]["image"]["deliver"] == "shared"
    assert 2 * 1_000_000 < r["staging"]["shared_bytes_read"] and r["staging"]["bytes_between_nodes"] == 0
    # Warm nodes: the same image is there, nothing is read or sent.
    copy = img.copy(1).stat()
    _, r = img.run(*CHEAP)
    st = r["staging"]
    assert st["image"]["nodes_warm"] == 2 and st["bytes_between_nodes"] == 0
    assert st["shared_bytes_read"] == stamp and st["shared_files_opened"] == 1
    assert img.copy(1).stat().st_ino == copy.st_ino
    # A node whose copy is of another image gets the new one.
    img.copy(1).write_bytes(b"not the image")
    _, r = img.run(*CHEAP)
    assert r["staging"]["image"]["nodes_warm"] == 1 and r["staging"]["bytes_between_nodes"] == size
    assert filecmp.cmp(img.copy(1), img.image, shallow=False)


def test_a_node_out_of_space_mid_broadcast_fails_in_one_line_leaving_nothing(tmp_path, source, small_fs):
    img = Image(tmp_path, source, extra='deliver = "bcast";')
    small_fs.chmod(0o755)  # a new tmpfs is 1777: no target may be writable by others
    Path(f"{img.node(1)}-image").symlink_to(small_fs)
    proc, _ = img.run(*CHEAP, "--quiet", expect=4)
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert re.search(r"harness: filesystem 'img': image: node 1 \(host [^)]*\): cannot write "
                     rf"{img.node(1)}-image/\.venv\.sqfs\.tmp-\w+: No space left on device", proc.stderr), proc.stderr
    assert "timing" not in proc.stderr, "nobody went on to the timed phases"
    assert os.listdir(small_fs) == [], "no half-written image"
    assert not mounted(img.node(0)) and not mounted(img.node(1))
    # Node 0's copy is whole (put in place only once complete), no temporary is left.
    assert sorted(os.listdir(img.copy(0).parent)) in ([], ["venv.sqfs", "venv.sqfs.from"])


def test_an_image_rank_0_cannot_read_stops_every_node_before_anything_is_written(tmp_path, source):
    """As root without the capabilities that ignore permissions, rank 0
    cannot open the image: its first chunk says so and every leader stops."""
    img = Image(tmp_path, source, extra='deliver = "bcast";')
    img.stage()
    img.image.chmod(0)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    cmd = [*drop, "mpirun", "--oversubscribe", "-n", "4", HARNESS, *img.args(*CHEAP, "--quiet")]
    proc = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=300)
    sanitizer_clean(proc)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert f"harness: filesystem 'img': cannot open the image {img.image}: Permission denied" in proc.stderr
    for k in (0, 1):
        assert os.listdir(img.copy(k).parent) == [] and not mounted(img.node(k))


def test_deliver_names_its_choices(tmp_path, source):
    img = Image(tmp_path, source, extra='deliver = "nfs";')
    proc, _ = img.run(*CHEAP, expect=2)
    assert "deliver 'nfs' is not one of shared, bcast" in proc.stderr and ":2:" in proc.stderr


# --- a hostile neighbour in /dev/shm at the node's copy's name ---


def planted(tmp_path, source, shm, plant):
    img = Image(tmp_path, source, image=Path(f"{shm}-img/venv.sqfs"), mount=Path(f"{shm}-mnt"),
                extra='deliver = "bcast";')
    plant(img)
    proc, _ = img.run(*CHEAP, expect=3)
    assert proc.stderr.count("harness: filesystem 'img': ") == 1, proc.stderr
    assert not mounted(img.node(0)) and not mounted(img.node(1))
    return img, proc.stderr


@pytest.mark.root
def test_a_symlink_another_user_planted_at_the_nodes_copy_is_not_followed(tmp_path, source, shm, victim_dir):
    img, err = planted(tmp_path, source, shm, lambda img: as_nobody("ln", "-s", victim_dir, f"{img.node(1)}-image"))
    assert f"image: node 1 (host " in err and \
        f"the node's image directory: refusing the target {shm}-mnt-node1-image: it is a symlink owned by nobody" \
        in err, err
    assert os.listdir(victim_dir) == ["keep"]


@pytest.mark.root
def test_a_directory_another_user_made_at_the_nodes_copy_is_refused(tmp_path, source, shm):
    def plant(img):
        as_nobody("mkdir", "-m", "0755", f"{img.node(0)}-image")
        as_nobody("cp", "/bin/true", f"{img.node(0)}-image/venv.sqfs")
    img, err = planted(tmp_path, source, shm, plant)
    assert f"the node's image directory: refusing the target {shm}-mnt-node0-image: it is owned by nobody" in err
    assert os.stat(f"{img.node(0)}-image/venv.sqfs").st_uid == 65534, "nobody's file is left as it was"
