"""bcast's first copy from the packed source: nodes without a copy unpack
the squashfs image the prep step packed and stamped (rank 0 reads it once,
never the venv's entries); with copies there the librsync deltas go on; a
stale or missing image falls back to the entries; a node that fails leaves
no partial copy."""
import os
import re
import shutil
from pathlib import Path

import pytest

from helpers.bcast import Bcast
from helpers.harness import traced_calls_inside, venv_without_bytecode
from helpers.hostile import as_nobody
from kinds.test_bcast import biggest_py, same_tree

pytestmark = pytest.mark.usefixtures("venv")


@pytest.fixture(scope="module")
def source(tmp_path_factory, venv):
    """A private copy of the real venv (no bytecode): tests change it."""
    return venv_without_bytecode(venv, tmp_path_factory.mktemp("bcast-packed") / "venv")


def packed(tmp_path, source):
    b = Bcast(tmp_path, source)
    b.set_packed(tmp_path / "img" / "venv.sqfs")
    return b


def traced_venv_calls(b, source, tmp_path):
    """A run under strace: its file calls inside SOURCE."""
    return traced_calls_inside(source, tmp_path / "strace.log", "--config", b.config, "--machine", "local",
                               "--filesystem", "b", "--ranks-per-node", "2", "--no-startup", "--json", b.json,
                               "--child", "/bin/true", "--skip-checks")


def test_first_copy_unpacked_from_the_image_then_a_repack_sends_one_delta(tmp_path, source):
    b = packed(tmp_path, source)
    _, st = b.stage()
    assert b.packed.exists() and Path(f"{b.packed}.stamp").exists() and st["kind"] == "bcast"
    _, r = b.run("--child", "/bin/true", "--skip-checks")
    s = r["staging"]
    assert s["bcast"]["first_copy"] == "packed", s
    for k in (0, 1):
        same_tree(b.node(k), source)
    size = b.packed.stat().st_size
    # Rank 0 read the stamp, the manifest and the image, nothing else.
    assert s["shared_files_opened"] == 3, s
    assert size < s["shared_bytes_read"] < size + 2_000_000, s
    assert size <= s["bytes_between_nodes"] < size + 2_000_000, s
    assert s["copied"] == s["entries"] and s["delta_updated"] == 0
    assert not [p for p in b.local.parent.iterdir() if p.name.startswith(".")], "no temporary left"
    # A rerun: every node holds its copy (mtimes to the nanosecond), nothing sent.
    _, r = b.cheap()
    assert r["staging"]["bcast"]["first_copy"] is None and r["staging"]["up_to_date"] == r["staging"]["entries"]
    # ... and the source's manifest is the image's, not a walk.
    assert r["staging"]["bcast"]["check"] == "stamp" and r["staging"]["shared_files_opened"] == 2, r["staging"]
    # One file changed, the prep step repacks, the rerun sends one delta.
    f = biggest_py(source)
    f.write_text(f.read_text() + "\n# changed\n")
    _, st = b.stage()
    _, r = b.cheap()
    s = r["staging"]
    assert s["delta_updated"] == 1 and s["copied"] == 0, s
    for k in (0, 1):
        same_tree(b.node(k), source)


def test_a_run_from_the_image_touches_nothing_in_the_venv(tmp_path, source):
    b = packed(tmp_path, source)
    b.stage()
    calls = traced_venv_calls(b, source, tmp_path)
    assert calls == [], calls[:20]
    same_tree(b.node(1), source)
    # The next run, every node holding its copy: still nothing in the venv.
    calls = traced_venv_calls(b, source, tmp_path)
    assert calls == [], calls[:20]


def test_a_stale_or_missing_image_falls_back_to_the_entries(tmp_path, source):
    b = packed(tmp_path, source)
    _, r = b.cheap()   # no image at all
    assert r["staging"]["bcast"]["first_copy"] == "entries"
    same_tree(b.node(1), source)
    b.stage()
    for k in (0, 1):
        shutil.rmtree(b.node(k))
    os.utime(b.packed)   # the image is not the one the stamp names
    _, r = b.cheap()
    assert r["staging"]["bcast"]["first_copy"] == "entries"
    same_tree(b.node(0), source)


def test_a_node_out_of_space_mid_unpack_fails_in_one_line_leaving_no_copy(tmp_path, source, small_fs):
    b = Bcast(tmp_path, source)
    small_fs.chmod(0o755)  # a new tmpfs is 1777: no target may be writable by others
    b.local = small_fs / "local"
    b.config.write_text(b.config.read_text().replace(str(tmp_path / "local"), str(b.local)))
    b.set_packed(tmp_path / "img" / "venv.sqfs")
    b.stage()
    proc, _ = b.run("--child", "/bin/true", "--skip-checks", "--quiet", expect=4)
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert re.search(r"harness: filesystem 'b': bcast: node \d \(host [^)]*\): ", proc.stderr), proc.stderr
    assert "No space left on device" in proc.stderr, proc.stderr
    assert sorted(os.listdir(small_fs)) in ([], ["local.lock"]), "no partial copy, no temporary"


@pytest.mark.root
def test_a_copy_directory_another_user_owns_is_refused(tmp_path, source, shm):
    b = Bcast(tmp_path, source)
    parent = Path(f"{shm}-dir")
    as_nobody("mkdir", "-m", "0777", parent)
    b.local = parent / "local"
    b.config.write_text(b.config.read_text().replace(str(tmp_path / "local"), str(b.local)))
    b.set_packed(tmp_path / "img" / "venv.sqfs")
    b.stage()
    # nobody plants a symlink where a temporary image could go.
    as_nobody("ln", "-s", "/etc/passwd", parent / ".local-node1.sqfs-00000000")
    proc, _ = b.cheap(expect=3)
    assert "owned by nobody" in proc.stderr and proc.stderr.count("harness: ") == 1, proc.stderr
    assert not b.node(0).exists() and not b.node(1).exists()


def test_a_venv_with_bytecode_directories_unpacks_whole(tmp_path, venv):
    """A venv as pip leaves it: __pycache__ directories everywhere. The
    image leaves them out, the copy keeps them (empty, as the entries'
    path makes them): the packed first copy makes them too."""
    src = tmp_path / "src" / "venv"
    shutil.copytree(venv.resolve(), src, symlinks=True, ignore=shutil.ignore_patterns("*.pyc"))
    assert any(src.rglob("__pycache__"))
    b = packed(tmp_path, src)
    b.stage()
    _, r = b.run("--child", "/bin/true", "--skip-checks")
    assert r["staging"]["bcast"]["first_copy"] == "packed", r["staging"]
    for k in (0, 1):
        same_tree(b.node(k), src)
