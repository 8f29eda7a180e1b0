"""A throwaway PostgreSQL server for the tests: initdb into a temporary
directory as the postgres user (through runuser: root only), a private
socket directory and port, no TCP, fsync off; stopped by its pid.

Tests take it from the fixtures of tests/conftest.py: `pg` (the server of
the session) or `pgdb` (a fresh database on it, with a harness config
pointing there)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from itertools import count
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_db_numbers = count(1)


def _as_postgres(*cmd, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], capture_output=True, text=True,
                          timeout=120, **kw)


def _free_port():
    # Only names the socket file (.s.PGSQL.PORT) in our own directory, but
    # a port no one listens on keeps it from mattering anywhere else.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


class PgServer:
    def __init__(self, root):
        self.root = Path(root)
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.pid = None

    def init(self):
        self.socket_dir.mkdir()
        shutil.chown(self.socket_dir, "postgres", "postgres")
        proc = _as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def start(self):
        opts = f"-c listen_addresses='' -k {self.socket_dir} -p {self.port} -c fsync=off -c full_page_writes=off"
        proc = _as_postgres(PG_BIN / "pg_ctl", "start", "-w", "-D", self.data, "-l", self.log, "-o", opts)
        assert proc.returncode == 0, proc.stdout + proc.stderr + self.log.read_text()[-2000:]
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self):
        """Fast shutdown by pid; waits until the postmaster is gone."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 60
        while _state(self.pid) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(self.pid) in (None, "Z"), f"postgres {self.pid} did not stop"
        self.pid = None

    def conninfo(self, dbname="postgres"):
        return f"host={self.socket_dir} port={self.port} dbname={dbname} user=postgres"

    def env(self, dbname="postgres"):
        """The PG* variables that reach this server without a conninfo."""
        return {"PGHOST": str(self.socket_dir), "PGPORT": str(self.port), "PGDATABASE": dbname,
                "PGUSER": "postgres"}

    def createdb(self, name):
        """A new empty database NAME on this server; returns its conninfo."""
        proc = subprocess.run([str(PG_BIN / "createdb"), "-h", str(self.socket_dir), "-p", str(self.port), "-U",
                               "postgres", name], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return self.conninfo(name)

    def psql(self, sql, dbname="postgres", *params):
        """Runs SQL (with :'v1', :'v2'... bound to PARAMS); returns rows of fields."""
        args = ["psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir, "-p", self.port,
                "-U", "postgres", "-d", dbname]
        for i, p in enumerate(params, 1):
            args += ["-v", f"v{i}={p}"]
        proc = subprocess.run(list(map(str, args)), input=sql, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return [line.split("\t") for line in proc.stdout.splitlines()]


@contextmanager
def running_server():
    """A PgServer started in a new temporary directory, stopped and removed
    when the block ends."""
    root = tempfile.mkdtemp(prefix="mpi4py-import-pg-")
    shutil.chown(root, "postgres", "postgres")
    server = PgServer(root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class PgDb:
    """One test's database and a harness config whose database section
    points at it; `config` runs on the real venv of conf/local.cfg."""

    def __init__(self, server, name, config, spool):
        self.server, self.name, self.config, self.spool = server, name, config, spool

    def psql(self, sql, *params):
        return self.server.psql(sql, self.name, *params)

    def rows(self):
        return self.psql("SELECT count(*) FROM results")[0][0]


def write_config(path, conninfo, spool, venv, filesystems=("common",), lost_after_hours=24.0):
    """A harness config: machine `local` on VENV, in-place filesystems, the
    suites numpy (its default) and mpi4py."""
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    fs = ",\n".join(f'      {{ name = {q(name)}; kind = "inplace"; }}' for name in filesystems)
    path.write_text(
        f"database = {{ conninfo = {q(conninfo)}; spool_dir = {q(str(spool))};\n"
        f"             lost_after_hours = {lost_after_hours}; }};\n"
        "suites = ( { name = \"numpy\"; import = \"import numpy\"; packages = [\"numpy\"]; },\n"
        "  { name = \"mpi4py\"; import = \"import mpi4py; mpi4py.rc.initialize = False; from mpi4py import MPI\"; } );\n"
        f"machines = ( {{ name = \"local\"; venv = {q(str(venv))}; timeout = 60.0; launcher = \"mpirun\";\n"
        "    suites = [\"numpy\", \"mpi4py\"];\n"
        f"    filesystems = (\n{fs}\n    ); }} );\n")
    return path


def new_database(server, tmp_path, venv):
    """A fresh database on SERVER and a config in TMP_PATH for it (spool
    there too), machine `local` on VENV."""
    name = f"t{os.getpid()}_{next(_db_numbers)}"
    spool = tmp_path / "spool"
    config = write_config(tmp_path / "results.cfg", server.createdb(name), spool, venv)
    return PgDb(server, name, config, spool)
