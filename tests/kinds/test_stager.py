"""The stager (harness --stage-only, and the staging step of a run) on real
trees: rsync -a --exclude '*.pyc' semantics, librsync deltas, --delete,
fix-ups of a relocated venv, the lock, faults, SIGKILL and a rerun."""
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers.harness import HARNESS, harness, mpirun, sanitizer_clean
from helpers.stager import (STAGE_FILES, TMP_PREFIX, Stager, expected, fake_venv, leftovers, snapshot,
                            staged_config)


def ctimes(root):
    """Every entry's ctime below ROOT: changes when anything is written."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames + ["."]:
            p = Path(dirpath) / name
            out[str(p)] = os.lstat(p).st_ctime_ns
    return out


def test_first_stage_then_nothing_to_do(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "deep/new/target")
    proc, st = s.run()
    want = expected(tree)
    assert snapshot(s.target) == want
    assert "legacy.pyc" not in os.listdir(s.target / "pkg")
    assert os.listdir(s.target / "pkg/__pycache__") == []
    assert os.path.islink(s.target / "link-dir") and os.readlink(s.target / "link-abs") == "/etc/hostname"
    n = len(want)
    assert st["entries"] == n and st["copied"] == n and st["up_to_date"] == 0
    assert st["delta_updated"] == 0 and st["deleted"] == 0 and st["matched_bytes"] == 0
    assert st["literal_bytes"] == sum(p.stat().st_size for p in tree.rglob("*")
                                      if p.is_file() and not p.is_symlink() and p.suffix != ".pyc")
    assert st["waited_for_lock"] is False and st["seconds"] > 0
    assert f"staged, {n} entries to 1 copy: 0 up to date, {n} copied" in proc.stdout
    assert "staging:" not in proc.stdout, "no progress when stdout is not a terminal"

    before = ctimes(s.target)
    proc, st = s.run()
    assert st["up_to_date"] == n == st["entries"]
    assert st["copied"] == st["delta_updated"] == st["deleted"] == st["literal_bytes"] == 0
    assert ctimes(s.target) == before, "a restage with nothing to do writes nothing"
    assert leftovers(s.target) == []


def test_changed_file_is_delta_updated(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    s.run()
    data = tree / "pkg/sub/data.bin"
    old = data.read_bytes()
    new = old[:100_000] + b"a change in the middle" + old[100_000:] + b"and a tail"
    data.write_bytes(new)
    reader = open(s.target / "pkg/sub/data.bin", "rb")  # a run reading the old copy
    (tree / "tool.sh").chmod(0o700)                       # a mode change only
    _, st = s.run()
    assert st["delta_updated"] == 1 and st["copied"] == 0
    assert st["matched_bytes"] >= 290_000 and 0 < st["literal_bytes"] < 10_000
    assert (s.target / "pkg/sub/data.bin").read_bytes() == new
    assert reader.read() == old, "the old copy was replaced by rename, not written over"
    reader.close()
    assert snapshot(s.target) == expected(tree)

    # Same size, new mtime: only the quick check's mtime differs.
    same_size = bytearray(new)
    same_size[5] ^= 0xFF
    data.write_bytes(bytes(same_size))
    _, st = s.run()
    assert st["delta_updated"] == 1 and st["matched_bytes"] > 0
    assert snapshot(s.target) == expected(tree)


def test_quick_check_trusts_size_and_mtime(tmp_path, tree):
    # Like rsync: equal size and mtime mean up to date, the file is not read.
    s = Stager(tmp_path, tree, tmp_path / "target")
    s.run()
    staged = s.target / "pkg/__init__.py"
    st = staged.stat()
    staged.write_text("y = 2\n")
    os.utime(staged, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, stats = s.run()
    assert stats["up_to_date"] == stats["entries"]
    assert staged.read_text() == "y = 2\n"


def test_fixups_and_their_manifest(tmp_path):
    src = tmp_path / "venv"
    fake_venv(src, "/built/here")
    s = Stager(tmp_path, src, tmp_path / "target")
    _, st = s.run()
    t = str(s.target)
    assert (s.target / "bin/activate").read_text().count(f'VIRTUAL_ENV="{t}"') == 1
    assert (s.target / "bin/activate.csh").read_text() == f'setenv VIRTUAL_ENV "{t}"\n'
    assert (s.target / "bin/activate.fish").read_text() == f'set -gx VIRTUAL_ENV "{t}"\n'
    assert (s.target / "pyvenv.cfg").read_text() == f"home = /usr/bin\ncommand = /usr/bin/python3 -m venv {t}\n"
    assert (s.target / "bin/pip").read_text() == f"#!{t}/bin/python3\nimport sys  # /built/here stays\n"
    assert (s.target / "bin/here").read_text() == f"#!{t}/bin/python3\n"
    for same in ("bin/system", "bin/python3"):
        assert (s.target / same).read_bytes() == (src / same).read_bytes()
    # Rewritten files keep the source's mode and mtime.
    assert (s.target / "bin/pip").stat().st_mtime_ns == (src / "bin/pip").stat().st_mtime_ns
    assert stat.S_IMODE((s.target / "bin/pip").stat().st_mode) == 0o755

    _, st = s.run()
    assert st["up_to_date"] == st["entries"] == 9 and st["copied"] == 0
    # A staged file someone rewrote (new inode) is put right again...
    (s.target / "bin/activate.csh").unlink()
    (s.target / "bin/activate.csh").write_text("garbage\n")
    # ...and a source that changed is staged and fixed up again.
    (src / "bin/pip").write_text("#!/built/here/bin/python3\nprint('new pip')\n")
    _, st = s.run()
    assert st["copied"] == 2 and st["up_to_date"] == 7 and st["delta_updated"] == 0
    assert (s.target / "bin/activate.csh").read_text() == f'setenv VIRTUAL_ENV "{t}"\n'
    assert (s.target / "bin/pip").read_text() == f"#!{t}/bin/python3\nprint('new pip')\n"
    # A manifest of another target counts for nothing: everything is checked.
    manifest = s.target / STAGE_FILES[1]
    manifest.write_text(manifest.read_text().replace(f"target {t}\n", "target /elsewhere\n"))
    _, st = s.run()
    assert st["up_to_date"] == 9
    assert f"target {t}\n" in manifest.read_text()
    # So does one damaged.
    manifest.write_text(manifest.read_text() + "12 not numbers\n")
    _, st = s.run()
    assert st["up_to_date"] == 9 and "not numbers" not in manifest.read_text()


def test_target_symlinks_are_replaced_not_followed(tmp_path, tree):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("must not change\n")
    target = tmp_path / "target"
    s = Stager(tmp_path, tree, target)
    s.run()
    (target / "tool.sh").unlink()
    (target / "tool.sh").symlink_to(victim)        # where a file belongs
    shutil.rmtree(target / "pkg")
    (target / "pkg").symlink_to(outside)           # where a directory belongs
    (target / "link-rel").unlink()
    (target / "link-rel").mkdir()                  # a directory where a symlink belongs
    (target / "link-rel/inside").write_text("x")
    _, st = s.run()
    assert victim.read_text() == "must not change\n"
    assert sorted(os.listdir(outside)) == ["victim"]
    assert not (target / "tool.sh").is_symlink() and (target / "tool.sh").read_text() == "#!/bin/sh\necho hi\n"
    assert not (target / "pkg").is_symlink() and (target / "pkg").is_dir()
    assert os.readlink(target / "link-rel") == "pkg/__init__.py"
    assert snapshot(target) == expected(tree)


def test_delete_removes_only_what_the_source_lost(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    s.run()
    t = s.target
    (t / "extra.txt").write_text("gone from the source")
    (t / "pkg/sub/old-dir/inner").mkdir(parents=True)
    (t / "pkg/sub/old-dir/inner/f").write_text("x")
    (t / "pkg/sub/old-link").symlink_to("/etc")
    (t / "pkg/written-by-a-run.pyc").write_bytes(b"\x00")
    (t / "pkg/sub/__pycache__").mkdir()
    (t / "pkg/sub/__pycache__/data.cpython-311.pyc").write_bytes(b"\x00")
    _, st = s.run()
    assert st["deleted"] == 0 and (t / "extra.txt").exists(), "without --delete nothing goes"
    _, st = s.run("--delete")
    assert st["deleted"] == 5  # extra.txt, old-dir, inner, f, old-link
    assert not (t / "extra.txt").exists() and not (t / "pkg/sub/old-dir").exists()
    assert not os.path.lexists(t / "pkg/sub/old-link") and os.path.isdir("/etc")
    assert (t / "pkg/written-by-a-run.pyc").exists()
    assert (t / "pkg/sub/__pycache__/data.cpython-311.pyc").exists()
    assert all((t / name).exists() for name in STAGE_FILES)
    assert {k: v for k, v in snapshot(t).items() if k != "pkg/sub/__pycache__"} == expected(tree)


def test_relocated_venv_works_with_its_source_gone(tmp_path, venv):
    src = tmp_path / "src-venv"
    subprocess.run(["cp", "-a", str(venv.resolve()), str(src)], check=True)
    target = tmp_path / "staged venv"  # a space, as paths on real machines may have
    s = Stager(tmp_path, src, target)
    _, first = s.run()
    built_at = str(venv.resolve())
    src.rename(tmp_path / "renamed-away")

    out = subprocess.run([str(target / "bin/python"), "-c", "import numpy, sys; print(numpy.__file__); print(sys.prefix)"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0].startswith(f"{target}/lib/") and out[1] == str(target)
    shell = subprocess.run(["bash", "-c", f'source "{target}/bin/activate" && command -v python && echo "$VIRTUAL_ENV"'],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    assert shell[0] == f"{target}/bin/python" and shell[1] == str(target)
    for name in ("bin/activate.csh", "bin/activate.fish", "bin/pip", "pyvenv.cfg"):
        text = (target / name).read_text()
        assert str(target) in text and built_at not in text and str(src) not in text, name
    # A blank in the path: started through /bin/sh, as pip writes it itself.
    assert (target / "bin/pip").read_text().startswith(f"#!/bin/sh\n'''exec' \"{target}/bin/python3\" ")
    assert (target / "pyvenv.cfg").read_text().count(f"--copies {target}\n") == 1
    pip = subprocess.run([str(target / "bin/pip"), "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and f"from {target}/lib/" in pip.stdout, pip.stdout + pip.stderr

    # The source back: a restage finds the rewritten files up to date, by the manifest.
    (tmp_path / "renamed-away").rename(src)
    before = ctimes(target)
    _, st = s.run()
    assert st["up_to_date"] == st["entries"] == first["entries"] and st["copied"] == 0
    assert ctimes(target) == before
    # Without the manifest they are read and compared, still not rewritten;
    # only the top (where the manifest is written again) changes.
    (target / STAGE_FILES[1]).unlink()
    _, st = s.run()
    assert st["up_to_date"] == st["entries"] and st["copied"] == 0
    after = ctimes(target)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {str(target / name) for name in (".", *STAGE_FILES)}, changed


def test_second_stage_waits_for_the_lock(tmp_path, tree):
    target = tmp_path / "target"
    target.mkdir()
    s = Stager(tmp_path, tree, target)
    with open(target / STAGE_FILES[0], "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([str(HARNESS), *map(str, s.args())], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()
        assert "another stage of" in line and "waiting for its lock" in line, line
        assert not os.path.exists(target / "pkg"), "nothing staged while the lock is held"
        fcntl.flock(held, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "after waiting for another stage's lock" in out
    assert json.loads(s.json.read_text())["waited_for_lock"] is True
    assert snapshot(target) == expected(tree)


def test_two_stages_at_once_both_succeed(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    procs = [subprocess.Popen([str(HARNESS), *map(str, s.args()[:-2]), "--quiet"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert snapshot(s.target) == expected(tree)
    assert leftovers(s.target) == []


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory):
    """Enough files that a stage runs past the progress line's first 0.2 s."""
    root = tmp_path_factory.mktemp("big") / "src"
    for d in range(40):
        sub = root / f"d{d:02}"
        sub.mkdir(parents=True)
        for f in range(250):
            (sub / f"f{f:03}.py").write_bytes(b"%d %d\n" % (d, f) * 200)
    for i in range(4):
        (root / f"d{i:02}" / "big.so").write_bytes(os.urandom(8 << 20))
    return root


def run_on_pty(cmd, stop_when=None, timeout=120):
    """Runs CMD with a terminal as stdout; returns (proc, terminal output),
    stopping early (proc still running) once STOP_WHEN(output) holds."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process has exited
                break
            if not chunk:
                break
            out += chunk
            if stop_when and stop_when(out):
                return proc, out.decode(errors="replace")
    finally:
        os.close(master)
    proc.wait(timeout=timeout)
    return proc, out.decode(errors="replace")


def test_sigkill_halfway_then_rerun(tmp_path, big_tree):
    s = Stager(tmp_path, big_tree, tmp_path / "target")
    proc, out = run_on_pty([str(HARNESS), *map(str, s.args())],
                           stop_when=lambda o: b"staging: " in o and b" MB done" in o)
    assert "staging: " in out, f"no progress on a terminal: {out!r}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the stage ended before it could be killed"
    want = expected(big_tree)
    assert snapshot(s.target) != want, "killed halfway, the tree cannot be complete"
    assert (s.target / STAGE_FILES[0]).stat().st_size > 0, "the lock file says a stage was under way"
    # What a stage killed in the middle of a file leaves behind.
    (s.target / "d00" / f"{TMP_PREFIX}99999.1").write_bytes(b"half a file")

    _, st = s.run()
    assert snapshot(s.target) == want
    assert leftovers(s.target) == []
    assert st["copied"] > 0 and st["up_to_date"] > 0
    assert st["entries"] == st["copied"] + st["up_to_date"] + st["delta_updated"]
    assert (s.target / STAGE_FILES[0]).stat().st_size == 0


def test_progress_on_a_terminal_only_without_quiet(tmp_path, big_tree):
    s = Stager(tmp_path, big_tree, tmp_path / "loud")
    proc, out = run_on_pty([str(HARNESS), *map(str, s.args())])
    assert proc.returncode == 0
    assert "staging: " in out and " MB done" in out and " entries to 1 copy:" in out
    s = Stager(tmp_path, big_tree, tmp_path / "quiet")
    proc, out = run_on_pty([str(HARNESS), *map(str, s.args("--quiet"))])
    assert proc.returncode == 0 and out == ""


def test_missing_source(tmp_path):
    s = Stager(tmp_path, tmp_path / "no-such-venv", tmp_path / "target")
    proc, _ = s.run(expect=3)
    assert proc.stderr.count("harness: ") == 1
    assert f"staging filesystem 't': the source virtualenv {tmp_path}/no-such-venv does not exist" in proc.stderr


def stage_without_root_override(stager, expect):
    """Stages as root without the capabilities that ignore file permissions."""
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    proc = subprocess.run([*drop, str(HARNESS), *map(str, stager.args())], capture_output=True, text=True)
    sanitizer_clean(proc)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def test_unreadable_file(tmp_path, tree):
    (tree / "pkg/sub/data.bin").chmod(0)
    s = Stager(tmp_path, tree, tmp_path / "target")
    proc = stage_without_root_override(s, 4)
    assert f"cannot read {tree}/pkg/sub/data.bin: Permission denied" in proc.stderr
    assert leftovers(s.target) == []


def test_target_that_cannot_be_written(tmp_path, tree):
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    s = Stager(tmp_path, tree, parent / "target")
    proc = stage_without_root_override(s, 4)
    assert f"cannot create the target directory {parent}/target: Permission denied" in proc.stderr

    afile = tmp_path / "a-file"
    afile.write_text("")
    s = Stager(tmp_path, tree, afile)
    proc, _ = s.run(expect=4)
    assert f"cannot open the target directory {afile}: Not a directory" in proc.stderr


def test_full_disk(tmp_path, tree, small_fs):
    s = Stager(tmp_path, tree, small_fs / "target")
    (tree / "pkg/sub/data.bin").write_bytes(os.urandom(2 << 20))
    proc, _ = s.run(expect=4)
    assert f"cannot copy {tree}/pkg/sub/data.bin to {small_fs}/target/pkg/sub/data.bin: No space left on device" \
        in proc.stderr
    assert leftovers(s.target) == []

    # A delta update that runs out of space.
    (tree / "pkg/sub/data.bin").write_bytes(os.urandom(300_000))
    s.run()
    (tree / "pkg/sub/data.bin").write_bytes(os.urandom(900_000))
    proc, _ = s.run(expect=4)
    assert f"cannot write {small_fs}/target/pkg/sub/data.bin: No space left on device" in proc.stderr
    assert leftovers(s.target) == []


def test_source_and_target_must_be_apart(tmp_path, tmp_path_factory, tree):
    before = snapshot(tree)
    elsewhere = tmp_path_factory.mktemp("config")  # not in the target: that is an error of its own
    for target, message in [
        (tree / "pkg/staged", f"the target {tree}/pkg/staged is inside the source virtualenv {tree}"),
        (tree, f"the target {tree} is the source virtualenv {tree} itself"),
        (tmp_path, f"the source virtualenv {tree} is inside the target {tmp_path}"),
    ]:
        proc, _ = Stager(elsewhere, tree, target, config_dir=elsewhere).run("--delete", expect=2)
        assert message in proc.stderr
    assert snapshot(tree) == before, "nothing created or deleted"


def test_stage_only_on_an_inplace_filesystem(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    proc = harness("--stage-only", "--config", s.config, "--machine", "local", "--filesystem", "common")
    assert proc.returncode == 2
    assert f"{s.config}:3: filesystem 'common' is used in place (kind inplace): there is nothing to stage" \
        in proc.stderr


def test_stage_only_under_mpirun(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    proc = mpirun(3, *s.args(), timeout=120)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(" entries to 1 copy:") == 1, "rank 0 stages and reports, the others wait"
    assert snapshot(s.target) == expected(tree)


@pytest.mark.parametrize("fs,ranks", [("scratch", 2), pytest.param("tmpfs", 4, marks=pytest.mark.slow)])
def test_run_stages_first_and_reports_it(tmp_path, venv, fs, ranks):
    targets = {"scratch": tmp_path / "scratch/staged-mpi4py-import",
               "tmpfs": Path(f"/dev/shm/mpi4py-import-test-{uuid.uuid4().hex}/staged-mpi4py-import")}
    cfg = staged_config(tmp_path / "local.cfg", venv.resolve(), targets)
    try:
        results = []
        for extra in ([], ["--skip-checks"]):  # the second run only to see the restage
            out = tmp_path / "result.json"
            proc = mpirun(ranks, "--config", cfg, "--machine", "local", "--filesystem", fs, "--json", out,
                          "--quiet", *extra, timeout=600)
            sanitizer_clean(proc)
            assert proc.returncode == 0, proc.stderr
            results.append(json.loads(out.read_text()))
        first, second = (r["staging"] for r in results)
        assert set(first) >= {"kind", "entries", "up_to_date", "copied", "delta_updated", "deleted", "literal_bytes",
                              "matched_bytes", "bytes_sent", "leaders", "seconds",
                              "waited_for_lock", "lock_wait_s"}
        # One machine, one node: rank 0's copy serves every rank.
        assert first["leaders"] == second["leaders"] == 1
        assert first["kind"] == "staged" and not {"bcast", "image", "cleanup"} & set(first)
        assert first["copied"] == first["entries"] > 1000 and first["literal_bytes"] > 10 << 20
        assert second["up_to_date"] == second["entries"] and second["literal_bytes"] == 0
        assert results[1]["ok"] == ranks and results[1]["venv"] == str(targets[fs])
        assert results[0]["modules"]["numpy"].startswith(str(targets[fs]))
        assert "  staging       " in proc.stdout and "up to date" in proc.stdout
    finally:
        shutil.rmtree(targets["tmpfs"].parent, ignore_errors=True)
