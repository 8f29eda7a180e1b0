"""The image read once per job on the virtual cluster's 4 nodes (deliver =
"bcast"): the prep step stamps the image on the shared server, rank 0
reads it once and broadcasts it to each node's leader, which mounts its
own copy in node memory; the import, the unmount, nothing left mounted
or half-written; warm nodes get nothing; a node that runs out of space
mid-broadcast fails the run in one line naming it. Root and cluster
(tests/conftest.py marks every test here)."""
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers.harness import ROOT
from helpers.vcluster import VC_CFG, VCluster

NODES = 4
PER_NODE = 2
SHM = "/dev/shm/mpi4py-import"
MOUNT = f"{SHM}/fc-mnt"
OLD_MOUNT = 'mount = "/dev/shm/mpi4py-import/image-mnt"; deliver = "bcast"; bytecode = "image";'


@pytest.fixture(scope="module")
def vc(tmp_path_factory):
    cluster = VCluster(tmp_path_factory.mktemp("vc"), NODES, PER_NODE)
    try:
        cluster.up()
        # The venv on the shared server (conf/vcluster.cfg's /shared/venv).
        shutil.copytree((ROOT / "build/venv").resolve(), cluster.export / "venv", symlinks=True)
        yield cluster
    finally:
        cluster.down()


@pytest.fixture
def config(tmp_path):
    """conf/vcluster.cfg's image filesystem (delivered by broadcast, its
    bytecode in the image) on a mount point of the test's."""
    text = VC_CFG.read_text()
    assert OLD_MOUNT in text, "conf/vcluster.cfg no longer holds the image's mount"
    cfg = tmp_path / "first-copy.cfg"
    cfg.write_text(text.replace(OLD_MOUNT, f'mount = "{MOUNT}"; deliver = "bcast"; bytecode = "image";'))
    return cfg


def stage(vc, config, tmp_path):
    """The jobs' stage step, one rank on one node: the image built and stamped."""
    _, st = vc.srun("image", "--stage-only", nodes=1, per_node=1, config=config, json_out=tmp_path / "stage.json")
    assert st["kind"] == "image" and st["image"]["check"] == "walk", st
    return st


def node_mounts(vc, node, prefix):
    """What NODE has mounted at PREFIX or below, as {point: (type, source)}."""
    info = Path(f"/proc/{vc.state['holders'][node]}/mountinfo").read_text().splitlines()
    return {line.split()[4]: tuple(line.split(" - ")[1].split()[:2]) for line in info
            if line.split()[4].startswith(prefix)}


def shm_entries(vc, node):
    return sorted(p.name for p in (vc.node_root(node) / SHM.lstrip("/")).iterdir() if p.name.startswith("fc-mnt"))


def test_image_broadcast_to_four_nodes_mounted_imported_unmounted_nothing_left(vc, config, tmp_path):
    stage(vc, config, tmp_path)
    image = vc.export / "image/venv.sqfs"
    size, stamp = image.stat().st_size, Path(f"{image}.stamp").stat().st_size
    seen = tmp_path / "seen"
    seen.mkdir()
    stmt = (f"import numpy, shutil, socket; shutil.copy('/proc/self/mountinfo', '{seen}/' + socket.gethostname())")
    _, r = vc.srun("image", "--no-startup", "--import", stmt, config=config, json_out=tmp_path / "cold.json")
    st, im = r["staging"], r["staging"]["image"]
    assert r["ok"] == NODES * PER_NODE and st["leaders"] == NODES, st
    assert im["deliver"] == "bcast" and im["check"] == "stamp" and im["entries_walked"] == 0, im
    assert im["nodes_warm"] == 0 and im["mount_with"] == "loop" and im["compression"] == "lz4", im
    # The shared server served one read of the image (and the stamp); the
    # image crossed to the 3 other nodes.
    assert st["shared_bytes_read"] == size + stamp and st["shared_files_opened"] == 2, st
    assert st["bytes_between_nodes"] == 3 * size, st
    for k in range(1, NODES + 1):
        node = f"node{k}"
        # Each node's ranks imported from its own copy, mounted in its memory...
        lines = (seen / node).read_text().splitlines()
        mounts = {line.split()[4]: tuple(line.split(" - ")[1].split()[:2]) for line in lines}
        fstype, device = mounts.get(MOUNT, (None, ""))
        assert fstype == "squashfs" and re.fullmatch(r"/dev/loop\d+", device), (node, mounts)
        # ...unmounted at the end; the whole copy stays for the next run, no temporary file.
        assert node_mounts(vc, node, SHM) == {}, node
        copy = vc.node_root(node) / f"{MOUNT}-image/venv.sqfs".lstrip("/")
        assert copy.stat().st_size == size and copy.read_bytes() == image.read_bytes(), node
        assert sorted(p.name for p in copy.parent.iterdir()) == ["venv.sqfs", "venv.sqfs.from"], node
        # No bytecode directory: the image brought its own.
        assert shm_entries(vc, node) == ["fc-mnt", "fc-mnt-image", "fc-mnt.lock"], node
    # No loop device left behind on any node's copy.
    assert not [b for b in Path("/sys/block").glob("loop*/loop/backing_file") if MOUNT in b.read_text()]
    # Warm nodes: the same image everywhere, only the stamp is read.
    _, r = vc.srun("image", "--no-startup", config=config, json_out=tmp_path / "warm.json")
    st = r["staging"]
    assert r["ok"] == NODES * PER_NODE and st["image"]["nodes_warm"] == NODES, st
    assert st["bytes_between_nodes"] == 0 and st["shared_bytes_read"] == stamp and st["shared_files_opened"] == 1
    for k in range(1, NODES + 1):
        assert node_mounts(vc, f"node{k}", SHM) == {}


@pytest.fixture
def full_node(vc):
    """node3's copy directory on a tmpfs of 1 MB (of root's, 0755), in node3's own mount namespace."""
    holder = vc.state["holders"]["node3"]
    path = f"{MOUNT}-image"
    subprocess.run(["nsenter", "-t", str(holder), "-m", "sh", "-c",
                    f"rm -rf '{path}' && mkdir -p -m 0755 '{path}' && "
                    f"mount -t tmpfs -o size=1m,mode=0755 first-copy-small '{path}'"], check=True)
    yield path
    subprocess.run(["nsenter", "-t", str(holder), "-m", "umount", path], check=True)


def test_a_node_out_of_space_mid_broadcast_fails_in_one_line_naming_it(vc, config, tmp_path, full_node):
    stage(vc, config, tmp_path)
    # Every node cold: the copies of the test before are gone.
    for k in (1, 2, 4):
        subprocess.run(["rm", "-rf", str(vc.node_root(f"node{k}") / f"{MOUNT}-image".lstrip("/"))], check=True)
    proc, _ = vc.srun("image", "--no-startup", "--child", "/bin/true", "--skip-checks", config=config,
                      json_out=tmp_path / "full.json", expect="failed")
    lines = [line for line in proc.stderr.splitlines() if line.startswith("harness: ")]
    assert len(lines) == 1, proc.stderr
    assert re.search(r"harness: filesystem 'image': image: node \d \(host node3\): cannot write "
                     rf"{re.escape(full_node)}/\.venv\.sqfs\.tmp-\w+: No space left on device", lines[0]), lines[0]
    # Nothing half-written on node3, nothing mounted anywhere.
    assert list((vc.node_root("node3") / full_node.lstrip("/")).iterdir()) == []
    for k in range(1, NODES + 1):
        # (node3's small tmpfs at MOUNT-image is the test's own.)
        assert {p: m for p, m in node_mounts(vc, f"node{k}", MOUNT).items() if p != full_node} == {}, k


PACKED = 'packed = "/shared/image/bcast-venv.sqfs";'


def test_bcast_first_copy_from_the_packed_image_on_four_empty_nodes_then_a_delta(vc, tmp_path):
    """bcast with packed = the image the prep step stamped: empty node
    memory everywhere, the copies unpacked from one read of the image,
    trees right on every node; then one changed file crosses as a delta."""
    cfg = VC_CFG
    assert PACKED in cfg.read_text(), "conf/vcluster.cfg's bcast no longer has its packed image"
    for k in range(1, NODES + 1):
        subprocess.run(["rm", "-rf", str(vc.node_root(f"node{k}") / "dev/shm/mpi4py-import/bcast")], check=True)
    _, st = vc.srun("bcast", "--stage-only", nodes=1, per_node=1, config=cfg, json_out=tmp_path / "stage.json")
    image = vc.export / "image/bcast-venv.sqfs"
    assert image.exists() and Path(f"{image}.stamp").exists(), st
    _, r = vc.srun("bcast", "--no-startup", config=cfg, json_out=tmp_path / "cold.json")
    st = r["staging"]
    assert r["ok"] == NODES * PER_NODE and st["bcast"]["first_copy"] == "packed", st
    assert st["shared_files_opened"] == 3 and st["shared_bytes_read"] < image.stat().st_size + 2_000_000, st
    for k in range(1, NODES + 1):
        copy = vc.node_root(f"node{k}") / "dev/shm/mpi4py-import/bcast"
        # Fixed up for its own place, marked as the stager's.
        assert (copy / "bin/activate").read_text().count("/dev/shm/mpi4py-import/bcast") >= 1, k
        assert (copy / ".mpi4py-import-stage.marker").exists(), k
    f = max((vc.export / "venv").rglob("*.py"), key=lambda p: p.stat().st_size)
    f.write_text(f.read_text() + "\n# changed\n")
    vc.srun("bcast", "--stage-only", nodes=1, per_node=1, config=cfg, json_out=tmp_path / "stage2.json")
    _, r = vc.srun("bcast", "--no-startup", config=cfg, json_out=tmp_path / "warm.json")
    st = r["staging"]
    assert st["bcast"]["first_copy"] is None and st["delta_updated"] == 1 and st["copied"] == 0, st
    # Once the clients' 1 s caches no longer hold the old image's name (the
    # stage step may have run on another node, whose rename node1's client
    # had not seen yet: the run then walked, safely), the next run takes
    # the source's manifest from the repacked image: no walk of the venv.
    time.sleep(2)
    _, r = vc.srun("bcast", "--no-startup", config=cfg, json_out=tmp_path / "again.json")
    st = r["staging"]
    assert st["bcast"]["check"] == "stamp" and st["up_to_date"] == st["entries"], st
