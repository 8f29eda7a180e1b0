"""The filesystem kind bcast: the venv broadcast with MPI to one leader
rank per (pretend) node, which writes the node's own copy; a rerun sends
only what changed, as librsync deltas; a failure on any node reaches
every rank."""
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from helpers.bcast import Bcast
from helpers.harness import HARNESS, ROOT, harness, mpirun, sanitizer_clean
from helpers.stager import STAGE_FILES, TMP_PREFIX, expected, fake_venv, leftovers, make_tree, remove_tree, snapshot


def same_tree(copy, source):
    """COPY holds SOURCE but bytecode: types, modes, mtimes, contents and
    symlink targets, except the files that name the venv's place, which
    name COPY's (only at the top and in bin/). Directories python writes
    bytecode into keep no particular mtime."""
    want, have = expected(source), snapshot(copy)
    for snap in (want, have):
        for k, (kind, mode, _, what) in list(snap.items()):
            if k.endswith("__pycache__"):
                snap[k] = (kind, mode, None, what)
    assert have.keys() == want.keys()
    for k in have:
        assert have[k][:3] == want[k][:3], k
        if have[k][3] != want[k][3]:
            assert "/" not in k or (k.startswith("bin/") and k.count("/") == 1), k
            assert str(copy) in (copy / k).read_text(), k
    activate = (copy / "bin/activate").read_text()
    assert f'VIRTUAL_ENV="{copy}"' in activate and str(source) not in activate


def tree_bytes(root):
    return sum(p.lstat().st_size for p in Path(root).rglob("*")
               if p.is_file() and not p.is_symlink() and p.suffix != ".pyc")


@pytest.fixture(scope="module")
def venv_copy(tmp_path_factory, venv):
    """A private copy of the real venv (without bytecode): tests change it."""
    dst = tmp_path_factory.mktemp("bcast-source") / "venv"
    shutil.copytree(venv.resolve(), dst, symlinks=True, ignore=shutil.ignore_patterns("*.pyc"))
    return dst


def biggest_py(root):
    return max((p for p in root.rglob("*.py") if not p.is_symlink() and "/lib64/" not in str(p)),
               key=lambda p: p.stat().st_size)


@pytest.mark.slow
def test_real_venv_two_nodes_then_nothing_then_one_delta(tmp_path, venv_copy):
    b = Bcast(tmp_path, venv_copy)
    proc, r = b.run()
    size = tree_bytes(venv_copy)
    st = r["staging"]
    assert r["nodes"] == 2 and r["ranks"] == 4 and r["ok"] == 4 and r["fs_kind"] == "bcast"
    for k in (0, 1):
        same_tree(b.node(k), venv_copy)
    assert r["venv"] == str(b.node(0))
    assert r["modules"]["numpy"].startswith(f"{b.node(0)}/lib/")
    assert st["kind"] == "bcast" and st["leaders"] == 2 and st["entries"] == len(expected(venv_copy))
    assert st["copied"] > 1000 and st["delta_updated"] == 0 and st["up_to_date"] == 0
    assert st["entries"] == st["up_to_date"] + st["copied"] + st["delta_updated"]
    # Raw by default (compress_level 0); with two nodes it crossed once.
    own = st["bcast"]   # the kind's own figures, in an object of its own
    assert own["bytes_uncompressed"] == own["bytes_compressed"] == size and own["compress_level"] == 0
    assert size < st["bytes_sent"] < size * 1.01
    assert f"whole files {size} bytes, {size} as sent (zstd level 0)" in proc.stdout
    # What crossed: rank 0 read every file once and opened each directory
    # (its walk) and file; the other node received what was sent.
    kinds = [v[0] for v in expected(venv_copy).values()]
    files, dirs = kinds.count(stat.S_IFREG), kinds.count(stat.S_IFDIR)
    assert st["shared_bytes_read"] == size and st["shared_files_opened"] == 1 + dirs + files, (st, dirs, files)
    assert st["bytes_between_nodes"] == st["bytes_sent"]
    assert f"crossed       {size} bytes read from the shared filesystem" in proc.stdout
    assert r["time_to_first_import_s"] == pytest.approx(st["seconds"] + r["elapsed_s"])
    assert f"staging       bcast, {st['entries']} entries to 2 copies: 0 up to date" in proc.stdout
    assert "first import" in proc.stdout

    # Nothing changed: every entry up to date, the fixed-up files too
    # (their state file vouches for them); only the manifest travels.
    _, r = b.run()
    st = r["staging"]
    assert st["up_to_date"] == st["entries"] and st["copied"] == st["delta_updated"] == 0
    assert st["bytes_sent"] < size / 100 and st["bcast"]["signature_bytes"] == 0
    assert st["shared_bytes_read"] == 0 and st["shared_files_opened"] == 1 + dirs, st

    # One big module changed in the middle: one delta per node, little sent.
    py = biggest_py(venv_copy)
    text = py.read_text()
    new = text[:len(text) // 2] + "\n# changed for the bcast test\n" + text[len(text) // 2:]
    py.write_text(new)
    _, r = b.run()
    st = r["staging"]
    assert st["delta_updated"] == 1 and st["copied"] == 0 and st["up_to_date"] == st["entries"] - 1
    assert st["matched_bytes"] > len(text) // 2 and 0 < st["literal_bytes"] < 10_000
    assert 0 < st["bcast"]["signature_bytes"] < len(text) and st["bytes_sent"] < size / 50
    for k in (0, 1):
        assert (b.node(k) / py.relative_to(venv_copy)).read_text() == new
        same_tree(b.node(k), venv_copy)
    assert leftovers(b.node(0)) == leftovers(b.node(1)) == []

    # Rank 0's set-up warm-up writes bytecode on its own node only: node
    # 1's leader runs it once too (a child that logs where it runs).
    log = tmp_path / "children.log"
    child = tmp_path / "child.sh"
    child.write_text(f'#!/bin/sh\necho "$VIRTUAL_ENV" >> {log}\n')
    child.chmod(0o755)
    proc, r = b.run("--child", child)
    assert "warm-up import on each other node's copy" in proc.stderr
    assert log.read_text().split().count(str(b.node(1))) == 3  # the warm-up, then 2 ranks


@pytest.fixture
def small_venv(tmp_path):
    """A crafted tree (symlinks, a read-only directory, odd modes) with a
    venv's fix-up files and a bin/python the runs never start."""
    src = tmp_path / "src"
    src.mkdir()
    make_tree(src)
    fake_venv(src, "/built/here")
    (src / "bin/python").write_text("#!/bin/sh\n")
    (src / "bin/python").chmod(0o755)
    return src


def test_crafted_tree_is_repaired_on_one_node_only(tmp_path, small_venv):
    b = Bcast(tmp_path, small_venv)
    _, r = b.cheap()
    for k in (0, 1):
        same_tree(b.node(k), small_venv)
        assert (b.node(k) / "bin/pip").read_text().startswith(f"#!{b.node(k)}/bin/python3\n")
    n = r["staging"]["entries"]

    # Node 1's copy damaged: a symlink where a directory belongs (never
    # followed), a file gone, a file changed, a killed run's leftover.
    outside = tmp_path / "outside"
    outside.mkdir()
    node1 = b.node(1)
    remove_tree(node1 / "ro")
    (node1 / "ro").symlink_to(outside)
    (node1 / "tool.sh").unlink()
    data = node1 / "pkg/sub/data.bin"
    old = data.read_bytes()
    data.write_bytes(old[:150_000] + b"not what the source holds" + old[150_000:])
    (node1 / f"{TMP_PREFIX}4242.0").write_bytes(b"half a file")
    (node1 / STAGE_FILES[0]).write_text("a stage is modifying this tree\n")
    _, r = b.cheap()
    st = r["staging"]
    assert os.listdir(outside) == []
    # ro (a directory again), ro/readme and tool.sh copied, data.bin a
    # delta: the rest is up to date everywhere.
    assert st["up_to_date"] == n - 4 and st["copied"] == 3 and st["delta_updated"] == 1
    assert st["matched_bytes"] > 250_000 and st["literal_bytes"] < 100_000
    for k in (0, 1):
        same_tree(b.node(k), small_venv)
    assert leftovers(node1) == []
    assert (node1 / STAGE_FILES[0]).stat().st_size == 0


def test_a_failing_node_stops_every_rank_with_its_name(tmp_path, small_venv):
    b = Bcast(tmp_path, small_venv)
    b.node(1).write_text("a file where node 1's directory belongs\n")
    proc, _ = b.cheap(expect=4)
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert "harness: filesystem 'b': bcast: node 1 (host " in proc.stderr
    assert f"cannot open the target directory {b.node(1)}: Not a directory" in proc.stderr
    assert "timing" not in proc.stderr, "nobody went on to the timed phases"
    assert leftovers(b.node(0)) == []


def test_a_node_out_of_space_mid_broadcast(tmp_path, small_venv, small_fs):
    # Node 1 fails while whole files arrive: it keeps receiving (nobody
    # waits on it), then its error ends the run everywhere.
    (small_venv / "pkg/sub/data.bin").write_bytes(os.urandom(2 << 20))
    b = Bcast(tmp_path, small_venv)
    small_fs.chmod(0o755)  # a new tmpfs is 1777: no target may be writable by others
    b.node(1).symlink_to(small_fs)
    proc, _ = b.cheap(expect=4)
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    assert "harness: filesystem 'b': bcast: node 1 (host " in proc.stderr
    assert f"cannot write {b.node(1)}/pkg/sub/data.bin: No space left on device" in proc.stderr
    assert (b.node(0) / "pkg/sub/data.bin").stat().st_size == 2 << 20
    assert leftovers(small_fs) == [] and leftovers(b.node(0)) == []


def test_source_file_unreadable_midway(tmp_path, small_venv):
    # As root without the capabilities that ignore permissions, rank 0
    # cannot read one file: the broadcast stops there for every leader.
    (small_venv / "pkg/sub/data.bin").chmod(0)
    b = Bcast(tmp_path, small_venv)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    cmd = [*drop, "mpirun", "--oversubscribe", "-n", "4", *map(str, [
        HARNESS, "--config", b.config, "--machine", "local", "--filesystem", "b", "--ranks-per-node", 2,
        "--child", "/bin/true", "--skip-checks"])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    sanitizer_clean(proc)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"cannot read {small_venv}/pkg/sub/data.bin: Permission denied" in proc.stderr
    for k in (0, 1):
        assert not (b.node(k) / "pkg/sub/data.bin").exists()
        assert leftovers(b.node(k)) == []


def test_missing_source_venv(tmp_path):
    b = Bcast(tmp_path, tmp_path / "no-such-venv")
    proc, _ = b.cheap(expect=3)
    assert proc.stderr.count("harness: ") == 1
    assert f"filesystem 'b': the source virtualenv {tmp_path}/no-such-venv does not exist" in proc.stderr


def test_ranks_per_node_makes_pretend_nodes(tmp_path, venv):
    out = tmp_path / "r.json"
    proc = mpirun(3, "--config", ROOT / "conf/local.cfg", "--machine", "local",
                  "--filesystem", "common", "--ranks-per-node", 2, "--child", "/bin/true", "--skip-checks",
                  "--no-startup", "--quiet", "--json", out)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["nodes"] == 2
    bad = harness("--config", "x.cfg", "--machine", "m", "--filesystem", "f", "--ranks-per-node", "0")
    assert bad.returncode == 2
    assert "--ranks-per-node '0' is not a whole number of at least 1" in bad.stderr


def cleanup_config(b, cleanup):
    text = b.config.read_text().replace('kind = "bcast";', f'kind = "bcast"; cleanup = "{cleanup}";')
    b.config.write_text(text)


@pytest.mark.slow
def test_cleanup_keep_last_then_after_run_also_of_a_failed_run(tmp_path, small_venv):
    """keep-last leaves one copy per machine (the first pretend node's) and
    removes what a killed run left; after-run removes every copy, also when
    the run fails; never (the default) keeps them all. Links and other
    people's files are left alone."""
    b = Bcast(tmp_path, small_venv)
    cleanup_config(b, "keep-last")
    # A killed 4-node run's copies, half-written; a link and a plain file
    # with copy-like names, which are not copies of ours.
    dead = Path(f"{b.local}-node3")
    shutil.copytree(small_venv, dead / "half", symlinks=True)
    (dead / ".mpi4py-import-stage.marker").write_text("the stager marks a copy before anything else\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours\n")
    Path(f"{b.local}-node5").symlink_to(outside)
    Path(f"{b.local}-node6").write_text("a file\n")
    proc, r = b.cheap()
    st = r["staging"]
    assert (st["bcast"]["cleanup"], st["bcast"]["copies_removed"]) == ("keep-last", 2), st
    assert "cleanup       keep-last: 2 copies removed at the end" in proc.stdout
    same_tree(b.node(0), small_venv)
    assert not b.node(1).exists() and not dead.exists()
    assert (outside / "keep.txt").exists() and Path(f"{b.local}-node6").is_file()
    # The next keep-last run: node 0 up to date, node 1 sent again.
    _, r = b.cheap()
    assert r["staging"]["bcast"]["copies_removed"] == 1 and r["staging"]["copied"] > 0

    # after-run for one run: a run whose set-up fails (bin/python is no
    # python) still removes every copy.
    proc, _ = b.run("--cleanup", "after-run", expect=3)
    assert not b.node(0).exists() and not b.node(1).exists(), proc.stderr
    _, r = b.cheap()   # keep-last again, from nothing
    assert r["staging"]["up_to_date"] == 0 and b.node(0).exists() and not b.node(1).exists()
    _, r = b.run("--cleanup", "never", "--child", "/bin/true", "--skip-checks")
    assert (r["staging"]["bcast"]["cleanup"], r["staging"]["bcast"]["copies_removed"]) == ("never", 0)
    assert b.node(0).exists() and b.node(1).exists()
    assert (outside / "keep.txt").exists()


@pytest.mark.parametrize("setting,message", [
    ('kind = "bcast"; cleanup = "sometimes";', "cleanup 'sometimes' is not one of never, after-run, keep-last"),
    ('kind = "inplace"; cleanup = "after-run";', "'cleanup' applies only to kind bcast"),
])
def test_bad_cleanup_settings_are_one_line_naming_the_line(tmp_path, small_venv, setting, message):
    b = Bcast(tmp_path, small_venv)
    b.config.write_text(b.config.read_text().replace('kind = "bcast";', setting))
    proc = harness("--config", b.config, "--machine", "local", "--filesystem", "b", "--stage-only")
    assert proc.returncode == 2 and f"{b.config}:2: filesystem 'b': {message}" in proc.stderr, proc.stderr
    bad = harness("--config", b.config, "--machine", "local", "--filesystem", "b", "--cleanup", "always")
    assert bad.returncode == 2 and "--cleanup 'always' is not one of never, after-run, keep-last" in bad.stderr


def test_compressed_and_raw_broadcasts_make_the_same_copies(tmp_path, small_venv):
    """Level 6 and level 0 (raw) give identical copies on 2 pretend nodes;
    with one node nothing crosses between nodes."""
    b = Bcast(tmp_path, small_venv)
    big = small_venv / "pkg/text.txt"
    big.write_text("compressible line of text\n" * 40_000)    # about 1 MB
    (small_venv / "pkg/empty.dat").write_bytes(b"")
    b.config.write_text(b.config.read_text().replace('kind = "bcast";', 'kind = "bcast"; compress_level = 6;'))
    _, r = b.cheap()
    st = r["staging"]["bcast"]
    for k in (0, 1):
        same_tree(b.node(k), small_venv)
    assert st["compress_level"] == 6 and st["bytes_uncompressed"] == tree_bytes(small_venv)
    assert st["bytes_compressed"] < 0.3 * st["bytes_uncompressed"]   # data.bin is random
    for k in (0, 1):
        remove_tree(b.node(k))
    b.config.write_text(b.config.read_text().replace("compress_level = 6;", "compress_level = 0;"))
    _, r = b.cheap()
    st = r["staging"]
    for k in (0, 1):
        same_tree(b.node(k), small_venv)
    own = st["bcast"]
    assert own["compress_level"] == 0 and own["bytes_compressed"] == own["bytes_uncompressed"]
    assert st["bytes_sent"] > own["bytes_uncompressed"]
    # One node: the copy is made, nothing crossed between nodes.
    remove_tree(b.node(0))
    b.per = 4
    _, r = b.cheap()
    assert r["staging"]["leaders"] == 1 and r["staging"]["bytes_sent"] == 0
    same_tree(b.node(0), small_venv)
