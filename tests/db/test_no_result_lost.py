"""No result lost, against the real PostgreSQL of helpers/pgserver.py and
real mpirun: --json on devices, FIFOs and links; a JSON file that cannot
be written; children's bytes that are not UTF-8; refusals for good
(spool/rejected/); a database that never answers, a lock held, a server
gone silent, and SIGTERM while the result is sent. Each is a way a run's
result once went missing, or could have."""
import errno
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers.harness import HARNESS, VENV, harness
from helpers.pgserver import write_config
from helpers.results import CHEAP, db_init, ok, reserve, row, run, spooled
from helpers.tmpfs import small_tmpfs

pytestmark = pytest.mark.usefixtures("venv")
INTERRUPTED = "the run ended (killed, or out of time) while it was recording the result"


def rejected(db):
    d = db.spool / "rejected"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def with_statement_timeout(db, tmp_path, seconds):
    cfg = tmp_path / "st.cfg"
    text = db.config.read_text()
    assert "lost_after_hours" in text
    cfg.write_text(text.replace("lost_after_hours", f"statement_timeout = {seconds};\n lost_after_hours", 1))
    return cfg


# --- --json PATH is never a device replaced by a file -----------------------------------

@pytest.mark.root  # mknod
def test_json_into_a_device_or_fifo_is_written_in_place_and_a_link_refused(tmp_path):
    cfg = write_config(tmp_path / "none.cfg", "", tmp_path / "spool", VENV)
    # A private null device: the machine's /dev/null is not ours to risk.
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    ok(run(None, 1, *CHEAP, "--json", null, config=cfg))
    st = os.lstat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert not list(tmp_path.glob("null.tmp*"))

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    ok(run(None, 1, *CHEAP, "--json", fifo, config=cfg))
    reader.join(timeout=60)
    assert json.loads(got[0])["ok"] == 1 and stat.S_ISFIFO(os.lstat(fifo).st_mode)

    # A link (someone else's, perhaps) is neither followed nor replaced.
    target = tmp_path / "target.json"
    target.write_text("theirs\n")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    proc = ok(run(None, 1, *CHEAP, "--json", link, config=cfg), 4)
    assert f"{link} is a symbolic link: not followed and not replaced" in proc.stderr
    assert link.is_symlink() and target.read_text() == "theirs\n"


# --- the JSON file failing never costs the database record -------------------------------

def test_json_write_failure_still_records_and_fails_the_run(pgdb, tmp_path):
    db_init(pgdb)
    rid = reserve(pgdb)
    missing = tmp_path / "no/such/dir/r.json"
    proc = ok(run(pgdb, 1, *CHEAP, "--result-id", rid, "--json", missing), 4)
    assert f"cannot write {missing}" in proc.stderr
    assert row(pgdb, rid, "status") == ["ok"] and spooled(pgdb) == []

    with small_tmpfs(tmp_path / "full", "64k") as full:
        fd = os.open(full / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        rid = reserve(pgdb)
        out = full / "r.json"
        proc = ok(run(pgdb, 1, *CHEAP, "--result-id", rid, "--json", out), 4)
        assert f"cannot write {out}: No space left on device" in proc.stderr
        assert row(pgdb, rid, "status") == ["ok"] and spooled(pgdb) == []
        assert sorted(p.name for p in full.iterdir()) == ["filler"]   # no temporary file left


# --- children's bytes are made valid UTF-8 ----------------------------------------------

BAD_STDERR = ("import sys; sys.stderr.buffer.write('\u00e9'.encode() * 3000 + b'\\xff\\xfe\\x00 end!'); "
              "sys.stderr.flush(); sys.exit(1)")


def test_invalid_utf8_from_a_child_is_recorded(pgdb, tmp_path):
    db_init(pgdb)
    rid = reserve(pgdb)
    out = tmp_path / "r.json"
    # 6,008 bytes: the 4 KiB tail starts inside an "é".
    proc = ok(run(pgdb, 2, "--result-id", rid, "--import", BAD_STDERR, "--quiet", "--json", out), 1)
    assert "was not recorded" not in proc.stderr and spooled(pgdb) == []
    assert row(pgdb, rid, "status, failed_ranks") == ["failed", "2"]
    text = row(pgdb, rid, "result -> 'first_failure' ->> 'stderr'")[0]
    assert text.endswith("\u00e9\ufffd\ufffd\ufffd end!") and len(text.encode()) <= 4095
    assert set(text[:-8]) == {"\u00e9"}
    r = json.loads(out.read_bytes().decode("utf-8", errors="strict"))
    assert r["first_failure"]["stderr"] == text


def test_mark_failed_message_with_invalid_bytes_is_stored(pgdb):
    db_init(pgdb)
    rid = reserve(pgdb)
    # "\udcff" is the byte 0xff on the command line (surrogateescape).
    ok(harness("--mark-failed", "--config", pgdb.config, "--result-id", rid, "--step", "stage", "--message",
               "rsync: caf\u00e9 \udcff\udcfe done"))
    assert row(pgdb, rid, "status, failed_message") == ["failed", "rsync: caf\u00e9 \ufffd\ufffd done"]


# --- refusals for good go to rejected/, and flush goes on -------------------------------

def test_flush_sets_aside_what_it_can_never_send_and_goes_on(pgdb, tmp_path):
    db_init(pgdb)
    down = write_config(tmp_path / "down.cfg", "host=/nonexistent port=1", pgdb.spool, VENV)
    ok(run(pgdb, 1, *CHEAP, config=down))
    ok(run(pgdb, 1, *CHEAP, config=down))
    good, other = spooled(pgdb)
    # One spooled for a row that does not exist: the database refuses it for good.
    env = json.loads(other.read_text())
    env["result_id"] = 999999
    other.write_text(json.dumps(env))
    (pgdb.spool / "result-0bad.json").write_text("{ truncated")
    os.mkfifo(pgdb.spool / "result-fifo.json")
    secret = tmp_path / "secret"
    secret.write_text("not yours")
    (pgdb.spool / "result-link.json").symlink_to(secret)

    proc = ok(harness("--flush-spool", "--config", pgdb.config, timeout=120), 1)
    assert "1 sent, 0 already recorded, 0 kept, 4 set aside" in proc.stdout
    assert "4 spooled results set aside in" in proc.stderr
    assert spooled(pgdb) == [] and pgdb.rows() == "1"
    names = rejected(pgdb)
    assert names == sorted(["result-0bad.json", "result-0bad.json.reason", "result-fifo.json",
                            "result-fifo.json.reason", "result-link.json", "result-link.json.reason", other.name])
    rej = pgdb.spool / "rejected"
    assert "not a spooled result" in (rej / "result-0bad.json.reason").read_text()
    assert "not a regular file" in (rej / "result-fifo.json.reason").read_text()
    assert "a symbolic link" in (rej / "result-link.json.reason").read_text()
    assert (rej / "result-link.json").is_symlink() and secret.read_text() == "not yours"
    assert all((rej / n).read_text().count("\n") == 1 for n in names if n.endswith(".reason"))
    refused = json.loads((rej / other.name).read_text())
    assert "there is no result row 999999" in refused["rejected_because"] and refused["key"] == env["key"]
    # Nothing left to fail on: the next flush is clean.
    assert "0 sent, 0 already recorded, 0 kept, 0 set aside" in ok(
        harness("--flush-spool", "--config", pgdb.config)).stdout


# --- a database that hangs holds neither the run nor --reserve -----------------------------

@contextmanager
def silent_server(family=socket.AF_INET, address=("127.0.0.1", 0)):
    """A listening socket that accepts connections and never says a word.
    Yields (address, accepted): accepted is the list of accepted sockets."""
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind(address)
    srv.listen(16)
    srv.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(srv.accept()[0])
            except socket.timeout:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname(), accepted
    finally:
        stop.set()
        t.join()
        for s in accepted:
            s.close()
        srv.close()


def test_a_server_that_never_answers_spools_within_the_connect_timeout(tmp_path):
    with silent_server() as ((host, port), accepted):
        cfg = write_config(tmp_path / "silent.cfg", f"host={host} port={port} connect_timeout=2 dbname=x user=x",
                           tmp_path / "spool", VENV)
        t0 = time.monotonic()
        proc = ok(harness("--reserve", "--config", cfg, "--machine", "local", "--filesystem", "common",
                          timeout=60), 5)
        assert time.monotonic() - t0 < 15 and "cannot connect" in proc.stderr
        t0 = time.monotonic()
        proc = ok(run(None, 1, *CHEAP, config=cfg, timeout=120))
        took = time.monotonic() - t0
        assert accepted and "the result was not recorded: cannot connect" in proc.stderr
    files = list((tmp_path / "spool").glob("result-*.json"))
    assert len(files) == 1 and "timeout" in json.loads(files[0].read_text())["spooled_because"]
    assert took < 30, took


@contextmanager
def table_locked(db):
    """Holds an ACCESS EXCLUSIVE lock on results until the block ends."""
    s = db.server
    holder = subprocess.Popen(["psql", "-X", "-q", "-h", str(s.socket_dir), "-p", str(s.port), "-U", "postgres",
                               "-d", db.name], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN; LOCK TABLE results IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
    holder.stdin.flush()
    try:
        for _ in range(200):
            if db.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                       "WHERE c.relname = 'results' AND l.mode = 'AccessExclusiveLock' AND l.granted") == [["1"]]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the lock was not taken")
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_lock_held_ends_in_the_statement_timeout_and_the_spool(pgdb, tmp_path):
    db_init(pgdb)
    cfg = with_statement_timeout(pgdb, tmp_path, 2)
    rid = reserve(pgdb)
    with table_locked(pgdb):
        t0 = time.monotonic()
        proc = ok(harness("--reserve", "--config", cfg, "--machine", "local", "--filesystem", "common",
                          timeout=60), 5)
        assert "canceling statement due to statement timeout" in proc.stderr and time.monotonic() - t0 < 15
        proc = ok(run(pgdb, 1, *CHEAP, "--result-id", rid, config=cfg, timeout=120))
        assert "the result was not recorded" in proc.stderr and "statement timeout" in proc.stderr
        assert len(spooled(pgdb)) == 1
    assert "1 sent, 0 already recorded, 0 kept, 0 set aside" in ok(
        harness("--flush-spool", "--config", cfg)).stdout
    assert row(pgdb, rid, "status, spooled_because LIKE '%statement timeout%'") == ["ok", "t"]


def test_a_server_gone_silent_is_abandoned_at_the_client_deadline(pgdb, tmp_path):
    """The backend stopped (a host gone, a partition): the server-side timeout
    cannot fire; the client gives up statement_timeout + 5 s after sending."""
    db_init(pgdb)
    cfg = with_statement_timeout(pgdb, tmp_path, 4)
    rid = reserve(pgdb)
    stopped = []
    with table_locked(pgdb):
        cmd = ["mpirun", "--oversubscribe", "-n", "1", str(HARNESS), "--config", str(cfg), "--machine", "local",
               "--filesystem", "common", *CHEAP, "--result-id", str(rid)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):
                pids = pgdb.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'mpi4py-import harness' "
                                 "AND wait_event_type = 'Lock'")
                if pids:
                    stopped.append(int(pids[0][0]))
                    os.kill(stopped[0], signal.SIGSTOP)
                    break
                time.sleep(0.05)
            assert stopped, "the harness never waited on the lock"
            t0 = time.monotonic()
            out, err = p.communicate(timeout=60)
            waited = time.monotonic() - t0
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
            if p.poll() is None:
                p.kill()
    assert p.returncode == 0, out + err
    assert "no answer within 9 s (database.statement_timeout + 5 s): connection abandoned" in err
    assert 4 < waited < 40, waited
    assert len(spooled(pgdb)) == 1
    ok(harness("--flush-spool", "--config", cfg))
    assert row(pgdb, rid, "status") == ["ok"]


def _peer_pid(conn):
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[0]


def test_sigterm_while_the_database_keeps_the_run_waiting_leaves_the_spool(pgdb, tmp_path):
    db_init(pgdb)
    sock_dir = Path(tempfile.mkdtemp(prefix="silent-"))   # short: a socket path has 107 bytes at most
    port = 5999
    with silent_server(socket.AF_UNIX, str(sock_dir / f".s.PGSQL.{port}")) as (_, accepted):
        cfg = write_config(tmp_path / "hang.cfg", f"host={sock_dir} port={port} connect_timeout=120 dbname=x user=x",
                           pgdb.spool, VENV)
        cmd = ["mpirun", "--oversubscribe", "-n", "1", str(HARNESS), "--config", str(cfg), "--machine", "local",
               "--filesystem", "common", *CHEAP]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(1200):
                if accepted:
                    break
                time.sleep(0.05)
            assert accepted, "the harness never connected"
            os.kill(_peer_pid(accepted[0]), signal.SIGTERM)   # as Slurm's time limit would
            p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
    shutil.rmtree(sock_dir)
    assert p.returncode != 0
    files = spooled(pgdb)
    assert len(files) == 1 and json.loads(files[0].read_text())["spooled_because"] == INTERRUPTED
    # The database's own config sends it.
    assert "1 sent" in ok(harness("--flush-spool", "--config", pgdb.config)).stdout
    assert pgdb.psql("SELECT status, spooled_because FROM results") == [["ok", INTERRUPTED]]
