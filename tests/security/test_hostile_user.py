"""The stager and bcast in shared directories, against a hostile local user
(`nobody`, through runuser): targets and ancestors another user owns or
may write, symlinks in the target path, a file swapped for a symlink
while a stage runs, the lock, the path in activate scripts and #! lines,
and targets that are not the stager's. Each attack is one a user of a
shared machine could make on a stage run by root or by another user."""
import fcntl
import os
import shutil
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from helpers.bcast import Bcast, bcast_config
from helpers.harness import HARNESS, harness, mpirun, sanitizer_clean
from helpers.hostile import NOBODY, as_nobody, nobody_copy
from helpers.stager import STAGE_FILES, Stager, expected, fake_venv, make_tree, snapshot


def stage(stager, *extra, expect):
    proc = harness(*stager.args(*extra), timeout=300)
    sanitizer_clean(proc)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def plant_payload(copy):
    """The attacker's copy of the venv with one file changed to a payload
    of the same size and mtime: the quick check would never read it."""
    victim = copy / "pkg/__init__.py"
    st = victim.stat()
    payload = b"import os; os.system('touch /tmp/pwned')"[:st.st_size].ljust(st.st_size, b"#")
    as_nobody("python3", "-c", f"import os; open({str(victim)!r}, 'wb').write({payload!r}); "
              f"os.utime({str(victim)!r}, ns=({st.st_atime_ns}, {st.st_mtime_ns}))")
    return victim, payload


def bcast_at(tmp_path, source, local, **kw):
    """A Bcast whose node copies are LOCAL-node<k>."""
    b = Bcast(tmp_path, source, **kw)
    b.local = Path(local)
    bcast_config(b.config, source, b.local)
    return b


# --- 1. targets and ancestors another user owns or may write ------------


@pytest.mark.root
def test_target_under_a_directory_another_user_made_is_refused(tmp_path, tree, shm):
    # nobody makes the shared parent and a copy of the venv in it, payload planted.
    as_nobody("mkdir", "-m", "0755", shm)
    nobody_copy(tree, shm / "staged-mpi4py-import")
    victim, payload = plant_payload(shm / "staged-mpi4py-import")
    s = Stager(tmp_path, tree, shm / "staged-mpi4py-import")
    proc = stage(s, "--delete", expect=3)
    assert proc.stderr.count("harness: ") == 1
    assert (f"refusing the target {shm}/staged-mpi4py-import: {shm} is owned by nobody (uid {NOBODY})"
            in proc.stderr), proc.stderr
    assert victim.read_bytes() == payload, "nothing written"
    assert not (shm / "staged-mpi4py-import" / STAGE_FILES[2]).exists()


@pytest.mark.root
def test_target_another_user_made_is_refused(tmp_path, tree, shm):
    # Right in /dev/shm: the sticky parent is fine, the target is not ours.
    nobody_copy(tree, shm)
    victim, payload = plant_payload(shm)
    proc = stage(Stager(tmp_path, tree, shm), expect=3)
    assert f"refusing the target {shm}: it is owned by nobody (uid {NOBODY}), not by root (uid 0)" in proc.stderr
    assert victim.read_bytes() == payload


def test_ancestor_writable_by_others_is_refused(tmp_path, tree):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # root's, but anyone may replace what is in it
    proc = stage(Stager(tmp_path, tree, shared / "a/staged"), expect=3)
    assert f"{shared} is writable by every user (mode 0777, not sticky)" in proc.stderr
    assert not (shared / "a").exists(), "nothing created below it"
    shared.chmod(0o1777)  # sticky, like /tmp: only an entry's owner may replace it
    s = Stager(tmp_path, tree, shared / "a/staged")
    stage(s, expect=0)
    assert snapshot(s.target) == expected(tree)
    # Directories the stager creates: 0755 or stricter; the tree's are never writable by others.
    assert stat.S_IMODE((shared / "a").stat().st_mode) == 0o755
    (tree / "pkg").chmod(0o777)
    stage(s, expect=0)
    assert stat.S_IMODE((s.target / "pkg").stat().st_mode) == 0o755


def test_staging_in_dev_shm_and_restaging_a_marked_target(tmp_path, tree, shm):
    s = Stager(tmp_path, tree, shm / "staged")
    stage(s, expect=0)
    marker = s.target / STAGE_FILES[2]
    assert marker.stat().st_uid == os.geteuid() and stat.S_IMODE(marker.stat().st_mode) == 0o644
    assert stat.S_IMODE(shm.stat().st_mode) == 0o755
    stage(s, "--delete", expect=0)
    assert snapshot(s.target) == expected(tree)
    # A marker anyone could have written vouches for nothing.
    marker.chmod(0o666)
    proc = stage(s, expect=3)
    assert f"{marker} is not a file only its owner can write" in proc.stderr


@pytest.mark.root
def test_unprivileged_stager_refuses_root_owned_target_and_stages_its_own(tmp_path, shm):
    # The harness as nobody: a source and config it can read, a target in its own directory.
    shm.mkdir(mode=0o755)
    src = shm / "src"
    src.mkdir()
    make_tree(src)
    subprocess.run(["chmod", "-R", "a+rX", str(src)], check=True)
    mine = shm / "nobody-dir"
    mine.mkdir(mode=0o700)
    os.chown(mine, NOBODY, NOBODY)
    cfg_dir = shm / "cfg"
    cfg_dir.mkdir(mode=0o755)
    for target, expect in ((mine / "staged", 0), (shm / "root-owned", 3)):
        if expect == 3:
            target.mkdir(mode=0o755)
        s = Stager(cfg_dir, src, target, config_dir=cfg_dir)
        s.json = mine / "out.json"
        proc = as_nobody(HARNESS, *s.args()[:-2], "--quiet", check=False, env={**os.environ, "HOME": "/"})
        sanitizer_clean(proc)
        assert proc.returncode == expect, proc.stderr
        if expect == 0:
            assert (target / STAGE_FILES[2]).stat().st_uid == NOBODY
            assert snapshot(target) == expected(src)
        else:
            assert f"refusing the target {target}: it is owned by root (uid 0), not by nobody (uid {NOBODY})" \
                in proc.stderr


def bcast_tree(tree):
    fake_venv(tree, "/built/here")
    (tree / "bin/python").write_text("#!/bin/sh\n")  # the runs never start it
    (tree / "bin/python").chmod(0o755)


@pytest.mark.root
def test_bcast_refuses_a_node_directory_another_user_made(tmp_path, tree, shm):
    bcast_tree(tree)
    as_nobody("mkdir", "-m", "0755", shm)
    nobody_copy(tree, shm / "local-node1")
    victim, payload = plant_payload(shm / "local-node1")
    b = bcast_at(tmp_path, tree, shm / "local")
    proc, _ = b.cheap(expect=3)
    assert proc.stderr.count("harness: ") == 1, proc.stderr
    # Refused at the run's lock beside the copies, before any copy is opened.
    assert f"refusing the target {shm}/local" in proc.stderr and f"{shm} is owned by nobody" in proc.stderr
    assert victim.read_bytes() == payload


# --- 2. symlinks in the target path -------------------------------------


@pytest.mark.root
def test_symlink_another_user_made_at_the_target_is_refused(tmp_path, tree, shm, victim_dir):
    as_nobody("ln", "-s", victim_dir, shm)
    proc = stage(Stager(tmp_path, tree, shm), "--delete", expect=3)
    assert f"refusing the target {shm}: it is a symlink owned by nobody (uid {NOBODY})" in proc.stderr
    assert os.listdir(victim_dir) == ["keep"] and stat.S_IMODE(victim_dir.stat().st_mode) == 0o700


@pytest.mark.root
def test_symlink_another_user_made_mid_path_is_refused(tmp_path, tree, shm, victim_dir):
    as_nobody("ln", "-s", victim_dir, shm)
    proc = stage(Stager(tmp_path, tree, shm / "staged"), expect=3)
    assert f"refusing the target {shm}/staged: {shm} is a symlink owned by nobody" in proc.stderr
    assert os.listdir(victim_dir) == ["keep"]


@pytest.mark.root  # writes into /run
def test_symlinks_root_owns_are_followed(tmp_path, tree):
    # As /var/run -> /run: a link of root's (or the user's) in a safe directory.
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to("real")
    s = Stager(tmp_path, tree, tmp_path / "link/staged")
    stage(s, expect=0)
    assert snapshot(real / "staged") == expected(tree)
    run = Path(f"/var/run/mpi4py-import-sec-{uuid.uuid4().hex[:8]}")
    try:
        stage(Stager(tmp_path, tree, run), expect=0)
        assert (Path("/run") / run.name / STAGE_FILES[2]).exists()
    finally:
        shutil.rmtree(Path("/run") / run.name, ignore_errors=True)


@pytest.mark.root
def test_bcast_refuses_a_symlinked_node_directory(tmp_path, tree, shm, victim_dir):
    bcast_tree(tree)
    as_nobody("ln", "-s", victim_dir, f"{shm}-node1")
    b = bcast_at(tmp_path, tree, shm)
    proc, _ = b.cheap(expect=3)
    assert f"refusing the target {shm}-node1: it is a symlink owned by nobody" in proc.stderr
    assert os.listdir(victim_dir) == ["keep"] and stat.S_IMODE(victim_dir.stat().st_mode) == 0o700


# --- 3. a file swapped for a symlink while the stage runs ---------------

SWAPPER = r"""
import ctypes, os, sys, time
d, victim, first, last, size, mtime, seconds = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), float(sys.argv[7])
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
pairs = []
for i in range(first, last):
    # A file the quick check passes but whose mode differs, and a symlink
    # to the victim, swapped atomically with it over and over.
    name, reg, link = f"{d}/f{i:03}".encode(), f"{d}/.r{i}", f"{d}/.l{i}".encode()
    for old in (reg, link):
        if os.path.lexists(old):
            os.unlink(old)
    with open(reg, "wb") as f:
        f.write(b"x" * size)
    os.chmod(reg, 0o600)
    os.utime(reg, ns=(mtime, mtime))
    os.rename(reg, name)
    os.symlink(victim, link)
    pairs.append((name, link))
end = time.time() + seconds
while time.time() < end:
    for name, link in pairs:
        libc.renameat2(AT_FDCWD, name, AT_FDCWD, link, RENAME_EXCHANGE)
"""

N_FILES, SWAPPERS, TRIALS = 16, 2, 8


def race_tree(src):
    """Files in bin/, where the stager reads a file's first bytes (is it a
    script?) between its lstat and its chmod: the window an attacker needs."""
    (src / "bin").mkdir(parents=True, exist_ok=True)
    for i in range(N_FILES):
        p = src / f"bin/f{i:03}"
        p.write_bytes(b"x" * 64)
        p.chmod(0o644)
        os.utime(p, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))


def race(tmp_path, shm, pubs, run_once, swappers_per_dir=SWAPPERS, trials=TRIALS):
    """Runs the stage TRIALS times (default 8) while nobody swaps files in PUBS (made
    writable by all first, as a careless admin might) for symlinks to a
    root-owned 0600 file; the file must stay as it was."""
    victim = tmp_path / "victim"
    victim.write_text("root only\n")
    victim.chmod(0o600)
    script = Path(f"{shm}-swap.py")
    script.write_text(SWAPPER)
    script.chmod(0o644)
    outcomes = []
    for _ in range(trials):
        swappers = []
        for pub in pubs:
            pub.chmod(0o777)
            per = N_FILES // swappers_per_dir
            swappers += [subprocess.Popen(["runuser", "-u", "nobody", "--", "python3", str(script), str(pub),
                                           str(victim), str(k * per), str((k + 1) * per), "64",
                                           str(1_600_000_000_000_000_000), "900"])
                         for k in range(swappers_per_dir)]
        time.sleep(1)
        try:
            outcomes.append(run_once())
        finally:
            alive = [p.poll() is None for p in swappers]
            for p in swappers:
                p.terminate()  # runuser passes it on to the swapper
                p.wait()
        assert all(alive), f"a swapper died: the attack did not run ({[p.returncode for p in swappers]})"
        st = victim.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, "the victim's mode was changed"
    return outcomes


@pytest.mark.slow
@pytest.mark.root
def test_file_swapped_for_a_symlink_never_has_its_target_chmodded(tmp_path, shm):
    src = tmp_path / "src"
    race_tree(src)
    s = Stager(tmp_path, src, shm / "target")
    stage(s, expect=0)

    def once():
        proc = harness(*s.args(), timeout=300)
        sanitizer_clean(proc)
        assert proc.returncode in (0, 4), proc.stderr
        return proc.returncode

    race(tmp_path, shm, [s.target / "bin"], once)


@pytest.mark.slow
@pytest.mark.root
def test_bcast_file_swapped_for_a_symlink_never_has_its_target_chmodded(tmp_path, shm):
    src = tmp_path / "src"
    bcast_tree(src)
    race_tree(src)
    b = bcast_at(tmp_path, src, shm)
    b.cheap()

    def once():
        proc = mpirun(b.n, "--config", b.config, "--machine", "local", "--filesystem", "b", "--ranks-per-node",
                      b.per, "--no-startup", "--child", "/bin/true", "--skip-checks", "--quiet", timeout=300)
        sanitizer_clean(proc)
        assert proc.returncode in (0, 4), proc.stderr
        return proc.returncode

    # The survey's window is narrow: a swapper for every two files, which
    # (beside busy MPI ranks on two cores) makes a trial take up to a
    # minute; 4 trials, since the unfixed code was caught in every one.
    race(tmp_path, shm, [b.node(1) / "bin"], once, swappers_per_dir=8, trials=4)


# --- 4. the lock ---------------------------------------------------------


@pytest.mark.root
def test_no_other_user_can_open_the_lock(tmp_path, tree, shm):
    s = Stager(tmp_path, tree, shm / "target")
    stage(s, expect=0)
    lock = s.target / STAGE_FILES[0]
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    held = as_nobody("python3", "-c", f"import fcntl; fcntl.flock(open({str(lock)!r}), fcntl.LOCK_EX)", check=False)
    assert held.returncode != 0 and "Permission denied" in held.stderr


def lock_config(path, source, target, timeout_line):
    path.write_text(f'machines = ({{ name = "local"; venv = "{source}"; {timeout_line}\n'
                    f'  filesystems = ({{ name = "t"; kind = "staged"; path = "{target}"; }}); }});\n')
    return path


def test_lock_wait_ends_after_lock_timeout_naming_the_holder(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "target")
    stage(s, expect=0)
    lock_config(s.config, tree, s.target, "lock_timeout = 1;")
    with open(s.target / STAGE_FILES[0], "r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = harness(*s.args(), timeout=120)
    sanitizer_clean(proc)
    assert proc.returncode == 4, proc.stderr
    assert f"(held by pid {os.getpid()}) for up to 1 s" in proc.stderr
    assert (f"gave up after 1 s waiting for the lock {s.target}/{STAGE_FILES[0]}, held by pid {os.getpid()}"
            in proc.stderr), proc.stderr


@pytest.mark.parametrize("line,message", [
    ("lock_timeout = -1;", "'lock_timeout' must be at least 0"),
    ("lock_timeout = 1e9;", "'lock_timeout' must be at most 86400"),
])
def test_lock_timeout_config_errors(tmp_path, tree, line, message):
    cfg = lock_config(tmp_path / "l.cfg", tree, tmp_path / "target", line)
    proc = harness("--stage-only", "--config", cfg, "--machine", "local", "--filesystem", "t")
    assert proc.returncode == 2 and f"{cfg}:1: {message}" in proc.stderr, proc.stderr


# --- 6. the path in activate scripts and #! lines -----------------------

NASTY = "st $(touch PWNED-dollar) `touch PWNED-tick` 'q' \"dq\" !x \\b"


def test_staged_path_is_quoted_for_every_shell(tmp_path):
    src = tmp_path / "venv"
    fake_venv(src, "/built/here")
    (src / "bin/python3").unlink()
    (src / "bin/python3").symlink_to("/usr/bin/python3")
    (src / "bin/tool").write_text("#!/built/here/bin/python3\nimport sys\nprint('ran', sys.argv[1:])\n")
    (src / "bin/tool").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    target = tmp_path / NASTY
    # $ in a config path expands variables: the hostile part comes from the environment.
    env = {**os.environ, "NASTY": NASTY}
    s = Stager(tmp_path, src, tmp_path / "placeholder")
    s.config.write_text(f'machines = ({{ name = "local"; venv = "{src}"; filesystems = (\n'
                        f'  {{ name = "t"; kind = "staged"; path = "{tmp_path}/$NASTY"; }}); }});\n')
    proc = harness(*s.args(), env=env)
    sanitizer_clean(proc)
    assert proc.returncode == 0, proc.stderr
    shells = [("bash", "-c", '. "$A/bin/activate" && printf %s "$VIRTUAL_ENV"'),
              ("dash", "-c", '. "$A/bin/activate" && printf %s "$VIRTUAL_ENV"'),
              ("tcsh", "-c", 'source "$A/bin/activate.csh" && printenv VIRTUAL_ENV'),
              ("fish", "-c", 'source "$A/bin/activate.fish"; and printenv VIRTUAL_ENV')]
    for cmd in shells:
        if not shutil.which(cmd[0]):
            pytest.fail(f"{cmd[0]} is missing: jobs/install-deps.sh --test installs it")
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env={**os.environ, "A": str(target)})
        assert out.stdout.rstrip("\n") == str(target), (cmd[0], out.stdout, out.stderr)
    ran = subprocess.run([str(target / "bin/tool"), "arg"], capture_output=True, text=True, cwd=work)
    assert ran.returncode == 0 and ran.stdout == "ran ['arg']\n", ran.stdout + ran.stderr
    assert f"venv {target}\n" in (target / "pyvenv.cfg").read_text()
    assert list(work.iterdir()) == [] and not list(tmp_path.glob("PWNED*")), "nothing in the path ran"


def test_path_with_a_newline_is_a_config_error(tmp_path, tree):
    s = Stager(tmp_path, tree, tmp_path / "placeholder")
    s.config.write_text(f'machines = ({{ name = "local"; venv = "{tree}"; filesystems = (\n'
                        f'  {{ name = "t"; kind = "staged"; path = "{tmp_path}/a$NL/b"; }}); }});\n')
    before = sorted(os.listdir(tmp_path))
    proc = harness(*s.args(), env={**os.environ, "NL": "x\nVIRTUAL_ENV=/evil"})
    assert proc.returncode == 2, proc.stderr
    assert f"{s.config}:2: filesystem 't': 'path' holds a control character (0x0a)" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == before, "nothing staged"


# --- 12. targets that are not the stager's ------------------------------


@pytest.mark.parametrize("path,message", [
    ("", "filesystem 't': 'path' is empty: a staged filesystem needs a directory of its own"),
    (".", "holds this config file: staging there would write (and --delete remove) beside it"),
    ("/", "holds this config file"),
])
def test_empty_or_config_holding_path_is_a_config_error(tmp_path, tree, path, message):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "precious").write_text("keep\n")
    s = Stager(tmp_path, tree, tmp_path / "placeholder", config_dir=conf_dir)
    s.config.write_text(f'machines = ({{ name = "local"; venv = "{tree}"; filesystems = (\n'
                        f'  {{ name = "t"; kind = "staged"; path = "{path}"; }}); }});\n')
    text = s.config.read_text()
    proc = stage(s, "--delete", expect=2)
    assert f"{s.config}:2: " in proc.stderr and message in proc.stderr, proc.stderr
    assert s.config.read_text() == text and (conf_dir / "precious").read_text() == "keep\n"


def test_delete_never_touches_a_directory_without_the_marker(tmp_path, tree):
    mine = tmp_path / "someones-data"
    mine.mkdir()
    (mine / "precious").write_text("keep\n")
    (mine / "sub").mkdir()
    proc = stage(Stager(tmp_path, tree, mine), "--delete", expect=3)
    assert (f"refusing the target {mine}: it holds files but no {STAGE_FILES[2]}: it is not a tree the stager made"
            in proc.stderr)
    assert sorted(os.listdir(mine)) == ["precious", "sub"]
    # An empty directory made for the stager is adopted, and marked.
    empty = tmp_path / "made-for-it"
    empty.mkdir()
    stage(Stager(tmp_path, tree, empty), "--delete", expect=0)
    assert (empty / STAGE_FILES[2]).exists() and snapshot(empty) == expected(tree)
